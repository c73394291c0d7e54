package alloc

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"slices"
)

// orderDomain separates the allocation order's hashes from the draws'.
const orderDomain = "provernet/alloc-order/v1"

// Order is the order in which a block's workloads are allocated: by Rank,
// then by SHA-256(orderDomain || seed || id), ties (repeated ids) in the
// order given. It returns indices into workloads.
//
// The order matters because workloads allocated earlier in a block use up
// provers' capacity. Were it the block's order, the proposer, who knows the
// seed of the allocating height before it proposes when it proposes both
// heights, could order the Runs it includes to steer them (a review measured
// a coalition with a fifth of the provers winning a third of the slots with
// the best of 200 orderings); in an order drawn from the seed, the block's
// order changes nothing.
func Order(seed []byte, workloads []Workload) []int {
	keys := make([][32]byte, len(workloads))
	for i, w := range workloads {
		h := sha256.New()
		h.Write([]byte(orderDomain))
		h.Write(seed)
		h.Write(w.ID[:])
		h.Sum(keys[i][:0])
	}
	idx := make([]int, len(workloads))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		if c := cmp.Compare(workloads[a].Rank, workloads[b].Rank); c != 0 {
			return c
		}
		return bytes.Compare(keys[a][:], keys[b][:])
	})
	return idx
}
