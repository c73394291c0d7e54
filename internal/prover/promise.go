package prover

import (
	"math"
	"time"
)

// The daemon's promises (docs/WORKLOADS.md, "Promises"). An Accept names
// the height `by` its result will be in a block by; an accepted slot
// without a result by then times out and opens to others, so a daemon that
// dies after accepting costs the user what it promised. Promising the
// deadline (by = 0), as the daemon did, let a crashed prover hold a slot
// for the whole deadline; a promise from the daemon's measured speed
// bounds that loss to a few times the proving time. The measurements are
// the daemon's own, never the chain's: wall time here is not consensus.

const (
	// promiseFactor multiplies the expected proving time: a promise broken
	// is a miss, so it must hold on a busy machine, not the average one.
	promiseFactor = 3
	// promiseMargin is added in blocks: fetching the inputs, the Accept's
	// and the result's own blocks.
	promiseMargin = 10
	// paceWeight is the weight of the newest measurement in the moving
	// averages.
	paceWeight = 0.3
	// paceMinCycles is the smallest job that counts toward the speed: a
	// tiny job's wall time is the worker's start and the module's
	// compilation, and would make every large Run look endless.
	paceMinCycles = 1_000_000_000
	// promiseFloor is the least time a promise allows before its margin,
	// so a machine that stalls for a moment does not miss a small Run.
	promiseFloor = 30 * time.Second
)

// pace is what the daemon has measured of its own speed and the chain's.
type pace struct {
	cyclesPerSec float64 // proving speed of finished jobs, start to proof; 0 unknown
	blockSec     float64 // seconds per block; 0 unknown
	lastHeight   int64
	lastAt       time.Time
}

// sawHeight notes that height h was the tip at time at.
func (p *pace) sawHeight(h int64, at time.Time) {
	if p.lastHeight > 0 && h > p.lastHeight && at.After(p.lastAt) {
		p.blockSec = average(p.blockSec, at.Sub(p.lastAt).Seconds()/float64(h-p.lastHeight))
	}
	if h > p.lastHeight {
		p.lastHeight, p.lastAt = h, at
	}
}

// proved notes a proving job that used cycles in wall time, all of it:
// fetching, compiling and the worker's start count against the speed. Jobs
// under paceMinCycles do not count.
func (p *pace) proved(cycles uint64, wall time.Duration) {
	if cycles < paceMinCycles || wall <= 0 {
		return
	}
	p.cyclesPerSec = average(p.cyclesPerSec, float64(cycles)/wall.Seconds())
}

func average(old, x float64) float64 {
	if old == 0 {
		return x
	}
	return (1-paceWeight)*old + paceWeight*x
}

// promise is the Accept's `by` for a workload of the given cycle budget
// accepted with the chain at tip and ahead jobs already in hand among
// capacity: the tip, plus the blocks of promiseFactor times the time its
// budget takes at the measured speed (after the jobs ahead, which share
// the capacity) or of promiseFloor if longer, plus promiseMargin. It is 0
// (the deadline) while either speed is unknown, or when the promise would
// reach the deadline anyway.
func promise(tip, deadline int64, budget uint64, ahead, capacity int, p pace) int64 {
	if p.cyclesPerSec <= 0 || p.blockSec <= 0 {
		return 0
	}
	rounds := 1 + ahead/max(capacity, 1)
	seconds := max(promiseFactor*float64(budget)/p.cyclesPerSec*float64(rounds), promiseFloor.Seconds())
	blocks := seconds/p.blockSec + promiseMargin
	if blocks >= float64(deadline-tip) || math.IsNaN(blocks) {
		return 0
	}
	return tip + 1 + int64(math.Ceil(blocks))
}
