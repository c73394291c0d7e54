package prover

import (
	"bytes"
	"slices"
	"testing"

	"github.com/provernet/provernet/wire"
)

// TestJobCores: a job's share of the declared cores, never zero when
// cores are declared.
func TestJobCores(t *testing.T) {
	for _, c := range []struct {
		r    *Registration
		want int
	}{
		{nil, 0},
		{&Registration{}, 0},
		{&Registration{CPUCores: 8, MaxConcurrent: 2}, 4},
		{&Registration{CPUCores: 8}, 8},
		{&Registration{CPUCores: 3, MaxConcurrent: 4}, 1},
		{&Registration{CPUCores: 7, MaxConcurrent: 2}, 3},
	} {
		if got := jobCores(c.r); got != c.want {
			t.Errorf("%+v: %d cores, want %d", c.r, got, c.want)
		}
	}
}

// TestExpectedNonce reads the nonce out of the protocol's wrong_nonce
// refusal (internal/protocol/tx.go).
func TestExpectedNonce(t *testing.T) {
	if n, ok := expectedNonce("nonce 3 for prv1xyz; its next nonce is 17"); !ok || n != 17 {
		t.Fatalf("got %d, %t", n, ok)
	}
	for _, log := range []string{"", "insufficient funds", "its next nonce is x", "its next nonce is 99999999999999999999999"} {
		if _, ok := expectedNonce(log); ok {
			t.Errorf("%q: a nonce read from nothing", log)
		}
	}
}

// TestFaultSpoil: only the invalid fault corrupts a proof, and never the
// caller's bytes.
func TestFaultSpoil(t *testing.T) {
	proof := []byte{1, 2, 3, 4}
	if got := FaultInvalid.spoil(proof); bytes.Equal(got, proof) || len(got) != len(proof) {
		t.Fatalf("invalid left the proof as it was: %v", got)
	}
	if !bytes.Equal(proof, []byte{1, 2, 3, 4}) {
		t.Fatal("spoil changed the caller's proof")
	}
	for _, f := range []Fault{FaultNone, FaultCopy, FaultNoReveal, FaultSilent} {
		if got := f.spoil(proof); !bytes.Equal(got, proof) {
			t.Errorf("%q spoiled the proof", f)
		}
	}
	if got := FaultInvalid.spoil(nil); got != nil {
		t.Errorf("spoiled an empty proof: %v", got)
	}
}

// TestFaultFilter: a silent prover drops a slot's whole decision, not
// just its first step; other slots and other faults pass.
func TestFaultFilter(t *testing.T) {
	plan := []action{
		{kind: actAccept, slot: 0}, {kind: actTake, slot: 0, job: &job{}}, {kind: actProve, slot: 0},
		{kind: actReveal, slot: 1}, {kind: actVerify, slot: 2}, {kind: actUnwatch},
	}
	kinds := func(acts []action) []actionKind {
		var out []actionKind
		for _, a := range acts {
			out = append(out, a.kind)
		}
		return out
	}
	for f, want := range map[Fault][]actionKind{
		FaultSilent:   {actReveal, actVerify, actUnwatch},
		FaultNoReveal: {actAccept, actTake, actProve, actVerify, actUnwatch},
		FaultInvalid:  kinds(plan),
		FaultNone:     kinds(plan),
	} {
		if got := kinds(f.filter(plan)); !slices.Equal(got, want) {
			t.Errorf("%q: %v, want %v", f, got, want)
		}
	}
}

// TestBallotPutBack: verdicts a Vote could not carry go first in the next
// one, before those gathered meanwhile.
func TestBallotPutBack(t *testing.T) {
	b := newBallot()
	id := []byte{9}
	for slot := range uint32(2) {
		if err := b.record(verifyResult{workload: id, slot: slot, ballot: uint64(10 + slot), verdict: wire.VerdictValid}); err != nil {
			t.Fatal(err)
		}
	}
	sent := b.take(0)
	if err := b.record(verifyResult{workload: id, slot: 2, ballot: 12, verdict: wire.VerdictInvalid}); err != nil {
		t.Fatal(err)
	}
	b.putBack(sent)
	var ballots []uint64
	for _, v := range b.pending {
		ballots = append(ballots, v.Number)
	}
	if !slices.Equal(ballots, []uint64{10, 11, 12}) {
		t.Fatalf("pending ballots %v, want [10 11 12]", ballots)
	}
	if b.rounds[roundKey(id, 0, 0)] != roundVoted {
		t.Fatal("a recorded round is not marked voted")
	}
}

// TestVoteOf: a Vote carries each ballot once, in ascending order, with
// the first verdict queued for it.
func TestVoteOf(t *testing.T) {
	got := voteOf([]wire.Ballot{{Number: 7, Verdict: wire.VerdictValid}, {Number: 3, Verdict: wire.VerdictCopied},
		{Number: 7, Verdict: wire.VerdictInvalid}, {Number: 5, Verdict: wire.VerdictInvalid}})
	want := []wire.Ballot{{Number: 3, Verdict: wire.VerdictCopied}, {Number: 5, Verdict: wire.VerdictInvalid}, {Number: 7, Verdict: wire.VerdictValid}}
	if !slices.Equal(got, want) {
		t.Fatalf("voteOf = %v, want %v", got, want)
	}
	if _, err := wire.EncodeVote(got); err != nil {
		t.Fatal(err)
	}
}

// TestBallotTakeCapsAndDropsStale: one Vote carries at most
// wire.MaxVoteEntries verdicts (the chain refuses more, and a daemon that
// resent the same oversized Vote would never vote again); the rest go
// with the next pass, and verdicts whose ballot closed are dropped.
func TestBallotTakeCapsAndDropsStale(t *testing.T) {
	b := newBallot()
	const n = wire.MaxVoteEntries + 10
	for i := range n {
		voteBy := int64(100)
		if i%1000 == 7 {
			voteBy = 5 // closed before height 50
		}
		if err := b.record(verifyResult{workload: []byte{1}, slot: uint32(i), ballot: uint64(i + 1), voteBy: voteBy, verdict: wire.VerdictValid}); err != nil {
			t.Fatal(err)
		}
	}
	stale := 0
	for i := range n {
		if i%1000 == 7 {
			stale++
		}
	}
	first := b.take(50)
	if len(first) != wire.MaxVoteEntries {
		t.Fatalf("first Vote: %d entries; want %d", len(first), wire.MaxVoteEntries)
	}
	m, err := wire.EncodeVote(first)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := wire.DecodeVote(m, wire.MaxVoteEntries); err != nil {
		t.Fatalf("the chain would refuse the daemon's Vote: %v", err)
	}
	b.sent(first)
	second := b.take(50)
	if got, want := len(first)+len(second), n-stale; got != want {
		t.Fatalf("sent %d verdicts over two passes; want %d (the %d stale ones dropped)", got, want, stale)
	}
	for _, v := range append(first, second...) {
		if (v.Number-1)%1000 == 7 {
			t.Fatalf("ballot %d, closed at height 5, was sent at height 50", v.Number)
		}
	}
	if rest := b.take(50); len(rest) != 0 {
		t.Fatalf("%d verdicts left after two passes", len(rest))
	}
}
