package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/provernet/provernet/client"
	"github.com/provernet/provernet/internal/node"
	"github.com/provernet/provernet/internal/sandbox"
	"github.com/provernet/provernet/internal/zkhost"
	"github.com/provernet/provernet/wire"
)

// provernet runs the command line in-process and returns stdout, stderr and the
// exit code.
func provernet(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(args, &out, &errb)
	return out.String(), errb.String(), code
}

func TestVRFProveVerify(t *testing.T) {
	// RFC 8032 test 1 / RFC 9381 example 16 key pair.
	sk := "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"
	pk := "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"
	out, stderr, code := provernet(t, "debug", "vrf", "prove", "--secret", sk, "--alpha", "", "--output", "json")
	if code != 0 {
		t.Fatalf("prove exited %d: %s", code, stderr)
	}
	var p vrfOut
	if err := json.Unmarshal([]byte(out), &p); err != nil {
		t.Fatal(err)
	}
	if p.Public != pk || len(p.Pi) != 160 || len(p.Beta) != 128 || !p.Valid {
		t.Fatalf("unexpected prove output %+v", p)
	}
	out, _, code = provernet(t, "debug", "vrf", "verify", "--public", pk, "--pi", p.Pi, "--alpha", "", "-o", "json")
	var v vrfOut
	_ = json.Unmarshal([]byte(out), &v)
	if code != 0 || !v.Valid || v.Beta != p.Beta {
		t.Fatalf("verify of a fresh proof: exit %d, %+v", code, v)
	}
	bad := []byte(p.Pi)
	bad[0] ^= 1 // still hex, different byte
	out, _, code = provernet(t, "debug", "vrf", "verify", "--public", pk, "--pi", string(bad), "--alpha", "", "-o", "json")
	_ = json.Unmarshal([]byte(out), &v)
	if code != 1 || v.Valid {
		t.Fatalf("tampered proof: exit %d, %+v; want exit 1 and valid false", code, v)
	}
}

func TestErrorsCarryHints(t *testing.T) {
	_, stderr, code := provernet(t, "--output", "yaml", "version")
	if code == 0 || !strings.Contains(stderr, "error:") || !strings.Contains(stderr, "hint:") {
		t.Fatalf("bad --output: exit %d, stderr %q", code, stderr)
	}
	home := t.TempDir()
	_, stderr, code = provernet(t, "--home", home, "keys", "show", "nobody")
	if code == 0 || !strings.Contains(stderr, "hint:") {
		t.Fatalf("missing key: exit %d, stderr %q", code, stderr)
	}
}

func TestKeys(t *testing.T) {
	home := t.TempDir()
	out, stderr, code := provernet(t, "--home", home, "keys", "add", "alice", "-o", "json")
	if code != 0 {
		t.Fatalf("keys add: %s", stderr)
	}
	var k keyInfo
	if err := json.Unmarshal([]byte(out), &k); err != nil || !strings.HasPrefix(k.Address, "prv1") {
		t.Fatalf("keys add output %q: %v", out, err)
	}
	st, err := os.Stat(filepath.Join(home, "keys", "alice.json"))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode: %v %v", st.Mode(), err)
	}
	if _, _, code := provernet(t, "--home", home, "keys", "add", "alice"); code == 0 {
		t.Fatal("adding an existing key must fail")
	}
	out, _, _ = provernet(t, "--home", home, "keys", "show", "alice", "-o", "json")
	var shown keyInfo
	_ = json.Unmarshal([]byte(out), &shown)
	if shown != k {
		t.Fatalf("keys show %+v != keys add %+v", shown, k)
	}
	out, _, _ = provernet(t, "--home", home, "keys", "list")
	if !strings.Contains(out, k.Address) {
		t.Fatalf("keys list lacks alice: %q", out)
	}
}

func TestParseAmount(t *testing.T) {
	for in, want := range map[string]uint64{"1500": 1500, "1500uprv": 1500, "2prv": 2_000_000, "0.25PRV": 250_000, "0.000001prv": 1} {
		if got, err := parseAmount(in); err != nil || got != want {
			t.Errorf("parseAmount(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "-1", "0.0000001prv", "abc", "1.5", "99999999999999999999999"} {
		if _, err := parseAmount(in); err == nil {
			t.Errorf("parseAmount(%q) accepted", in)
		}
	}
	if got := formatAmount(1_500_000); got != "1.5 PRV" {
		t.Errorf("formatAmount = %q", got)
	}
}

// TestTransferThroughCLI runs a real devnet and drives it with the CLI
// exactly as a user would.
func TestTransferThroughCLI(t *testing.T) {
	home, api := cliDevnet(t)

	out, stderr, code := provernet(t, "--home", home, "--node", api, "tx", "transfer", "--from", "dev0", "--to", "dev1", "--amount", "2.5prv", "--wait", "-o", "json")
	if code != 0 {
		t.Fatalf("transfer exited %d: %s", code, stderr)
	}
	var rep txReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil || rep.Committed == nil || rep.Committed.Code != 0 {
		t.Fatalf("transfer report %q: %v", out, err)
	}
	out, _, code = provernet(t, "--home", home, "--node", api, "query", "account", "dev1", "-o", "json")
	var a wire.Account
	if err := json.Unmarshal([]byte(out), &a); err != nil || code != 0 {
		t.Fatalf("query account: %q %v", out, err)
	}
	if a.Balance != node.DevnetDefaults.Balance+2_500_000 {
		t.Fatalf("dev1 balance %d, want %d", a.Balance, node.DevnetDefaults.Balance+2_500_000)
	}
	// Too much money: rejected by CheckTx with its stable code and a hint.
	_, stderr, code = provernet(t, "--home", home, "--node", api, "tx", "transfer", "--from", "dev0", "--to", "dev1", "--amount", "999999999prv")
	if code == 0 || !strings.Contains(stderr, "insufficient_funds") || !strings.Contains(stderr, "hint:") {
		t.Fatalf("overspend: exit %d, stderr %q", code, stderr)
	}
	// The event stream: dev0's first event since height 1 is its
	// transfer's transaction event.
	out, stderr, code = provernet(t, "--home", home, "--node", api, "events", "--from", "1", "--prover", "dev0", "--count", "1", "-o", "json")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != 0 || len(lines) != 1 {
		t.Fatalf("events: exit %d, %d lines %q, %s", code, len(lines), out, stderr)
	}
	var first wire.StreamEvent
	if err := json.Unmarshal([]byte(lines[0]), &first); err != nil || first.Type != "tx" || first.Attrs["sender"] == "" || first.Tx != rep.Committed.Hash {
		t.Fatalf("events: first %q (%v); want the transfer's tx event", lines[0], err)
	}
	out, _, code = provernet(t, "--node", api, "events", "--from", "1", "--count", "1")
	if code != 0 || !regexp.MustCompile(`^1:0 \S+`).MatchString(out) {
		t.Fatalf("events text: exit %d %q; want HEIGHT:INDEX TYPE ...", code, out)
	}
	for _, args := range [][]string{{"query", "beacon"}, {"query", "block"}, {"query", "status"}, {"query", "supply"}, {"query", "params"}} {
		if out, stderr, code := provernet(t, append([]string{"--node", api, "-o", "json"}, args...)...); code != 0 || !json.Valid([]byte(out)) {
			t.Errorf("%v: exit %d, %s %s", args, code, out, stderr)
		}
	}
}

// cliDevnet starts a devnet for a CLI test (stopped when the test ends)
// and returns its home and API URL once it has committed state.
func cliDevnet(t *testing.T) (home, api string) {
	t.Helper()
	home = t.TempDir()
	d, err := startAfterFree(home, onLoopback(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Stop() })
	waitAPI(t, d.APIURL())
	return home, d.APIURL()
}

// onLoopback puts a test devnet on free loopback ports with fast blocks.
func onLoopback(t *testing.T) func(*node.Config) {
	t.Helper()
	f, err := node.OnLoopback()
	if err != nil {
		t.Fatal(err)
	}
	return func(c *node.Config) {
		f(c)
		c.Chain.BlockTime = node.Duration{Duration: 100 * time.Millisecond}
	}
}

func startAfterFree(home string, configure func(*node.Config)) (*node.Devnet, error) {
	return node.StartDevnet(context.Background(), node.DevnetOptions{
		Home: home, Accounts: 2, Balance: node.DevnetDefaults.Balance,
		Node: node.Options{Log: io.Discard, Configure: configure},
	})
}

func waitAPI(t *testing.T, api string) {
	t.Helper()
	c := client.New(api)
	for i := 0; i < 300; i++ {
		if st, err := c.Status(context.Background()); err == nil && st.Height >= 2 {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("devnet API did not come up")
}

// TestDeployThroughCLI uploads two modules as blobs, deploys them, and
// reads the program back from the chain and the bytes back from the node.
func TestDeployThroughCLI(t *testing.T) {
	home, api := cliDevnet(t)
	dir := t.TempDir()
	prover, verifier := filepath.Join(dir, "p.wasm"), filepath.Join(dir, "v.wasm")
	_ = os.WriteFile(prover, []byte("\x00asm prover bytes"), 0o600)
	_ = os.WriteFile(verifier, []byte("\x00asm verifier bytes"), 0o600)

	out, stderr, code := provernet(t, "--home", home, "--node", api, "program", "deploy", "--from", "dev0", "--name", "demo",
		"--prover", prover, "--verifier", verifier, "--min-memory-mb", "512", "--wait", "-o", "json")
	if code != 0 {
		t.Fatalf("deploy exited %d: %s", code, stderr)
	}
	var rep txReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil || rep.Committed == nil || rep.Committed.Code != 0 {
		t.Fatalf("deploy report %q: %v", out, err)
	}
	out, _, code = provernet(t, "--node", api, "query", "programs", "-o", "json")
	var ps []wire.Program
	if err := json.Unmarshal([]byte(out), &ps); err != nil || code != 0 || len(ps) != 1 {
		t.Fatalf("programs: %q %v", out, err)
	}
	p := ps[0]
	if p.Name != "demo" || p.MinHardware.MemoryMB != 512 || p.Verifier.Size != uint64(len("\x00asm verifier bytes")) {
		t.Fatalf("program %+v", p)
	}
	got, err := client.New(api).GetBlob(context.Background(), p.Prover.SHA256)
	if err != nil || string(got) != "\x00asm prover bytes" {
		t.Fatalf("prover blob: %q %v", got, err)
	}
	// Deploying the same modules again is refused with its stable code.
	_, stderr, code = provernet(t, "--home", home, "--node", api, "program", "deploy", "--from", "dev0", "--name", "demo2",
		"--prover", prover, "--verifier", verifier)
	if code == 0 || !strings.Contains(stderr, "already_exists") {
		t.Fatalf("second deploy: exit %d, %s", code, stderr)
	}
}

// TestProverThroughCLI registers a prover, stakes and unbonds it, and reads
// it back, all through the CLI against a real devnet.
func TestProverThroughCLI(t *testing.T) {
	home, api := cliDevnet(t)
	run := func(args ...string) string {
		t.Helper()
		out, stderr, code := provernet(t, append([]string{"--home", home, "--node", api}, args...)...)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, stderr)
		}
		return out
	}
	run("tx", "prover", "register", "--from", "dev0", "--cpu", "8", "--memory-mb", "16384", "--max-concurrent", "2", "--wait")
	if st, err := os.Stat(filepath.Join(home, "keys", "dev0.vrf.json")); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("prover VRF key file: %v %v", st, err)
	}
	run("tx", "prover", "stake", "--from", "dev0", "--amount", "1000prv", "--wait")
	var p wire.Prover
	if err := json.Unmarshal([]byte(run("query", "prover", "dev0", "-o", "json")), &p); err != nil {
		t.Fatal(err)
	}
	// The devnet has no challenge program yet, so stake alone admits.
	if p.State != "active" || p.Stake != 1000*1_000_000 || p.Hardware.CPUCores != 8 || p.MaxConcurrent != 2 {
		t.Fatalf("prover after stake: %+v", p)
	}
	run("tx", "prover", "unbond", "--from", "dev0", "--wait")
	var ps []wire.Prover
	if err := json.Unmarshal([]byte(run("query", "provers", "-o", "json")), &ps); err != nil || len(ps) != 1 || ps[0].State != "leaving" || ps[0].UnbondHeight == 0 {
		t.Fatalf("provers after unbond: %+v %v", ps, err)
	}
	_, stderr, code := provernet(t, "--home", home, "--node", api, "tx", "prover", "withdraw", "--from", "dev0", "--wait")
	if code == 0 || !strings.Contains(stderr, "unlocks at height") {
		t.Fatalf("early withdraw: exit %d, %s", code, stderr)
	}
}

// TestMain lets the test binary serve as the sandbox worker that `program
// run` and the prover daemons start, as provernet-sandbox does, and points
// sandbox.WorkerExecutable at it; with fakeCompanionEnv set it plays
// provernet-bench instead (see bench_test.go).
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == sandbox.WorkerCommand {
		if err := sandbox.RunWorker(context.Background(), os.Stdin, os.Stdout, zkhost.Hosts); err != nil {
			fmt.Fprintf(os.Stderr, "error: %v\n", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	if os.Getenv(fakeCompanionEnv) != "" {
		os.Exit(fakeCompanion(os.Args[1:]))
	}
	exe, err := os.Executable()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Setenv(sandbox.WorkerEnv, exe)
	os.Exit(m.Run())
}

// TestProgramRunAndVerify proves and verifies the sha256-chain example
// through the CLI, in a worker process, and checks a tampered proof fails.
func TestProgramRunAndVerify(t *testing.T) {
	dir := t.TempDir()
	for _, role := range []string{"prover", "verifier"} {
		cmd := exec.Command("go", "build", "-o", filepath.Join(dir, role+".wasm"), "../../examples/programs/sha256-chain/"+role)
		cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm")
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("build %s: %v\n%s", role, err, b)
		}
	}
	input := filepath.Join(dir, "input.json")
	_ = os.WriteFile(input, []byte(`{"seed": "70726f7665726e6574", "iterations": 500}`), 0o600)
	proof := filepath.Join(dir, "proof.bin")
	out, stderr, code := provernet(t, "program", "run", "--program", filepath.Join(dir, "prover.wasm"), "--input", input, "--proof", proof, "-o", "json")
	if code != 0 {
		t.Fatalf("program run: exit %d: %s %s", code, out, stderr)
	}
	var r localRun
	if err := json.Unmarshal([]byte(out), &r); err != nil || r.Outcome != "proof" || r.Cycles == 0 || len(r.ProofSHA256) != 64 {
		t.Fatalf("program run report %q: %v", out, err)
	}
	out, _, code = provernet(t, "program", "verify", "--program", filepath.Join(dir, "verifier.wasm"), "--input", input, "--proof", proof, "-o", "json")
	if code != 0 || !strings.Contains(out, `"valid"`) {
		t.Fatalf("program verify: exit %d: %s", code, out)
	}
	b, _ := os.ReadFile(proof)
	b[0] ^= 1
	_ = os.WriteFile(proof, b, 0o600)
	if out, _, code = provernet(t, "program", "verify", "--program", filepath.Join(dir, "verifier.wasm"), "--input", input, "--proof", proof, "-o", "json"); code != 1 || !strings.Contains(out, `"invalid"`) {
		t.Fatalf("tampered proof: exit %d: %s", code, out)
	}
	// Too few cycles: the outcome is fail, exit 1, with a hint.
	out, _, code = provernet(t, "program", "run", "--program", filepath.Join(dir, "prover.wasm"), "--input", input, "--proof", proof, "--cycles", "1000")
	if code != 1 || !strings.Contains(out, "fail") || !strings.Contains(out, "hint:") {
		t.Fatalf("starved run: exit %d: %s", code, out)
	}
}
