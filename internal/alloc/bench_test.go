package alloc

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// benchBlock is a block of w workloads over n provers in four hardware
// classes, with four distinct requirements (internal/bench has the fuller
// benchmark behind `provernet bench alloc`).
func benchBlock(n, w int) ([]byte, []Prover, []Workload) {
	g := newGen(1)
	g.classes = []Hardware{{CPUCores: 4}, {CPUCores: 32}, {CPUCores: 16, GPUs: []GPU{{"RTX4090", 24576}}},
		{CPUCores: 64, GPUs: []GPU{{"A100", 81920}, {"A100", 81920}}}}
	g.reqs = []Hardware{{}, {CPUCores: 8}, {GPUs: []GPU{{MemoryMB: 24576}}}, {GPUs: []GPU{{Model: "A100"}}}}
	ps := g.provers(n, 1000, false)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range ps {
		ps[i].MaxConcurrent = uint32(2 + r.IntN(7))
		ps[i].Active = uint32(r.IntN(int(ps[i].MaxConcurrent)/2 + 1))
	}
	ws := g.workloads(w)
	for i := range ws {
		ws[i].K = 1 + r.IntN(5)
	}
	return g.seed(), ps, ws
}

func BenchmarkAllocate(b *testing.B) {
	for _, n := range []int{1000, 10000, 100000} {
		b.Run(fmt.Sprintf("provers=%d/workloads=10000", n), func(b *testing.B) {
			seed, ps, ws := benchBlock(n, 10000)
			for b.Loop() {
				Allocate(seed, 1000, ps, ws)
			}
		})
	}
}

func BenchmarkAllocateNaive(b *testing.B) {
	seed, ps, ws := benchBlock(1000, 1000)
	for b.Loop() {
		AllocateNaive(seed, 1000, ps, ws)
	}
}
