package prover

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"slices"

	"github.com/provernet/provernet/wire/pb"
	"github.com/provernet/provernet/wire/seal"
)

// maybeVerify starts verifying a revealed proof when this prover sits on
// its committee and has not voted; it reports whether the workload still
// concerns this prover.
func (d *Daemon) maybeVerify(ctx context.Context, w *pb.Workload, s *pb.Slot) bool {
	i, member := slices.BinarySearchFunc(s.Committee, d.addr[:], bytes.Compare)
	if !member || i >= len(s.Votes) || s.Votes[i] != 0 {
		return false
	}
	key := roundKey(w.Id, s.Index, s.Round) // a fresh committee in a later round asks again
	if d.voted[key] || d.verifying[key] {
		return true
	}
	d.verifying[key] = true
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
		r.round = s.Round
		<-d.verifySem
		select {
		case d.verified <- r:
		case <-ctx.Done():
		}
	}()
	return true
}

// check opens a revealed result and runs the program's verifier on it.
func (d *Daemon) check(ctx context.Context, w *pb.Workload, s *pb.Slot) verifyResult {
	file, err := d.chain.sealed(ctx, w.Id, s.Index)
	if err != nil {
		return verifyResult{workload: w.Id, slot: s.Index, err: err}
	}
	h, proof, err := seal.Open(file, s.Identity, int(d.params.MaxProofSize))
	if err != nil || h.Outcome != seal.OutcomeProof {
		// The chain already judged what it can see; a file it accepted
		// that still does not open is not a valid proof.
		return verifyResult{workload: w.Id, slot: s.Index, valid: false}
	}
	return d.verify(ctx, w, s.Index, proof)
}

// onVerified queues the verdict for this pass's Vote.
func (d *Daemon) onVerified(r verifyResult) {
	key := roundKey(r.workload, r.slot, r.round)
	delete(d.verifying, key)
	if r.err != nil {
		d.cfg.Log.Warn("could not verify; not voting", "workload", hex.EncodeToString(r.workload), "slot", r.slot, "err", r.err)
		return
	}
	d.voted[key] = true
	d.votes = append(d.votes, &pb.VoteEntry{Workload: r.workload, Slot: r.slot, Valid: r.valid})
}

// flushVotes sends every verdict gathered since the last pass in one Vote.
func (d *Daemon) flushVotes(ctx context.Context) error {
	if len(d.votes) == 0 || !d.active() {
		return nil
	}
	votes := d.votes
	d.votes = nil
	if err := d.signer.send(ctx, d.chain, &pb.Msg{Kind: &pb.Msg_Vote{Vote: &pb.Vote{Entries: votes}}}); err != nil {
		d.votes = append(votes, d.votes...) // the verdicts stand: send them next pass
		return err
	}
	valid := 0
	for _, v := range votes {
		if v.Valid {
			valid++
		}
	}
	d.cfg.Log.Info("voted", "verdicts", len(votes), "valid", valid)
	return nil
}

func slotKey(id []byte, slot uint32) string { return fmt.Sprintf("%x/%d", id, slot) }

// roundKey names one verification round of a slot.
func roundKey(id []byte, slot, round uint32) string { return fmt.Sprintf("%x/%d/%d", id, slot, round) }
