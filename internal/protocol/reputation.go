package protocol

import (
	"github.com/provernet/provernet/wire/pb"
)

// Reputation (issue 17, docs/MARKET.md): a prover's share of final proofs
// among the slots it answered for over the last reputation_window blocks,
// with slashes counted against it. A slot counts when its outcome is
// known, so that work in progress neither helps nor hurts: a final proof
// counts as allocated and final; a decline, a silence, a time-out or a
// missed challenge (countMiss) as allocated and declined; a slash as
// slashed. (A fail outcome and an undecided vote count for nothing.) It is kept
// incrementally in the prover's record, as a ring of ReputationBuckets
// counts of reputation_window / ReputationBuckets blocks each: every event
// updates the current period's bucket (replacing the oldest one when a
// new period starts), and the score sums the buckets still in the window.
// No block scans any history. Integers only.

// ReputationBuckets is the number of periods the window is kept in.
const ReputationBuckets = 8

// repSlashWeight: a slash counts as this many slots allotted without a
// final proof.
const repSlashWeight = 4

// repPeriod is the period height falls in (0 with reputation off).
func repPeriod(p Params, height int64) int64 {
	return height / max(p.ReputationWindow/ReputationBuckets, 1)
}

// bumpRep adds to the current period's counts of a prover's record (the
// caller writes the record); nothing with reputation_window 0.
func bumpRep(p Params, height int64, pr *pb.Prover, fn func(b *pb.RepBucket)) {
	if p.ReputationWindow <= 0 {
		return
	}
	period := repPeriod(p, height)
	for _, b := range pr.Reputation {
		if b.Period == period {
			fn(b)
			return
		}
	}
	b := &pb.RepBucket{Period: period}
	fn(b)
	if len(pr.Reputation) < ReputationBuckets {
		pr.Reputation = append(pr.Reputation, b)
		return
	}
	oldest := 0
	for i, x := range pr.Reputation {
		if x.Period < pr.Reputation[oldest].Period {
			oldest = i
		}
	}
	pr.Reputation[oldest] = b
}

// ReputationOf is a prover's reputation at height: the counts of the
// periods within the window and the score, (final + 1) * 10000 /
// (allocated + 4 * slashed + 2) capped at 10000, so that a newcomer
// starts at 5000 and a record of final proofs outranks it.
func ReputationOf(p Params, pr *pb.Prover, height int64) *pb.Reputation {
	r := &pb.Reputation{Window: p.ReputationWindow}
	period := repPeriod(p, height)
	for _, b := range pr.GetReputation() {
		if p.ReputationWindow <= 0 || b.Period <= period-ReputationBuckets || b.Period > period {
			continue
		}
		r.Allocated += uint64(b.Allocated)
		r.Final += uint64(b.Final)
		r.Declined += uint64(b.Declined)
		r.Slashed += uint64(b.Slashed)
	}
	r.ScoreBp = uint32(min((r.Final+1)*10000/(r.Allocated+repSlashWeight*r.Slashed+2), 10000))
	return r
}
