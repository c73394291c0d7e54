package alloc

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"encoding/binary"
	"slices"
)

// The pool (after Taiko's, seed 004; docs/MARKET.md, "The pool"). Once
// per epoch the chain freezes, per resource class, a pool of the best
// provers by a score of stake and ask (PoolRank); a pool Run draws its k
// provers among the pool's members that could take it (ExplainPool). Both
// are pure functions of their inputs; PoolRankNaive and PoolDrawNaive are
// their references.
//
// Ranking: distinct provers by score (higher first), then reputation
// (higher first), then PoolTieKey(seed, prover) (lower first), then
// address; the first size. An entry repeating a prover already seen is
// dropped (the first counts).
//
// The draw: the members that are candidates (rule 1 of market.go, with
// the member's ask as it was frozen; a member serves its class by
// construction) keep the pool's order; the j-th slot (j = 0..k-1) takes
// the candidate at PoolDrawKey(seed, order, j) mod the number of
// candidates left, which leaves the list. Uniform among the candidates,
// whatever their place: the score decides who is in the pool, not who is
// drawn.

const (
	poolRankDomain = "provernet/pool-rank/v1"
	poolDrawDomain = "provernet/pool-draw/v1"
)

// PoolEntry is a prover of the score index as the ranking sees it: its
// score and reputation, and the ask it would be drawn on (carried along).
type PoolEntry struct {
	Prover     [20]byte
	Score      uint64 // stake * 10^6 / price
	Reputation uint32 // score_bp
	AskID      uint32
	Price      uint64
	Latency    int64
	Stake      uint64
}

// PoolTieKey is the beacon's tie-break between provers of equal score and
// reputation when a pool is frozen.
func PoolTieKey(seed []byte, prover [20]byte) uint64 {
	h := sha256.New()
	h.Write([]byte(poolRankDomain))
	h.Write(seed)
	h.Write(prover[:])
	return binary.BigEndian.Uint64(h.Sum(nil)[:8])
}

// PoolDrawKey is the beacon's draw of an order's j-th slot.
func PoolDrawKey(seed []byte, order [32]byte, j int) uint64 {
	h := sha256.New()
	h.Write([]byte(poolDrawDomain))
	h.Write(seed)
	h.Write(order[:])
	var b [4]byte
	binary.BigEndian.PutUint32(b[:], uint32(j))
	h.Write(b[:])
	return binary.BigEndian.Uint64(h.Sum(nil)[:8])
}

// PoolRank returns the first size distinct provers of entries in the
// pool's order. It never modifies entries.
func PoolRank(seed []byte, entries []PoolEntry, size int) []PoolEntry {
	type keyed struct {
		e   PoolEntry
		tie uint64
	}
	seen := make(map[[20]byte]bool, len(entries))
	ks := make([]keyed, 0, len(entries))
	for _, e := range entries {
		if seen[e.Prover] {
			continue
		}
		seen[e.Prover] = true
		ks = append(ks, keyed{e, PoolTieKey(seed, e.Prover)})
	}
	slices.SortFunc(ks, func(x, y keyed) int {
		return cmp.Or(cmp.Compare(y.e.Score, x.e.Score), cmp.Compare(y.e.Reputation, x.e.Reputation),
			cmp.Compare(x.tie, y.tie), bytes.Compare(x.e.Prover[:], y.e.Prover[:]))
	})
	out := make([]PoolEntry, 0, min(max(size, 0), len(ks)))
	for _, k := range ks[:cap(out)] {
		out = append(out, k.e)
	}
	return out
}

// MatchNotDrawn is a pool member that could take the Run but the draw
// did not pick.
const MatchNotDrawn MatchReason = "not_drawn"

// ExplainPool draws o's provers among members, the pool in its order,
// each as an Ask with its prover's standing now, and says what became of
// every member: candidates first in the pool's order (Rank their place
// among the candidates; Tie the draw key that picked a taken one), then
// the rest in the pool's order. Taken[j] is slot j's. It never modifies
// its arguments.
func ExplainPool(seed []byte, o MarketOrder, members []Ask) MatchExplanation {
	allow, deny := addrSet(o.Allow), addrSet(o.Deny)
	seen := map[[20]byte]bool{}
	var cands, rest []Candidate
	for _, a := range members {
		c := Candidate{Ask: a, Rank: -1}
		switch {
		case seen[a.Prover]:
			c.Reason = MatchDuplicate
		default:
			c.Reason = screen(o, a, allow, deny)
		}
		seen[a.Prover] = true
		if c.Reason != "" {
			rest = append(rest, c)
			continue
		}
		c.Rank, c.Reason = len(cands), MatchNotDrawn
		cands = append(cands, c)
	}
	left := make([]int, len(cands)) // indexes into cands, in the pool's order
	for i := range left {
		left[i] = i
	}
	var taken []Ask
	for j := 0; j < o.K && len(left) > 0; j++ {
		key := PoolDrawKey(seed, o.ID, j)
		i := int(key % uint64(len(left)))
		c := &cands[left[i]]
		c.Reason, c.Tie = MatchTaken, key
		taken = append(taken, c.Ask)
		left = slices.Delete(left, i, i+1)
	}
	return MatchExplanation{Order: o, Candidates: append(cands, rest...), Taken: taken}
}

// PoolDraw returns the members ExplainPool takes, slot j's at j.
func PoolDraw(seed []byte, o MarketOrder, members []Ask) []Ask {
	return ExplainPool(seed, o, members).Taken
}
