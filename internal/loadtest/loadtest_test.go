package loadtest

import (
	"testing"
	"time"
)

func TestRateShare(t *testing.T) {
	for _, c := range []struct{ perS, n int }{{2000, 8}, {200, 4}, {7, 4}, {3, 8}, {0, 4}} {
		sum := 0
		for i := range c.n {
			s := rateShare(c.perS, c.n, i)
			if s < c.perS/c.n || s > c.perS/c.n+1 {
				t.Errorf("rateShare(%d, %d, %d) = %d", c.perS, c.n, i, s)
			}
			sum += s
		}
		if sum != c.perS {
			t.Errorf("the shares of %d over %d sum to %d", c.perS, c.n, sum)
		}
	}
}

func TestIntervals(t *testing.T) {
	var c Commits
	t0 := time.Now()
	c.at = []time.Time{t0, t0.Add(2), t0.Add(5), t0.Add(9)}
	got := c.Intervals(t0.Add(1), t0.Add(9))
	if len(got) != 2 || got[0] != 2 || got[1] != 3 {
		t.Errorf("intervals in [1, 9): %v, want [2 3]", got)
	}
}
