package sim

import (
	"github.com/provernet/provernet/internal/protocol"
	"github.com/provernet/provernet/wire/pb"
)

// Reputation as the chain keeps it (internal/protocol/reputation.go): per
// prover a ring of protocol.ReputationBuckets period buckets, bumped where
// the chain bumps them (a final proof at settlement, a miss, a slash), and
// the score is the chain's own protocol.ReputationOf on a record that
// holds the buckets: (final + 1) * 10000 / (allocated + 4 * slashed + 2),
// capped at 10000. Only the bucket keeping is the simulator's;
// TestFastMatchesFull compares the resulting payouts with the chain's.

// reputations are the provers' reputation records (only the buckets set)
// and a per-height cache of their scores.
type reputations struct {
	par   protocol.Params
	recs  []*pb.Prover
	at    []int64
	score []uint32
}

func newReputations(par protocol.Params, n int) *reputations {
	r := &reputations{par: par, recs: make([]*pb.Prover, n), at: make([]int64, n), score: make([]uint32, n)}
	for i := range r.recs {
		r.recs[i] = &pb.Prover{}
		r.at[i] = -1
	}
	return r
}

// bump adds to prover p's bucket for height h (the chain's bumpRep).
func (r *reputations) bump(p int32, h int64, fn func(b *pb.RepBucket)) {
	if r == nil || r.par.ReputationWindow <= 0 {
		return
	}
	r.at[p] = -1
	rec := r.recs[p]
	period := h / max(r.par.ReputationWindow/protocol.ReputationBuckets, 1)
	for _, b := range rec.Reputation {
		if b.Period == period {
			fn(b)
			return
		}
	}
	b := &pb.RepBucket{Period: period}
	fn(b)
	if len(rec.Reputation) < protocol.ReputationBuckets {
		rec.Reputation = append(rec.Reputation, b)
		return
	}
	oldest := 0
	for i, x := range rec.Reputation {
		if x.Period < rec.Reputation[oldest].Period {
			oldest = i
		}
	}
	rec.Reputation[oldest] = b
}

func (r *reputations) final(p int32, h int64) {
	r.bump(p, h, func(b *pb.RepBucket) { b.Allocated++; b.Final++ })
}

func (r *reputations) missed(p int32, h int64, n uint32) {
	r.bump(p, h, func(b *pb.RepBucket) { b.Allocated += n; b.Declined += n })
}

func (r *reputations) slashed(p int32, h int64) {
	r.bump(p, h, func(b *pb.RepBucket) { b.Slashed++ })
}

// scoreAt is prover p's score at height h (protocol.ReputationOf).
func (r *reputations) scoreAt(p int32, h int64) uint32 {
	if r.at[p] != h {
		r.at[p], r.score[p] = h, protocol.ReputationOf(r.par, r.recs[p], h).ScoreBp
	}
	return r.score[p]
}
