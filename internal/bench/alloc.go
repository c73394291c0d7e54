package bench

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"sort"
	"time"

	"github.com/provernet/provernet/internal/alloc"
	"github.com/provernet/provernet/internal/stats"
)

// AllocOptions size the allocator benchmark.
type AllocOptions struct {
	Provers   int // population of the main case
	Workloads int // workloads in the main case's block
	// NaiveProvers x NaiveWorkloads is the case timed with the O(N)-per-
	// workload reference (and with Allocate, for comparison).
	NaiveProvers   int
	NaiveWorkloads int
	// Scaling lists populations for the scaling figures, each allocating
	// ScalingWorkloads workloads.
	Scaling          []int
	ScalingWorkloads int
	Runs             int    // runs per figure; the median is reported
	Seed             uint64 // population and workload generator seed
	Progress         io.Writer
}

func (o *AllocOptions) ensureDefaults() {
	if o.Provers <= 0 {
		o.Provers = 100000
	}
	if o.Workloads <= 0 {
		o.Workloads = 10000
	}
	if o.NaiveProvers <= 0 {
		o.NaiveProvers = 1000
	}
	if o.NaiveWorkloads <= 0 {
		o.NaiveWorkloads = 1000
	}
	if o.Scaling == nil {
		o.Scaling = []int{1000, 10000, 100000}
	}
	if o.ScalingWorkloads <= 0 {
		o.ScalingWorkloads = 1000
	}
	if o.Runs < 1 {
		o.Runs = 1
	}
	if o.Progress == nil {
		o.Progress = io.Discard
	}
}

// AllocResult is the allocator benchmark's JSON report.
type AllocResult struct {
	AllocCase
	NaiveProvers    int     `json:"naive_provers"`
	NaiveWorkloads  int     `json:"naive_workloads"`
	NaiveMsPerBlock float64 `json:"naive_ms_per_block"` // AllocateNaive on the naive case
	// FastMsNaiveCase is Allocate on the naive case, for comparison.
	FastMsNaiveCase float64     `json:"fast_ms_per_block_naive_case"`
	Speedup         float64     `json:"naive_speedup"` // naive / fast on the naive case
	Scaling         []AllocCase `json:"scaling"`
	Runs            int         `json:"runs"`
	Seed            uint64      `json:"seed"`
	Machine         Machine     `json:"machine"`
}

// AllocCase is one timed block.
type AllocCase struct {
	Provers   int `json:"provers"`
	Workloads int `json:"workloads"`
	Slots     int `json:"slots"`    // sum of k
	Assigned  int `json:"assigned"` // slots given a prover
	// MsPerBlock is one Allocate call for the whole block; UsPerWorkload is
	// that divided by the workloads.
	MsPerBlock    float64 `json:"ms_per_block"`
	UsPerWorkload float64 `json:"us_per_workload"`
	// SetupMs is a block holding just one workload per distinct minimum
	// hardware: the per-block O(N) part. MarginalUsPerWorkload is the rest
	// spread over the other workloads, the per-workload cost that must not
	// grow with N.
	SetupMs               float64 `json:"setup_ms"`
	MarginalUsPerWorkload float64 `json:"marginal_us_per_workload"`
}

// Alloc times internal/alloc.Allocate on random populations: one block of
// o.Workloads workloads over o.Provers provers, the O(N)-per-workload
// reference on a smaller block, and the per-workload cost as the population
// grows. It checks that Allocate and the reference agree on the smaller block.
func Alloc(o AllocOptions) (*AllocResult, error) {
	o.ensureDefaults()
	res := &AllocResult{Runs: o.Runs, Seed: o.Seed, Machine: machine()}

	c, err := allocCase(o, o.Provers, o.Workloads)
	if err != nil {
		return nil, err
	}
	res.AllocCase = *c
	fmt.Fprintf(o.Progress, "%d provers x %d workloads: %.2f ms/block, %.2f us/workload\n", c.Provers, c.Workloads, c.MsPerBlock, c.UsPerWorkload)

	seed, height, ps, ws := allocPopulation(o.Seed+1, o.NaiveProvers, o.NaiveWorkloads)
	if err := sameAllocation(alloc.Allocate(seed, height, ps, ws), alloc.AllocateNaive(seed, height, ps, ws)); err != nil {
		return nil, fmt.Errorf("allocate and the reference disagree: %w", err)
	}
	res.NaiveProvers, res.NaiveWorkloads = o.NaiveProvers, o.NaiveWorkloads
	res.NaiveMsPerBlock = msMedian(o.Runs, func() { alloc.AllocateNaive(seed, height, ps, ws) })
	res.FastMsNaiveCase = msMedian(o.Runs, func() { alloc.Allocate(seed, height, ps, ws) })
	if res.FastMsNaiveCase > 0 {
		res.Speedup = round3(res.NaiveMsPerBlock / res.FastMsNaiveCase)
	}
	fmt.Fprintf(o.Progress, "naive %d x %d: %.2f ms/block (allocate: %.2f ms)\n", o.NaiveProvers, o.NaiveWorkloads, res.NaiveMsPerBlock, res.FastMsNaiveCase)

	for _, n := range o.Scaling {
		c, err := allocCase(o, n, o.ScalingWorkloads)
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(o.Progress, "scaling %d provers x %d workloads: %.3f us/workload marginal, setup %.2f ms\n", n, c.Workloads, c.MarginalUsPerWorkload, c.SetupMs)
		res.Scaling = append(res.Scaling, *c)
	}
	return res, nil
}

func allocCase(o AllocOptions, provers, workloads int) (*AllocCase, error) {
	seed, height, ps, ws := allocPopulation(o.Seed, provers, workloads)
	c := &AllocCase{Provers: provers, Workloads: workloads}
	out := alloc.Allocate(seed, height, ps, ws)
	for i, a := range out {
		c.Slots += max(ws[i].K, 0)
		c.Assigned += len(a.Provers)
	}
	// The setup block: the first workload of each distinct requirement.
	var setup []alloc.Workload
	seen := map[int]bool{}
	for i, w := range ws {
		if r := reqIndex(w.MinHardware); !seen[r] {
			seen[r] = true
			setup = append(setup, ws[i])
		}
	}
	c.MsPerBlock = msMedian(o.Runs, func() { alloc.Allocate(seed, height, ps, ws) })
	c.SetupMs = msMedian(o.Runs, func() { alloc.Allocate(seed, height, ps, setup) })
	if workloads > 0 {
		c.UsPerWorkload = round3(c.MsPerBlock * 1000 / float64(workloads))
	}
	if rest := workloads - len(setup); rest > 0 {
		c.MarginalUsPerWorkload = round3(max(c.MsPerBlock-c.SetupMs, 0) * 1000 / float64(rest))
	}
	return c, nil
}

// msMedian returns the median wall time of fn over runs, in milliseconds.
func msMedian(runs int, fn func()) float64 {
	times := make([]time.Duration, 0, runs)
	for range runs {
		t0 := time.Now()
		fn()
		times = append(times, time.Since(t0))
	}
	return round3(float64(stats.Median(times).Nanoseconds()) / 1e6)
}

// The population: a handful of hardware classes in fixed proportions
// (percent), and programs with a few distinct minimums.
var (
	allocClasses = []struct {
		hw  alloc.Hardware
		pct int
	}{
		{alloc.Hardware{CPUCores: 4, MemoryMB: 8192, DiskGB: 100}, 35},
		{alloc.Hardware{CPUCores: 32, MemoryMB: 131072, DiskGB: 1000}, 25},
		{alloc.Hardware{CPUCores: 16, MemoryMB: 65536, DiskGB: 500, GPUs: []alloc.GPU{{Model: "RTX4090", MemoryMB: 24576}}}, 20},
		{alloc.Hardware{CPUCores: 64, MemoryMB: 524288, DiskGB: 2000, GPUs: []alloc.GPU{{Model: "A100", MemoryMB: 81920}, {Model: "A100", MemoryMB: 81920}}}, 10},
		{alloc.Hardware{CPUCores: 32, MemoryMB: 262144, DiskGB: 2000, GPUs: []alloc.GPU{{Model: "H100", MemoryMB: 81920}}}, 10},
	}
	allocReqs = []struct {
		hw  alloc.Hardware
		pct int
	}{
		{alloc.Hardware{}, 40},
		{alloc.Hardware{CPUCores: 8, MemoryMB: 16384}, 30},
		{alloc.Hardware{GPUs: []alloc.GPU{{MemoryMB: 24576}}}, 20},
		{alloc.Hardware{GPUs: []alloc.GPU{{Model: "A100", MemoryMB: 81920}}}, 5},
		{alloc.Hardware{GPUs: []alloc.GPU{{MemoryMB: 40960}, {MemoryMB: 40960}}}, 5},
	}
)

func reqIndex(hw alloc.Hardware) int {
	for i, r := range allocReqs {
		if r.hw.CPUCores == hw.CPUCores && r.hw.MemoryMB == hw.MemoryMB && r.hw.DiskGB == hw.DiskGB && slices.Equal(r.hw.GPUs, hw.GPUs) {
			return i
		}
	}
	return -1
}

func pickPct(rng *rand.Rand, pcts func(i int) (int, bool)) int {
	x := rng.IntN(100)
	for i := 0; ; i++ {
		p, ok := pcts(i)
		if !ok || x < p {
			return i
		}
		x -= p
	}
}

// allocPopulation builds a seeded random block: provers sorted by address,
// MaxConcurrent 2..8 with up to half of it in use, a tenth allocated at the
// previous height; workloads with k in 1..5. It returns the seed, the
// allocation height, the provers and the workloads.
func allocPopulation(seed uint64, provers, workloads int) ([]byte, int64, []alloc.Prover, []alloc.Workload) {
	rng := rand.New(rand.NewPCG(seed, 0x616c6c6f63))
	const height = 1000
	ps := make([]alloc.Prover, provers)
	for i := range ps {
		p := &ps[i]
		for j := range p.Address {
			p.Address[j] = byte(rng.Uint32())
		}
		c := pickPct(rng, func(i int) (int, bool) {
			if i >= len(allocClasses) {
				return 0, false
			}
			return allocClasses[i].pct, true
		})
		p.Hardware = allocClasses[min(c, len(allocClasses)-1)].hw
		p.MaxConcurrent = uint32(2 + rng.IntN(7))
		p.Active = uint32(rng.IntN(int(p.MaxConcurrent)/2 + 1))
		switch rng.IntN(10) {
		case 0:
			p.LastAllocated = height - 1
		case 1, 2, 3:
			p.LastAllocated = 0
		default:
			p.LastAllocated = height - 2 - int64(rng.IntN(500))
		}
	}
	sort.Slice(ps, func(i, j int) bool { return bytes.Compare(ps[i].Address[:], ps[j].Address[:]) < 0 })
	ws := make([]alloc.Workload, workloads)
	for i := range ws {
		w := &ws[i]
		for j := range w.ID {
			w.ID[j] = byte(rng.Uint32())
		}
		w.K = 1 + rng.IntN(5)
		r := pickPct(rng, func(i int) (int, bool) {
			if i >= len(allocReqs) {
				return 0, false
			}
			return allocReqs[i].pct, true
		})
		w.MinHardware = allocReqs[min(r, len(allocReqs)-1)].hw
	}
	s := make([]byte, 32)
	for i := range s {
		s[i] = byte(rng.Uint32())
	}
	return s, height, ps, ws
}

func sameAllocation(a, b []alloc.Assignment) error {
	if len(a) != len(b) {
		return fmt.Errorf("%d vs %d assignments", len(a), len(b))
	}
	for i := range a {
		if a[i].Workload != b[i].Workload || !slices.Equal(a[i].Provers, b[i].Provers) {
			return fmt.Errorf("workload %d: %x vs %x", i, a[i].Provers, b[i].Provers)
		}
	}
	return nil
}
