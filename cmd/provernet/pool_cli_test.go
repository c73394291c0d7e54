package main

import (
	"context"
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/provernet/provernet/internal/node"
	"github.com/provernet/provernet/wire"
)

// TestPoolRunThroughCLI runs the pool mechanism on a devnet with three
// prover daemons (issue 17): two provers ask for the cpu class with `tx
// prover ask`; once an epoch starts (epoch_length 20) `query pool` shows
// them as the pool; a pool Run (`run --mechanism pool --max-price`) draws
// both, becomes final and pays each slot its member's frozen ask; `query
// allocation` explains the draw.
func TestPoolRunThroughCLI(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a devnet with provers")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 150*time.Second)
	defer cancel()
	params := node.DevnetParams()
	params.EpochLength = 20
	n := startProverDevnet(t, ctx, &params, nil)
	d, c, plog := n.d, n.c, n.plog
	cli := func(args ...string) (string, string, int) { return n.cli(t, args...) }
	must := func(args ...string) string { t.Helper(); return n.must(t, args...) }
	for i, price := range []string{"2", "3"} {
		must("tx", "prover", "ask", "--from", d.ProverKeys[i].Name, "--id", "1", "--price", price, "--latency", "100", "--class", "cpu", "--wait")
	}
	members := []string{d.ProverKeys[0].Address(), d.ProverKeys[1].Address()}
	for { // the next epoch's first block freezes them
		var v wire.PoolView
		if err := json.Unmarshal([]byte(must("query", "pool", "-o", "json")), &v); err != nil {
			t.Fatal(err)
		}
		if v.Pool != nil && len(v.Pool.Members) == 2 {
			got := []string{v.Pool.Members[0].Prover, v.Pool.Members[1].Prover}
			if !slices.Equal(got, members) || v.Pool.Members[0].Price != 2 { // equal stakes: the cheaper ask ranks first
				t.Fatalf("pool %+v, want %v", v.Pool, members)
			}
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("no pool frozen: %+v", v)
		}
		time.Sleep(200 * time.Millisecond)
	}
	out := must("query", "pool")
	for _, s := range []string{"cpu pool of epoch", members[0], members[1], "SCORE"} {
		if !strings.Contains(out, s) {
			t.Fatalf("query pool lacks %q:\n%s", s, out)
		}
	}

	input, _ := filepath.Abs("../../examples/programs/sha256-chain/input.json")
	const cycles = "2000000000"
	stdout, stderr, code := cli("run", "sha256-chain", "--input", input, "--cycles", cycles, "--provers", "2", "--from", "dev1",
		"--mechanism", "pool", "--max-price", "10", "--deadline", "300",
		"--wait", "--out", filepath.Join(t.TempDir(), "r.proof"), "--timeout", "80s", "--output", "json")
	if code != 0 {
		t.Fatalf("pool run exited %d:\nstdout %s\nstderr %s\nprovers:\n%s", code, stdout, stderr, plog.String())
	}
	if !strings.Contains(stderr, "pool Run: escrow") || !strings.Contains(stderr, "drawn now, slot 0 would go to") {
		t.Fatalf("run's quote lacks the draw it previews:\n%s", stderr)
	}
	var rep runReport
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil || rep.State != wire.WorkloadFinal || rep.Mechanism != "pool" {
		t.Fatalf("pool run report %+v %v", rep, err)
	}
	w := settled(ctx, t, c, rep.Workload)
	askPrice := map[string]uint64{members[0]: 2, members[1]: 3}
	for _, s := range w.Slots {
		if want, ok := askPrice[s.AllocatedTo]; !ok || s.Price != want*2000 {
			t.Fatalf("slot %+v: want a member paid its frozen ask", s)
		}
	}
	out = must("query", "allocation", rep.Workload)
	for _, s := range []string{"in the cpu pool of epoch", "matched", "agrees", members[0], members[1]} {
		if !strings.Contains(out, s) {
			t.Fatalf("query allocation of the pool Run lacks %q:\n%s", s, out)
		}
	}
}
