package prover

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	"github.com/provernet/provernet/wire"
	"github.com/provernet/provernet/wire/pb"
)

// roundDuty is how far the daemon got with one verification round.
type roundDuty uint8

const (
	roundVerifying roundDuty = iota + 1 // a verification runs
	roundVoted                          // the verdict is queued or sent
)

// ballot is the daemon's committee work in hand. It lives in memory only:
// a restarted daemon verifies again what the chain shows it has not voted
// on.
type ballot struct {
	rounds  map[string]roundDuty // by roundKey
	pending []wire.Ballot        // verdicts not sent yet
	voteBy  map[uint64]int64     // the last height each pending ballot takes votes
}

func newBallot() ballot { return ballot{rounds: map[string]roundDuty{}, voteBy: map[uint64]int64{}} }

// roundKey names one verification round of a slot.
func roundKey(id []byte, slot, round uint32) string { return fmt.Sprintf("%x/%d/%d", id, slot, round) }

// started notes a verification the executor began.
func (b *ballot) started(id []byte, slot, round uint32) {
	b.rounds[roundKey(id, slot, round)] = roundVerifying
}

// record queues a finished verification's verdict for the next Vote. A
// verification that could not run (the machine, not the proof, failed)
// queues nothing and returns its error: the round is verified again on the
// next pass.
func (b *ballot) record(r verifyResult) error {
	key := r.duty()
	delete(b.rounds, key)
	if r.err != nil {
		return r.err
	}
	b.rounds[key] = roundVoted
	b.pending = append(b.pending, wire.Ballot{Number: r.ballot, Verdict: r.verdict})
	b.voteBy[r.ballot] = r.voteBy
	return nil
}

// take hands over the queued verdicts for one Vote: in ballot order, each
// ballot once, at most wire.MaxVoteEntries (the rest wait for the next
// pass). Verdicts whose ballot stopped taking votes before height tip are
// dropped: the chain would ignore them.
func (b *ballot) take(tip int64) []wire.Ballot {
	fresh := b.pending[:0:0]
	for _, v := range b.pending {
		if by, ok := b.voteBy[v.Number]; ok && by < tip {
			delete(b.voteBy, v.Number)
			continue
		}
		fresh = append(fresh, v)
	}
	fresh = voteOf(fresh)
	n := min(len(fresh), wire.MaxVoteEntries)
	b.pending = slices.Clone(fresh[n:])
	return fresh[:n]
}

// sent forgets verdicts a Vote carried.
func (b *ballot) sent(votes []wire.Ballot) {
	for _, v := range votes {
		delete(b.voteBy, v.Number)
	}
}

// putBack requeues verdicts a Vote could not carry: they stand, and go
// with the next pass's.
func (b *ballot) putBack(votes []wire.Ballot) {
	b.pending = append(votes, b.pending...)
}

// onVerified queues the verdict for this pass's Vote.
func (d *Daemon) onVerified(r verifyResult) {
	d.metrics.observeVerification(r)
	err := d.ballot.record(r)
	switch {
	case r.tree != nil && err != nil:
		d.cfg.Log.Warn("could not verify a node proof; not voting", "tree", fmt.Sprintf("%x", r.tree), "node", r.node, "seq", r.seq, "ballot", r.ballot, "err", err)
	case r.tree != nil:
		d.cfg.Log.Info("judged a node proof", "tree", fmt.Sprintf("%x", r.tree), "node", r.node, "seq", r.seq, "ballot", r.ballot, "verdict", r.verdict)
	case err != nil:
		d.cfg.Log.Warn("could not verify; not voting", "workload", fmt.Sprintf("%x", r.workload), "slot", r.slot, "err", err)
	}
}

// flushVotes sends every verdict gathered since the last pass in one Vote.
func (d *Daemon) flushVotes(ctx context.Context) error {
	acts := planVotes(d.standing(), d.ballot.pending)
	if len(acts) == 0 {
		return nil
	}
	votes := d.ballot.take(d.tip)
	if len(votes) == 0 {
		return nil // every verdict came too late to count
	}
	m, err := wire.EncodeVote(votes)
	if err != nil {
		return err // cannot happen: voteOf sorts and deduplicates
	}
	if err := d.signer.send(ctx, d.chain, &pb.Msg{Kind: &pb.Msg_Vote{Vote: m}}); err != nil {
		d.ballot.putBack(votes)
		return err
	}
	d.ballot.sent(votes)
	valid := 0
	for _, v := range votes {
		if v.Verdict == wire.VerdictValid {
			valid++
		}
	}
	d.cfg.Log.Info("voted", "verdicts", len(votes), "valid", valid)
	return nil
}

// voteOf orders verdicts by ballot, as a Vote carries them, keeping the
// first verdict of a ballot queued twice (a round verified again after a
// restart judges the same file the same way).
func voteOf(votes []wire.Ballot) []wire.Ballot {
	slices.SortStableFunc(votes, func(a, b wire.Ballot) int { return cmp.Compare(a.Number, b.Number) })
	return slices.CompactFunc(votes, func(a, b wire.Ballot) bool { return a.Number == b.Number })
}
