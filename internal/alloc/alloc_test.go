package alloc

import (
	"crypto/sha256"
	"encoding/binary"
	"math/big"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestDifferential holds Allocate to AllocateNaive on many random blocks.
func TestDifferential(t *testing.T) {
	const base = 7000
	t.Logf("seeds %d..%d (newGen(seed) replays one)", base, base+399)
	for i := range 400 {
		seed := uint64(base + i)
		g := newGen(seed)
		height := int64(1 + g.rng.IntN(1000))
		var n int
		switch i % 8 {
		case 0:
			n = 0
		case 1:
			n = 1
		case 2:
			n = 1 + g.rng.IntN(5) // around k-1
		case 3:
			n = g.rng.IntN(40)
		default:
			n = 50 + g.rng.IntN(300)
		}
		messy := i%5 == 0
		ps := g.provers(n, height, messy)
		ws := g.workloads(10 + g.rng.IntN(60))
		sd := g.seed()
		fast := Allocate(sd, height, ps, ws)
		naive := AllocateNaive(sd, height, ps, ws)
		if err := sameAssignments(fast, naive); err != nil {
			t.Fatalf("seed %d (%d provers, %d workloads, messy %v): fast vs naive: %v", seed, n, len(ws), messy, err)
		}
		checkInvariants(t, ps, ws, fast)
	}
}

// TestDifferentialExhaustsCapacity: many workloads on few provers, so that
// provers fill up mid-block and lists must shrink.
func TestDifferentialExhaustsCapacity(t *testing.T) {
	const base = 9100
	t.Logf("seeds %d..%d", base, base+99)
	empty := 0
	for i := range 100 {
		seed := uint64(base + i)
		g := newGen(seed)
		ps := g.provers(20+g.rng.IntN(60), 50, false)
		ws := g.workloads(200)
		sd := g.seed()
		fast := Allocate(sd, 50, ps, ws)
		if err := sameAssignments(fast, AllocateNaive(sd, 50, ps, ws)); err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
		checkInvariants(t, ps, ws, fast)
		for j, a := range fast {
			if len(a.Provers) == 0 && ws[j].K > 0 {
				empty++
			}
		}
	}
	if empty < 1000 {
		t.Fatalf("only %d workloads found nobody; capacity hardly ran out", empty)
	}
}

func setOf(as [][20]byte) map[[20]byte]bool {
	m := map[[20]byte]bool{}
	for _, a := range as {
		m[a] = true
	}
	return m
}

func wantSet(t *testing.T, what string, got [][20]byte, want ...[20]byte) {
	t.Helper()
	gs := setOf(got)
	if len(got) != len(want) || len(gs) != len(want) {
		t.Fatalf("%s: got %d provers %x, want exactly %x", what, len(got), got, want)
	}
	for _, w := range want {
		if !gs[w] {
			t.Fatalf("%s: got %x, want exactly %x", what, got, want)
		}
	}
}

// TestPreviousRoundExclusionAndAddBack uses cases whose outcome does not
// depend on the hash: the eligible list has exactly k members.
func TestPreviousRoundExclusionAndAddBack(t *testing.T) {
	const h = 100
	mk := func(b byte, last int64, active, max uint32) Prover {
		return Prover{Address: addr(b), MaxConcurrent: max, Active: active, LastAllocated: last}
	}
	a := mk(1, h-1, 0, 10) // allocated at the previous height: excluded
	b := mk(2, 0, 10, 10)  // full
	c := mk(3, h-2, 0, 10) // two heights ago: fine
	d := mk(4, 0, 0, 10)   // never allocated: fine
	e := mk(5, h, 0, 10)   // odd but not h-1: fine
	ps := []Prover{a, b, c, d, e}
	seed := []byte("seed")

	// k=3: c, d, e are three fresh provers; a stays excluded.
	out := Allocate(seed, h, ps, []Workload{{ID: wid(1), K: 3}})
	wantSet(t, "k=3", out[0].Provers, c.Address, d.Address, e.Address)

	// k=4: only three fresh, so a is added back; b is still full.
	out = Allocate(seed, h, ps, []Workload{{ID: wid(1), K: 4}})
	wantSet(t, "k=4", out[0].Provers, a.Address, c.Address, d.Address, e.Address)

	// k=5: four eligible even with a added back: four assigned, b never.
	out = Allocate(seed, h, ps, []Workload{{ID: wid(1), K: 5}})
	wantSet(t, "k=5", out[0].Provers, a.Address, c.Address, d.Address, e.Address)

	// Add-back is per workload. w1 (k=4) needs a; w2 (k=3) does not, and
	// every fresh prover still has room, so it gets exactly c, d, e again.
	out = Allocate(seed, h, ps, []Workload{{ID: wid(1), K: 4}, {ID: wid(2), K: 3}})
	wantSet(t, "w1 k=4", out[0].Provers, a.Address, c.Address, d.Address, e.Address)
	wantSet(t, "w2 k=3", out[1].Provers, c.Address, d.Address, e.Address)

	// Being allocated earlier in the same block is not the previous round:
	// with MaxConcurrent 2, w1 (k=3) takes all three provers and w2 (k=3)
	// takes all three again.
	ps2 := []Prover{mk(3, 0, 0, 2), mk(4, 0, 0, 2), mk(5, 0, 0, 2)}
	out = Allocate(seed, h, ps2, []Workload{{ID: wid(1), K: 3}, {ID: wid(2), K: 3}})
	wantSet(t, "same-block w2", out[1].Provers, addr(3), addr(4), addr(5))

	// The previous round stays excluded after being added back once:
	// a (excluded) and c (fresh), k=2 adds a back; then w2 with k=1 must
	// take c, since a fresh prover suffices.
	ps3 := []Prover{mk(1, h-1, 0, 5), mk(3, 0, 0, 5)}
	for i := range 20 { // many ids: the outcome must not depend on the draw
		out = Allocate(seed, h, ps3, []Workload{{ID: wid(2 * i), K: 2}, {ID: wid(2*i + 1), K: 1}})
		wantSet(t, "added back then excluded again", out[1].Provers, addr(3))
	}

	// At height 1, LastAllocated 0 means never, not "height 0": addr(1)
	// competes with addr(2) for k=1 instead of being excluded (which would
	// leave addr(2) alone). Over 40 ids it must win at least once (it would
	// lose all 40 with probability 2^-40).
	ps4 := []Prover{mk(1, 0, 0, 1), mk(2, 5, 0, 1)}
	won := 0
	for i := range 40 {
		out = Allocate(seed, 1, ps4, []Workload{{ID: wid(i), K: 1}})
		if out[0].Provers[0] == addr(1) {
			won++
		}
	}
	if won == 0 {
		t.Fatal("at height 1 a never-allocated prover was excluded")
	}
	if e := Explain(seed, 1, ps4, []Workload{{ID: wid(1), K: 1}}, wid(1)); e.Provers[0].Reason != ReasonEligible {
		t.Fatalf("height 1, never allocated: %s", e.Provers[0].Reason)
	}

	// Add-back counts only provers with capacity and hardware: excluded
	// ones that are full or lack hardware are not added back.
	gpu := Hardware{GPUs: []GPU{{MemoryMB: 1}}}
	ps5 := []Prover{mk(1, h-1, 0, 1), mk(2, h-1, 1, 1), {Address: addr(3), MaxConcurrent: 1, LastAllocated: h - 1, Hardware: gpu}, mk(4, 0, 0, 1)}
	out = Allocate(seed, h, ps5, []Workload{{ID: wid(1), K: 3, MinHardware: Hardware{}}})
	wantSet(t, "add back with capacity", out[0].Provers, addr(1), addr(3), addr(4))
	out = Allocate(seed, h, ps5, []Workload{{ID: wid(1), K: 3, MinHardware: gpu}})
	wantSet(t, "add back with hardware", out[0].Provers, addr(3))
}

func TestHardwareFiltering(t *testing.T) {
	cpu := func(c uint32) Hardware { return Hardware{CPUCores: c, MemoryMB: 4096, DiskGB: 10} }
	gpu := func(model string, mb uint64) Hardware {
		return Hardware{CPUCores: 16, MemoryMB: 65536, DiskGB: 1000, GPUs: []GPU{{Model: model, MemoryMB: mb}}}
	}
	ps := []Prover{
		{Address: addr(1), Hardware: cpu(2), MaxConcurrent: 9},
		{Address: addr(2), Hardware: cpu(8), MaxConcurrent: 9},
		{Address: addr(3), Hardware: gpu("A100", 40960), MaxConcurrent: 9},
		{Address: addr(4), Hardware: gpu("A100", 81920), MaxConcurrent: 9},
		{Address: addr(5), Hardware: gpu("H100", 81920), MaxConcurrent: 9},
	}
	cases := []struct {
		name string
		need Hardware
		want [][20]byte
	}{
		{"nothing", Hardware{}, [][20]byte{addr(1), addr(2), addr(3), addr(4), addr(5)}},
		{"8 cores", Hardware{CPUCores: 8}, [][20]byte{addr(2), addr(3), addr(4), addr(5)}},
		{"any 80GB gpu", Hardware{GPUs: []GPU{{MemoryMB: 81920}}}, [][20]byte{addr(4), addr(5)}},
		{"any gpu", Hardware{GPUs: []GPU{{}}}, [][20]byte{addr(3), addr(4), addr(5)}},
		{"A100", Hardware{GPUs: []GPU{{Model: "A100"}}}, [][20]byte{addr(3), addr(4)}},
		{"A100 80GB", Hardware{GPUs: []GPU{{Model: "A100", MemoryMB: 81920}}}, [][20]byte{addr(4)}},
		{"two gpus", Hardware{GPUs: []GPU{{}, {}}}, nil},
		{"disk", Hardware{DiskGB: 11}, [][20]byte{addr(3), addr(4), addr(5)}},
		{"memory", Hardware{MemoryMB: 65537}, nil},
	}
	for _, c := range cases {
		// k = 10 takes every eligible prover.
		out := Allocate([]byte("s"), 5, ps, []Workload{{ID: wid(1), K: 10, MinHardware: c.need}})
		wantSet(t, c.name, out[0].Provers, c.want...)
	}
	// Different requirements in one block, each filtered on its own.
	ws := make([]Workload, len(cases))
	for i, c := range cases {
		ws[i] = Workload{ID: wid(i), K: 10, MinHardware: c.need}
	}
	out := Allocate([]byte("s"), 5, ps, ws)
	for i, c := range cases {
		wantSet(t, "in one block: "+c.name, out[i].Provers, c.want...)
	}
}

func TestCapacityCountsSameBlock(t *testing.T) {
	seed := []byte("capacity")
	// Two provers, one free slot each: three k=1 workloads; the first two
	// allocated (in Order) take one prover each, the third finds nobody.
	ps := []Prover{{Address: addr(1), MaxConcurrent: 1}, {Address: addr(2), MaxConcurrent: 3, Active: 2}}
	ws := []Workload{{ID: wid(1), K: 1}, {ID: wid(2), K: 1}, {ID: wid(3), K: 1}}
	out := Allocate(seed, 10, ps, ws)
	o := Order(seed, ws)
	first, second, third := out[o[0]], out[o[1]], out[o[2]]
	if len(first.Provers) != 1 || len(second.Provers) != 1 || first.Provers[0] == second.Provers[0] {
		t.Fatalf("first two workloads: %x, %x; want one distinct prover each", first.Provers, second.Provers)
	}
	if len(third.Provers) != 0 {
		t.Fatalf("third workload got %x; both provers are full", third.Provers)
	}
	// Three provers with one slot each: k=2 then k=2. The second gets only
	// the prover the first left.
	ps = []Prover{{Address: addr(1), MaxConcurrent: 1}, {Address: addr(2), MaxConcurrent: 1}, {Address: addr(3), MaxConcurrent: 1}}
	for i := range 20 {
		ws := []Workload{{ID: wid(2 * i), K: 2}, {ID: wid(2*i + 1), K: 2}}
		out = Allocate(seed, 10, ps, ws)
		o := Order(seed, ws)
		rest := map[[20]byte]bool{addr(1): true, addr(2): true, addr(3): true}
		for _, a := range out[o[0]].Provers {
			delete(rest, a)
		}
		if len(out[o[0]].Provers) != 2 || len(rest) != 1 {
			t.Fatalf("first workload: %x", out[o[0]].Provers)
		}
		for left := range rest {
			wantSet(t, "second workload", out[o[1]].Provers, left)
		}
	}
	// Active above MaxConcurrent, and MaxConcurrent 0: never eligible.
	ps = []Prover{{Address: addr(1), MaxConcurrent: 2, Active: 5}, {Address: addr(2)}, {Address: addr(3), MaxConcurrent: 1}}
	out = Allocate(seed, 10, ps, []Workload{{ID: wid(1), K: 3}})
	wantSet(t, "over capacity", out[0].Provers, addr(3))
}

// TestDrawVector recomputes a draw from the written rule with big integers.
func TestDrawVector(t *testing.T) {
	seed, id := []byte("vector seed"), wid(42)
	r := sha256.Sum256(append(append([]byte{}, seed...), id[:]...))
	for _, n := range []uint64{1, 2, 3, 7, 64, 1000, 1<<62 + 1, 3 << 62, 1<<63 + 12345} {
		k := 5
		limit := new(big.Int).Lsh(big.NewInt(1), 64)
		limit.Div(limit, new(big.Int).SetUint64(n))
		limit.Mul(limit, new(big.Int).SetUint64(n))
		var want []uint64
		biasRejected := 0
		for c := uint64(0); len(want) < min(k, int(min(n, 1000))); c++ {
			var msg [40]byte
			copy(msg[:], r[:])
			binary.BigEndian.PutUint64(msg[32:], c)
			h := sha256.Sum256(msg[:])
			x := binary.BigEndian.Uint64(h[:8])
			if new(big.Int).SetUint64(x).Cmp(limit) >= 0 {
				biasRejected++
				continue
			}
			if !slices.Contains(want, x%n) {
				want = append(want, x%n)
			}
		}
		var trace []Draw
		got := drawIndices(r, n, k, &trace)
		if !slices.Equal(got, want) {
			t.Fatalf("n=%d: got %v, want %v", n, got, want)
		}
		rej := 0
		for _, d := range trace {
			if d.Outcome == DrawRejectedBias {
				rej++
			}
		}
		if rej != biasRejected {
			t.Fatalf("n=%d: %d bias rejections, want %d", n, rej, biasRejected)
		}
		if n >= 1<<63 {
			continue // beyond int
		}
		if ref := naiveDraw(seed, id, int(n), k); !slices.Equal(toU64(ref), want) {
			t.Fatalf("n=%d: naive %v, want %v", n, ref, want)
		}
	}
}

func toU64(xs []int) []uint64 {
	out := make([]uint64, len(xs))
	for i, x := range xs {
		out[i] = uint64(x)
	}
	return out
}

// TestBiasRejectionHappens: with n = 3*2^62 a quarter of all values are
// rejected; a draw of 200 must see some.
func TestBiasRejectionHappens(t *testing.T) {
	var trace []Draw
	idx := drawIndices(sha256.Sum256([]byte("x")), 3<<62, 200, &trace)
	rej := 0
	for _, d := range trace {
		if d.Outcome == DrawRejectedBias {
			rej++
			if d.Value < 3<<62 {
				t.Fatalf("rejected %d below the bound", d.Value)
			}
		}
	}
	for _, x := range idx {
		if x >= 3<<62 {
			t.Fatalf("index %d out of range", x)
		}
	}
	if rej < 20 || rej > 120 {
		t.Fatalf("%d of %d draws rejected for bias, expected about a quarter", rej, len(trace))
	}
	if b, all := acceptBound(1 << 10); !all || b != 0 {
		t.Fatal("a power of two must accept everything")
	}
	if b, all := acceptBound(3); all || b != 1<<64-1 { // 2^64 mod 3 = 1: bound 2^64-1
		t.Fatalf("n=3: bound %d, all %v", b, all)
	}
}

// TestChiSquareUniform: 100,000 k=1 workloads on 50 provers, all eligible
// with room to spare. Each prover's count should be 2000 give or take
// sampling noise. The chi-square statistic with 49 degrees of freedom
// exceeds 85.351 with probability 0.001 under uniformity (the 0.999
// quantile of chi-square(49), as in the NIST/SEMATECH e-Handbook table
// 1.3.6.7.4 and recomputed from the regularized incomplete gamma function).
// The seed is fixed, so the test is deterministic; a biased draw (say
// x mod n without rejection on a large n, or an off-by-one in the index)
// fails it.
func TestChiSquareUniform(t *testing.T) {
	for _, tc := range []struct {
		seed string
		k    int
	}{{"chi-square seed 1", 1}, {"chi-square seed 2", 3}} {
		const n, draws = 50, 100000
		ps := make([]Prover, n)
		for i := range ps {
			ps[i] = Prover{Address: addr(byte(i)), MaxConcurrent: 1 << 30}
		}
		ws := make([]Workload, draws/tc.k)
		for i := range ws {
			var id [32]byte
			binary.BigEndian.PutUint64(id[:], uint64(i))
			ws[i] = Workload{ID: id, K: tc.k}
		}
		t.Logf("seed %q, k=%d", tc.seed, tc.k)
		out := Allocate([]byte(tc.seed), 7, ps, ws)
		counts := map[[20]byte]int{}
		total := 0
		for _, a := range out {
			for _, p := range a.Provers {
				counts[p]++
				total++
			}
		}
		if len(counts) != n {
			t.Fatalf("only %d of %d provers ever chosen", len(counts), n)
		}
		expected := float64(total) / n
		chi2 := 0.0
		for _, c := range counts {
			d := float64(c) - expected
			chi2 += d * d / expected
		}
		t.Logf("k=%d: chi-square %.2f over %d draws (critical 85.351 at p=0.001, 49 df)", tc.k, chi2, total)
		if chi2 > 85.351 {
			t.Fatalf("chi-square %.2f > 85.351: draws not uniform", chi2)
		}
	}
}

func TestDeterminism(t *testing.T) {
	g := newGen(424242)
	t.Logf("newGen(424242)")
	ps := g.provers(200, 30, false)
	for i := range ps {
		ps[i].MaxConcurrent, ps[i].Active = 100, 0 // keep many eligible
	}
	ws := g.workloads(60)
	sd := g.seed()
	snapshotP, snapshotW := clone(ps), cloneW(ws)
	a := Allocate(sd, 30, ps, ws)
	if err := sameAssignments(a, Allocate(slices.Clone(sd), 30, clone(ps), cloneW(ws))); err != nil {
		t.Fatalf("same inputs, different outputs: %v", err)
	}
	if !equalProvers(ps, snapshotP) || !equalWorkloads(ws, snapshotW) {
		t.Fatal("Allocate modified its arguments")
	}
	// Input order does not matter (addresses are distinct).
	shuffled := clone(ps)
	rand.New(rand.NewPCG(1, 2)).Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	if err := sameAssignments(a, Allocate(sd, 30, shuffled, ws)); err != nil {
		t.Fatalf("shuffled provers: %v", err)
	}
	// Another seed: a different allocation (identical with negligible probability).
	sd2 := slices.Clone(sd)
	sd2[0] ^= 1
	if sameAssignments(a, Allocate(sd2, 30, ps, ws)) == nil {
		t.Fatal("a different seed gave the same allocation")
	}
	assigned := 0
	for _, as := range a {
		assigned += len(as.Provers)
	}
	if assigned < 60 {
		t.Fatalf("only %d provers assigned; the case is too degenerate", assigned)
	}
}

func clone(ps []Prover) []Prover {
	c := slices.Clone(ps)
	for i := range c {
		c[i].Hardware.GPUs = slices.Clone(c[i].Hardware.GPUs)
	}
	return c
}

func cloneW(ws []Workload) []Workload {
	c := slices.Clone(ws)
	for i := range c {
		c[i].MinHardware.GPUs = slices.Clone(c[i].MinHardware.GPUs)
	}
	return c
}

func equalHW(a, b Hardware) bool {
	return a.CPUCores == b.CPUCores && a.MemoryMB == b.MemoryMB && a.DiskGB == b.DiskGB && slices.Equal(a.GPUs, b.GPUs)
}

func equalProvers(a, b []Prover) bool {
	return slices.EqualFunc(a, b, func(x, y Prover) bool {
		return x.Address == y.Address && x.MaxConcurrent == y.MaxConcurrent && x.Active == y.Active &&
			x.LastAllocated == y.LastAllocated && equalHW(x.Hardware, y.Hardware)
	})
}

func equalWorkloads(a, b []Workload) bool {
	return slices.EqualFunc(a, b, func(x, y Workload) bool {
		return x.ID == y.ID && x.K == y.K && equalHW(x.MinHardware, y.MinHardware)
	})
}

func TestDuplicateAddressesFirstWins(t *testing.T) {
	// Unsorted, with addr(2) twice: the first entry (capacity 1) counts, the
	// second (capacity 0) is ignored, and addr(2) is never assigned twice.
	ps := []Prover{{Address: addr(3), MaxConcurrent: 1}, {Address: addr(2), MaxConcurrent: 1}, {Address: addr(2)}}
	out := Allocate([]byte("d"), 3, ps, []Workload{{ID: wid(1), K: 3}})
	wantSet(t, "duplicates", out[0].Provers, addr(2), addr(3))
	ps[1], ps[2] = ps[2], ps[1]
	out = Allocate([]byte("d"), 3, ps, []Workload{{ID: wid(1), K: 3}})
	wantSet(t, "duplicates, other order", out[0].Provers, addr(3))
}

func TestEdgeInputs(t *testing.T) {
	if out := Allocate(nil, 0, nil, nil); len(out) != 0 {
		t.Fatal("no workloads, some assignments")
	}
	out := Allocate(nil, -5, nil, []Workload{{K: 3}, {K: -1}})
	if len(out) != 2 || out[0].Provers != nil || out[1].Provers != nil {
		t.Fatalf("no provers: %+v", out)
	}
	ps := []Prover{{Address: addr(1), MaxConcurrent: 1, LastAllocated: -1 << 63}}
	for _, h := range []int64{-1 << 63, 1<<63 - 1, 0, 1} {
		out = Allocate([]byte{}, h, ps, []Workload{{K: 1 << 40}})
		wantSet(t, "extreme height", out[0].Provers, addr(1))
	}
}

// TestOrderGivenChangesNothing: the block's order of its Runs does not
// change any Run's allocation (a proposer cannot steer by ordering), on
// populations tight enough that capacity decides; and the draw order is
// the seed's, so it differs between seeds.
func TestOrderGivenChangesNothing(t *testing.T) {
	for seed := range uint64(30) {
		g := newGen(seed)
		ps := g.provers(40, 10, false)
		for i := range ps {
			ps[i].MaxConcurrent = 1
		}
		ws := make([]Workload, 25)
		for i := range ws {
			ws[i] = Workload{ID: wid(int(seed)*100 + i), K: 1 + i%3}
		}
		s := []byte{byte(seed)}
		want := Allocate(s, 10, ps, ws)
		rev := slices.Clone(ws)
		slices.Reverse(rev)
		got := Allocate(s, 10, ps, rev)
		for i := range ws {
			if !slices.Equal(want[i].Provers, got[len(ws)-1-i].Provers) {
				t.Fatalf("seed %d: workload %x gets %x in one order and %x in the reverse", seed, ws[i].ID, want[i].Provers, got[len(ws)-1-i].Provers)
			}
		}
		if slices.Equal(Order(s, ws), Order(append(s, 1), ws)) {
			t.Fatalf("seed %d: two seeds give the same order", seed)
		}
	}
}

// TestRankComesFirst: a lower Rank (the chain's oldest waiting workloads)
// is served before any higher, whatever the seed or the order given; only
// within a rank does the seed order.
func TestRankComesFirst(t *testing.T) {
	ps := []Prover{{Address: addr(1), MaxConcurrent: 1}}
	for i := range 50 {
		waiting := Workload{ID: wid(2 * i), K: 1, Rank: 0}
		fresh := Workload{ID: wid(2*i + 1), K: 1, Rank: 1 << 62}
		for _, ws := range [][]Workload{{waiting, fresh}, {fresh, waiting}} {
			out := Allocate([]byte{byte(i)}, 10, ps, ws)
			naive := AllocateNaive([]byte{byte(i)}, 10, ps, ws)
			for j, w := range ws {
				got := len(out[j].Provers) == 1
				if got != (w.Rank == 0) || len(naive[j].Provers) != len(out[j].Provers) {
					t.Fatalf("seed %d: rank %d workload got %x (naive %x)", i, w.Rank, out[j].Provers, naive[j].Provers)
				}
			}
		}
	}
}
