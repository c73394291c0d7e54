package bench

import (
	"context"
	"testing"
	"time"
)

// TestAPISmall runs the API benchmark at a tiny scale: every Run sent is
// in state and walked, both endpoints answered every request, and every
// subscriber read every timed block. It never checks a time.
func TestAPISmall(t *testing.T) {
	const runs, subscribers, blocks = 240, 20, 3
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	res, err := API(ctx, APIOptions{Workloads: runs, Subscribers: subscribers, Blocks: blocks, Clients: 2,
		Duration: 300 * time.Millisecond, Senders: 4, Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	if res.Workloads != runs {
		t.Fatalf("%d workloads in state, want the %d sent", res.Workloads, runs)
	}
	for _, e := range []APIEndpoint{res.List, res.Detail} {
		if e.Requests == 0 || e.Errors != 0 || e.P99Ms < e.P50Ms || e.MaxMs < e.P99Ms {
			t.Fatalf("%s: %+v", e.Path, e)
		}
	}
	if s := res.SSE; s.Deliveries != subscribers*blocks || s.Missed != 0 {
		t.Fatalf("event streams: %+v, want %d deliveries", s, subscribers*blocks)
	}
}
