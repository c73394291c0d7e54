package alloc

import (
	"slices"
	"testing"
)

// TestExplainAgreesWithAllocate: for every workload of random blocks,
// Explain's assignment is Allocate's, and its account is self-consistent.
func TestExplainAgreesWithAllocate(t *testing.T) {
	const base = 5100
	t.Logf("seeds %d..%d", base, base+59)
	for i := range 60 {
		seed := uint64(base + i)
		g := newGen(seed)
		ps := g.provers(g.rng.IntN(80), 20, i%4 == 0)
		ws := g.workloads(30)
		sd := g.seed()
		out := Allocate(sd, 20, ps, ws)
		for j, w := range ws {
			e := Explain(sd, 20, ps, ws, w.ID)
			if !e.Found || e.Position != j || e.K != w.K {
				t.Fatalf("seed %d workload %d: found %v at %d", seed, j, e.Found, e.Position)
			}
			if !slices.Equal(e.Assignment.Provers, out[j].Provers) {
				t.Fatalf("seed %d workload %d: explain %x, allocate %x", seed, j, e.Assignment.Provers, out[j].Provers)
			}
			checkExplanation(t, e, len(ps))
		}
	}
	if e := Explain(nil, 1, nil, nil, wid(1)); e.Found {
		t.Fatal("found a workload in an empty block")
	}
}

func checkExplanation(t *testing.T, e Explanation, nProvers int) {
	t.Helper()
	if len(e.Provers) != nProvers {
		t.Fatalf("%d provers explained of %d", len(e.Provers), nProvers)
	}
	eligible, excluded, addedBack := 0, 0, 0
	for _, p := range e.Provers {
		switch p.Reason {
		case ReasonEligible, ReasonAddedBack:
			if p.Index != eligible {
				t.Fatalf("prover %x index %d, want %d", p.Address, p.Index, eligible)
			}
			eligible++
			if p.Reason == ReasonAddedBack {
				addedBack++
				excluded++
			}
		case ReasonPreviousRound:
			excluded++
			fallthrough
		default:
			if p.Index != -1 {
				t.Fatalf("ineligible prover %x has index %d", p.Address, p.Index)
			}
		}
	}
	if eligible != e.Eligible || excluded != e.Excluded || (addedBack > 0) != e.AddedBack {
		t.Fatalf("counts: eligible %d/%d excluded %d/%d added back %d/%v", eligible, e.Eligible, excluded, e.Excluded, addedBack, e.AddedBack)
	}
	byIndex := map[int][20]byte{}
	for _, p := range e.Provers {
		if p.Index >= 0 {
			byIndex[p.Index] = p.Address
		}
	}
	accepted := 0
	for i, d := range e.Draws {
		if d.Counter != uint64(i) {
			t.Fatalf("draw %d has counter %d", i, d.Counter)
		}
		if d.Outcome == DrawAccepted {
			if d.Prover != e.Assignment.Provers[accepted] {
				t.Fatalf("draw %d names %x, assignment slot %d is %x", i, d.Prover, accepted, e.Assignment.Provers[accepted])
			}
			if byIndex[d.Index] != d.Prover {
				t.Fatalf("draw %d: index %d is %x, not %x", i, d.Index, byIndex[d.Index], d.Prover)
			}
			accepted++
		}
	}
	if accepted != len(e.Assignment.Provers) || accepted != min(max(e.K, 0), e.Eligible) {
		t.Fatalf("%d accepted draws, %d assigned, k=%d, n=%d", accepted, len(e.Assignment.Provers), e.K, e.Eligible)
	}
}

func TestExplainReasons(t *testing.T) {
	const h = 10
	gpu := Hardware{GPUs: []GPU{{Model: "A100", MemoryMB: 40960}}}
	ps := []Prover{
		{Address: addr(1), MaxConcurrent: 1, Hardware: gpu},                       // eligible for w1; full for w2
		{Address: addr(2), MaxConcurrent: 1},                                      // no GPU
		{Address: addr(3), MaxConcurrent: 4, Hardware: gpu, LastAllocated: h - 1}, // previous round
		{Address: addr(4), MaxConcurrent: 4, Hardware: gpu, Active: 4},            // full
		{Address: addr(3), MaxConcurrent: 9},                                      // repeat of addr(3)
	}
	ws := []Workload{{ID: wid(1), K: 1, MinHardware: gpu}, {ID: wid(2), K: 1, MinHardware: gpu}}
	e := Explain([]byte("s"), h, ps, ws, wid(1))
	want := []Reason{ReasonEligible, ReasonHardware, ReasonPreviousRound, ReasonCapacity, ReasonDuplicate}
	for i, p := range e.Provers {
		if p.Reason != want[i] {
			t.Fatalf("w1 prover %d: %s (%s), want %s", i, p.Reason, p.Detail, want[i])
		}
	}
	if e.Assignment.Provers[0] != addr(1) || e.AddedBack {
		t.Fatalf("w1: %x, added back %v", e.Assignment.Provers, e.AddedBack)
	}
	// w2: addr(1) is now full from w1, so addr(3) is added back.
	e = Explain([]byte("s"), h, ps, ws, wid(2))
	want = []Reason{ReasonCapacity, ReasonHardware, ReasonAddedBack, ReasonCapacity, ReasonDuplicate}
	for i, p := range e.Provers {
		if p.Reason != want[i] {
			t.Fatalf("w2 prover %d: %s (%s), want %s", i, p.Reason, p.Detail, want[i])
		}
	}
	if e.Provers[0].InBlock != 1 || e.Provers[0].Held != 1 {
		t.Fatalf("w2: addr(1) held %d in block %d", e.Provers[0].Held, e.Provers[0].InBlock)
	}
	if e.Assignment.Provers[0] != addr(3) || !e.AddedBack || e.Excluded != 1 || e.Eligible != 1 {
		t.Fatalf("w2: %+v", e)
	}
	if e.Provers[1].Detail == "" || e.Provers[0].Detail == "" {
		t.Fatal("no detail for ineligible provers")
	}
}
