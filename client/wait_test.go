package client

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/provernet/provernet/wire"
	"github.com/provernet/provernet/wire/seal"
)

// scriptedWorkload serves a workload that goes through states, one per
// request; before the first it answers 404 `missing` times. The last
// state repeats.
func scriptedWorkload(n *testNode, id string, missing int, states ...string) {
	var mu sync.Mutex
	calls := 0
	n.handle("GET /v1/workloads/"+id, func(w http.ResponseWriter, _ *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		calls++
		if calls <= missing {
			writeJSON(w, http.StatusNotFound, wire.APIError{Message: "workload " + id + ": not found"})
			return
		}
		i := min(calls-missing-1, len(states)-1)
		writeJSON(w, http.StatusOK, wire.Workload{ID: id, State: states[i]})
	})
}

// TestWaitWorkloadStopsAtEnd: the wait outlasts a workload not yet
// committed, calls seen once per change, and returns the first terminal
// state; every terminal state ends it.
func TestWaitWorkloadStopsAtEnd(t *testing.T) {
	for _, end := range []string{wire.WorkloadFinal, wire.WorkloadFailed, wire.WorkloadRejected, wire.WorkloadExpired} {
		n := newTestNode(t)
		scriptedWorkload(n, "w1", 2, wire.WorkloadPending, wire.WorkloadPending, wire.WorkloadAllocated, wire.WorkloadRunning, end, wire.WorkloadPending)
		var seen []string
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		w, err := n.client().WaitWorkload(ctx, "w1", time.Millisecond, func(w *wire.Workload) { seen = append(seen, w.State) }, Ended)
		cancel()
		if err != nil || w.State != end {
			t.Fatalf("%s: %+v %v", end, w, err)
		}
		if want := []string{wire.WorkloadPending, wire.WorkloadAllocated, wire.WorkloadRunning, end}; !equalStrings(seen, want) {
			t.Fatalf("%s: seen %v, want %v", end, seen, want)
		}
		if got := n.count("GET /v1/workloads/w1"); got != 7 {
			t.Fatalf("%s: %d polls, want 7 (2 missing, 5 states)", end, got)
		}
	}
}

// TestWaitWorkloadContext: a wait that never ends returns ctx's error
// once ctx ends, and another error of the node at once.
func TestWaitWorkloadContext(t *testing.T) {
	n := newTestNode(t)
	scriptedWorkload(n, "w1", 0, wire.WorkloadRunning)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := n.client().WaitWorkload(ctx, "w1", 5*time.Millisecond, nil, Ended)
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 5*time.Second {
		t.Fatalf("deadline: %v after %s", err, time.Since(start))
	}
	ctx, cancel = context.WithCancel(context.Background())
	go func() { time.Sleep(20 * time.Millisecond); cancel() }()
	if _, err := n.client().WaitWorkload(ctx, "w1", 5*time.Millisecond, nil, Ended); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancel: %v", err)
	}
	n.handle("GET /v1/workloads/w2", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusBadRequest, wire.APIError{Message: "bad id"})
	})
	if _, err := n.client().WaitWorkload(context.Background(), "w2", time.Millisecond, nil, Ended); errors.Is(err, ErrNotFound) || err == nil || n.count("GET /v1/workloads/w2") != 1 {
		t.Fatalf("a 400 did not end the wait at once: %v after %d polls", err, n.count("GET /v1/workloads/w2"))
	}
}

// TestWaitWorkloadOutlastsServerErrors: a node answering 503 for a while
// (restarting, overloaded) does not end the wait.
func TestWaitWorkloadOutlastsServerErrors(t *testing.T) {
	n := newTestNode(t)
	calls := 0
	var mu sync.Mutex
	n.handle("GET /v1/workloads/w1", func(w http.ResponseWriter, _ *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		if calls++; calls <= 3 {
			writeJSON(w, http.StatusServiceUnavailable, wire.APIError{Message: "busy"})
			return
		}
		writeJSON(w, http.StatusOK, wire.Workload{ID: "w1", State: wire.WorkloadFinal})
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if w, err := n.client().WaitWorkload(ctx, "w1", time.Millisecond, nil, Ended); err != nil || w.State != wire.WorkloadFinal {
		t.Fatalf("%+v %v", w, err)
	}
	if !Transient(&StatusError{Status: 502}) || Transient(&StatusError{Status: 400}) || !Transient(ErrUnreachable) {
		t.Fatal("Transient misjudges 502, 400 or ErrUnreachable")
	}
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestFollowRun: the first proof comes from the mempool, a committed slot
// that does not open is reported once, and once the workload is final the
// first valid slot's proof is opened from its block.
func TestFollowRun(t *testing.T) {
	rw := newResultWorld(t, 1<<20)
	id := rw.id()
	rw.pending = []wire.PendingResult{{Slot: 1, Prover: rw.prover(1), Outcome: wire.OutcomeProof, Sealed: rw.seal(1, 1, seal.OutcomeProof, "", nil)}}
	rw.sealed[0] = rw.seal(0, 0, seal.OutcomeProof, "", nil)
	rw.sealed[1] = rw.seal(1, 1, seal.OutcomeProof, "", nil)
	slot := func(i int, state string, decided int64) wire.Slot {
		return rw.recorded(wire.Slot{Index: uint32(i), State: state, Prover: rw.prover(i), Outcome: wire.OutcomeProof, SubmitHeight: 5 + int64(i), DecidedHeight: decided})
	}
	var mu sync.Mutex
	polls := 0
	rw.n.handle("GET /v1/workloads/"+id, func(w http.ResponseWriter, _ *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		polls++
		wl := wire.Workload{ID: id, State: wire.WorkloadRunning}
		switch {
		case polls >= 4: // slot 1 was judged valid first, slot 0 after
			wl.State, wl.Slots = wire.WorkloadFinal, []wire.Slot{slot(0, wire.SlotValid, 12), slot(1, wire.SlotValid, 11)}
		case polls >= 2:
			wl.State, wl.Slots = wire.WorkloadSealed, []wire.Slot{slot(0, wire.SlotSubmitted, 0), slot(1, wire.SlotSubmitted, 0)}
		}
		writeJSON(w, http.StatusOK, wl)
	})
	var proofs []string
	var states []string
	f, err := rw.n.client().FollowRun(context.Background(), id, rw.user.String(), FollowOptions{Every: time.Millisecond,
		Poll: func(w *wire.Workload) { states = append(states, w.State) },
		Proof: func(r *Result, final bool) error {
			proofs = append(proofs, map[bool]string{true: "final", false: "first"}[final]+":"+map[bool]string{true: "pending", false: "block"}[r.Pending])
			return nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if f.Workload.State != wire.WorkloadFinal || f.First == nil || !f.First.Pending || f.First.Slot != 1 ||
		f.Final == nil || f.Final.Pending || f.Final.Slot != 1 || f.Final.Height != 6 {
		t.Fatalf("followed %+v (first %+v, final %+v)", f, f.First, f.Final)
	}
	if !equalStrings(proofs, []string{"first:pending", "final:block"}) || states[len(states)-1] != wire.WorkloadFinal {
		t.Fatalf("proofs %v, states %v", proofs, states)
	}
}

// TestFollowRunRefusesAndStops: with nothing pending, a committed slot
// whose file is another slot's is refused (once) and the next one is
// taken; an error of the Proof callback ends the follow.
func TestFollowRunRefusesAndStops(t *testing.T) {
	rw := newResultWorld(t, 1<<20)
	rw.sealed[0] = rw.seal(1, 1, seal.OutcomeProof, "", nil) // slot 0 holds slot 1's file
	rw.sealed[1] = rw.seal(1, 1, seal.OutcomeProof, "", nil)
	rw.w = wire.Workload{ID: rw.id(), State: wire.WorkloadSealed, Slots: []wire.Slot{
		{Index: 0, State: wire.SlotSubmitted, Prover: rw.prover(0), Outcome: wire.OutcomeProof, SubmitHeight: 5},
		{Index: 1, State: wire.SlotSubmitted, Prover: rw.prover(1), Outcome: wire.OutcomeProof, SubmitHeight: 6},
	}}
	var refused []uint32
	stop := errors.New("enough")
	f, err := rw.n.client().FollowRun(context.Background(), rw.id(), rw.user.String(), FollowOptions{Every: time.Millisecond,
		Refused: func(slot uint32, err error) {
			if !errors.Is(err, ErrHeaderMismatch) {
				t.Errorf("slot %d refused for %v", slot, err)
			}
			refused = append(refused, slot)
		},
		Proof: func(*Result, bool) error { return stop },
	})
	if !errors.Is(err, stop) || f == nil || f.First == nil || f.First.Slot != 1 || f.First.Pending {
		t.Fatalf("%+v %v", f, err)
	}
	if len(refused) != 1 || refused[0] != 0 {
		t.Fatalf("refused %v, want [0]", refused)
	}
}
