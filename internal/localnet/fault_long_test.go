//go:build long

package localnet_test

import (
	"testing"
	"time"
)

// TestLongTwoOfFourValidatorsKilled (issue 19, fault b; `make test-long`):
// with two of four validators crashed (20 of 40 power, not more than 2/3)
// the chain halts: the survivors make no new height for many block times,
// and they agree on every block they have (no fork). It resumes when one
// returns, and all four end on one chain.
func TestLongTwoOfFourValidatorsKilled(t *testing.T) {
	n := startNet(t, 4)
	all, alive := validators(4), []string{"node0", "node1"}
	n.waitHeight(3, 60*time.Second, all...)

	n.kill("node2", "node3")
	time.Sleep(3 * blockTime) // a height whose votes were already cast may still commit
	halted := n.maxHeight(alive...)
	time.Sleep(20 * blockTime)
	if h := n.maxHeight(alive...); h != halted {
		t.Fatalf("two of four validators down: height moved from %d to %d", halted, h)
	}
	n.waitHeight(halted, 10*time.Second, alive...)
	n.sameChain(1, halted, alive...)

	n.restart("node2")
	three := []string{"node0", "node1", "node2"}
	n.waitHeight(halted+5, 90*time.Second, three...)
	n.restart("node3")
	top := n.maxHeight(three...)
	n.waitHeight(top+2, 90*time.Second, all...)
	n.sameChain(1, top+2, all...)
}
