package bench

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/provernet/provernet/internal/sandbox"
	"github.com/provernet/provernet/internal/sandbox/meter"
)

// VerifierStart is how fast a committee member's fresh runner becomes
// ready to run a host-backed verifier: sandbox.NewRunner with a wazero
// compilation cache directory, Compile (metering instrumentation, then
// wazero's compile or cache load) and instantiation. Cold: an empty cache
// directory; warm: the same directory again, in a new runner.
type VerifierStart struct {
	Program                string     `json:"program"`
	Module                 string     `json:"module"`
	WasmBytes              int64      `json:"wasm_bytes"`
	VerifyStartColdMs      float64    `json:"verify_start_cold_ms"`
	VerifyStartColdMsRange [2]float64 `json:"verify_start_cold_ms_range"`
	VerifyStartWarmMs      float64    `json:"verify_start_warm_ms"`
	VerifyStartWarmMsRange [2]float64 `json:"verify_start_warm_ms_range"`
	// WarmBreakdownMs splits a warm start (medians).
	WarmBreakdownMs StartBreakdown `json:"warm_breakdown_ms"`
}

// StartBreakdown is where a start's time goes, in milliseconds.
type StartBreakdown struct {
	Runner  float64 `json:"runner"`  // NewRunner: wazero runtime, WASI, host modules
	Compile float64 `json:"compile"` // Runner.Compile: hash, metered form (cached), wazero decode, validate, cache load
	// InstrumentUncached is meter.Instrument of the module, timed apart:
	// what a warm start would add without the sandbox's cache of metered
	// modules (a cold start pays it).
	InstrumentUncached float64 `json:"instrument_uncached"`
	Instantiate        float64 `json:"instantiate"` // instantiate and stop at the first metered block
}

// ModuleStart is the same measurement for the pure-wasm reference
// verifier, named apart so that it is not taken for the host-backed one.
type ModuleStart struct {
	Module           string         `json:"module"`
	WasmBytes        int64          `json:"wasm_bytes"`
	StartColdMs      float64        `json:"start_cold_ms"`
	StartColdMsRange [2]float64     `json:"start_cold_ms_range"`
	StartWarmMs      float64        `json:"start_warm_ms"`
	StartWarmMsRange [2]float64     `json:"start_warm_ms_range"`
	WarmBreakdownMs  StartBreakdown `json:"warm_breakdown_ms"`
}

// startTiming is one start, split.
type startTiming struct{ runner, compile, instantiate float64 }

func (t startTiming) total() float64 { return t.runner + t.compile + t.instantiate }

// verifierStarts measures the host-backed verifiers of the examples that
// ran, and the pure-wasm reference verifier if it ran.
func (b *sandboxBench) verifierStarts(ctx context.Context) ([]VerifierStart, *ModuleStart, error) {
	var vs []VerifierStart
	var exs []*example
	if len(b.o.Logs) > 0 {
		exs = append(exs, groth16Example)
	}
	if b.o.PlonkLog > 0 {
		exs = append(exs, plonkExample)
	}
	for _, ex := range exs {
		path := filepath.Join(b.o.Programs, ex.name, ex.verifier)
		m, err := b.moduleStart(ctx, ex.name, path)
		if err != nil {
			return nil, nil, err
		}
		vs = append(vs, VerifierStart{Program: ex.name, Module: ex.verifier, WasmBytes: m.WasmBytes,
			VerifyStartColdMs: m.StartColdMs, VerifyStartColdMsRange: m.StartColdMsRange,
			VerifyStartWarmMs: m.StartWarmMs, VerifyStartWarmMsRange: m.StartWarmMsRange,
			WarmBreakdownMs: m.WarmBreakdownMs})
	}
	var ref *ModuleStart
	if len(b.o.WasmLogs) > 0 {
		m, err := b.moduleStart(ctx, groth16Example.name, filepath.Join(b.o.Programs, groth16Example.name, groth16Example.wasmVerifier))
		if err != nil {
			return nil, nil, err
		}
		ref = m
	}
	return vs, ref, nil
}

// moduleStart times cold and warm starts of a module, Runs rounds of a
// cold start in a new empty cache directory followed by a warm one in it.
func (b *sandboxBench) moduleStart(ctx context.Context, program, path string) (*ModuleStart, error) {
	wasm, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var cold, warm []float64
	var split []startTiming
	var instrument []float64
	for round := 0; round < b.o.Runs; round++ {
		dir, err := os.MkdirTemp(b.scratch, "start-cache-")
		if err != nil {
			return nil, err
		}
		c, err := startOnce(ctx, wasm, dir, b.hosts())
		if err != nil {
			return nil, fmt.Errorf("%s cold start: %w", filepath.Base(path), err)
		}
		w, err := startOnce(ctx, wasm, dir, b.hosts())
		if err != nil {
			return nil, fmt.Errorf("%s warm start: %w", filepath.Base(path), err)
		}
		t0 := time.Now()
		if _, err := meter.Instrument(wasm, meter.Options{}); err != nil {
			return nil, err
		}
		instrument = append(instrument, since(t0))
		cold, warm, split = append(cold, c.total()), append(warm, w.total()), append(split, w)
		_ = os.RemoveAll(dir)
		fmt.Fprintf(b.o.Progress, "%s %s: round %d/%d, start cold %.1fms, warm %.1fms\n",
			program, filepath.Base(path), round+1, b.o.Runs, 1000*c.total(), 1000*w.total())
	}
	m := &ModuleStart{Module: filepath.Base(path), WasmBytes: int64(len(wasm))}
	m.StartColdMs, m.StartColdMsRange = spread(toMs(cold))
	m.StartWarmMs, m.StartWarmMsRange = spread(toMs(warm))
	m.WarmBreakdownMs = breakdown(split, instrument)
	return m, nil
}

// startOnce makes a fresh runner on the cache directory, compiles the
// module and instantiates it: a run with a budget of one cycle stops at
// the module's first metered block, so it costs the instantiation and no
// verification. The sandbox has no separate instantiate step.
func startOnce(ctx context.Context, wasm []byte, cacheDir string, hosts []sandbox.Host) (startTiming, error) {
	var t startTiming
	t0 := time.Now()
	r, err := sandbox.NewRunner(ctx, sandbox.Config{CacheDir: cacheDir, Hosts: hosts})
	if err != nil {
		return t, err
	}
	defer r.Close(ctx)
	t1 := time.Now()
	h, err := r.Compile(ctx, wasm)
	if err != nil {
		return t, err
	}
	t2 := time.Now()
	res, err := r.Run(ctx, sandbox.Job{Program: h, Role: sandbox.Verify, Limits: sandbox.Limits{Cycles: 1}})
	if err != nil {
		return t, err
	}
	if res.Outcome != sandbox.OutcomeFail {
		return t, fmt.Errorf("a one-cycle run ended %s, want %s", res.Outcome, sandbox.OutcomeFail)
	}
	t3 := time.Now()
	t.runner, t.compile, t.instantiate = t1.Sub(t0).Seconds(), t2.Sub(t1).Seconds(), t3.Sub(t2).Seconds()
	return t, nil
}

func breakdown(ts []startTiming, instrument []float64) StartBreakdown {
	col := func(f func(startTiming) float64) float64 {
		xs := make([]float64, len(ts))
		for i, t := range ts {
			xs[i] = 1000 * f(t)
		}
		m, _ := spread(xs)
		return m
	}
	ins, _ := spread(toMs(instrument))
	return StartBreakdown{
		Runner:             col(func(t startTiming) float64 { return t.runner }),
		Compile:            col(func(t startTiming) float64 { return t.compile }),
		InstrumentUncached: ins,
		Instantiate:        col(func(t startTiming) float64 { return t.instantiate }),
	}
}
