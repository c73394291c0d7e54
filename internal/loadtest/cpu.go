package loadtest

import (
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// cpuSample is the machine's busy CPU time and this process's CPU time, in
// clock ticks (Linux /proc; zero elsewhere).
type cpuSample struct {
	machine, self uint64
	at            time.Time
}

func sampleCPU() cpuSample {
	s := cpuSample{at: time.Now()}
	if b, err := os.ReadFile("/proc/stat"); err == nil {
		line, _, _ := strings.Cut(string(b), "\n")
		for i, v := range strings.Fields(line) { // cpu user nice system idle iowait irq softirq steal ...
			if i == 0 || i == 4 || i == 5 { // the label, idle, iowait
				continue
			}
			n, _ := strconv.ParseUint(v, 10, 64)
			s.machine += n
		}
	}
	if b, err := os.ReadFile("/proc/self/stat"); err == nil {
		// Fields after the command (which may hold spaces) start at ")".
		if _, rest, ok := strings.Cut(string(b), ") "); ok {
			f := strings.Fields(rest) // state ppid ... utime(12) stime(13)
			if len(f) > 13 {
				u, _ := strconv.ParseUint(f[11], 10, 64)
				st, _ := strconv.ParseUint(f[12], 10, 64)
				s.self = u + st
			}
		}
	}
	return s
}

// otherWork is the share of the machine's CPU that processes other than
// this one used between a and b (0 where /proc is missing). Clock ticks
// are 1/100 s on Linux.
func otherWork(a, b cpuSample) float64 {
	capacity := b.at.Sub(a.at).Seconds() * 100 * float64(runtime.NumCPU())
	if capacity <= 0 || b.machine < a.machine {
		return 0
	}
	other := float64(b.machine-a.machine) - float64(b.self-a.self)
	return max(0, other/capacity)
}
