package alloc

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"math/bits"
	"sort"
)

// AllocateNaive is the reference allocator: the rules of the package
// documentation written as directly as possible, rebuilding the eligible list
// by scanning every prover for every workload (O(N) per workload). It is
// what the tests hold Allocate to, and the benchmarks' baseline; nothing
// else should call it. It returns exactly what Allocate returns.
func AllocateNaive(seed []byte, height int64, provers []Prover, workloads []Workload) []Assignment {
	ps := make([]Prover, len(provers))
	copy(ps, provers)
	sort.SliceStable(ps, func(i, j int) bool { return bytes.Compare(ps[i].Address[:], ps[j].Address[:]) < 0 })
	uniq := ps[:0]
	for i, p := range ps {
		if i == 0 || p.Address != ps[i-1].Address {
			uniq = append(uniq, p)
		}
	}
	ps = uniq
	held := make([]uint64, len(ps))
	for i, p := range ps {
		held[i] = uint64(p.Active)
	}
	out := make([]Assignment, len(workloads))
	for _, wi := range naiveOrder(seed, workloads) {
		w := workloads[wi]
		var withCapacity, notExcluded []int
		for i, p := range ps {
			if !Meets(p.Hardware, w.MinHardware) || held[i] >= uint64(p.MaxConcurrent) {
				continue
			}
			withCapacity = append(withCapacity, i)
			if p.LastAllocated == 0 || p.LastAllocated != height-1 {
				notExcluded = append(notExcluded, i)
			}
		}
		eligible := notExcluded
		if len(notExcluded) < w.K {
			eligible = withCapacity
		}
		a := Assignment{Workload: w.ID}
		for _, x := range naiveDraw(seed, w.ID, len(eligible), w.K) {
			i := eligible[x]
			a.Provers = append(a.Provers, ps[i].Address)
			held[i]++
		}
		out[wi] = a
	}
	return out
}

// naiveOrder is Order written out: workloads by Rank, then by
// SHA-256("provernet/alloc-order/v1" || seed || id), the order given among
// equal ids.
func naiveOrder(seed []byte, workloads []Workload) []int {
	type keyed struct {
		rank uint64
		key  [32]byte
		i    int
	}
	ks := make([]keyed, len(workloads))
	for i, w := range workloads {
		ks[i] = keyed{w.Rank, sha256.Sum256(append(append([]byte("provernet/alloc-order/v1"), seed...), w.ID[:]...)), i}
	}
	sort.SliceStable(ks, func(a, b int) bool {
		if ks[a].rank != ks[b].rank {
			return ks[a].rank < ks[b].rank
		}
		return bytes.Compare(ks[a].key[:], ks[b].key[:]) < 0
	})
	idx := make([]int, len(ks))
	for j, k := range ks {
		idx[j] = k.i
	}
	return idx
}

// naiveDraw draws min(k, n) distinct indices below n.
func naiveDraw(seed []byte, id [32]byte, n, k int) []int {
	if k > n {
		k = n
	}
	if k <= 0 {
		return nil
	}
	r := sha256.Sum256(append(append([]byte{}, seed...), id[:]...))
	// limit = floor(2^64 / n) * n as a 128-bit number (hi, lo).
	var q uint64
	if n == 1 {
		q = 0 // 2^64 / 1 overflows 64 bits; handled below
	} else {
		q, _ = bits.Div64(1, 0, uint64(n))
	}
	hi, lo := bits.Mul64(q, uint64(n))
	if n == 1 {
		hi, lo = 1, 0
	}
	var drawn []int
	for counter := uint64(0); len(drawn) < k; counter++ {
		var msg [40]byte
		copy(msg[:], r[:])
		binary.BigEndian.PutUint64(msg[32:], counter)
		h := sha256.Sum256(msg[:])
		x := binary.BigEndian.Uint64(h[:8])
		if hi == 0 && x >= lo {
			continue // would bias x mod n
		}
		idx := int(x % uint64(n))
		repeat := false
		for _, d := range drawn {
			if d == idx {
				repeat = true
			}
		}
		if !repeat {
			drawn = append(drawn, idx)
		}
	}
	return drawn
}
