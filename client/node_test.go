package client

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
)

// testNode is a scripted node API: each path answers what the test set,
// and every request is counted.
type testNode struct {
	t      *testing.T
	mu     sync.Mutex
	routes map[string]http.HandlerFunc
	hits   map[string]int
	srv    *httptest.Server
}

func newTestNode(t *testing.T) *testNode {
	n := &testNode{t: t, routes: map[string]http.HandlerFunc{}, hits: map[string]int{}}
	n.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.mu.Lock()
		h := n.routes[r.Method+" "+r.URL.Path]
		n.hits[r.Method+" "+r.URL.Path]++
		n.mu.Unlock()
		if h == nil {
			writeJSON(w, http.StatusNotFound, map[string]string{"error": "no such endpoint: " + r.URL.Path})
			return
		}
		h(w, r)
	}))
	t.Cleanup(n.srv.Close)
	return n
}

// handle sets what "METHOD /path" answers.
func (n *testNode) handle(route string, h http.HandlerFunc) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.routes[route] = h
}

// json makes "GET /path" answer v with status 200.
func (n *testNode) json(path string, v any) {
	n.handle("GET "+path, func(w http.ResponseWriter, _ *http.Request) { writeJSON(w, http.StatusOK, v) })
}

func (n *testNode) count(route string) int {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.hits[route]
}

func (n *testNode) client(opts ...Option) *Client { return New(n.srv.URL, opts...) }

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
