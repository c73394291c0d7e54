package prover

import (
	"errors"
	"testing"

	"github.com/provernet/provernet/internal/sandbox"
	"github.com/provernet/provernet/wire"
)

// TestVerdictOf: a verifier's exit 0 is valid; exit 1 (invalid), exit 2
// (malformed input), a trap and a spent budget are all invalid, decided
// by the program; a worker that died or was stopped by the wall clock
// gives no verdict (the machine failed, not the proof).
func TestVerdictOf(t *testing.T) {
	for _, c := range []struct {
		name    string
		out     sandbox.Result
		want    wire.Verdict
		wantErr bool
		wall    bool
	}{
		{"exit 0", sandbox.Result{Outcome: sandbox.OutcomeValid}, wire.VerdictValid, false, false},
		{"exit 1", sandbox.Result{Outcome: sandbox.OutcomeInvalid, ExitCode: 1}, wire.VerdictInvalid, false, false},
		{"exit 2, malformed", sandbox.Result{Outcome: sandbox.OutcomeError, ExitCode: 2, Detail: "the program exited with code 2"}, wire.VerdictInvalid, false, false},
		{"a trap", sandbox.Result{Outcome: sandbox.OutcomeError, Detail: "trapped: unreachable"}, wire.VerdictInvalid, false, false},
		{"the budget spent", sandbox.Result{Outcome: sandbox.OutcomeFail}, wire.VerdictInvalid, false, false},
		{"the wall clock", sandbox.Result{Outcome: sandbox.OutcomeError, Machine: sandbox.MachineWall}, 0, true, true},
		{"the worker died", sandbox.Result{Outcome: sandbox.OutcomeError, Machine: sandbox.MachineDied}, 0, true, false},
	} {
		v, err := verdictOf(&c.out)
		if v != c.want || (err != nil) != c.wantErr || errors.Is(err, errVerifierWall) != c.wall {
			t.Errorf("%s: verdict %v, err %v; want %v, an error %t", c.name, v, err, c.want, c.wantErr)
		}
	}
}

// TestTreeVerdictRecorded: a pending node proof's verdict is queued for
// the pass's Vote under its ballot and remembered, so the planner does
// not judge the ballot again; one the machine could not give is not
// queued, and the ballot is judged again. Forgetting the tree forgets its
// ballots.
func TestTreeVerdictRecorded(t *testing.T) {
	b := newBallot()
	tree := []byte{0xaa}
	b.started(tree, 0, 0) // a Run's round of another workload: untouched
	b.rounds[treeBallotKey(7)] = roundVerifying
	b.rounds[treeBallotKey(8)] = roundVerifying
	if err := b.record(verifyResult{tree: tree, node: 2, seq: 1, ballot: 7, voteBy: 50, verdict: wire.VerdictInvalid}); err != nil {
		t.Fatal(err)
	}
	if err := b.record(verifyResult{tree: tree, node: 3, seq: 1, ballot: 8, err: errVerifierWall}); err == nil {
		t.Fatal("a verification that could not run was recorded")
	}
	if b.rounds[treeBallotKey(7)] != roundVoted || b.rounds[treeBallotKey(8)] != 0 || b.rounds[roundKey(tree, 0, 0)] != roundVerifying {
		t.Fatalf("duties %v", b.rounds)
	}
	votes := b.take(40)
	if len(votes) != 1 || votes[0] != (wire.Ballot{Number: 7, Verdict: wire.VerdictInvalid}) {
		t.Fatalf("vote %v", votes)
	}
	d := &Daemon{ballot: b}
	w := &treeWork{judged: []uint64{7, 8}}
	d.forgetJudged(w)
	if len(d.ballot.rounds) != 1 || len(w.judged) != 0 {
		t.Fatalf("after forgetting the tree: duties %v, judged %v", d.ballot.rounds, w.judged)
	}
}
