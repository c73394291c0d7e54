package alloc

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

// addr returns a test address whose first byte is b (so address order is b order).
func addr(b byte) [20]byte {
	var a [20]byte
	a[0] = b
	a[19] = 0xAA
	return a
}

func wid(i int) [32]byte {
	var id [32]byte
	id[0], id[1], id[2] = 'w', byte(i>>8), byte(i)
	return id
}

// gen builds random populations and workloads from one seed.
type gen struct {
	rng     *rand.Rand
	classes []Hardware
	reqs    []Hardware
}

var gpuModels = []string{"A100", "H100", "RTX4090", "a100"}

func newGen(seed uint64) *gen {
	g := &gen{rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
	nc := 1 + g.rng.IntN(7)
	for range nc {
		g.classes = append(g.classes, g.hardware(false))
	}
	nr := 1 + g.rng.IntN(5)
	for range nr {
		g.reqs = append(g.reqs, g.hardware(true))
	}
	return g
}

func (g *gen) hardware(req bool) Hardware {
	r := g.rng
	hw := Hardware{CPUCores: uint32(r.IntN(5)) * 4, MemoryMB: uint64(r.IntN(5)) * 8192, DiskGB: uint64(r.IntN(4)) * 100}
	if req && r.IntN(3) == 0 {
		return Hardware{} // no requirement at all
	}
	for range r.IntN(4) {
		gpu := GPU{MemoryMB: uint64(1+r.IntN(4)) * 16384}
		if !req || r.IntN(2) == 0 {
			gpu.Model = gpuModels[r.IntN(len(gpuModels))]
		}
		hw.GPUs = append(hw.GPUs, gpu)
	}
	return hw
}

// provers returns n provers; with messy set, addresses may repeat and the
// slice is not sorted.
func (g *gen) provers(n int, height int64, messy bool) []Prover {
	r := g.rng
	ps := make([]Prover, n)
	for i := range ps {
		p := &ps[i]
		if messy {
			p.Address[0] = byte(r.IntN(n + 1))
		} else {
			for j := range p.Address {
				p.Address[j] = byte(r.Uint32())
			}
		}
		p.Hardware = g.classes[r.IntN(len(g.classes))]
		p.MaxConcurrent = uint32(r.IntN(5))
		p.Active = uint32(r.IntN(int(p.MaxConcurrent) + 2))
		switch r.IntN(4) {
		case 0:
			p.LastAllocated = height - 1
		case 1:
			p.LastAllocated = height - 1 - int64(r.IntN(5))
		case 2:
			p.LastAllocated = 0
		default:
			p.LastAllocated = height
		}
	}
	if !messy {
		sortByAddress(ps)
	}
	return ps
}

func sortByAddress(ps []Prover) {
	slices.SortFunc(ps, func(a, b Prover) int { return bytes.Compare(a.Address[:], b.Address[:]) })
}

func (g *gen) workloads(n int) []Workload {
	r := g.rng
	ws := make([]Workload, n)
	for i := range ws {
		w := &ws[i]
		for j := range w.ID {
			w.ID[j] = byte(r.Uint32())
		}
		w.K = 1 + r.IntN(5)
		switch r.IntN(20) {
		case 0:
			w.K = 0
		case 1:
			w.K = -1
		case 2:
			w.K = 50
		}
		w.MinHardware = g.reqs[r.IntN(len(g.reqs))]
	}
	return ws
}

func (g *gen) seed() []byte {
	s := make([]byte, 32)
	for i := range s {
		s[i] = byte(g.rng.Uint32())
	}
	return s
}

func sameAssignments(a, b []Assignment) error {
	if len(a) != len(b) {
		return fmt.Errorf("%d assignments vs %d", len(a), len(b))
	}
	for i := range a {
		if a[i].Workload != b[i].Workload {
			return fmt.Errorf("assignment %d: workload %x vs %x", i, a[i].Workload[:4], b[i].Workload[:4])
		}
		if !slices.Equal(a[i].Provers, b[i].Provers) {
			return fmt.Errorf("assignment %d: provers %x vs %x", i, a[i].Provers, b[i].Provers)
		}
	}
	return nil
}

// checkInvariants checks what must hold for any input, without the reference:
// one assignment per workload, at most k distinct provers each, every one a
// given prover meeting the hardware and within its capacity at that point.
func checkInvariants(t testing.TB, provers []Prover, workloads []Workload, out []Assignment) {
	t.Helper()
	if len(out) != len(workloads) {
		t.Fatalf("%d assignments for %d workloads", len(out), len(workloads))
	}
	first := map[[20]byte]Prover{}
	for _, p := range provers {
		if _, ok := first[p.Address]; !ok {
			first[p.Address] = p
		}
	}
	held := map[[20]byte]uint64{}
	for i, a := range out {
		w := workloads[i]
		if a.Workload != w.ID {
			t.Fatalf("assignment %d is for %x, want %x", i, a.Workload, w.ID)
		}
		if len(a.Provers) > max(w.K, 0) {
			t.Fatalf("workload %d: %d provers for k=%d", i, len(a.Provers), w.K)
		}
		seen := map[[20]byte]bool{}
		for _, ad := range a.Provers {
			if seen[ad] {
				t.Fatalf("workload %d: prover %x twice", i, ad)
			}
			seen[ad] = true
			p, ok := first[ad]
			if !ok {
				t.Fatalf("workload %d: unknown prover %x", i, ad)
			}
			if !Meets(p.Hardware, w.MinHardware) {
				t.Fatalf("workload %d: prover %x does not meet %+v", i, ad, w.MinHardware)
			}
			if uint64(p.Active)+held[ad] >= uint64(p.MaxConcurrent) {
				t.Fatalf("workload %d: prover %x over capacity (%d+%d of %d)", i, ad, p.Active, held[ad], p.MaxConcurrent)
			}
		}
		for ad := range seen {
			held[ad]++
		}
	}
}
