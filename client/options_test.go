package client

import (
	"context"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/provernet/provernet/wire"
)

// countingTransport counts the requests a client sends through it.
type countingTransport struct{ n atomic.Int32 }

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.n.Add(1)
	return http.DefaultTransport.RoundTrip(r)
}

// TestWithHTTPClient: requests go through the given client; a nil one
// keeps the default.
func TestWithHTTPClient(t *testing.T) {
	n := newTestNode(t)
	n.json("/v1/status", wire.Status{ChainID: "test", Height: 7})
	tr := &countingTransport{}
	c := n.client(WithHTTPClient(&http.Client{Transport: tr}))
	if st, err := c.Status(context.Background()); err != nil || st.Height != 7 {
		t.Fatalf("status %+v %v", st, err)
	}
	if tr.n.Load() != 1 {
		t.Fatalf("the given HTTP client sent %d requests, want 1", tr.n.Load())
	}
	if c := New("127.0.0.1:1", WithHTTPClient(nil)); c.http == nil || c.http.Timeout != DefaultRequestTimeout {
		t.Fatalf("WithHTTPClient(nil) left %+v", c.http)
	}
	if c := New("host:1317/"); c.base != "http://host:1317" {
		t.Fatalf("base %q", c.base)
	}
}

// TestWithPollInterval: WaitTx asks as often as the option says.
func TestWithPollInterval(t *testing.T) {
	n := newTestNode(t)
	var asked atomic.Int32
	n.handle("GET /v1/txs/AA", func(w http.ResponseWriter, _ *http.Request) {
		if asked.Add(1) < 4 {
			writeJSON(w, http.StatusNotFound, wire.APIError{Message: "not committed"})
			return
		}
		writeJSON(w, http.StatusOK, wire.TxResult{Hash: "AA", Height: 5})
	})
	for _, c := range []struct {
		every    time.Duration
		min, max time.Duration
	}{{time.Millisecond, 0, 2 * time.Second}, {150 * time.Millisecond, 450 * time.Millisecond, time.Minute}} {
		asked.Store(0)
		start := time.Now()
		r, err := n.client(WithPollInterval(c.every)).WaitTx(context.Background(), "AA")
		if took := time.Since(start); err != nil || r.Height != 5 || took < c.min || took > c.max {
			t.Fatalf("every %s: %+v %v after %s, want %s..%s", c.every, r, err, took, c.min, c.max)
		}
	}
	if c := New("x", WithPollInterval(-1)); c.poll != DefaultPollInterval {
		t.Fatalf("WithPollInterval(-1) set %s", c.poll)
	}
}
