package localnet_test

import (
	"os"
	"testing"
	"time"
)

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

func mkTemp() (string, error) { return os.MkdirTemp("", "provernet-localnet-test-") }

// TestOneOfFourValidatorsKilled (issue 19, fault a): with one of four
// validators crashed the other three keep making blocks; restarted, it
// catches up to their height with the same blocks and app hashes.
func TestOneOfFourValidatorsKilled(t *testing.T) {
	if testing.Short() {
		t.Skip("runs four node processes")
	}
	n := startNet(t, 4)
	all, rest := validators(4), validators(3)
	n.waitHeight(3, 60*time.Second, all...)

	n.kill("node3")
	if st := n.status()["node3"]; st.Running || st.PID != 0 {
		t.Fatalf("node3 after kill: %+v", st)
	}
	h := n.maxHeight(rest...)
	n.waitHeight(h+5, 30*time.Second, rest...) // 3 of 4 (30 of 40 power) is more than 2/3

	n.restart("node3")
	target := n.maxHeight(rest...)
	n.waitHeight(target, 60*time.Second, "node3")
	n.waitHeight(target+2, 30*time.Second, all...) // and it takes part again
	st := n.status()
	for _, name := range all {
		if !st[name].Running || st[name].Height < target {
			t.Fatalf("%s after the restart: %+v", name, st[name])
		}
	}
	n.sameChain(1, target+2, all...)
}

// TestValidatorKilledMidBlockRestartsToSameAppHash (issue 19, fault c):
// a validator crashed with SIGKILL at points spread over the block
// interval (so some kills land inside FinalizeBlock/Commit, between the
// app's state write and CometBFT's block store write) comes back with the
// same app hash as its peers at every height.
func TestValidatorKilledMidBlockRestartsToSameAppHash(t *testing.T) {
	if testing.Short() {
		t.Skip("runs four node processes")
	}
	n := startNet(t, 4)
	all := validators(4)
	n.waitHeight(3, 60*time.Second, all...)
	for _, frac := range []int{0, 1, 2} {
		h := n.height("node1")
		for n.height("node1") == h { // a new height was just committed
			time.Sleep(10 * time.Millisecond)
		}
		time.Sleep(time.Duration(frac) * blockTime / 3)
		n.kill("node1")
		killedAt := n.maxHeight(all...)
		n.restart("node1")
		n.waitHeight(killedAt+2, 60*time.Second, all...)
	}
	top := n.maxHeight(all...)
	n.waitHeight(top, 30*time.Second, all...)
	n.sameChain(1, top, all...)
}
