package bench

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"time"

	g16mimc "github.com/provernet/provernet/examples/programs/groth16-mimc"
	"github.com/provernet/provernet/internal/sandbox"
)

// SandboxOptions size the sandbox benchmark.
type SandboxOptions struct {
	Programs string // directory of `make programs` output
	Logs     []int  // circuit sizes, as log2 of the constraint count
	Runs     int    // runs per figure; the median is reported
	Progress io.Writer
}

// SandboxResult is the sandbox benchmark's JSON report.
type SandboxResult struct {
	Cases            []SandboxCase `json:"cases"`
	MeteringOverhead float64       `json:"metering_overhead"` // metered/unmetered - 1, at the smallest size
	WasmVsNative     float64       `json:"wasm_vs_native"`    // unmetered wasm / native, at the smallest size
	ColdStartS       float64       `json:"cold_start_s"`      // compile the prover module, empty cache
	CachedStartS     float64       `json:"cached_start_s"`    // the same, from wazero's file cache
	Runs             int           `json:"runs"`
	Machine          Machine       `json:"machine"`
}

// SandboxCase is one circuit size.
type SandboxCase struct {
	Constraints      int     `json:"constraints"`
	ChainLength      int     `json:"chain_length"`
	NativeS          float64 `json:"native_s"`  // native, GOMAXPROCS=1, whole prover
	WasmS            float64 `json:"wasm_s"`    // wasm, unmetered
	MeteredS         float64 `json:"metered_s"` // wasm, metered (the network's sandbox)
	Cycles           uint64  `json:"cycles"`    // metered count
	WasmVsNative     float64 `json:"wasm_vs_native"`
	MeteringOverhead float64 `json:"metering_overhead"`
}

// Sandbox measures the groth16-mimc prover natively on one thread, in wasm
// without metering and in the metered sandbox, and how long a prover module
// takes to become runnable from an empty and from a warm compilation cache.
func Sandbox(ctx context.Context, o SandboxOptions) (*SandboxResult, error) {
	if o.Progress == nil {
		o.Progress = io.Discard
	}
	if o.Runs < 1 {
		o.Runs = 1
	}
	wasm, err := os.ReadFile(filepath.Join(o.Programs, "groth16-mimc", "prover.wasm"))
	if err != nil {
		return nil, fmt.Errorf("%w (build the example programs with `make programs`)", err)
	}
	res := &SandboxResult{Runs: o.Runs, Machine: machine()}
	if res.ColdStartS, res.CachedStartS, err = startTimes(ctx, wasm); err != nil {
		return nil, err
	}
	fmt.Fprintf(o.Progress, "start: cold %.2fs, cached %.2fs\n", res.ColdStartS, res.CachedStartS)
	for _, lg := range o.Logs {
		c, err := sandboxCase(ctx, o, wasm, lg)
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(o.Progress, "2^%d: native %.2fs, wasm %.2fs, metered %.2fs\n", lg, c.NativeS, c.WasmS, c.MeteredS)
		res.Cases = append(res.Cases, *c)
	}
	if len(res.Cases) > 0 {
		res.MeteringOverhead, res.WasmVsNative = res.Cases[0].MeteringOverhead, res.Cases[0].WasmVsNative
	}
	return res, nil
}

func startTimes(ctx context.Context, wasm []byte) (cold, cached float64, err error) {
	dir, err := os.MkdirTemp("", "provernet-bench-cache-")
	if err != nil {
		return 0, 0, err
	}
	defer os.RemoveAll(dir)
	start := func() (float64, error) {
		t0 := time.Now()
		r, err := sandbox.NewRunner(ctx, sandbox.Config{CacheDir: dir})
		if err != nil {
			return 0, err
		}
		defer r.Close(ctx)
		if _, err := r.Compile(ctx, wasm); err != nil {
			return 0, err
		}
		return time.Since(t0).Seconds(), nil
	}
	if cold, err = start(); err != nil {
		return 0, 0, err
	}
	cached, err = start()
	return round3(cold), round3(cached), err
}

func sandboxCase(ctx context.Context, o SandboxOptions, wasm []byte, lg int) (*SandboxCase, error) {
	n, err := g16mimc.ChainLengthFor(lg)
	if err != nil {
		return nil, err
	}
	ccs, pk, vk, err := g16mimc.Setup(n, g16mimc.DevSeed)
	if err != nil {
		return nil, err
	}
	var pkb, vkb bytes.Buffer
	if err := g16mimc.WriteKeys(pk, vk, &pkb, &vkb); err != nil {
		return nil, err
	}
	input := fmt.Appendf(nil, `{"n": %d, "x": "42"}`, n)
	dir, err := os.MkdirTemp("", "provernet-bench-g16-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	for name, b := range map[string][]byte{"pk.bin": pkb.Bytes(), "vk.bin": vkb.Bytes(), "input.json": input} {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
			return nil, err
		}
	}
	c := &SandboxCase{Constraints: ccs.GetNbConstraints(), ChainLength: n}
	if c.NativeS, err = median(o.Runs, func() error { return proveNative(pkb.Bytes(), vkb.Bytes(), input) }); err != nil {
		return nil, err
	}
	if c.WasmS, _, err = proveWasm(ctx, o.Runs, wasm, dir, true); err != nil {
		return nil, err
	}
	if c.MeteredS, c.Cycles, err = proveWasm(ctx, o.Runs, wasm, dir, false); err != nil {
		return nil, err
	}
	c.WasmVsNative = round3(c.WasmS / c.NativeS)
	c.MeteringOverhead = round3(c.MeteredS/c.WasmS - 1)
	return c, nil
}

// proveNative runs the prover's own code natively on one thread.
func proveNative(pk, vk, input []byte) error {
	prev := runtime.GOMAXPROCS(1)
	defer runtime.GOMAXPROCS(prev)
	_, err := g16mimc.ProveBytes(pk, vk, input)
	return err
}

func proveWasm(ctx context.Context, runs int, wasm []byte, dir string, unmetered bool) (float64, uint64, error) {
	r, err := sandbox.NewRunner(ctx, sandbox.Config{Unmetered: unmetered})
	if err != nil {
		return 0, 0, err
	}
	defer r.Close(ctx)
	h, err := r.Compile(ctx, wasm)
	if err != nil {
		return 0, 0, err
	}
	var cycles uint64
	s, err := median(runs, func() error {
		res, err := r.Run(ctx, sandbox.Job{Program: h, Role: sandbox.Prove, InDir: dir,
			Inputs: []string{"pk.bin", "vk.bin", "input.json"}, Limits: sandbox.Limits{Cycles: 1 << 42, MaxOutput: 1 << 20}})
		if err != nil {
			return err
		}
		if res.Outcome != sandbox.OutcomeProof {
			return fmt.Errorf("prover in wasm: %s %s %s", res.Outcome, res.Detail, res.Stderr)
		}
		cycles = res.Cycles
		return nil
	})
	return s, cycles, err
}

// median runs fn runs times and returns the median wall time in seconds.
func median(runs int, fn func() error) (float64, error) {
	times := make([]float64, 0, runs)
	for i := 0; i < runs; i++ {
		t0 := time.Now()
		if err := fn(); err != nil {
			return 0, err
		}
		times = append(times, time.Since(t0).Seconds())
	}
	sort.Float64s(times)
	return round3(times[len(times)/2]), nil
}

func round3(f float64) float64 { return float64(int64(f*1000+0.5)) / 1000 }
