package main

import (
	"context"
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/provernet/provernet/client"
	"github.com/provernet/provernet/wire"
	"github.com/provernet/provernet/wire/pb"
)

// TestMarketRunThroughCLI runs the market on a devnet with three prover
// daemons, as users would (issue 17): the provers set asks with `tx
// prover ask`, `query asks` and `query market` show the book, a market
// Run (`run --mechanism market --max-price`) matches the two cheapest
// asks, becomes final, pays each slot its ask's price and refunds the
// rest; `query allocation` explains the match; and a Run below every ask
// fails at once, `run --wait` printing the asks it missed.
func TestMarketRunThroughCLI(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a devnet with provers")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	// prover2's daemon keeps its ask from its configuration, as
	// `start --prover --ask price=4,latency=100,class=cpu` would.
	daemonAsk, err := parseAskFlags([]string{"price=4,latency=100,class=cpu"})
	if err != nil {
		t.Fatal(err)
	}
	n := startProverDevnet(t, ctx, nil, map[int][]*pb.SetAsk{2: daemonAsk})
	d, c, plog := n.d, n.c, n.plog
	cli := func(args ...string) (string, string, int) { return n.cli(t, args...) }
	must := func(args ...string) string { t.Helper(); return n.must(t, args...) }

	// Asks of 2 and 3 uprv per Mcycle by hand, 4 by prover2's daemon,
	// and one the chain refuses.
	for i, price := range []string{"2", "3"} {
		must("tx", "prover", "ask", "--from", d.ProverKeys[i].Name, "--id", "1", "--price", price, "--latency", "100", "--class", "cpu", "--wait")
	}
	for {
		var p2 wire.AskPage
		if err := json.Unmarshal([]byte(must("query", "asks", "--prover", "prover2", "-o", "json")), &p2); err != nil {
			t.Fatal(err)
		}
		if len(p2.Asks) == 1 && p2.Asks[0].Price == 4 && p2.Asks[0].ID == 1 {
			break
		}
		if ctx.Err() != nil || len(p2.Asks) > 1 {
			t.Fatalf("prover2's daemon set no ask: %+v\n%s", p2, plog.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	if _, stderr, code := cli("tx", "prover", "ask", "--from", "prover0", "--id", "2", "--price", "0", "--latency", "5", "--class", "cpu"); code == 0 || !strings.Contains(stderr, "--price") {
		t.Fatalf("an ask at 0: exit %d, %s", code, stderr)
	}
	var page wire.AskPage
	if err := json.Unmarshal([]byte(must("query", "asks", "--prover", "prover0", "-o", "json")), &page); err != nil ||
		len(page.Asks) != 1 || page.Asks[0].Price != 2 || page.Asks[0].Prover != d.ProverKeys[0].Address() {
		t.Fatalf("query asks --prover prover0: %+v %v", page, err)
	}
	out := must("query", "market", "sha256-chain")
	for _, s := range []string{"PRICE", "LATENCY", d.ProverKeys[0].Address(), d.ProverKeys[2].Address(), "clearing prices: none yet"} {
		if !strings.Contains(out, s) {
			t.Fatalf("query market lacks %q:\n%s", s, out)
		}
	}

	// A market Run of k = 2 at up to 10 takes the asks at 2 and 3.
	input, _ := filepath.Abs("../../examples/programs/sha256-chain/input.json")
	const cycles = "2000000000"
	// query fee quotes it first, naming the asks it would take.
	out = must("query", "fee", "--program", "sha256-chain", "--cycles", cycles, "--provers", "2", "--mechanism", "market", "--max-price", "10")
	for _, s := range []string{"market Run: escrow", "slot 0 would go to " + d.ProverKeys[0].Address(), "slot 1 would go to " + d.ProverKeys[1].Address()} {
		if !strings.Contains(out, s) {
			t.Fatalf("query fee of a market Run lacks %q:\n%s", s, out)
		}
	}
	if out = must("query", "fee", "--program", "sha256-chain", "--cycles", cycles, "--provers", "2", "--mechanism", "market", "--max-price", "1"); !strings.Contains(out, "no ask would match it now") {
		t.Fatalf("query fee of a market Run below every ask:\n%s", out)
	}
	stdout, stderr, code := cli("run", "sha256-chain", "--input", input, "--cycles", cycles, "--provers", "2", "--from", "dev1",
		"--mechanism", "market", "--max-price", "10", "--priority", "price", "--deadline", "300",
		"--wait", "--out", filepath.Join(t.TempDir(), "r.proof"), "--timeout", "80s", "--output", "json")
	if code != 0 {
		t.Fatalf("market run exited %d:\nstdout %s\nstderr %s\nprovers:\n%s", code, stdout, stderr, plog.String())
	}
	if !strings.Contains(stderr, "market Run: escrow") || !strings.Contains(stderr, "slot 0 would go to "+d.ProverKeys[0].Address()) {
		t.Fatalf("run's quote lacks the asks it would match:\n%s", stderr)
	}
	var rep runReport
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil || rep.State != wire.WorkloadFinal || rep.Mechanism != "market" {
		t.Fatalf("market run report %+v %v", rep, err)
	}
	w := settled(ctx, t, c, rep.Workload)
	askPrice := map[string]uint64{d.ProverKeys[0].Address(): 2, d.ProverKeys[1].Address(): 3}
	var paid uint64
	for _, s := range w.Slots {
		if s.Released == "timed_out" && s.Prover != s.AllocatedTo {
			// its matched prover did not accept within accept_window (a
			// machine loaded by the rest of the suite) and the slot was
			// re-opened: another prover took it at the Run's price
			t.Logf("slot %d: %s timed out; %s took it at %d", s.Index, s.AllocatedTo, s.Prover, s.Price)
			paid += s.Price
			continue
		}
		want, ok := askPrice[s.AllocatedTo]
		if !ok || s.Price != want*2000 || s.FeePaid+s.Burned+s.VotersPaid != s.Price {
			t.Fatalf("slot %+v: want prover0 or prover1 paid its ask (%d per Mcycle)", s, want)
		}
		paid += s.Price
	}
	if w.Fee != 2*10*2000 || w.Refunded != w.Fee-paid || w.Minted != 0 {
		t.Fatalf("workload fee %d, refunded %d, minted %d; want fee %d, refunded %d", w.Fee, w.Refunded, w.Minted, 2*10*2000, 2*10*2000-paid)
	}
	out = must("query", "allocation", rep.Workload)
	for _, s := range []string{"by market", "matched", "agrees", d.ProverKeys[2].Address(), "ranked_below"} {
		if !strings.Contains(out, s) {
			t.Fatalf("query allocation of the market Run lacks %q:\n%s", s, out)
		}
	}
	if out = must("query", "market", "sha256-chain"); !strings.Contains(out, rep.Workload) {
		t.Fatalf("query market lacks the clearing prices of %s:\n%s", rep.Workload, out)
	}
	if out = must("query", "prover", "prover0"); !strings.Contains(out, "reputation") {
		t.Fatalf("query prover lacks the reputation:\n%s", out)
	}

	// Below every ask: it fails in the block that matches it.
	stdout, stderr, code = cli("run", "sha256-chain", "--input", input, "--cycles", cycles, "--provers", "1", "--from", "dev1",
		"--mechanism", "cheapest", "--max-price", "1", "--wait", "--timeout", "30s")
	if code != 1 || !strings.Contains(stderr, "no_matching_ask") || !strings.Contains(stderr, "raise --max-price") ||
		!strings.Contains(stdout, "no ask would match it now") || !strings.Contains(stdout, "price above --max-price") ||
		!strings.Contains(stdout, d.ProverKeys[0].Address()) {
		t.Fatalf("unmatched run: exit %d\nstdout %s\nstderr %s", code, stdout, stderr)
	}

	// --reprice: nothing at 1, so nothing is sent at 1; at 2 prover0's
	// ask matches. With the cap at 1 it gives up having sent nothing.
	acct, err := c.Account(ctx, d.Keys[1].Address())
	if err != nil {
		t.Fatal(err)
	}
	stdout, stderr, code = cli("run", "sha256-chain", "--input", input, "--cycles", cycles, "--provers", "1", "--from", "dev1",
		"--mechanism", "cheapest", "--reprice", "1", "--max-price", "1", "--output", "json")
	if code == 0 || !strings.Contains(stderr, "no ask matched at any max price up to 1") || !strings.Contains(stderr, "reprice: no ask matches at 1") {
		t.Fatalf("reprice capped below every ask: exit %d\nstdout %s\nstderr %s", code, stdout, stderr)
	}
	if again, err := c.Account(ctx, d.Keys[1].Address()); err != nil || again.Nonce != acct.Nonce {
		t.Fatalf("reprice that matched nothing sent a transaction: nonce %d -> %+v %v", acct.Nonce, again, err)
	}
	stdout, stderr, code = cli("run", "sha256-chain", "--input", input, "--cycles", cycles, "--provers", "1", "--from", "dev1",
		"--mechanism", "cheapest", "--reprice", "1", "--start-price", "1", "--max-price", "10", "--deadline", "300", "--output", "json")
	var rr runReport
	if code != 0 || json.Unmarshal([]byte(stdout), &rr) != nil || !slices.Equal(rr.Prices, []uint64{1, 2}) || rr.MaxPrice != 2 {
		t.Fatalf("reprice: exit %d, report %+v\nstdout %s\nstderr %s", code, rr, stdout, stderr)
	}
	if w, err := c.Workload(ctx, rr.Workload); err != nil || len(w.Slots) != 1 || w.Slots[0].AllocatedTo != d.ProverKeys[0].Address() {
		t.Fatalf("repriced Run not matched to prover0's ask at 2: %+v %v", w, err)
	}
}

// settled waits for a workload's settlement.
func settled(ctx context.Context, t *testing.T, c *client.Client, id string) *wire.Workload {
	t.Helper()
	for {
		w, err := c.Workload(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if w.Settled {
			return w
		}
		select {
		case <-ctx.Done():
			t.Fatalf("workload %s not settled: %+v", id, w)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// TestParseAskFlags: start's --ask flags, and the ones it refuses.
func TestParseAskFlags(t *testing.T) {
	prog := strings.Repeat("ab", 32)
	asks, err := parseAskFlags([]string{"price=5,latency=20,class=cpu", "id=9, price=3,latency=40,program=" + prog + ",class=gpu"})
	if err != nil || len(asks) != 2 {
		t.Fatalf("%v %v", asks, err)
	}
	if a := asks[0]; a.Id != 1 || a.Price != 5 || a.Latency != 20 || len(a.Classes) != 1 || a.Classes[0] != "cpu" || len(a.Programs) != 0 {
		t.Errorf("first ask %v", a)
	}
	if a := asks[1]; a.Id != 9 || a.Price != 3 || len(a.Programs) != 1 || len(a.Programs[0]) != 32 || a.Classes[0] != "gpu" {
		t.Errorf("second ask %v", a)
	}
	for _, bad := range []string{"price=5,latency=20", "price=0,latency=20,class=cpu", "price=5,latency=0,class=cpu",
		"price=5,latency=2,class=tpu", "price=5,latency=2,program=abc", "price=5,latency=2,class=cpu,speed=9", "price5"} {
		if _, err := parseAskFlags([]string{bad}); err == nil {
			t.Errorf("--ask %q accepted", bad)
		}
	}
}
