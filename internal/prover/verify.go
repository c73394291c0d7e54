package prover

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/provernet/provernet/internal/protocol"
	"github.com/provernet/provernet/internal/sandbox"
	"github.com/provernet/provernet/wire"
	"github.com/provernet/provernet/wire/pb"
	"github.com/provernet/provernet/wire/seal"
)

// verifyResult is what a verifying worker reports.
type verifyResult struct {
	workload []byte
	slot     uint32
	round    uint32
	ballot   uint64 // the round's ballot, what the vote names
	voteBy   int64  // the last height the ballot takes votes
	verdict  wire.Verdict
	err      error // no verdict: the machine, not the proof, failed
	// tree, when set, makes it a pending node proof's judgement
	// (tree_vote.go): node and seq name the proof, and workload, slot and
	// round are unused.
	tree      []byte
	node, seq uint32
}

// duty is the key of the committee duty r ends (ballot.rounds).
func (r verifyResult) duty() string {
	if r.tree != nil {
		return treeBallotKey(r.ballot)
	}
	return roundKey(r.workload, r.slot, r.round)
}

// errVerifierWall marks a verification stopped by the wall clock.
var errVerifierWall = errors.New("the verifier ran out of wall-clock time")

// startVerify verifies a revealed proof in the background, for this
// prover's vote in the slot's current round; the verdict comes back on
// d.verified.
func (d *Daemon) startVerify(ctx context.Context, w *pb.Workload, s *pb.Slot) {
	d.ballot.started(w.Id, s.Index, s.Round)
	go func() {
		// Config.Verifiers at a time (2 by default): few, so that workers
		// mostly reuse a verifier compiled into the cache instead of all
		// compiling the same module at once; more than one, so that one
		// slow verifier (bounded by its program's budget) does not hold up
		// every other proof this prover judges.
		select {
		case d.verifySem <- struct{}{}:
		case <-ctx.Done():
			return
		}
		var r verifyResult
		if h, _, err := d.chain.height(ctx); err == nil && h > s.VoteBy {
			// Its turn came after the vote window closed: a verdict now
			// counts for nothing, and the time is better spent elsewhere.
			r = verifyResult{workload: w.Id, slot: s.Index, err: fmt.Errorf("the vote window closed at height %d before its turn", s.VoteBy)}
		} else {
			r = d.check(ctx, w, s)
		}
		r.round, r.ballot, r.voteBy = s.Round, s.Ballot, s.VoteBy
		<-d.verifySem
		select {
		case d.verified <- r:
		case <-ctx.Done():
		}
	}()
}

// check judges a revealed result as the committee must: it opens the file
// with the revealed identity and checks its binding header against the
// submission and the user's stanza (seal.Judge: the chain checks none of
// this), then runs the program's verifier on the proof inside.
func (d *Daemon) check(ctx context.Context, w *pb.Workload, s *pb.Slot) verifyResult {
	file, err := d.chain.sealed(ctx, w.Id, s.Index)
	if err != nil {
		return verifyResult{workload: w.Id, slot: s.Index, err: err}
	}
	j, proof, err := seal.Judge(file, s.Identity, submission(w, s), w.Recipient, int(d.params.MaxProofSize))
	switch j {
	case seal.Copied:
		d.cfg.Log.Warn("a copied result", "workload", fmt.Sprintf("%x", w.Id), "slot", s.Index, "err", err)
		return verifyResult{workload: w.Id, slot: s.Index, verdict: wire.VerdictCopied}
	case seal.Invalid:
		d.cfg.Log.Warn("an invalid result", "workload", fmt.Sprintf("%x", w.Id), "slot", s.Index, "err", err)
		return verifyResult{workload: w.Id, slot: s.Index, verdict: wire.VerdictInvalid}
	}
	return d.verify(ctx, w, s.Index, proof)
}

// submission is the binding header a sound file of slot s carries: what
// the chain recorded when s's result was submitted.
func submission(w *pb.Workload, s *pb.Slot) seal.Header {
	h := seal.Header{Slot: s.Index, Outcome: seal.Outcome(s.Outcome), CyclesUsed: s.CyclesUsed}
	copy(h.Workload[:], w.Id)
	copy(h.Prover[:], s.Prover)
	return h
}

// verify runs w's verifier module on its inputs and a proof.
func (d *Daemon) verify(ctx context.Context, w *pb.Workload, slot uint32, proof []byte) verifyResult {
	res := verifyResult{workload: w.Id, slot: slot}
	var extra []sandbox.File
	if w.Challenge {
		beacon, err := d.challengeBeacon(ctx, w, slot)
		if err != nil {
			res.err = err
			return res
		}
		extra = beacon
	}
	if proof == nil {
		proof = []byte{} // an empty proof is still the verifier's input
	}
	st, err := d.prepare(ctx, w, verifierModule, extra, proof)
	if err != nil {
		res.err = err
		return res
	}
	defer st.remove()
	// The verifier's budget (protocol.VerifyBudget): a verifier that loops
	// runs out of it on every machine alike and rejects.
	budget := protocol.VerifyBudget(d.params, st.prog, w)
	out, err := d.run(ctx, st, sandbox.Verify, sandbox.Limits{Cycles: budget, MaxOutput: 1 << 10, Wall: 10 * time.Minute})
	if err != nil {
		res.err = err
		return res
	}
	res.verdict, res.err = verdictOf(out)
	return res
}

// verdictOf is a verifier run's verdict: valid when the program exited 0,
// invalid when it ended any other way of its own (exit 1, malformed
// input, a trap, its budget spent); no verdict, and an error, when the
// machine failed (a worker killed or stopped by the wall clock).
func verdictOf(out *sandbox.Result) (wire.Verdict, error) {
	if machineTrouble(out) {
		if out.Machine == sandbox.MachineWall {
			return 0, fmt.Errorf("%w: %s", errVerifierWall, out.Detail)
		}
		return 0, fmt.Errorf("the verifier's worker failed: %s", out.Detail)
	}
	if out.Outcome == sandbox.OutcomeValid {
		return wire.VerdictValid, nil
	}
	return wire.VerdictInvalid, nil
}

// machineTrouble reports whether a sandbox outcome says the worker process
// itself failed (killed, out of memory, stopped by the wall clock) rather
// than the program: worth running again, never a verdict on the program.
func machineTrouble(out *sandbox.Result) bool {
	return out.Outcome == sandbox.OutcomeError && out.Machine != ""
}
