package alloc

import (
	"math/rand/v2"
	"testing"
)

func TestMeetsCases(t *testing.T) {
	a100 := func(mb uint64) GPU { return GPU{Model: "A100", MemoryMB: mb} }
	h100 := func(mb uint64) GPU { return GPU{Model: "H100", MemoryMB: mb} }
	anyGPU := func(mb uint64) GPU { return GPU{MemoryMB: mb} }
	base := Hardware{CPUCores: 8, MemoryMB: 32768, DiskGB: 500}
	with := func(gs ...GPU) Hardware { h := base; h.GPUs = gs; return h }
	cases := []struct {
		name       string
		have, need Hardware
		want       bool
	}{
		{"no requirement", Hardware{}, Hardware{}, true},
		{"equal", base, base, true},
		{"cpu short", base, Hardware{CPUCores: 9}, false},
		{"memory short", base, Hardware{MemoryMB: 32769}, false},
		{"disk short", base, Hardware{DiskGB: 501}, false},
		{"cpu exact, rest zero", base, Hardware{CPUCores: 8}, true},
		{"extra gpus ignored", with(a100(40960), h100(81920)), base, true},
		{"gpu needed, none", base, with(anyGPU(1)), false},
		{"any model, enough memory", with(h100(81920)), with(anyGPU(40960)), true},
		{"any model, too little memory", with(h100(16384)), with(anyGPU(40960)), false},
		{"model must match", with(h100(81920)), with(a100(40960)), false},
		{"model is case-sensitive", with(GPU{Model: "a100", MemoryMB: 81920}), with(a100(40960)), false},
		{"model match and memory", with(a100(81920)), with(a100(81920)), true},
		{"model match, memory short", with(a100(40960)), with(a100(81920)), false},
		{"two needed, one present", with(a100(81920)), with(anyGPU(1), anyGPU(1)), false},
		{"two needed, two present, order irrelevant", with(a100(16384), h100(81920)), with(anyGPU(81920), anyGPU(16384)), true},
		{"each required gpu needs its own card", with(a100(81920), a100(8192)), with(anyGPU(40960), anyGPU(40960)), false},
		// The named requirement must take the small A100 so that the
		// any-model one can have the big one.
		{"named takes the smallest fit", with(a100(81920), a100(40960)), with(a100(40960), anyGPU(81920)), true},
		{"named cannot use another model, any can", with(h100(81920), a100(40960)), with(a100(40960), anyGPU(81920)), true},
		{"named and any compete for the only big card", with(a100(81920), h100(16384)), with(a100(40960), anyGPU(81920)), false},
		{"zero-memory requirement still needs a card", with(), with(anyGPU(0)), false},
	}
	for _, c := range cases {
		if got := Meets(c.have, c.need); got != c.want {
			t.Errorf("%s: Meets = %v, want %v", c.name, got, c.want)
		}
	}
}

// meetsByMatching decides the GPU part by exhaustive augmenting-path
// bipartite matching (Kuhn's algorithm), as the definition reads.
func meetsByMatching(have, need []GPU) bool {
	fits := func(g, n GPU) bool { return g.MemoryMB >= n.MemoryMB && (n.Model == "" || n.Model == g.Model) }
	owner := make([]int, len(have))
	for i := range owner {
		owner[i] = -1
	}
	var try func(r int, seen []bool) bool
	try = func(r int, seen []bool) bool {
		for g := range have {
			if seen[g] || !fits(have[g], need[r]) {
				continue
			}
			seen[g] = true
			if owner[g] < 0 || try(owner[g], seen) {
				owner[g] = r
				return true
			}
		}
		return false
	}
	for r := range need {
		if !try(r, make([]bool, len(have))) {
			return false
		}
	}
	return true
}

// TestMeetsMatchesExhaustiveMatching holds the greedy GPU rule to the
// definition on many small random GPU sets.
func TestMeetsMatchesExhaustiveMatching(t *testing.T) {
	seed := uint64(20240611)
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 1))
	models := []string{"", "A", "B", "C"}
	gpus := func(n int, allowAny bool) []GPU {
		gs := make([]GPU, n)
		for i := range gs {
			gs[i] = GPU{Model: models[rng.IntN(len(models))], MemoryMB: uint64(rng.IntN(6))}
			if !allowAny && gs[i].Model == "" {
				gs[i].Model = "A"
			}
		}
		return gs
	}
	trues := 0
	for i := range 200000 {
		have, need := gpus(rng.IntN(7), false), gpus(rng.IntN(5), true)
		want := meetsByMatching(have, need)
		if got := gpusMeet(have, need); got != want {
			t.Fatalf("case %d: have %v need %v: greedy %v, matching %v", i, have, need, got, want)
		}
		if want {
			trues++
		}
	}
	if trues < 20000 || trues > 180000 {
		t.Fatalf("unbalanced cases: %d of 200000 true", trues)
	}
}

func TestAppendKeyIgnoresGPUOrder(t *testing.T) {
	a := Hardware{CPUCores: 1, GPUs: []GPU{{"A", 2}, {"B", 1}}}
	b := Hardware{CPUCores: 1, GPUs: []GPU{{"B", 1}, {"A", 2}}}
	c := Hardware{CPUCores: 1, GPUs: []GPU{{"A", 1}, {"B", 2}}}
	d := Hardware{CPUCores: 1, GPUs: []GPU{{"AB", 2}}} // no ambiguity from concatenated names
	e := Hardware{CPUCores: 1, GPUs: []GPU{{"A", 2}, {"B", 2}}}
	if string(appendKey(nil, a)) != string(appendKey(nil, b)) {
		t.Fatal("GPU order changes the key")
	}
	for _, o := range []Hardware{c, d, e} {
		if string(appendKey(nil, a)) == string(appendKey(nil, o)) {
			t.Fatalf("%+v and %+v share a key", a, o)
		}
	}
	if a.GPUs[0].Model != "A" || b.GPUs[0].Model != "B" {
		t.Fatal("appendKey modified its argument")
	}
}
