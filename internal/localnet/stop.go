package localnet

import (
	"fmt"
	"os"
	"syscall"
	"time"
)

// StopOptions choose what Stop stops and how.
type StopOptions struct {
	Names []string // only these nodes (nil: all)
	// Kill sends SIGKILL at once (a crash, for fault drills) instead of
	// SIGTERM first.
	Kill bool
	// Timeout is how long a node has to exit after SIGTERM before SIGKILL.
	Timeout time.Duration
}

// Stopped is a node Stop ended and how.
type Stopped struct {
	Name   string `json:"name"`
	PID    int    `json:"pid"`
	Killed bool   `json:"killed"` // SIGKILL, not a clean stop
}

// Stop ends the running nodes of l (or of o.Names): SIGTERM, then SIGKILL
// after o.Timeout; with o.Kill, SIGKILL at once. Nodes that do not run are
// skipped, so stopping twice is harmless; it returns the nodes it ended.
func Stop(l *Layout, o StopOptions) ([]Stopped, error) {
	if o.Timeout == 0 {
		o.Timeout = 15 * time.Second
	}
	pick := l.Nodes
	if len(o.Names) > 0 {
		pick = nil
		for _, name := range o.Names {
			n, ok := l.Find(name)
			if !ok {
				return nil, fmt.Errorf("no node %q in the localnet in %s", name, l.Dir)
			}
			pick = append(pick, n)
		}
	}
	sig := syscall.SIGTERM
	if o.Kill {
		sig = syscall.SIGKILL
	}
	var out []Stopped
	for _, n := range pick {
		if pid := runningPID(l.Dir, n); pid != 0 {
			if err := signalGroup(pid, sig); err != nil {
				return out, fmt.Errorf("signal %s (pid %d): %w", n.Name, pid, err)
			}
			out = append(out, Stopped{Name: n.Name, PID: pid, Killed: o.Kill})
		}
	}
	deadline := time.Now().Add(o.Timeout)
	for i := range out {
		n, _ := l.Find(out[i].Name)
		for alive(out[i].PID, n.Home) && time.Now().Before(deadline) {
			time.Sleep(50 * time.Millisecond)
		}
		if alive(out[i].PID, n.Home) {
			_ = signalGroup(out[i].PID, syscall.SIGKILL)
			out[i].Killed = true
			for j := 0; j < 100 && alive(out[i].PID, n.Home); j++ {
				time.Sleep(50 * time.Millisecond)
			}
		}
	}
	for _, n := range pick {
		if runningPID(l.Dir, n) == 0 {
			_ = os.Remove(PIDFile(l.Dir, n.Name))
		}
	}
	return out, nil
}

// signalGroup signals a node's process group (spawn made the node its
// leader), so its sandbox workers end with it; if the group is gone, the
// process alone.
func signalGroup(pid int, sig syscall.Signal) error {
	if err := syscall.Kill(-pid, sig); err == nil {
		return nil
	}
	return syscall.Kill(pid, sig)
}
