package alloc

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
)

// MatchNaive is the reference matcher: the rules of market.go written as
// directly as possible, with linear scans for the lists and repeats and a
// selection of the best remaining ask, k times (O(k * n) comparisons, the
// tie key hashed afresh at every comparison). The tests hold Match to it;
// nothing else should call it. It returns exactly what Match returns.
func MatchNaive(seed []byte, o MarketOrder, book []Ask) []Ask {
	var cands []Ask
	for i, a := range book {
		if naiveRepeat(book[:i], a) || !naiveCandidate(o, a) {
			continue
		}
		cands = append(cands, a)
	}
	var out []Ask
	used := make([]bool, len(cands))
	for len(out) < o.K {
		best := -1
		for i, a := range cands {
			if used[i] || naiveHolds(out, a.Prover) {
				continue
			}
			if best < 0 || naiveBefore(seed, o, a, cands[best]) {
				best = i
			}
		}
		if best < 0 {
			break
		}
		used[best] = true
		out = append(out, cands[best])
	}
	return out
}

func naiveRepeat(before []Ask, a Ask) bool {
	for _, b := range before {
		if b.Prover == a.Prover && b.ID == a.ID {
			return true
		}
	}
	return false
}

func naiveListed(list [][20]byte, a [20]byte) bool {
	for _, x := range list {
		if x == a {
			return true
		}
	}
	return false
}

func naiveCandidate(o MarketOrder, a Ask) bool {
	if !a.Serves || naiveListed(o.Deny, a.Prover) || (len(o.Allow) > 0 && !naiveListed(o.Allow, a.Prover)) {
		return false
	}
	return a.Price <= o.MaxPrice && a.Latency <= o.MaxLatency && a.Active && a.Meets && a.Room > 0
}

func naiveHolds(out []Ask, p [20]byte) bool {
	for _, a := range out {
		if a.Prover == p {
			return true
		}
	}
	return false
}

// naiveBefore reports whether a ranks before b.
func naiveBefore(seed []byte, o MarketOrder, a, b Ask) bool {
	if o.Priority == PriorityTime && a.Latency != b.Latency {
		return a.Latency < b.Latency
	}
	if a.Price != b.Price {
		return a.Price < b.Price
	}
	if a.Latency != b.Latency {
		return a.Latency < b.Latency
	}
	if a.Reputation != b.Reputation {
		return a.Reputation > b.Reputation
	}
	ta, tb := naiveTie(seed, o.ID, a), naiveTie(seed, o.ID, b)
	if ta != tb {
		return ta < tb
	}
	if c := bytes.Compare(a.Prover[:], b.Prover[:]); c != 0 {
		return c < 0
	}
	return a.ID < b.ID
}

func naiveTie(seed []byte, id [32]byte, a Ask) uint64 {
	msg := append([]byte("provernet/market/v1"), seed...)
	msg = append(msg, id[:]...)
	msg = append(msg, a.Prover[:]...)
	msg = binary.BigEndian.AppendUint32(msg, a.ID)
	h := sha256.Sum256(msg)
	return binary.BigEndian.Uint64(h[:8])
}
