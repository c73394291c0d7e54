package blob

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func newStore(t *testing.T, max int64) *Store {
	t.Helper()
	s, err := Open(t.TempDir(), max)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestPutGet(t *testing.T) {
	s := newStore(t, 1<<20)
	data := []byte("a proving program")
	h, n, err := s.Put(bytes.NewReader(data))
	if err != nil || n != int64(len(data)) || h != Sum(data) {
		t.Fatalf("Put = %s %d %v", h, n, err)
	}
	got, err := s.Get(h)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("Get = %q %v", got, err)
	}
	if _, err := s.Get(Sum([]byte("other"))); !errors.Is(err, ErrNotFound) {
		t.Fatalf("missing blob: %v", err)
	}
}

func TestLimitsAndHashes(t *testing.T) {
	s := newStore(t, 10)
	if _, _, err := s.Put(strings.NewReader("eleven bytes")); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("oversize put: %v", err)
	}
	if _, err := s.PutExpect(strings.NewReader("abc"), Sum([]byte("abd"))); !errors.Is(err, ErrHashMismatch) {
		t.Fatalf("wrong hash accepted: %v", err)
	}
	if s.Has(Sum([]byte("abc"))) || s.Has(Sum([]byte("abd"))) {
		t.Fatal("a refused blob was kept")
	}
	for _, bad := range []string{"", "xyz", strings.Repeat("a", 63), strings.Repeat("g", 64)} {
		if _, err := ParseHash(bad); !errors.Is(err, ErrBadHash) {
			t.Errorf("ParseHash(%q) = %v", bad, err)
		}
	}
}

// TestPeerFetch: a node fetches a missing blob from a peer over HTTP and
// refuses a peer that serves the wrong bytes.
func TestPeerFetch(t *testing.T) {
	honest := newStore(t, 1<<20)
	data := []byte("module bytes")
	h, _, _ := honest.Put(bytes.NewReader(data))
	honestSrv := httptest.NewServer(Handler(honest, nil))
	defer honestSrv.Close()
	liar := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte("not the module"))
	}))
	defer liar.Close()

	local := newStore(t, 1<<20)
	f := &Fetcher{Store: local, Peers: func() []string { return []string{liar.URL} }}
	if err := f.Fetch(context.Background(), h); !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "does not match") {
		t.Fatalf("fetch from a lying peer: %v", err)
	}
	if local.Has(h) {
		t.Fatal("a lying peer's bytes were stored")
	}
	f.Peers = func() []string { return []string{liar.URL, honestSrv.URL} }
	if err := f.Fetch(context.Background(), h); err != nil {
		t.Fatal(err)
	}
	if got, _ := local.Get(h); !bytes.Equal(got, data) {
		t.Fatalf("fetched %q", got)
	}

	// Through HTTP: a GET for a blob the node lacks is answered from peers.
	empty := newStore(t, 1<<20)
	srv := httptest.NewServer(Handler(empty, &Fetcher{Store: empty, Peers: func() []string { return []string{honestSrv.URL} }}))
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/v1/blobs/" + h.String())
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !bytes.Equal(body, data) {
		t.Fatalf("GET through peer: %d %q", resp.StatusCode, body)
	}
}

func TestHTTPPut(t *testing.T) {
	s := newStore(t, 16)
	srv := httptest.NewServer(Handler(s, nil))
	defer srv.Close()
	put := func(body string) (*http.Response, PutResult) {
		req, _ := http.NewRequest(http.MethodPut, srv.URL+"/v1/blobs", strings.NewReader(body))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var r PutResult
		_ = json.NewDecoder(resp.Body).Decode(&r)
		return resp, r
	}
	resp, r := put("hello")
	if resp.StatusCode != http.StatusCreated || r.SHA256 != Sum([]byte("hello")).String() || r.Size != 5 {
		t.Fatalf("PUT: %d %+v", resp.StatusCode, r)
	}
	if resp, _ := put(strings.Repeat("x", 17)); resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("oversize PUT: %d", resp.StatusCode)
	}
	resp2, err := http.Get(srv.URL + "/v1/blobs/nothex")
	if err != nil || resp2.StatusCode != http.StatusBadRequest {
		t.Fatalf("bad hash GET: %v %d", err, resp2.StatusCode)
	}
}
