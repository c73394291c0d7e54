package programs_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark/backend/groth16"

	g16mimc "github.com/provernet/provernet/examples/programs/groth16-mimc"
	"github.com/provernet/provernet/examples/programs/internal/progio"
	"github.com/provernet/provernet/internal/sandbox"
	"github.com/provernet/provernet/internal/zkhost"
)

// The wasm binaries are built once per test binary, into one temp dir, and
// run in the network's own metered sandbox.
var (
	buildDir  string
	buildMu   sync.Mutex
	built     = map[string]error{}
	runnerMu  sync.Mutex
	theRunner *sandbox.Runner
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "provernet-programs-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	buildDir = dir
	code := m.Run()
	if theRunner != nil {
		theRunner.Close(context.Background())
	}
	os.RemoveAll(dir)
	os.Exit(code)
}

// wasm builds ./<pkg> (relative to this directory) for wasip1/wasm once.
func wasm(t *testing.T, pkg string) string {
	t.Helper()
	out := filepath.Join(buildDir, strings.ReplaceAll(pkg, "/", "_")+".wasm")
	buildMu.Lock()
	defer buildMu.Unlock()
	err, done := built[pkg]
	if !done {
		cmd := exec.Command("go", "build", "-o", out, "./"+pkg)
		cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm")
		if b, cerr := cmd.CombinedOutput(); cerr != nil {
			err = fmt.Errorf("go build ./%s: %v\n%s", pkg, cerr, b)
		}
		built[pkg] = err
	}
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func runner(t *testing.T) *sandbox.Runner {
	t.Helper()
	runnerMu.Lock()
	defer runnerMu.Unlock()
	if theRunner == nil {
		// The zk host module is offered to every program, as the
		// network's workers do; the pure-wasm programs just do not
		// import it.
		cfg := sandbox.Config{MemoryPages: 16384, Hosts: []sandbox.Host{zkhost.New(zkhost.Options{})}}
		// Compiled code is kept between test runs when a user cache
		// directory exists (it is keyed by the module's hash).
		if d, err := os.UserCacheDir(); err == nil {
			cfg.CacheDir = filepath.Join(d, "provernet", "wazero-test")
		}
		r, err := sandbox.NewRunner(context.Background(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		theRunner = r
	}
	return theRunner
}

// program is a compiled module.
type program [32]byte

// programs builds and compiles NAME/prover and NAME/verifier.
func programs(t *testing.T, name string) (prover, verifier program) {
	t.Helper()
	return module(t, name+"/prover"), module(t, name+"/verifier")
}

// module builds and compiles one main package (relative to this directory).
func module(t *testing.T, pkg string) program {
	t.Helper()
	b, err := os.ReadFile(wasm(t, pkg))
	if err != nil {
		t.Fatal(err)
	}
	p, err := runner(t).Compile(context.Background(), b)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// result is one run, as the tests look at it.
type result struct {
	Outcome    sandbox.Outcome
	ExitCode   int
	Proof      []byte
	Stderr     string
	Duration   time.Duration
	Cycles     uint64
	HostCycles uint64
}

// run stages the input files (and the proof) under /in and runs the module.
func run(t *testing.T, p program, role sandbox.Role, inputs []string, proof []byte) result {
	t.Helper()
	return runSeeded(t, p, role, inputs, proof, nil)
}

// runSeeded is run with the prover's randomness seed (nil: random).
func runSeeded(t *testing.T, p program, role sandbox.Role, inputs []string, proof, seed []byte) result {
	t.Helper()
	dir := t.TempDir()
	var names []string
	for _, in := range inputs {
		b, err := os.ReadFile(in)
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, filepath.Base(in))
		writeFile(t, dir, filepath.Base(in), b)
	}
	if role == sandbox.Verify {
		writeFile(t, dir, "proof", proof)
		names = append(names, "proof")
	}
	res, err := runner(t).Run(context.Background(), sandbox.Job{Program: p, Role: role, InDir: dir, Inputs: names, Seed: seed,
		Limits: sandbox.Limits{Cycles: 1 << 42, MaxOutput: 1 << 20}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Outcome == sandbox.OutcomeFail || (res.Outcome == sandbox.OutcomeError && res.ExitCode == 0) {
		t.Fatalf("%s: %s %s\nstderr: %s", role, res.Outcome, res.Detail, res.Stderr)
	}
	return result{Outcome: res.Outcome, ExitCode: int(res.ExitCode), Proof: res.Output, Stderr: res.Stderr,
		Duration: res.Wall, Cycles: res.Cycles, HostCycles: res.HostCycles}
}

func writeFile(t *testing.T, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func prove(t *testing.T, p program, inputs []string) result {
	t.Helper()
	return run(t, p, sandbox.Prove, inputs, nil)
}

func verify(t *testing.T, p program, inputs []string, proof []byte) int {
	t.Helper()
	return verifyRun(t, p, inputs, proof).ExitCode
}

func verifyRun(t *testing.T, p program, inputs []string, proof []byte) result {
	t.Helper()
	res := run(t, p, sandbox.Verify, inputs, proof)
	t.Logf("verify: exit %d in %v, %d cycles (host %d), stderr %q", res.ExitCode, res.Duration, res.Cycles, res.HostCycles, firstLine(res.Stderr))
	return res
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}

func TestSHA256ChainWasm(t *testing.T) {
	prover, verifier := programs(t, "sha256-chain")
	dir := t.TempDir()
	in := writeFile(t, dir, "input.json", []byte(`{"seed": "70726f7665726e6574", "iterations": 1000}`))

	res := prove(t, prover, []string{in})
	if res.ExitCode != 0 || len(res.Proof) != 32 {
		t.Fatalf("prover: exit %d, %d-byte proof, stderr %s", res.ExitCode, len(res.Proof), res.Stderr)
	}
	t.Logf("prove: %v, %d cycles", res.Duration, res.Cycles)
	if code := verify(t, verifier, []string{in}, res.Proof); code != progio.ExitValid {
		t.Fatalf("valid proof: verifier exit %d", code)
	}
	bad := bytes.Clone(res.Proof)
	bad[5] ^= 1
	if code := verify(t, verifier, []string{in}, bad); code != progio.ExitInvalid {
		t.Fatalf("tampered proof: verifier exit %d, want 1", code)
	}
	if code := verify(t, verifier, []string{in}, res.Proof[:31]); code != progio.ExitInvalid {
		t.Fatalf("short proof: verifier exit %d, want 1", code)
	}
	// Malformed input: exit 2, for both.
	junk := writeFile(t, t.TempDir(), "input.json", []byte(`{"seed": 1}`))
	if code := verify(t, verifier, []string{junk}, res.Proof); code != progio.ExitMalformed {
		t.Fatalf("malformed input: verifier exit %d, want 2", code)
	}
	if res := prove(t, prover, []string{junk}); res.ExitCode != progio.ExitMalformed {
		t.Fatalf("malformed input: prover exit %d, want 2", res.ExitCode)
	}
	// The sample input is fast.
	res = prove(t, prover, []string{"sha256-chain/input.json"})
	if res.ExitCode != 0 {
		t.Fatalf("sample input: exit %d: %s", res.ExitCode, res.Stderr)
	}
	if code := verify(t, verifier, []string{"sha256-chain/input.json"}, res.Proof); code != 0 {
		t.Fatalf("sample input: verifier exit %d", code)
	}
}

func TestBenchWasm(t *testing.T) {
	prover, verifier := programs(t, "bench")
	in := writeFile(t, t.TempDir(), "input.json",
		[]byte(`{"seed": "01", "memory_mib": 2, "segments": 4, "passes": 1, "samples": 4}`))
	res := prove(t, prover, []string{in})
	if res.ExitCode != 0 {
		t.Fatalf("prover exit %d: %s", res.ExitCode, res.Stderr)
	}
	t.Logf("prove: %v, %d cycles", res.Duration, res.Cycles)
	if code := verify(t, verifier, []string{in}, res.Proof); code != 0 {
		t.Fatalf("valid proof: verifier exit %d", code)
	}
	bad := bytes.Clone(res.Proof)
	bad[len(bad)-1] ^= 1
	if code := verify(t, verifier, []string{in}, bad); code != progio.ExitInvalid {
		t.Fatalf("tampered proof: verifier exit %d, want 1", code)
	}
}

// TestGroth16MiMCWasm proves with the pure-wasm reference prover for a
// small chain, and checks the proof with gnark's native verifier and with
// the reference verifier.
func TestGroth16MiMCWasm(t *testing.T) {
	prover, verifier := module(t, "groth16-mimc/prover-wasm"), module(t, "groth16-mimc/verifier-wasm")
	g := g16(t)
	inputs, vk, y := g.inputs, g.vk, g.y
	n := g16N

	res := prove(t, prover, inputs)
	if res.ExitCode != 0 {
		t.Fatalf("prover exit %d: %s", res.ExitCode, res.Stderr)
	}
	t.Logf("prove in wasm: %v, %d cycles, %d-byte proof", res.Duration, res.Cycles, len(res.Proof))

	// gnark's native verifier accepts the wasm proof.
	proof, public, err := g16mimc.DecodeProof(res.Proof)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := g16mimc.PublicY(public); err != nil || !got.Equal(&y) {
		t.Fatalf("public y = %s, %v; want %s", got.String(), err, y.String())
	}
	if proof.CurveID() != ecc.BN254 {
		t.Fatalf("curve %v", proof.CurveID())
	}
	if err := groth16.Verify(proof, vk, public); err != nil {
		t.Fatalf("native groth16.Verify rejects the wasm proof: %v", err)
	}

	// The wasm verifier accepts it, and rejects tampered proofs.
	if code := verify(t, verifier, inputs, res.Proof); code != progio.ExitValid {
		t.Fatalf("valid proof: verifier exit %d", code)
	}
	for _, i := range []int{len(g16mimc.Magic) + 4 + 10, len(g16mimc.Magic) + 4 + 40, len(res.Proof) - 1} {
		bad := bytes.Clone(res.Proof)
		bad[i] ^= 0x01
		if code := verify(t, verifier, inputs, bad); code != progio.ExitInvalid {
			t.Fatalf("proof byte %d flipped: verifier exit %d, want 1", i, code)
		}
	}

	// A wrong preimage: the prover fails and writes no proof.
	badIn := []string{inputs[0], inputs[1], inputs[2], writeFile(t, t.TempDir(), "input.json",
		fmt.Appendf(nil, `{"n": %d, "x": "1", "y": "%s"}`, n, y.String()))}
	if res := prove(t, prover, badIn); res.ExitCode != progio.ExitInvalid || res.Proof != nil {
		t.Fatalf("wrong preimage: prover exit %d, proof %d bytes; want 1, none", res.ExitCode, len(res.Proof))
	}
}
