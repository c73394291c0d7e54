package client

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/provernet/provernet/wire"
)

// TestEventsResumes: a stream that drops is dialled again with the last id
// seen, and fn gets every event once, in order; fn returning false ends
// Events with nil.
func TestEventsResumes(t *testing.T) {
	n := newTestNode(t)
	var seen []string // Last-Event-ID of each connection
	n.handle("GET /v1/events", func(w http.ResponseWriter, r *http.Request) {
		if got := r.URL.Query().Get("workload"); got != "ab" {
			t.Errorf("workload filter %q", got)
		}
		last := r.Header.Get("Last-Event-ID")
		seen = append(seen, last)
		w.Header().Set("Content-Type", "text/event-stream")
		start := 0
		if last != "" {
			fmt.Sscanf(last, "7:%d", &start)
			start++
		}
		// Three events a connection, then the connection drops; a
		// keep-alive comment in between changes nothing.
		for i := start; i < start+3 && i < 8; i++ {
			fmt.Fprintf(w, "id: 7:%d\nevent: slot\ndata: {\"height\":7,\"index\":%d,\"type\":\"slot\",\"attrs\":{}}\n\n: keep-alive\n\n", i, i)
		}
	})
	c := New(n.srv.URL)
	var got []int
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := c.Events(ctx, EventFilter{Workload: "ab"}, func(e wire.StreamEvent) bool {
		got = append(got, e.Index)
		return e.Index < 7
	})
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(got) != "[0 1 2 3 4 5 6 7]" {
		t.Fatalf("events %v, want 0..7 once each", got)
	}
	if strings.Join(seen, ",") != ",7:2,7:5" {
		t.Fatalf("Last-Event-ID per connection %q, want \"\", 7:2, 7:5", seen)
	}
}

// TestEventsRefused: a 4xx ends Events with the node's error.
func TestEventsRefused(t *testing.T) {
	n := newTestNode(t)
	n.handle("GET /v1/events", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "workload must be a workload id: 64 hex characters"})
	})
	err := New(n.srv.URL).Events(context.Background(), EventFilter{Workload: "zz"}, func(wire.StreamEvent) bool { return true })
	if err == nil || !strings.Contains(err.Error(), "64 hex") {
		t.Fatalf("err = %v", err)
	}
}
