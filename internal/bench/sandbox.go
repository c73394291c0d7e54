package bench

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"

	"github.com/provernet/provernet/internal/sandbox"
)

// SandboxOptions size the sandbox benchmark.
type SandboxOptions struct {
	Programs string // directory of `make programs` output
	// Logs are the groth16-mimc sizes proved through the host backend, as
	// log2 of the constraint count.
	Logs []int
	// WasmLogs are the sizes also proved by the pure-wasm reference
	// prover (natively on one thread, as wasm, metered).
	WasmLogs []int
	// PlonkLog is the size of the PLONK example's case (0: none).
	PlonkLog int
	// Runs is the rounds of every case; the paths of a case take turns.
	Runs int
	// Exe is the binary that serves as sandbox and native worker: it must
	// serve NativeWorkerArgs too, as provernet-bench (and a test binary)
	// does. "" means this process's own executable.
	Exe string
	// Hosts makes the host modules of the in-process runners (cache
	// warming, start times); the workers get theirs from exe. The provernet
	// binary passes zkhost.Hosts.
	Hosts    sandbox.HostsFunc
	Progress io.Writer
}

// SandboxResult is the sandbox benchmark's JSON report. Every timed figure
// is the median of the runs (key _s or _ms) with its [min, max] beside it
// (key _range); ratios are ratios of medians.
type SandboxResult struct {
	// The pure-wasm path at its smallest size: unmetered wasm / native on
	// one thread, and metered / unmetered - 1.
	WasmVsNative     float64 `json:"wasm_vs_native"`
	MeteringOverhead float64 `json:"metering_overhead"`

	Cases     []SandboxCase   `json:"cases"`
	Verifiers []VerifierStart `json:"verifiers"`
	// WasmVerifier is the pure-wasm reference verifier, for comparison.
	WasmVerifier *ModuleStart `json:"wasm_verifier,omitempty"`

	Runs    int     `json:"runs"`
	Cores   int     `json:"cores"` // the host path's cores (all of them)
	Method  string  `json:"method"`
	Machine Machine `json:"machine"`
	// LoadAvg is the machine's one-minute load average when the bench
	// started and when it ended: above ~0.5 per core, something else was
	// running and the times are not those of a quiet machine.
	LoadAvg [2]float64 `json:"load_avg_1m"`
}

// SandboxCase is one circuit at one size, with the figures of each path
// that ran at it.
type SandboxCase struct {
	Program        string `json:"program"` // directory under --programs
	System         string `json:"system"`
	Curve          string `json:"curve"`
	LogConstraints int    `json:"log_constraints"`
	Constraints    int    `json:"constraints"`
	ChainLength    int    `json:"chain_length"`
	PKBytes        int64  `json:"pk_bytes"`
	CSBytes        int64  `json:"cs_bytes"`

	Wasm *WasmFigures `json:"wasm,omitempty"`
	Host *HostFigures `json:"host,omitempty"`
}

// WasmFigures compare the pure-wasm reference prover with its own code
// compiled natively, all on one core: the wasm is single-threaded.
type WasmFigures struct {
	Module           string     `json:"module"`
	NativeS          float64    `json:"native_s"` // native, one core, the prover's own code, whole process
	NativeSRange     [2]float64 `json:"native_s_range"`
	WasmS            float64    `json:"wasm_s"` // worker process, unmetered
	WasmSRange       [2]float64 `json:"wasm_s_range"`
	WasmRunS         float64    `json:"wasm_run_s"` // of which the run inside the worker
	WasmRunSRange    [2]float64 `json:"wasm_run_s_range"`
	MeteredS         float64    `json:"metered_s"` // worker process, metered (the network's sandbox)
	MeteredSRange    [2]float64 `json:"metered_s_range"`
	MeteredRunS      float64    `json:"metered_run_s"` // of which the run inside the worker
	MeteredRunSRange [2]float64 `json:"metered_run_s_range"`
	// CPU seconds (user + system) of the child processes: steadier than
	// wall time on a busy machine.
	NativeCPUS       float64    `json:"native_cpu_s"`
	NativeCPUSRange  [2]float64 `json:"native_cpu_s_range"`
	WasmCPUS         float64    `json:"wasm_cpu_s"`
	WasmCPUSRange    [2]float64 `json:"wasm_cpu_s_range"`
	MeteredCPUS      float64    `json:"metered_cpu_s"`
	MeteredCPUSRange [2]float64 `json:"metered_cpu_s_range"`
	Cycles           uint64     `json:"cycles"` // the fewest of the runs
	CyclesRange      [2]uint64  `json:"cycles_range"`
	// CyclesIdentical is usually false here: each run gets a fresh prover
	// seed, as on the network, and gnark's blinding with other values runs
	// other instruction counts (a few parts in 10^4).
	CyclesIdentical  bool    `json:"cycles_identical"`
	WasmVsNative     float64 `json:"wasm_vs_native"`
	MeteringOverhead float64 `json:"metering_overhead"`
	// The same ratios of CPU seconds.
	WasmVsNativeCPU     float64 `json:"wasm_vs_native_cpu"`
	MeteringOverheadCPU float64 `json:"metering_overhead_cpu"`
}

// HostFigures compare the host-backed prover in the metered sandbox with
// gnark natively, both on all cores, and time the host-backed verifier.
type HostFigures struct {
	Prover            string     `json:"prover"`
	Cores             int        `json:"cores"`
	NativeS           float64    `json:"native_s"` // native gnark, whole process
	NativeSRange      [2]float64 `json:"native_s_range"`
	NativeRunS        float64    `json:"native_run_s"` // of which the work, without process start
	NativeRunSRange   [2]float64 `json:"native_run_s_range"`
	SandboxS          float64    `json:"sandbox_s"` // worker process, metered, host backend
	SandboxSRange     [2]float64 `json:"sandbox_s_range"`
	SandboxRunS       float64    `json:"sandbox_run_s"` // of which instantiate + the program's run
	SandboxRunSRange  [2]float64 `json:"sandbox_run_s_range"`
	HostVsNative      float64    `json:"host_vs_native"`
	HostVsNativeRange [2]float64 `json:"host_vs_native_range"` // round by round
	// CPU seconds (user + system) of the child processes, and their
	// ratio: steadier than wall time when something else is running, but
	// blind to how well a path keeps the cores busy (wall time shows that).
	NativeCPUS       float64    `json:"native_cpu_s"`
	NativeCPUSRange  [2]float64 `json:"native_cpu_s_range"`
	SandboxCPUS      float64    `json:"sandbox_cpu_s"`
	SandboxCPUSRange [2]float64 `json:"sandbox_cpu_s_range"`
	HostVsNativeCPU  float64    `json:"host_vs_native_cpu"`
	Cycles           uint64     `json:"cycles"` // charged, host calls included (the fewest of the runs)
	CyclesRange      [2]uint64  `json:"cycles_range"`
	HostCycles       uint64     `json:"host_cycles"` // of which host calls
	// CyclesIdentical: every run charged the same cycles in all. Each run
	// gets a fresh prover seed, as on the network, and the guest's Go
	// runtime draws its randomness (map hash seeds) from it, so its wasm
	// part can differ by a few thousand cycles; the host calls' charges
	// depend on sizes only (HostCyclesIdentical).
	CyclesIdentical     bool       `json:"cycles_identical"`
	HostCyclesIdentical bool       `json:"host_cycles_identical"`
	Verifier            string     `json:"verifier"`
	VerifyS             float64    `json:"verify_s"` // worker process, metered, warm cache
	VerifySRange        [2]float64 `json:"verify_s_range"`
	VerifyCycles        uint64     `json:"verify_cycles"`
	VerifyHostCycles    uint64     `json:"verify_host_cycles"`
	VerifyIdentical     bool       `json:"verify_cycles_identical"`
}

// Sandbox measures proving in the network's sandbox against native gnark,
// each path the way it runs in production or for a user: the sandbox
// paths in worker processes (sandbox.Exec of exe), the native ones in
// processes of their own (NativeWorkerArgs), rounds interleaved.
func Sandbox(ctx context.Context, o SandboxOptions) (*SandboxResult, error) {
	b, err := newSandboxBench(o)
	if err != nil {
		return nil, err
	}
	defer b.close()
	res := &SandboxResult{Runs: b.o.Runs, Cores: runtime.NumCPU(), Machine: machine(), Method: sandboxMethod}
	res.LoadAvg[0] = loadAvg()
	if busy := res.LoadAvg[0] / float64(res.Cores); busy > 0.5 {
		fmt.Fprintf(b.o.Progress, "warning: load average %.1f on %d cores: the machine is busy, the times may not be those of a quiet one\n", res.LoadAvg[0], res.Cores)
	}
	defer func() { res.LoadAvg[1] = loadAvg() }()
	for _, c := range b.plan() {
		sc, err := b.runCase(ctx, c)
		if err != nil {
			return nil, err
		}
		res.Cases = append(res.Cases, *sc)
	}
	if res.Verifiers, res.WasmVerifier, err = b.verifierStarts(ctx); err != nil {
		return nil, err
	}
	for _, c := range res.Cases {
		if c.Wasm != nil {
			res.WasmVsNative, res.MeteringOverhead = c.Wasm.WasmVsNative, c.Wasm.MeteringOverhead
			break
		}
	}
	return res, nil
}

const sandboxMethod = "every path in a child process of this binary, timed whole by the parent " +
	"(pure-wasm paths: a fresh sandbox.Exec worker per run; host paths: a sandbox.Pool worker kept between jobs, " +
	"as the prover daemon keeps them, started by an untimed job of the case's program; " +
	"all with a warm wazero file cache and a fresh prover seed per run; host-path CPU is the worker's own during the job; " +
	"native: a native worker); pure-wasm paths on 1 core, host paths on all; " +
	"the paths of a case run in interleaved rounds; verifier start is in-process: a fresh runner, " +
	"Compile, and a run with a one-cycle budget (instantiate, fail at the first block)"

// sandboxBench is one run of the benchmark: its options, the worker
// binary and a scratch directory holding the wazero cache and case files.
type sandboxBench struct {
	o        SandboxOptions
	exe      string
	scratch  string
	cacheDir string
	// pool runs the host paths in kept workers, as a prover daemon does.
	pool *sandbox.Pool
}

func newSandboxBench(o SandboxOptions) (*sandboxBench, error) {
	if o.Progress == nil {
		o.Progress = io.Discard
	}
	if o.Runs < 1 {
		o.Runs = 1
	}
	if o.Exe == "" {
		exe, err := os.Executable()
		if err != nil {
			return nil, fmt.Errorf("find the worker binary: %w", err)
		}
		o.Exe = exe
	}
	if err := checkModules(o); err != nil {
		return nil, err
	}
	scratch, err := os.MkdirTemp("", "provernet-bench-sandbox-")
	if err != nil {
		return nil, err
	}
	b := &sandboxBench{o: o, exe: o.Exe, scratch: scratch, cacheDir: filepath.Join(scratch, "wazero-cache")}
	return b, nil
}

func (b *sandboxBench) close() {
	if b.pool != nil {
		b.pool.Close()
	}
	_ = os.RemoveAll(b.scratch)
}

// hosts are the host modules of an in-process runner.
func (b *sandboxBench) hosts() []sandbox.Host {
	if b.o.Hosts == nil {
		return nil
	}
	return b.o.Hosts(0, 0)
}

// checkModules fails early, before any key is made, if a module the plan
// needs is missing.
func checkModules(o SandboxOptions) error {
	var missing []string
	need := func(ex *example, names ...string) {
		for _, n := range names {
			p := filepath.Join(o.Programs, ex.name, n)
			if _, err := os.Stat(p); err != nil {
				missing = append(missing, p)
			}
		}
	}
	if len(o.WasmLogs) > 0 {
		need(groth16Example, groth16Example.wasmProver, groth16Example.wasmVerifier)
	}
	if len(o.Logs) > 0 {
		need(groth16Example, groth16Example.prover, groth16Example.verifier)
	}
	if o.PlonkLog > 0 {
		need(plonkExample, plonkExample.prover, plonkExample.verifier)
	}
	if len(missing) > 0 {
		return fmt.Errorf("missing %v: %w", missing, os.ErrNotExist)
	}
	return nil
}

// plannedCase is one circuit size and the paths to run at it.
type plannedCase struct {
	ex   *example
	log  int
	wasm bool
	host bool
}

// plan lists the cases: groth16-mimc at every size of Logs and WasmLogs
// (one case per size, so paths at the same size share keys and rounds),
// then the PLONK example.
func (b *sandboxBench) plan() []plannedCase {
	logs := slices.Concat(b.o.Logs, b.o.WasmLogs)
	slices.Sort(logs)
	logs = slices.Compact(logs)
	var cs []plannedCase
	for _, lg := range logs {
		cs = append(cs, plannedCase{ex: groth16Example, log: lg,
			wasm: slices.Contains(b.o.WasmLogs, lg), host: slices.Contains(b.o.Logs, lg)})
	}
	if b.o.PlonkLog > 0 {
		cs = append(cs, plannedCase{ex: plonkExample, log: b.o.PlonkLog, host: true})
	}
	return cs
}

// loadAvg is the one-minute load average (0 where /proc is not there).
func loadAvg() float64 {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return 0
	}
	f, _, _ := strings.Cut(string(b), " ")
	v, _ := strconv.ParseFloat(f, 64)
	return v
}
