package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/provernet/provernet/internal/sandbox"
	"github.com/provernet/provernet/internal/zkhost"
)

// TestMain lets the test binary serve as both workers bench sandbox
// starts, as the provernet-bench binary does: the sandbox worker (with the
// proof-system host) and the native worker; sandbox.WorkerExecutable (the
// default Exe, and the devnets' prover daemons) finds it.
func TestMain(m *testing.M) {
	switch {
	case len(os.Args) > 1 && os.Args[1] == sandbox.WorkerCommand:
		exitWith(sandbox.RunWorker(context.Background(), os.Stdin, os.Stdout, testHosts))
	case IsNativeWorker(os.Args[1:]):
		exitWith(RunNativeWorker(context.Background(), os.Stdin, os.Stdout))
	}
	exe, err := os.Executable()
	if err != nil {
		exitWith(err)
	}
	os.Setenv(sandbox.WorkerEnv, exe)
	os.Exit(m.Run())
}

func exitWith(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Exit(0)
}

// testHosts are the host modules of the test's workers and runners, as
// the provernet binary's.
var testHosts sandbox.HostsFunc = zkhost.Hosts

// testModules are the modules the bench needs, by their place in the
// build/programs layout, and the packages they are built from.
var testModules = map[string]string{
	"groth16-mimc/prover.wasm":        "groth16-mimc/prover",
	"groth16-mimc/verifier.wasm":      "groth16-mimc/verifier",
	"groth16-mimc/prover-wasm.wasm":   "groth16-mimc/prover-wasm",
	"groth16-mimc/verifier-wasm.wasm": "groth16-mimc/verifier-wasm",
	"plonk-mimc/prover.wasm":          "plonk-mimc/prover",
	"plonk-mimc/verifier.wasm":        "plonk-mimc/verifier",
}

// buildTestPrograms builds testModules into a build/programs layout.
func buildTestPrograms(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for out, pkg := range testModules {
		cmd := exec.Command("go", "build", "-trimpath", "-buildvcs=false", "-o", filepath.Join(dir, out), "../../examples/programs/"+pkg)
		cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm")
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Skipf("cannot build the example programs: build %s: %v\n%s", pkg, err, b)
		}
	}
	return dir
}

// TestSandboxTiny runs the whole sandbox bench at 2^10 constraints, two
// rounds, through real worker processes (this test binary), and checks
// the report: every path ran, every figure is positive, the charged
// cycles are the same in both rounds.
func TestSandboxTiny(t *testing.T) {
	programs := buildTestPrograms(t)
	var progress strings.Builder
	res, err := Sandbox(context.Background(), SandboxOptions{
		Programs: programs, Logs: []int{10}, WasmLogs: []int{10}, PlonkLog: 10, Runs: 2, Hosts: testHosts, Progress: &progress,
	})
	if err != nil {
		t.Fatalf("%v\n%s", err, progress.String())
	}
	b, _ := json.MarshalIndent(res, "", "  ")
	t.Logf("%s", b)
	checkSandboxReport(t, res)
}

func checkSandboxReport(t *testing.T, res *SandboxResult) {
	t.Helper()
	if len(res.Cases) != 2 || res.Runs != 2 || res.Machine.CPUs < 1 {
		t.Fatalf("want two cases of two runs on a described machine, got %d cases, %d runs, %+v", len(res.Cases), res.Runs, res.Machine)
	}
	checkWasmCase(t, res)
	for i, want := range []string{"groth16-mimc", "plonk-mimc"} {
		if c := res.Cases[i]; c.Program != want || c.Host == nil {
			t.Errorf("case %d: %s with host figures %v, want %s with", i, c.Program, c.Host != nil, want)
		} else {
			checkHostCase(t, c)
		}
	}
	if len(res.Verifiers) != 2 {
		t.Fatalf("%d verifier starts, want 2", len(res.Verifiers))
	}
	for _, v := range res.Verifiers {
		positive(t, v.Program+" verifier", map[string]float64{"wasm_bytes": float64(v.WasmBytes), "verify_start_cold_ms": v.VerifyStartColdMs,
			"verify_start_warm_ms": v.VerifyStartWarmMs, "compile_ms": v.WarmBreakdownMs.Compile, "instantiate_ms": v.WarmBreakdownMs.Instantiate})
		ranged(t, v.Program+" verify_start_warm_ms", v.VerifyStartWarmMs, v.VerifyStartWarmMsRange)
	}
}

func checkWasmCase(t *testing.T, res *SandboxResult) {
	t.Helper()
	c := res.Cases[0]
	if c.LogConstraints != 10 || c.Constraints <= 0 || c.Constraints > 1<<10 || c.PKBytes <= 0 {
		t.Errorf("case: 2^%d, %d constraints, pk %d bytes", c.LogConstraints, c.Constraints, c.PKBytes)
	}
	w := c.Wasm
	if w == nil {
		t.Fatal("no pure-wasm figures")
	}
	positive(t, "wasm", map[string]float64{"native_s": w.NativeS, "wasm_s": w.WasmS, "metered_s": w.MeteredS,
		"metered_run_s": w.MeteredRunS, "wasm_vs_native": w.WasmVsNative, "cycles": float64(w.Cycles)})
	ranged(t, "native_s", w.NativeS, w.NativeSRange)
	ranged(t, "metered_s", w.MeteredS, w.MeteredSRange)
	if w.MeteredRunS > w.MeteredS {
		t.Errorf("the run inside the worker (%.3fs) outlasts the whole worker (%.3fs)", w.MeteredRunS, w.MeteredS)
	}
	if res.WasmVsNative != w.WasmVsNative || res.MeteringOverhead != w.MeteringOverhead {
		t.Errorf("top-level figures %v/%v are not the case's %v/%v", res.WasmVsNative, res.MeteringOverhead, w.WasmVsNative, w.MeteringOverhead)
	}
	// Fresh prover seeds make the pure-wasm prover's count vary slightly.
	if lo, hi := w.CyclesRange[0], w.CyclesRange[1]; lo == 0 || lo != w.Cycles || float64(hi-lo) > 1e-3*float64(lo) {
		t.Errorf("metered cycles %d, range %v: want within 0.1%%", w.Cycles, w.CyclesRange)
	}
	v := res.WasmVerifier
	if v == nil {
		t.Fatal("no reference verifier start")
	}
	positive(t, "wasm verifier", map[string]float64{"wasm_bytes": float64(v.WasmBytes), "start_cold_ms": v.StartColdMs,
		"start_warm_ms": v.StartWarmMs, "instantiate_ms": v.WarmBreakdownMs.Instantiate})
}

func checkHostCase(t *testing.T, c SandboxCase) {
	t.Helper()
	h := c.Host
	positive(t, c.Program+" host", map[string]float64{"native_s": h.NativeS, "native_run_s": h.NativeRunS, "sandbox_s": h.SandboxS,
		"sandbox_run_s": h.SandboxRunS, "host_vs_native": h.HostVsNative, "cycles": float64(h.Cycles), "host_cycles": float64(h.HostCycles),
		"verify_s": h.VerifyS, "verify_cycles": float64(h.VerifyCycles), "verify_host_cycles": float64(h.VerifyHostCycles)})
	ranged(t, c.Program+" native_s", h.NativeS, h.NativeSRange)
	ranged(t, c.Program+" sandbox_s", h.SandboxS, h.SandboxSRange)
	if h.HostCycles >= h.Cycles {
		t.Errorf("%s: host cycles %d are not part of the %d charged", c.Program, h.HostCycles, h.Cycles)
	}
	// The host charges from sizes only; the verifier gets no entropy; the
	// prover's wasm part may vary with its fresh seed, but only slightly.
	if !h.HostCyclesIdentical || !h.VerifyIdentical {
		t.Errorf("%s: charges differ between runs: host calls identical %t, verifier identical %t", c.Program, h.HostCyclesIdentical, h.VerifyIdentical)
	}
	if lo, hi := h.CyclesRange[0], h.CyclesRange[1]; lo != h.Cycles || float64(hi-lo) > 1e-4*float64(lo) || h.CyclesIdentical != (lo == hi) {
		t.Errorf("%s: prover cycles %d, range %v, identical %t", c.Program, h.Cycles, h.CyclesRange, h.CyclesIdentical)
	}
}

func positive(t *testing.T, what string, figs map[string]float64) {
	t.Helper()
	for k, f := range figs {
		if !(f > 0) {
			t.Errorf("%s: %s = %v, want > 0", what, k, f)
		}
	}
}

func ranged(t *testing.T, name string, median float64, r [2]float64) {
	t.Helper()
	if !(r[0] > 0 && r[0] <= median && median <= r[1]) {
		t.Errorf("%s: median %v outside its range %v", name, median, r)
	}
}
