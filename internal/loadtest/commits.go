package loadtest

import (
	"sync"
	"time"

	"github.com/provernet/provernet/internal/store"
)

// Commits records when each height commits. Its Record is a node's
// AfterCommit hook.
type Commits struct {
	mu sync.Mutex
	at []time.Time
}

// Record notes that a height committed now.
func (c *Commits) Record(int64, store.Reader) error {
	c.mu.Lock()
	c.at = append(c.at, time.Now())
	c.mu.Unlock()
	return nil
}

// Intervals are the gaps between the commits in [from, to), each to the
// commit before it.
func (c *Commits) Intervals(from, to time.Time) []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []time.Duration
	for i := 1; i < len(c.at); i++ {
		if !c.at[i].Before(from) && c.at[i].Before(to) {
			out = append(out, c.at[i].Sub(c.at[i-1]))
		}
	}
	return out
}
