package main

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"filippo.io/age"

	"github.com/provernet/provernet/client"
	"github.com/provernet/provernet/wire"
	"github.com/provernet/provernet/wire/address"
	"github.com/provernet/provernet/wire/pb"
)

// TestWorkloadQueriesThroughCLI deploys a program, quotes a Run with
// `query fee` against the formula and the chain's parameters, sends a Run
// (with the client package: the CLI has no run command yet) and reads it
// back with `query workload`, `query workloads` and `query allocation`.
func TestWorkloadQueriesThroughCLI(t *testing.T) {
	home, api := cliDevnet(t)
	run := func(args ...string) string {
		t.Helper()
		out, stderr, code := provernet(t, append([]string{"--home", home, "--node", api}, args...)...)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, stderr)
		}
		return out
	}
	fails := func(wantErr string, args ...string) {
		t.Helper()
		_, stderr, code := provernet(t, append([]string{"--home", home, "--node", api}, args...)...)
		if code == 0 || !strings.Contains(stderr, "error:") || !strings.Contains(stderr, wantErr) {
			t.Fatalf("%v: exit %d, stderr %q; want a failure with an error: line mentioning %q", args, code, stderr, wantErr)
		}
	}

	dir := t.TempDir()
	prover, verifier := filepath.Join(dir, "p.wasm"), filepath.Join(dir, "v.wasm")
	_ = os.WriteFile(prover, []byte("\x00asm fee prover"), 0o600)
	_ = os.WriteFile(verifier, []byte("\x00asm fee verifier"), 0o600)
	run("program", "deploy", "--from", "dev0", "--name", "feeprog", "--prover", prover, "--verifier", verifier, "--min-memory-mb", "512", "--wait")
	var ps []wire.Program
	if err := json.Unmarshal([]byte(run("query", "programs", "-o", "json")), &ps); err != nil || len(ps) != 1 {
		t.Fatalf("programs: %v %v", ps, err)
	}
	progID := ps[0].ID

	// query fee by name and by id equals k * max(min_slot_fee,
	// ceil(cycles/1e6) * price_per_mcycle * class multiplier) (1: the
	// program names no GPU).
	var params map[string]any
	if err := json.Unmarshal([]byte(run("query", "params", "-o", "json")), &params); err != nil {
		t.Fatal(err)
	}
	price := uint64(params["price_per_mcycle"].(float64))
	const cycles, k = 2_500_001, 3
	want := uint64(k) * max(uint64(params["min_slot_fee"].(float64)), ((cycles+999_999)/1_000_000)*price*1)
	for _, program := range []string{"feeprog", progID} {
		var q wire.FeeQuote
		out := run("query", "fee", "--program", program, "--cycles", strconv.Itoa(cycles), "--provers", strconv.Itoa(k), "-o", "json")
		if err := json.Unmarshal([]byte(out), &q); err != nil || q.Fee != want || q.Mcycles != 3 || q.ClassMultiplier != 1 || q.PricePerMcycle != price {
			t.Fatalf("query fee --program %s: %q %v; got %+v, want fee %d (%v %v %v %v)", program, out, err, q, want, q.Fee != want, q.Mcycles != 3, q.ClassMultiplier != 1, q.PricePerMcycle != price)
		}
	}
	if out := run("query", "fee", "--program", "feeprog", "--cycles", strconv.Itoa(cycles), "--provers", strconv.Itoa(k)); !strings.Contains(out, "("+strconv.FormatUint(want, 10)+" uprv)") {
		t.Fatalf("query fee text: %q", out)
	}
	// --measured quotes a measured run's cycles and shows their split.
	measured := filepath.Join(t.TempDir(), "run.json")
	if err := os.WriteFile(measured, []byte(`{"outcome":"proof","cycles":2500001,"host_cycles":2000000}`), 0o600); err != nil {
		t.Fatal(err)
	}
	var mq struct {
		wire.FeeQuote
		WasmCycles uint64 `json:"wasm_cycles"`
		HostCycles uint64 `json:"host_cycles"`
	}
	mout := run("query", "fee", "--program", "feeprog", "--measured", measured, "--provers", strconv.Itoa(k), "-o", "json")
	if err := json.Unmarshal([]byte(mout), &mq); err != nil || mq.Fee != want || mq.HostCycles != 2_000_000 || mq.WasmCycles != 500_001 {
		t.Fatalf("query fee --measured: %q %v", mout, err)
	}
	if err := os.WriteFile(measured, []byte(`{"outcome":"fail","cycles":100}`), 0o600); err != nil {
		t.Fatal(err)
	}
	fails("not with a proof", "query", "fee", "--program", "feeprog", "--measured", measured)
	fails("no program named", "query", "fee", "--program", "nosuch", "--cycles", "1")
	fails("max_provers_per_workload", "query", "fee", "--program", "feeprog", "--cycles", "1", "--provers", "99")
	unknown := strings.Repeat("ab", 32)
	fails("not found", "query", "workload", unknown)
	fails("not found", "query", "allocation", unknown)
	fails("", "query", "workload", "not-hex")

	// A prover, then a Run from dev0.
	fails("printable ASCII", "tx", "prover", "register", "--from", "dev1", "--label", "tab\there")
	run("tx", "prover", "register", "--from", "dev1", "--cpu", "4", "--memory-mb", "4096", "--label", "dev1 box", "--wait")
	run("tx", "prover", "stake", "--from", "dev1", "--amount", "1000prv", "--wait")
	key, err := client.LoadKey(client.DefaultKeysDir(home), "dev0")
	if err != nil {
		t.Fatal(err)
	}
	c := client.New(api)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	acct, err := c.Account(ctx, key.Address())
	if err != nil {
		t.Fatal(err)
	}
	ident, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	progBytes, _ := hex.DecodeString(progID)
	res, err := c.Send(ctx, key, 0, &pb.Msg{Kind: &pb.Msg_Run{Run: &pb.Run{Program: progBytes, Cycles: cycles, Provers: 1,
		Recipient: ident.Recipient().String(), Deadline: 100, Inputs: []*pb.Input{{Name: "input", Data: []byte("cli")}}}}})
	if err != nil {
		t.Fatal(err)
	}
	if r, err := c.WaitTx(ctx, res.Hash); err != nil || r.Code != 0 {
		t.Fatalf("run: %+v %v", r, err)
	}
	owner, _ := address.Parse(key.Address())
	id := hex.EncodeToString(wire.WorkloadID(owner, acct.Nonce, 0))

	var w wire.Workload
	for i := 0; ; i++ {
		if err := json.Unmarshal([]byte(run("query", "workload", id, "-o", "json")), &w); err != nil {
			t.Fatal(err)
		}
		if w.State != "pending" {
			break
		}
		if i > 100 {
			t.Fatal("the workload stays pending")
		}
		time.Sleep(50 * time.Millisecond)
	}
	dev1 := strings.TrimSpace(run("keys", "show", "dev1", "-o", "json"))
	var k1 keyInfo
	if err := json.Unmarshal([]byte(dev1), &k1); err != nil {
		t.Fatal(err)
	}
	if w.ID != id || w.Owner != key.Address() || w.Fee != max(3*price, uint64(params["min_slot_fee"].(float64))) || len(w.Slots) != 1 || w.Slots[0].AllocatedTo != k1.Address {
		t.Fatalf("workload %+v", w)
	}
	if out := run("query", "workload", id); !strings.Contains(out, "slot 0") || !strings.Contains(out, k1.Address) || !strings.Contains(out, "fee") {
		t.Fatalf("query workload text: %q", out)
	}
	var ws []wire.Workload
	if err := json.Unmarshal([]byte(run("query", "workloads", "--owner", "dev0", "-o", "json")), &ws); err != nil || len(ws) != 1 || ws[0].ID != id {
		t.Fatalf("query workloads --owner dev0: %+v %v", ws, err)
	}
	if out := run("query", "workloads", "--owner", "dev1"); !strings.Contains(out, "no workloads") {
		t.Fatalf("query workloads --owner dev1: %q", out)
	}
	var a wire.Allocation
	if err := json.Unmarshal([]byte(run("query", "allocation", id, "-o", "json")), &a); err != nil || !a.Agrees ||
		len(a.Drawn) != 1 || a.Drawn[0] != k1.Address || a.Height != w.AllocatedHeight {
		t.Fatalf("query allocation: %+v %v", a, err)
	}
	out := run("query", "allocation", id)
	for _, s := range []string{"accepted", k1.Address, "eligible", "agrees"} {
		if !strings.Contains(out, s) {
			t.Fatalf("query allocation text lacks %q:\n%s", s, out)
		}
	}

	// The filters, as flags: the one workload passes its own program,
	// state and height, and nothing else does.
	for _, c := range []struct {
		args []string
		n    int
	}{
		{[]string{"--program", "feeprog", "--state", w.State, "--from-height", fmt.Sprint(w.Height), "--to-height", fmt.Sprint(w.Height)}, 1},
		{[]string{"--state", "expired"}, 0},
		{[]string{"--from-height", fmt.Sprint(w.Height + 1)}, 0},
	} {
		ws = nil
		if err := json.Unmarshal([]byte(run(append([]string{"query", "workloads", "-o", "json"}, c.args...)...)), &ws); err != nil || len(ws) != c.n {
			t.Errorf("query workloads %v: %d workloads (%v), want %d", c.args, len(ws), err, c.n)
		}
	}
	var provers []wire.Prover
	if err := json.Unmarshal([]byte(run("query", "provers", "--hardware", "gpu", "-o", "json")), &provers); err != nil || len(provers) != 0 {
		t.Errorf("query provers --hardware gpu: %v %v", provers, err)
	}
	fails("no hardware class", "query", "provers", "--hardware", "tpu")
	for label, n := range map[string]int{"dev1 box": 1, "dev1": 0} {
		provers = nil
		if err := json.Unmarshal([]byte(run("query", "provers", "--label", label, "-o", "json")), &provers); err != nil || len(provers) != n ||
			(n == 1 && (provers[0].Address != k1.Address || provers[0].Label != label)) {
			t.Errorf("query provers --label %q: %+v %v, want %d", label, provers, err, n)
		}
	}

	// The timeline and the allocated prover's history, from the indexes.
	var tl wire.Timeline
	if err := json.Unmarshal([]byte(run("query", "timeline", id, "-o", "json")), &tl); err != nil || len(tl.Entries) < 2 ||
		tl.Entries[0].Kind != "run" || tl.Entries[0].Height != w.Height {
		t.Fatalf("query timeline: %+v %v", tl, err)
	}
	if out := run("query", "timeline", id); !strings.Contains(out, "allocated") || !strings.Contains(out, k1.Address) {
		t.Fatalf("query timeline text:\n%s", out)
	}
	var hist wire.ProverHistory
	if err := json.Unmarshal([]byte(run("query", "prover-history", "dev1", "-o", "json")), &hist); err != nil ||
		!slices.ContainsFunc(hist.Entries, func(e wire.HistoryEntry) bool { return e.Kind == "allocated" && e.Workload == id }) {
		t.Fatalf("query prover-history dev1: %+v %v", hist, err)
	}
	if out := run("query", "prover-history", "dev1", "--limit", "1"); !strings.Contains(out, "HEIGHT") {
		t.Fatalf("query prover-history text:\n%s", out)
	}
}
