package alloc

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
)

// PoolRankNaive is the reference ranking: the rules of pool.go written as
// directly as possible, a selection of the best remaining entry size
// times, the tie key hashed afresh at every comparison. The tests hold
// PoolRank to it; nothing else should call it.
func PoolRankNaive(seed []byte, entries []PoolEntry, size int) []PoolEntry {
	var distinct []PoolEntry
	for i, e := range entries {
		if !naiveSeenProver(entries[:i], e.Prover) {
			distinct = append(distinct, e)
		}
	}
	var out []PoolEntry
	used := make([]bool, len(distinct))
	for len(out) < size {
		best := -1
		for i, e := range distinct {
			if !used[i] && (best < 0 || naivePoolBefore(seed, e, distinct[best])) {
				best = i
			}
		}
		if best < 0 {
			break
		}
		used[best] = true
		out = append(out, distinct[best])
	}
	return out
}

func naiveSeenProver(before []PoolEntry, p [20]byte) bool {
	for _, e := range before {
		if e.Prover == p {
			return true
		}
	}
	return false
}

// naivePoolBefore reports whether a ranks before b in a pool.
func naivePoolBefore(seed []byte, a, b PoolEntry) bool {
	if a.Score != b.Score {
		return a.Score > b.Score
	}
	if a.Reputation != b.Reputation {
		return a.Reputation > b.Reputation
	}
	ta := sha256.Sum256(append(append([]byte("provernet/pool-rank/v1"), seed...), a.Prover[:]...))
	tb := sha256.Sum256(append(append([]byte("provernet/pool-rank/v1"), seed...), b.Prover[:]...))
	if x, y := binary.BigEndian.Uint64(ta[:8]), binary.BigEndian.Uint64(tb[:8]); x != y {
		return x < y
	}
	return bytes.Compare(a.Prover[:], b.Prover[:]) < 0
}

// PoolDrawNaive is the reference draw: for each slot j, the list of
// members that are candidates and not yet drawn is built afresh from the
// pool (a member repeating an earlier one's prover never counts), and the
// one at the slot's key modulo its length is drawn.
func PoolDrawNaive(seed []byte, o MarketOrder, members []Ask) []Ask {
	var out []Ask
	for j := 0; j < o.K; j++ {
		var left []Ask
		for i, a := range members {
			if naiveMemberRepeat(members[:i], a) || !naiveCandidate(o, a) || naiveHolds(out, a.Prover) {
				continue
			}
			left = append(left, a)
		}
		if len(left) == 0 {
			break
		}
		msg := append([]byte("provernet/pool-draw/v1"), seed...)
		msg = append(msg, o.ID[:]...)
		msg = binary.BigEndian.AppendUint32(msg, uint32(j))
		h := sha256.Sum256(msg)
		out = append(out, left[binary.BigEndian.Uint64(h[:8])%uint64(len(left))])
	}
	return out
}

func naiveMemberRepeat(before []Ask, a Ask) bool {
	for _, b := range before {
		if b.Prover == a.Prover {
			return true
		}
	}
	return false
}
