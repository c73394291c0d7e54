//go:build long

package localnet_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/provernet/provernet/client"
	"github.com/provernet/provernet/internal/node"
	"github.com/provernet/provernet/wire"
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

// TestLongProverKilledMidWorkload (issue 19, fault g; `make test-long`): a
// prover daemon killed while it proves a workload it accepted costs the
// user its promise, not the Run's deadline. Four provers first each prove
// a warm-up Run (k = 4), so every daemon has measured its speed and
// promises from it; then a k = 1 Run of a few seconds' proving goes to
// one of them, which is killed as soon as its Accept is in a block. Its
// slot times out at the height it promised, well before the deadline,
// another prover proves it, and the user pays the one fee it was quoted.
// Four, because the dead prover stays active and is drawn into the
// committee that judges the new proof: with three provers that committee
// is it and one other, and two thirds of two cannot be reached; with four
// it is three members, two of them alive.
func TestLongProverKilledMidWorkload(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 6*time.Minute)
	defer cancel()
	progs := t.TempDir()
	built := make(chan error, 1)
	go func() { built <- buildSHAChain(progs) }()
	n := startNetWith(t, 1, 4)
	c := n.api["node0"]
	if err := <-built; err != nil {
		t.Fatal(err)
	}
	keys := filepath.Join(n.dir, "node0", "keys")
	dev0, err := client.LoadKey(keys, "dev0")
	if err != nil {
		t.Fatal(err)
	}
	user, err := client.LoadKey(keys, "dev1")
	if err != nil {
		t.Fatal(err)
	}
	n.waitHeight(2, 30*time.Second, "node0")
	deployed, err := node.DeployExamples(ctx, c, dev0, progs)
	if err != nil || len(deployed) != 1 {
		t.Fatalf("deploy: %v %v", deployed, err)
	}
	prog := deployed[0]
	if err := node.WaitActiveProvers(ctx, c, 4); err != nil {
		t.Fatal(err)
	}
	id, err := client.LoadOrCreateIdentity(filepath.Join(t.TempDir(), "user.age"))
	if err != nil {
		t.Fatal(err)
	}
	run := func(iterations int, k uint32, cycles uint64) *client.Submitted {
		t.Helper()
		input := fmt.Appendf(nil, `{"seed": "%08x", "iterations": %d}`, iterations+int(k), iterations)
		sub, err := c.SubmitRun(ctx, user, client.RunRequest{Program: prog.ID, Cycles: cycles, Provers: k, Deadline: 600,
			Recipient: id.Recipient().String(), Inputs: []client.RunInput{{Name: "input.json", Data: input}}})
		if err != nil {
			t.Fatal(err)
		}
		return sub
	}
	final := func(wid string) *wire.Workload {
		t.Helper()
		w, err := c.WaitWorkload(ctx, wid, 100*time.Millisecond, nil, func(w *wire.Workload) bool { return w.Settled })
		if err != nil || w.State != wire.WorkloadFinal {
			t.Fatalf("workload %s: %+v %v", wid, w, err)
		}
		return w
	}
	// Warm-up: each prover proves about 10^10 cycles.
	final(run(500_000, 4, 20_000_000_000).Workload)

	before, err := c.Account(ctx, user.Address())
	if err != nil {
		t.Fatal(err)
	}
	sub := run(600_000, 1, 20_000_000_000)
	wid := sub.Workload
	w, err := c.WaitWorkload(ctx, wid, 50*time.Millisecond, nil, func(w *wire.Workload) bool {
		return len(w.Slots) == 1 && w.Slots[0].State == "accepted" || w.Settled
	})
	if err != nil || w.Settled {
		t.Fatalf("the Run was never accepted: %+v %v", w, err)
	}
	victim := n.proverNamed(w.Slots[0].Prover)
	n.kill(victim)
	promised := w.Slots[0].Due
	if promised == 0 || promised >= w.Deadline {
		t.Fatalf("%s accepted promising %d with the deadline at %d: a crash would hold the slot to the deadline", victim, promised, w.Deadline)
	}
	w = final(wid)
	if s := w.Slots[0]; s.Released != "timed_out" || s.Prover == n.proverAddress(victim) {
		t.Fatalf("slot after %s was killed: %+v", victim, s)
	}
	if w.FinalHeight > promised+60 || w.FinalHeight >= w.Deadline {
		t.Fatalf("final at %d: the promise was %d, the deadline %d", w.FinalHeight, promised, w.Deadline)
	}
	after, err := c.Account(ctx, user.Address())
	if err != nil {
		t.Fatal(err)
	}
	tx, err := c.Tx(ctx, sub.TxHash)
	if err != nil || len(tx.Events) == 0 || tx.Events[0].Type != "tx" {
		t.Fatalf("the Run's transaction: %+v %v", tx, err)
	}
	txFee, _ := strconv.ParseUint(tx.Events[0].Attrs["fee"], 10, 64)
	if paid := before.Balance - after.Balance; paid != w.Fee-w.Refunded+txFee || w.Fee != sub.Fee {
		t.Fatalf("the user paid %d for a Run quoted %d: fee %d, refunded %d, tx fee %d", paid, sub.Fee, w.Fee, w.Refunded, txFee)
	}
	t.Logf("%s killed after promising height %d (deadline %d); final at %d", victim, promised, w.Deadline, w.FinalHeight)
}

// TestDoubleSignerJailed (issue 19, fault f; by hand, not in make
// test-long: `go test -tags long -run TestDoubleSignerJailed
// ./internal/localnet`): whether the two nodes sharing a key ever sign
// conflicting votes is up to timing, and in one CI run of three they did
// not within three minutes. CI checks the punishment instead with
// internal/node's TestDoubleSignEvidenceJailsAndSlashes, which signs the
// conflicting votes itself and broadcasts the evidence; this test adds
// only CometBFT catching real twins in consensus gossip. A
// validator whose key runs on two nodes at once (node3 and, with node3's
// key copied in, the full node prover0) signs conflicting votes; CometBFT
// gathers the evidence, the app slashes and jails it (power 0, unbonding),
// and the chain goes on with the other three. Both twins keep running.
func TestDoubleSignerJailed(t *testing.T) {
	n := startNetWith(t, 4, 1)
	all := validators(4)
	n.waitHeight(3, 60*time.Second, all...)
	n.kill("prover0")
	key := filepath.Join("config", "priv_validator_key.json")
	b, err := os.ReadFile(filepath.Join(n.dir, "node3", key))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(n.dir, "prover0", key), b, 0o600); err != nil {
		t.Fatal(err)
	}
	var kf struct {
		Address string `json:"address"`
	}
	if err := json.Unmarshal(b, &kf); err != nil || kf.Address == "" {
		t.Fatalf("node3's key file: %v", err)
	}
	n.restart("prover0")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	c := n.api["node0"]
	for {
		vs, err := c.Validators(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var twin *wire.Validator
		for i := range vs {
			if strings.EqualFold(vs[i].Address, kf.Address) {
				twin = &vs[i]
			}
		}
		if twin != nil && twin.Status == "jailed" {
			if twin.Power != 0 {
				t.Fatalf("jailed with power %d: %+v", twin.Power, twin)
			}
			t.Logf("node3's key jailed: %+v", twin)
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("no evidence against the twinned key %s: %+v", kf.Address, vs)
		case <-time.After(500 * time.Millisecond):
		}
	}
	rest := validators(3)
	h := n.maxHeight(rest...)
	n.waitHeight(h+5, 60*time.Second, rest...)
	n.sameChain(1, h+5, rest...)
}
