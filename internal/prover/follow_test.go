package prover

import (
	"log/slog"
	"slices"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"

	"github.com/provernet/provernet/wire/pb"
)

// TestWorkloadsNamed: the events that bring a workload to the daemon's
// attention, and only those.
func TestWorkloadsNamed(t *testing.T) {
	attr := func(k, v string) abci.EventAttribute { return abci.EventAttribute{Key: k, Value: v} }
	evs := []abci.Event{
		{Type: "run", Attributes: []abci.EventAttribute{attr("workload", "a1"), attr("owner", "x")}},
		{Type: "workload", Attributes: []abci.EventAttribute{attr("id", "b2"), attr("state", "allocated")}},
		{Type: "slot", Attributes: []abci.EventAttribute{attr("workload", "c3"), attr("slot", "0")}},
		{Type: "challenge", Attributes: []abci.EventAttribute{attr("workload", "d4")}},
		{Type: "transfer", Attributes: []abci.EventAttribute{attr("workload", "e5")}},
		{Type: "slot", Attributes: []abci.EventAttribute{attr("id", "f6")}},
	}
	if got, want := workloadsNamed(evs), []string{"a1", "b2", "c3", "d4"}; !slices.Equal(got, want) {
		t.Fatalf("named %v, want %v", got, want)
	}
}

// TestSavedStateRoundTrip: the height read and the interest list survive
// a restart, and a missing file is a fresh start.
func TestSavedStateRoundTrip(t *testing.T) {
	dir := t.TempDir()
	d := &Daemon{cfg: Config{Dir: dir}, interest: map[string]bool{}}
	if err := d.loadState(); err != nil || d.saved.Height != 0 {
		t.Fatalf("fresh: %v, height %d", err, d.saved.Height)
	}
	d.saved.Height = 42
	d.interest["bb"], d.interest["aa"] = true, true
	if err := d.saveState(); err != nil {
		t.Fatal(err)
	}
	again := &Daemon{cfg: Config{Dir: dir}, interest: map[string]bool{}}
	if err := again.loadState(); err != nil {
		t.Fatal(err)
	}
	if again.saved.Height != 42 || !again.interest["aa"] || !again.interest["bb"] || len(again.interest) != 2 {
		t.Fatalf("restored height %d, interest %v", again.saved.Height, again.interest)
	}
}

// TestNoteStanding: leaving the active set is noted for good; a later
// record (or none) does not bring the daemon back.
func TestNoteStanding(t *testing.T) {
	d := &Daemon{cfg: Config{Log: slog.New(slog.DiscardHandler)}}
	for i, step := range []struct {
		state   pb.ProverState
		none    bool
		wantOut bool
	}{
		{state: pb.ProverState_PROVER_STATE_ACTIVE},
		{state: pb.ProverState_PROVER_STATE_SUSPENDED},
		{state: pb.ProverState_PROVER_STATE_REMOVED, wantOut: true},
		{state: pb.ProverState_PROVER_STATE_ACTIVE, wantOut: true},
		{none: true, wantOut: true},
	} {
		d.me = &pb.Prover{State: step.state}
		if step.none {
			d.me = nil
		}
		d.noteStanding()
		if d.out != step.wantOut {
			t.Fatalf("step %d: out %t, want %t", i, d.out, step.wantOut)
		}
	}
	if outOfSet(nil) || !outOfSet(&pb.Prover{State: pb.ProverState_PROVER_STATE_EXITED}) {
		t.Fatal("outOfSet")
	}
}

// TestSortedInterest: every workload of interest or of a job, once each,
// in order.
func TestSortedInterest(t *testing.T) {
	d := &Daemon{interest: map[string]bool{"cc": true, "aa": true}, jobs: &jobStore{jobs: map[string]*job{
		"bb-0": {Workload: "bb", Slot: 0}, "bb-1": {Workload: "bb", Slot: 1}, "aa-0": {Workload: "aa"},
	}}}
	if got, want := d.sortedInterest(), []string{"aa", "bb", "cc"}; !slices.Equal(got, want) {
		t.Fatalf("%v, want %v", got, want)
	}
}
