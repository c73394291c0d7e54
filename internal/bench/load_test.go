package bench

import (
	"testing"
	"time"

	"github.com/provernet/provernet/wire"
)

// The load benchmark's accounting: a Run is final, failed or lost by the
// events the chain emitted for it, an owner's window token comes back at
// final (once, though settle follows), and a stranger's Runs count for
// nothing.
func TestLoadAccounting(t *testing.T) {
	const me = "prv1me"
	r := &loadRun{ws: map[string]*loadWorkload{}, window: map[string]chan struct{}{me: make(chan struct{}, 4)}, sending: true, done: make(chan struct{})}
	send := func(id string) {
		r.window[me] <- struct{}{}
		w := r.get(id)
		w.owner, w.sentAt, w.accepted, w.mine = me, time.Now(), true, true
		r.accepted++
	}
	ev := func(h int64, typ string, attrs ...string) {
		m := map[string]string{}
		for i := 0; i+1 < len(attrs); i += 2 {
			m[attrs[i]] = attrs[i+1]
		}
		r.observe(wire.StreamEvent{Height: h, Type: typ, Attrs: m})
	}
	for _, id := range []string{"a", "b", "c"} {
		send(id)
	}
	ev(10, "run", "workload", "a", "owner", me)
	ev(10, "run", "workload", "b", "owner", me)
	ev(10, "run", "workload", "c", "owner", me)
	ev(10, "run", "workload", "x", "owner", "prv1stranger")
	ev(14, "workload", "id", "a", "state", "final")
	if n := len(r.window[me]); n != 2 {
		t.Fatalf("after a's final: %d tokens held, want 2", n)
	}
	ev(15, "settle", "workload", "a", "state", "final")
	ev(30, "settle", "workload", "b", "state", "expired")
	ev(31, "settle", "workload", "x", "state", "final")
	if n := len(r.window[me]); n != 1 {
		t.Fatalf("after a settled and b expired: %d tokens held, want 1", n)
	}
	r.mu.Lock()
	r.sending = false
	r.checkDone()
	if r.done == nil {
		t.Fatal("done with c unsettled")
	}
	r.mu.Unlock()
	rep := r.report(LoadOptions{K: 1}, 2*time.Second)
	if rep.Workloads != 3 || rep.Included != 3 || rep.Final != 1 || rep.Failed != 1 || rep.Lost != 1 {
		t.Fatalf("report %+v", rep)
	}
	if rep.FinalP50Blocks != 4 || rep.WorkloadsPerS != 0.5 || rep.Blocks != 21 {
		t.Fatalf("latency %v blocks, %v/s, %d blocks", rep.FinalP50Blocks, rep.WorkloadsPerS, rep.Blocks)
	}
	done := r.done
	ev(40, "settle", "workload", "c", "state", "failed")
	select {
	case <-done:
	default:
		t.Fatal("not done once every accepted Run settled")
	}
}
