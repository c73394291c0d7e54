package client

import (
	"context"
	"fmt"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/provernet/provernet/wire"
)

// eventNode is a node whose workload "w1" changes state only when the test
// says, with an event on the stream; the stream's from parameter is kept.
type eventNode struct {
	*testNode
	state  atomic.Value // string: the workload's state
	events chan int     // heights to announce on the stream
	from   atomic.Value // string: the from of the last stream request
}

func newEventNode(t *testing.T) *eventNode {
	n := &eventNode{testNode: newTestNode(t), events: make(chan int, 8)}
	n.state.Store(wire.WorkloadRunning)
	n.from.Store("")
	n.json("/v1/status", wire.Status{Height: 41})
	n.handle("GET /v1/workloads/w1", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, wire.Workload{ID: "w1", State: n.state.Load().(string)})
	})
	n.handle("GET /v1/events", func(w http.ResponseWriter, r *http.Request) {
		n.from.Store(r.URL.Query().Get("from"))
		w.Header().Set("Content-Type", "text/event-stream")
		w.(http.Flusher).Flush()
		for {
			select {
			case <-r.Context().Done():
				return
			case h := <-n.events:
				fmt.Fprintf(w, "id: %d:0\nevent: workload\ndata: {\"height\":%d,\"index\":0,\"type\":\"workload\",\"attrs\":{\"id\":\"w1\"}}\n\n", h, h)
				w.(http.Flusher).Flush()
			}
		}
	})
	return n
}

// TestWaitWorkloadWakesOnEvents: with an event stream, a wait looks at the
// workload when an event about it comes, not at its interval: a 1 ms
// interval over 400 ms of silence costs a few looks, not hundreds, and
// the event that announces the end ends the wait at once. The stream
// starts at the node's height before the first look.
func TestWaitWorkloadWakesOnEvents(t *testing.T) {
	n := newEventNode(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	type answer struct {
		w   *wire.Workload
		err error
	}
	got := make(chan answer, 1)
	go func() {
		w, err := n.client().WaitWorkload(ctx, "w1", time.Millisecond, nil, Ended)
		got <- answer{w, err}
	}()
	time.Sleep(400 * time.Millisecond)
	quiet := n.count("GET /v1/workloads/w1")
	if quiet > 20 {
		t.Fatalf("%d looks in 400 ms without an event: the wait polls at its 1 ms interval", quiet)
	}
	if f := n.from.Load().(string); f != "41" {
		t.Fatalf("the stream starts at from=%q, want the node's height 41", f)
	}
	n.state.Store(wire.WorkloadFinal)
	start := time.Now()
	n.events <- 42
	select {
	case a := <-got:
		if a.err != nil || a.w.State != wire.WorkloadFinal {
			t.Fatalf("wait ended with %+v, %v", a.w, a.err)
		}
		if d := time.Since(start); d > time.Second {
			t.Fatalf("the wait took %s after the event (the safety look is %s)", d, wakeSafety)
		}
	case <-ctx.Done():
		t.Fatal("the wait did not end after the event")
	}
}

// TestWaitWorkloadPollsWithoutStream: a node without an event stream (404)
// is polled at the wait's interval, so the wait still ends.
func TestWaitWorkloadPollsWithoutStream(t *testing.T) {
	n := newTestNode(t)
	n.json("/v1/status", wire.Status{Height: 3})
	scriptedWorkload(n, "w1", 0, wire.WorkloadRunning, wire.WorkloadRunning, wire.WorkloadRunning, wire.WorkloadFinal)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	start := time.Now()
	w, err := n.client().WaitWorkload(ctx, "w1", 5*time.Millisecond, nil, Ended)
	if err != nil || w.State != wire.WorkloadFinal {
		t.Fatalf("%+v %v", w, err)
	}
	if d := time.Since(start); d >= wakeSafety {
		t.Fatalf("took %s: the wait waited for the safety look, not its interval", d)
	}
}

// TestFollowRunEagerWhileRunning: FollowRun looks at its interval while a
// proof may reach the mempool first (the workload is running), though the
// stream is up.
func TestFollowRunEagerWhileRunning(t *testing.T) {
	n := newEventNode(t)
	n.json("/v1/workloads/w1/pending", []wire.PendingResult{})
	ctx, cancel := context.WithTimeout(context.Background(), 400*time.Millisecond)
	defer cancel()
	_, err := n.client().FollowRun(ctx, "w1", "", FollowOptions{Every: 5 * time.Millisecond, MaxProof: 1 << 20})
	if err == nil {
		t.Fatal("FollowRun ended on a running workload")
	}
	if looks := n.count("GET /v1/workloads/w1/pending"); looks < 20 {
		t.Fatalf("%d looks at the mempool in 400 ms at a 5 ms interval: FollowRun waited for events while a proof could come first", looks)
	}
}
