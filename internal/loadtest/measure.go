package loadtest

import (
	"sync"
	"time"
)

// Gaps are the gaps between commits without a flood and during one, and
// the share of the machine's CPU that other processes used while it was
// quiet (0 where /proc is missing).
type Gaps struct {
	Base, During []time.Duration
	OtherCPU     float64
}

// Measure records the gaps between commits for quiet, then runs floods
// (in this process, beside the node) for flood and records them again.
// The flood's window ends when the floods are told to stop; Measure
// returns once their last requests are answered.
func Measure(commits *Commits, quiet, flood time.Duration, floods ...Flood) Gaps {
	start, cpu0 := time.Now(), sampleCPU()
	time.Sleep(quiet)
	floodStart, cpu1 := time.Now(), sampleCPU()
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for _, f := range floods {
		f.start(stop, &wg)
	}
	time.Sleep(flood)
	floodEnd := time.Now()
	close(stop)
	wg.Wait()
	return Gaps{Base: commits.Intervals(start, floodStart), During: commits.Intervals(floodStart, floodEnd),
		OtherCPU: otherWork(cpu0, cpu1)}
}
