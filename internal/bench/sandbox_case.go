package bench

import (
	"context"
	"crypto/rand"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"github.com/provernet/provernet/internal/sandbox"
)

// Path names within a case.
const (
	pathNative1  = "native-1core"
	pathWasm     = "wasm"
	pathMetered  = "metered"
	pathNative   = "native"
	pathHost     = "sandbox-host"
	pathVerifier = "verify-host"
)

// proveBudget is far above any charge of the bench's sizes: the bench
// measures, it does not price.
const proveBudget = 1 << 50

// runCase makes a case's keys, warms the compilation cache with its
// modules, and runs its paths in interleaved rounds.
func (b *sandboxBench) runCase(ctx context.Context, c plannedCase) (*SandboxCase, error) {
	label := fmt.Sprintf("%s 2^%d", c.ex.name, c.log)
	dir := filepath.Join(b.scratch, fmt.Sprintf("%s-%d", c.ex.name, c.log))
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir) // the files of 2^18 are over 100 MB
	t0 := time.Now()
	files, err := c.ex.setup(c.log, dir)
	if err != nil {
		return nil, fmt.Errorf("%s: setup: %w", label, err)
	}
	runtime.GC() // the parent holds no key while the children run
	fmt.Fprintf(b.o.Progress, "%s: setup of %d constraints in %.1fs\n", label, files.constraints, since(t0))
	sc := &SandboxCase{Program: c.ex.name, System: c.ex.system, Curve: c.ex.curve, LogConstraints: c.log,
		Constraints: files.constraints, ChainLength: files.chainLength,
		PKBytes: fileSize(filepath.Join(dir, "pk.bin")), CSBytes: fileSize(filepath.Join(dir, "cs.bin"))}
	var paths []benchPath
	if c.wasm {
		ps, err := b.wasmPaths(ctx, c.ex, dir)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", label, err)
		}
		paths = append(paths, ps...)
	}
	if c.host {
		ps, err := b.hostPaths(ctx, c.ex, dir)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", label, err)
		}
		paths = append(paths, ps...)
	}
	got, err := interleave(ctx, b.o.Runs, label, paths, b.o.Progress)
	if err != nil {
		return nil, err
	}
	if c.wasm {
		sc.Wasm = wasmFigures(c.ex, got)
		fmt.Fprintf(b.o.Progress, "%s: wasm/native %.2fx, metering %+.1f%%\n", label, sc.Wasm.WasmVsNative, 100*sc.Wasm.MeteringOverhead)
	}
	if c.host {
		sc.Host = hostFigures(c.ex, got)
		fmt.Fprintf(b.o.Progress, "%s: host/native %.3fx\n", label, sc.Host.HostVsNative)
	}
	return sc, nil
}

// wasmPaths are the pure-wasm reference prover natively on one core,
// unmetered and metered. The worker gets one core too: the program is
// single-threaded wasm, so the comparison stays on one core.
func (b *sandboxBench) wasmPaths(ctx context.Context, ex *example, dir string) ([]benchPath, error) {
	mod := filepath.Join(b.o.Programs, ex.name, ex.wasmProver)
	for _, unmetered := range []bool{true, false} {
		if err := b.warmCache(ctx, mod, unmetered); err != nil {
			return nil, err
		}
	}
	job := func(unmetered bool) sandbox.WorkerJob {
		return sandbox.WorkerJob{Program: mod, Role: sandbox.Prove, InDir: dir, Inputs: ex.wasmInputs,
			CacheDir: b.cacheDir, Cores: 1, Unmetered: unmetered,
			Limits: sandbox.Limits{Cycles: proveBudget, MaxOutput: 1 << 20}}
	}
	prove := func(unmetered bool) func(context.Context, int) (runSample, error) {
		return func(ctx context.Context, _ int) (runSample, error) {
			s, _, err := b.execSandbox(ctx, job(unmetered), sandbox.OutcomeProof)
			return s, err
		}
	}
	return []benchPath{
		{pathNative1, func(ctx context.Context, _ int) (runSample, error) {
			return execNative(ctx, b.exe, nativeJob{Kind: ex.nativeProgram, Dir: dir, Cores: 1})
		}},
		{pathWasm, prove(true)},
		{pathMetered, prove(false)},
	}, nil
}

// hostPaths are gnark natively on all cores, the host-backed prover in the
// metered sandbox on all cores, and the host-backed verifier checking the
// proof of the same round.
func (b *sandboxBench) hostPaths(ctx context.Context, ex *example, dir string) ([]benchPath, error) {
	prover := filepath.Join(b.o.Programs, ex.name, ex.prover)
	verifier := filepath.Join(b.o.Programs, ex.name, ex.verifier)
	for _, m := range []string{prover, verifier} {
		if err := b.warmCache(ctx, m, false); err != nil {
			return nil, err
		}
	}
	cores := runtime.NumCPU()
	var proofErr error
	proveJob := func() sandbox.WorkerJob {
		return sandbox.WorkerJob{Program: prover, Role: sandbox.Prove, InDir: dir,
			Inputs: ex.inputs, Seed: freshSeed(), CacheDir: b.cacheDir, Cores: cores,
			Limits: sandbox.Limits{Cycles: proveBudget, MaxOutput: 1 << 20}}
	}
	// A prover serving Runs of this program has a worker that has run it.
	if _, _, err := b.execPooled(ctx, proveJob(), sandbox.OutcomeProof); err != nil {
		return nil, err
	}
	return []benchPath{
		{pathNative, func(ctx context.Context, _ int) (runSample, error) {
			return execNative(ctx, b.exe, nativeJob{Kind: ex.native, Dir: dir, Cores: cores})
		}},
		{pathHost, func(ctx context.Context, _ int) (runSample, error) {
			s, res, err := b.execPooled(ctx, proveJob(), sandbox.OutcomeProof)
			if err == nil {
				proofErr = os.WriteFile(filepath.Join(dir, "proof"), res.Output, 0o600)
			}
			return s, err
		}},
		{pathVerifier, func(ctx context.Context, _ int) (runSample, error) {
			if proofErr != nil {
				return runSample{}, proofErr
			}
			s, _, err := b.execSandbox(ctx, sandbox.WorkerJob{Program: verifier, Role: sandbox.Verify, InDir: dir,
				Inputs: append(ex.inputs[:len(ex.inputs):len(ex.inputs)], "proof"), CacheDir: b.cacheDir, Cores: cores,
				Limits: sandbox.Limits{Cycles: proveBudget, MaxOutput: 1 << 20}}, sandbox.OutcomeValid)
			return s, err
		}},
	}, nil
}

// execSandbox runs a job in a worker process, as a prover does, and times
// it whole from here.
func (b *sandboxBench) execSandbox(ctx context.Context, job sandbox.WorkerJob, want sandbox.Outcome) (runSample, *sandbox.Result, error) {
	t0, c0 := time.Now(), childCPU()
	res, err := sandbox.Exec(ctx, b.exe, job)
	wall, cpu := since(t0), childCPU()-c0
	if err != nil {
		return runSample{}, nil, fmt.Errorf("worker: %w", err)
	}
	if res.Outcome != want {
		return runSample{}, nil, fmt.Errorf("%s: %s, want %s: %s %s", filepath.Base(job.Program), res.Outcome, want, res.Detail, lastLines(res.Stderr))
	}
	return runSample{wall: wall, inner: res.Wall.Seconds(), cpu: cpu, cycles: res.Cycles, hostCycles: res.HostCycles}, res, nil
}

// execPooled runs a job in the bench's pool of kept workers, as a prover
// daemon does; the CPU time is the worker's own during the job.
func (b *sandboxBench) execPooled(ctx context.Context, job sandbox.WorkerJob, want sandbox.Outcome) (runSample, *sandbox.Result, error) {
	if b.pool == nil {
		b.pool = sandbox.NewPool(b.exe, 1)
	}
	t0 := time.Now()
	res, err := b.pool.Exec(ctx, job)
	wall := since(t0)
	if err != nil {
		return runSample{}, nil, fmt.Errorf("worker: %w", err)
	}
	if res.Outcome != want {
		return runSample{}, nil, fmt.Errorf("%s: %s, want %s: %s %s", filepath.Base(job.Program), res.Outcome, want, res.Detail, lastLines(res.Stderr))
	}
	return runSample{wall: wall, inner: res.Wall.Seconds(), cpu: res.CPU.Seconds(), cycles: res.Cycles, hostCycles: res.HostCycles}, res, nil
}

// warmCache compiles a module once into the bench's wazero cache, as a
// prover has done by the time it runs a program again: the timed runs
// then measure proving, not a first compilation.
func (b *sandboxBench) warmCache(ctx context.Context, path string, unmetered bool) error {
	wasm, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	r, err := sandbox.NewRunner(ctx, sandbox.Config{CacheDir: b.cacheDir, Unmetered: unmetered, Hosts: b.hosts()})
	if err != nil {
		return err
	}
	defer r.Close(ctx)
	if _, err := r.Compile(ctx, wasm); err != nil {
		return fmt.Errorf("compile %s: %w", filepath.Base(path), err)
	}
	return nil
}

// freshSeed is a prover's secret randomness, new for every job as on the
// network.
func freshSeed() []byte {
	s := make([]byte, 32)
	_, _ = rand.Read(s)
	return s
}

func wasmFigures(ex *example, got map[string][]runSample) *WasmFigures {
	f := &WasmFigures{Module: ex.wasmProver}
	native, wasm, metered := walls(got[pathNative1]), walls(got[pathWasm]), walls(got[pathMetered])
	f.NativeS, f.NativeSRange = spread(native)
	f.WasmS, f.WasmSRange = spread(wasm)
	f.MeteredS, f.MeteredSRange = spread(metered)
	f.WasmRunS, f.WasmRunSRange = spread(inners(got[pathWasm]))
	f.MeteredRunS, f.MeteredRunSRange = spread(inners(got[pathMetered]))
	f.NativeCPUS, f.NativeCPUSRange = spread(cpus(got[pathNative1]))
	f.WasmCPUS, f.WasmCPUSRange = spread(cpus(got[pathWasm]))
	f.MeteredCPUS, f.MeteredCPUSRange = spread(cpus(got[pathMetered]))
	cy := cycleSpread(got[pathMetered])
	f.Cycles, f.CyclesRange, f.CyclesIdentical = cy.rng[0], cy.rng, cy.identical
	f.WasmVsNative = ratio(f.WasmS, f.NativeS)
	f.MeteringOverhead = round3(ratio(f.MeteredS, f.WasmS) - 1)
	f.WasmVsNativeCPU = ratio(f.WasmCPUS, f.NativeCPUS)
	f.MeteringOverheadCPU = round3(ratio(f.MeteredCPUS, f.WasmCPUS) - 1)
	return f
}

func hostFigures(ex *example, got map[string][]runSample) *HostFigures {
	f := &HostFigures{Prover: ex.prover, Verifier: ex.verifier, Cores: runtime.NumCPU()}
	native, host := walls(got[pathNative]), walls(got[pathHost])
	f.NativeS, f.NativeSRange = spread(native)
	f.NativeRunS, f.NativeRunSRange = spread(inners(got[pathNative]))
	f.SandboxS, f.SandboxSRange = spread(host)
	f.SandboxRunS, f.SandboxRunSRange = spread(inners(got[pathHost]))
	f.NativeCPUS, f.NativeCPUSRange = spread(cpus(got[pathNative]))
	f.SandboxCPUS, f.SandboxCPUSRange = spread(cpus(got[pathHost]))
	f.HostVsNative = ratio(f.SandboxS, f.NativeS)
	f.HostVsNativeCPU = ratio(f.SandboxCPUS, f.NativeCPUS)
	_, f.HostVsNativeRange = spread(ratios(host, native))
	cy := cycleSpread(got[pathHost])
	f.Cycles, f.CyclesRange, f.CyclesIdentical = cy.rng[0], cy.rng, cy.identical
	f.HostCycles, f.HostCyclesIdentical = cy.host, cy.hostIdentical
	f.VerifyS, f.VerifySRange = spread(walls(got[pathVerifier]))
	vc := cycleSpread(got[pathVerifier])
	f.VerifyCycles, f.VerifyHostCycles, f.VerifyIdentical = vc.rng[0], vc.host, vc.identical && vc.hostIdentical
	return f
}
