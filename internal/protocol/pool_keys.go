package protocol

import (
	"encoding/binary"
	"math/bits"
)

// Store keys of the pool mechanism (issue 17, docs/MARKET.md, "The
// pool"). For each registered prover with an ask serving a resource
// class, its standing in that class: its cheapest such ask (lowest price,
// then latency, then id) and, when it is active, the score under which
// the score index holds it. The score index orders the active provers of
// a class best first, so an epoch's pool is a bounded read of its top.
// The pool of the current epoch is frozen under pool/e/.
//
//	pool/a/<prover 20><class>                -> price (8), latency (8), ask id (4), indexed (1), score (8)
//	pool/s/<class>/<^score 8><prover 20>     -> price (8), latency (8), ask id (4)
//	pool/e/<class>                           -> Pool (the epoch's members)
//
// A class is "cpu" or "gpu".
var (
	prefixPoolStanding = []byte("pool/a/")
	prefixPoolScore    = []byte("pool/s/")
	prefixPoolEpoch    = []byte("pool/e/")
)

// poolClasses are the classes a pool is kept for, in the order the
// freeze handles them.
var poolClasses = []string{ClassCPU, ClassGPU}

func poolStandingKey(prover []byte, class string) []byte {
	return append(append(append([]byte{}, prefixPoolStanding...), prover...), class...)
}

func poolScorePrefix(class string) []byte {
	return append(append(append([]byte{}, prefixPoolScore...), class...), '/')
}

// poolScoreKey orders by score, highest first (its complement), then by
// address.
func poolScoreKey(class string, score uint64, prover []byte) []byte {
	return append(binary.BigEndian.AppendUint64(poolScorePrefix(class), ^score), prover...)
}

func poolEpochKey(class string) []byte { return append(append([]byte{}, prefixPoolEpoch...), class...) }

// PoolScore is a prover's score in a class: stake * 10^6 / the price of
// its cheapest ask serving the class (saturating), integers only. Stake
// and a low price both count: doubling the stake or halving the price
// doubles it.
func PoolScore(stake, price uint64) uint64 {
	if price == 0 {
		return 0 // no ask has price 0; never reached
	}
	hi, lo := bits.Mul64(stake, 1_000_000)
	if hi >= price {
		return ^uint64(0)
	}
	q, _ := bits.Div64(hi, lo, price)
	return q
}
