package alloc

import (
	"crypto/sha256"
	"encoding/binary"
)

// challengeDomain separates challenge draws from workload draws.
const challengeDomain = "provernet/challenge/v1"

// Challenged reports whether an active prover is randomly challenged at the
// block whose seed is given (PROTOCOL.md 4): with probability
// 1/interval, decided by SHA-256(domain || seed || address) so that anyone
// holding the beacon can recompute it. The first 8 bytes, big-endian, are
// drawn below floor(2^64/interval)*interval (rejection sampling, re-hashing
// with a counter) so the probability is exactly 1/interval. interval 0 or
// 1 challenges every prover.
func Challenged(seed []byte, address [20]byte, interval uint64) bool {
	if interval <= 1 {
		return true
	}
	bound := (^uint64(0) / interval) * interval // values >= bound are biased
	for counter := uint64(0); ; counter++ {
		h := sha256.New()
		h.Write([]byte(challengeDomain))
		h.Write(seed)
		h.Write(address[:])
		_ = binary.Write(h, binary.BigEndian, counter)
		x := binary.BigEndian.Uint64(h.Sum(nil)[:8])
		if x < bound {
			return x%interval == 0
		}
	}
}

// ChallengedProvers returns, in the given order, the addresses Challenged
// selects.
func ChallengedProvers(seed []byte, addresses [][20]byte, interval uint64) [][20]byte {
	var out [][20]byte
	for _, a := range addresses {
		if Challenged(seed, a, interval) {
			out = append(out, a)
		}
	}
	return out
}
