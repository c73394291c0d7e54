package bench

import (
	"context"
	"fmt"
	"io"
	"slices"
	"syscall"
	"time"

	"github.com/provernet/provernet/internal/stats"
)

// A benchPath is one way of running a case (native, wasm, metered, host
// backend, ...). Its run is timed whole, from the parent's side, in a child
// process: what a user or a prover waits for.
type benchPath struct {
	name string
	run  func(ctx context.Context, round int) (runSample, error)
}

// runSample is one timed run of a path.
type runSample struct {
	wall       float64 // seconds, measured by the parent around the child process
	inner      float64 // seconds the child reports for the work itself (0: unknown)
	cpu        float64 // CPU seconds (user + system) the child process used
	cycles     uint64
	hostCycles uint64
}

// interleave runs the paths round-robin, runs rounds of A, B, C, so that a
// drift of the machine (thermal, another process, page cache) lands on
// every path alike instead of on whichever ran last.
func interleave(ctx context.Context, runs int, label string, paths []benchPath, progress io.Writer) (map[string][]runSample, error) {
	out := make(map[string][]runSample, len(paths))
	for round := 0; round < runs; round++ {
		for _, p := range paths {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			s, err := p.run(ctx, round)
			if err != nil {
				return nil, fmt.Errorf("%s, %s, round %d: %w", label, p.name, round+1, err)
			}
			out[p.name] = append(out[p.name], s)
			fmt.Fprintf(progress, "%s: round %d/%d, %-14s %7.3fs (cpu %.3fs)\n", label, round+1, runs, p.name, s.wall, s.cpu)
		}
	}
	return out, nil
}

// walls returns the parent-side wall times of samples.
func walls(ss []runSample) []float64 {
	xs := make([]float64, len(ss))
	for i, s := range ss {
		xs[i] = s.wall
	}
	return xs
}

// inners returns the child-reported times of samples.
func inners(ss []runSample) []float64 {
	xs := make([]float64, len(ss))
	for i, s := range ss {
		xs[i] = s.inner
	}
	return xs
}

// spread is the median of xs (stats.Median) and its range [min, max],
// rounded to the millisecond. With few runs the range says more than a
// deviation would.
func spread(xs []float64) (median float64, rng [2]float64) {
	if len(xs) == 0 {
		return 0, rng
	}
	return round3(stats.Median(xs)), [2]float64{round3(slices.Min(xs)), round3(slices.Max(xs))}
}

// ratios divides a by b run by run (round i of a by round i of b): with
// interleaved rounds a ratio's range shows how steady the comparison was.
func ratios(a, b []float64) []float64 {
	n := min(len(a), len(b))
	out := make([]float64, 0, n)
	for i := 0; i < n; i++ {
		if b[i] > 0 {
			out = append(out, a[i]/b[i])
		}
	}
	return out
}

// ratio divides two medians, rounded to three decimals.
func ratio(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return round3(a / b)
}

// cycles are what the runs of a path charged.
type cycles struct {
	rng           [2]uint64 // fewest and most cycles of a run, host calls included
	host          uint64    // host calls' part in the first run
	identical     bool      // every run charged the same cycles
	hostIdentical bool      // every run's host calls charged the same
}

// cycleSpread sums up the charged cycles of samples.
func cycleSpread(ss []runSample) cycles {
	if len(ss) == 0 {
		return cycles{}
	}
	c := cycles{rng: [2]uint64{ss[0].cycles, ss[0].cycles}, host: ss[0].hostCycles, identical: true, hostIdentical: true}
	for _, s := range ss[1:] {
		c.rng[0], c.rng[1] = min(c.rng[0], s.cycles), max(c.rng[1], s.cycles)
		c.identical = c.identical && s.cycles == ss[0].cycles
		c.hostIdentical = c.hostIdentical && s.hostCycles == c.host
	}
	return c
}

// cpus returns the CPU seconds of samples.
func cpus(ss []runSample) []float64 {
	xs := make([]float64, len(ss))
	for i, s := range ss {
		xs[i] = s.cpu
	}
	return xs
}

// childCPU is the CPU seconds used by this process's waited-for children
// so far. The bench runs one child at a time, so the difference around a
// child is its own CPU time: a figure that, unlike wall time, other load
// on the machine barely moves.
func childCPU() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_CHILDREN, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

// since is the seconds elapsed since t0.
func since(t0 time.Time) float64 { return time.Since(t0).Seconds() }

// toMs converts seconds to milliseconds.
func toMs(s []float64) []float64 {
	out := make([]float64, len(s))
	for i, x := range s {
		out[i] = x * 1000
	}
	return out
}

func round3(f float64) float64 { return float64(int64(f*1000+0.5)) / 1000 }
