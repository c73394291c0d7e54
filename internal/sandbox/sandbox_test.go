package sandbox

import (
	"context"
	"crypto/sha256"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tetratelabs/wazero"
)

// guests build each test guest for wasip1 once per test binary.
var (
	buildGuest     = sync.OnceValues(func() ([]byte, error) { return buildWasm("./testdata/guest") })
	buildHostGuest = sync.OnceValues(func() ([]byte, error) { return buildWasm("./testdata/hostguest") })
)

// guest returns testdata/guest built for wasip1.
func guest(t *testing.T) []byte { return mustWasm(t, buildGuest) }

// mustWasm returns a build's module or fails the test.
func mustWasm(t *testing.T, build func() ([]byte, error)) []byte {
	t.Helper()
	wasm, err := build()
	if err != nil {
		t.Fatal(err)
	}
	return wasm
}

// buildWasm builds the Go package pkg for wasip1 and returns the module.
func buildWasm(pkg string) ([]byte, error) {
	out := filepath.Join(os.TempDir(), fmt.Sprintf("provernet-%s-%d.wasm", filepath.Base(pkg), os.Getpid()))
	defer os.Remove(out)
	cmd := exec.Command("go", "build", "-o", out, pkg)
	cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm")
	if b, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("building %s: %v: %s", pkg, err, b)
	}
	return os.ReadFile(out)
}

// testCache shares compiled code between the tests' runners.
var testCache = wazero.NewCompilationCache()

func newRunner(t *testing.T, interp bool) *Runner {
	t.Helper()
	r, err := NewRunner(context.Background(), Config{Interpreter: interp, MemoryPages: 4096, Cache: testCache, Interruptible: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close(context.Background()) })
	return r
}

// inputDir writes files into a fresh directory.
func inputDir(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func run(t *testing.T, r *Runner, role Role, cmd string, cycles uint64, extra map[string]string) *Result {
	t.Helper()
	h, err := r.Compile(context.Background(), guest(t))
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{"cmd": cmd}
	inputs := []string{"cmd"}
	for k, v := range extra {
		files[k] = v
		inputs = append(inputs, k)
	}
	res, err := r.Run(context.Background(), Job{Program: h, Role: role, InDir: inputDir(t, files), Inputs: inputs,
		Seed: make([]byte, 32), Limits: Limits{Cycles: cycles, MaxOutput: 1 << 20, Wall: time.Minute}})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

const lots = 10_000_000_000

func TestProveAndVerify(t *testing.T) {
	r := newRunner(t, false)
	res := run(t, r, Prove, "hash 1000", lots, nil)
	if res.Outcome != OutcomeProof {
		t.Fatalf("prove: %v %s %s", res, res.Detail, res.Stderr)
	}
	sum := sha256.Sum256([]byte("hash 1000"))
	for i := 0; i < 1000; i++ {
		sum = sha256.Sum256(sum[:])
	}
	if string(res.Output) != fmt.Sprintf("%x", sum) {
		t.Fatalf("proof %q is not the hash chain", res.Output)
	}
	if v := run(t, r, Verify, "hash 1000", lots, map[string]string{"proof": string(res.Output)}); v.Outcome != OutcomeValid {
		t.Fatalf("verify of a good proof: %v %s", v, v.Detail)
	}
	if v := run(t, r, Verify, "hash 1000", lots, map[string]string{"proof": strings.Repeat("0", 64)}); v.Outcome != OutcomeInvalid {
		t.Fatalf("verify of a bad proof: %v %s", v, v.Detail)
	}
}

// TestCyclesDeterministic: the same module and input count the same cycles
// twice, and the same under the interpreter; a budget of exactly the count
// passes and one less fails.
func TestCyclesDeterministic(t *testing.T) {
	comp, interp := newRunner(t, false), newRunner(t, true)
	a := run(t, comp, Prove, "hash 200", lots, nil)
	b := run(t, comp, Prove, "hash 200", lots, nil)
	c := run(t, interp, Prove, "hash 200", lots, nil)
	if a.Outcome != OutcomeProof || a.Cycles == 0 || a.Cycles != b.Cycles || a.Cycles != c.Cycles {
		t.Fatalf("cycles: compiler %d and %d, interpreter %d (%s)", a.Cycles, b.Cycles, c.Cycles, a.Outcome)
	}
	more := run(t, comp, Prove, "hash 400", lots, nil)
	if more.Cycles <= a.Cycles {
		t.Fatalf("twice the work took %d cycles, not more than %d", more.Cycles, a.Cycles)
	}
	exact := run(t, comp, Prove, "hash 200", a.Cycles, nil)
	if exact.Outcome != OutcomeProof || exact.Cycles != a.Cycles {
		t.Fatalf("budget = count: %v", exact)
	}
	short := run(t, comp, Prove, "hash 200", a.Cycles-1, nil)
	if short.Outcome != OutcomeFail || short.Cycles != a.Cycles-1 {
		t.Fatalf("budget = count-1: %v", short)
	}
}

func TestHostileProgramsEndCleanly(t *testing.T) {
	r := newRunner(t, false)
	cases := []struct {
		cmd    string
		budget uint64
		want   Outcome
		detail string
	}{
		{"loop", 50_000_000, OutcomeFail, ""},
		{"membomb", lots, OutcomeError, ""},
		{"bigout", lots, OutcomeError, "output exceeds"},
		{"exit 3", lots, OutcomeError, "code 3"},
		{"noproof", lots, OutcomeError, "without writing"},
		{"recurse 1000000", lots, OutcomeError, "call depth limit"},
	}
	for _, c := range cases {
		res := run(t, r, Prove, c.cmd, c.budget, nil)
		if res.Outcome != c.want || !strings.Contains(res.Detail, c.detail) {
			t.Errorf("%s: %v %q, want %s containing %q", c.cmd, res, res.Detail, c.want, c.detail)
		}
	}
	if res := run(t, r, Prove, "recurse 1000", lots, nil); res.Outcome != OutcomeProof || string(res.Output) != "1000" {
		t.Errorf("recursion within the limit: %v %q %s", res, res.Output, res.Detail)
	}
	res := run(t, r, Prove, "escape", lots, nil)
	if res.Outcome != OutcomeProof || string(res.Output) != "contained" {
		t.Fatalf("escape: %v %q %s", res, res.Output, res.Stderr)
	}
}

// TestLoopingVerifierRunsOutOfItsBudget: a verifier that loops ends when
// its budget (the program's verify_cycles) is spent, with outcome Fail, which
// the daemon votes as invalid, after exactly the budget on every engine: every
// committee member reaches the same verdict at the same bounded cost.
func TestLoopingVerifierRunsOutOfItsBudget(t *testing.T) {
	const budget = 30_000_000
	for _, interp := range []bool{false, true} {
		res := run(t, newRunner(t, interp), Verify, "loop", budget, map[string]string{"proof": "x"})
		if res.Outcome != OutcomeFail || res.Cycles != budget {
			t.Fatalf("interpreter=%t: %v after %d cycles, want fail after exactly %d", interp, res.Outcome, res.Cycles, budget)
		}
	}
}

func TestProverEntropyIsSeeded(t *testing.T) {
	r := newRunner(t, false)
	h, _ := r.Compile(context.Background(), guest(t))
	dir := inputDir(t, map[string]string{"cmd": "random"})
	get := func(seed byte) string {
		res, err := r.Run(context.Background(), Job{Program: h, Role: Prove, InDir: dir, Inputs: []string{"cmd"},
			Seed: []byte(strings.Repeat(string(rune(seed)), 32)), Limits: Limits{Cycles: lots, MaxOutput: 1 << 10}})
		if err != nil || res.Outcome != OutcomeProof {
			t.Fatalf("random: %v %v", res, err)
		}
		return string(res.Output)
	}
	if a, b, c := get(1), get(1), get(2); a != b || a == c {
		t.Fatalf("entropy: same seed %q %q, other seed %q", a, b, c)
	}
}
