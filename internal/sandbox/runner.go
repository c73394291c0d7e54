package sandbox

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"runtime"
	"sync"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/experimental"
	"github.com/tetratelabs/wazero/experimental/sysfs"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"
	"github.com/tetratelabs/wazero/sys"

	"github.com/provernet/provernet/internal/sandbox/meter"
)

// DefaultMemoryPages caps a program's memory at 2 GiB.
const DefaultMemoryPages = 32768

// ioBytesPerCycle: reads and writes through WASI cost one cycle per this
// many bytes, on top of the host call itself.
const ioBytesPerCycle = 16

// maxStderr bounds how much of a program's stderr is kept (for errors).
const maxStderr = 16 << 10

// Config configures a Runner.
type Config struct {
	// CacheDir holds wazero's compilation cache (per program hash), so a
	// program is compiled once per machine; "" keeps it in memory only.
	CacheDir string
	// Interpreter selects wazero's interpreter instead of its compiler
	// (tests check both count the same cycles).
	Interpreter bool
	// Cache, if set, is a compilation cache shared with other Runners of
	// the process (it takes precedence over CacheDir).
	Cache wazero.CompilationCache
	// MemoryPages caps every program's memory (0: DefaultMemoryPages).
	MemoryPages uint32
	// Interruptible lets a cancelled context stop a running program. It
	// costs a check at every function call and loop (about 2.5x slower
	// Groth16 proving), so the worker process leaves it off and relies on
	// being killed instead.
	Interruptible bool
	// Unmetered runs programs as given, without cycle metering: only for
	// measuring what metering costs (bench sandbox). Cycles are then 0 and
	// no budget is enforced.
	Unmetered bool
	// Meter sets the cycle cost model (zero: meter's defaults).
	Meter meter.Options
	// Hosts are the host modules programs may import besides WASI
	// (hostcall.go).
	Hosts []Host
}

// Runner compiles and runs programs. It is safe for concurrent use.
type Runner struct {
	cfg   Config
	rt    wazero.Runtime
	hosts map[string]bool // import module names programs may use

	mu       sync.Mutex
	compiled map[[32]byte]wazero.CompiledModule
}

// ErrUnknownProgram is returned by Run for a program not compiled first.
var ErrUnknownProgram = errors.New("program not compiled")

// NewRunner starts a wazero runtime with WASI preview 1.
func NewRunner(ctx context.Context, cfg Config) (*Runner, error) {
	if cfg.MemoryPages == 0 {
		cfg.MemoryPages = DefaultMemoryPages
	}
	rc := wazero.NewRuntimeConfigCompiler()
	if cfg.Interpreter {
		rc = wazero.NewRuntimeConfigInterpreter()
	}
	rc = rc.WithMemoryLimitPages(cfg.MemoryPages).WithMemoryCapacityFromMax(true).WithCloseOnContextDone(cfg.Interruptible)
	if cfg.Cache != nil {
		rc = rc.WithCompilationCache(cfg.Cache)
	} else if cfg.CacheDir != "" {
		cache, err := wazero.NewCompilationCacheWithDir(cfg.CacheDir)
		if err != nil {
			return nil, fmt.Errorf("failed to open compilation cache: %w", err)
		}
		rc = rc.WithCompilationCache(cache)
	}
	rt := wazero.NewRuntimeWithConfig(ctx, rc)
	if _, err := wasi_snapshot_preview1.Instantiate(ctx, rt); err != nil {
		_ = rt.Close(ctx)
		return nil, fmt.Errorf("failed to instantiate WASI: %w", err)
	}
	hosts := map[string]bool{wasi_snapshot_preview1.ModuleName: true}
	for _, h := range cfg.Hosts {
		if err := h.Instantiate(ctx, rt); err != nil {
			_ = rt.Close(ctx)
			return nil, fmt.Errorf("failed to instantiate host module %s: %w", h.Name(), err)
		}
		hosts[h.Name()] = true
	}
	return &Runner{cfg: cfg, rt: rt, hosts: hosts, compiled: make(map[[32]byte]wazero.CompiledModule)}, nil
}

// Close releases the runtime.
func (r *Runner) Close(ctx context.Context) error { return r.rt.Close(ctx) }

// Compile instruments and compiles a program, once per hash, and returns
// its hash (SHA-256 of the bytes as given).
func (r *Runner) Compile(ctx context.Context, wasm []byte) ([32]byte, error) {
	h := sha256.Sum256(wasm)
	r.mu.Lock()
	_, ok := r.compiled[h]
	r.mu.Unlock()
	if ok {
		return h, nil
	}
	metered := wasm
	if !r.cfg.Unmetered {
		var err error
		if metered, err = r.instrument(h, wasm); err != nil {
			return h, fmt.Errorf("failed to instrument program %x: %w", h[:6], err)
		}
	}
	cm, err := r.rt.CompileModule(ctx, metered)
	if err != nil {
		return h, fmt.Errorf("failed to compile program %x: %w", h[:6], err)
	}
	if err := r.checkImports(cm); err != nil {
		_ = cm.Close(ctx)
		return h, err
	}
	r.mu.Lock()
	r.compiled[h] = cm
	r.mu.Unlock()
	return h, nil
}

// checkImports refuses programs that import anything but WASI preview 1
// and the configured host modules.
func (r *Runner) checkImports(cm wazero.CompiledModule) error {
	for _, f := range cm.ImportedFunctions() {
		if mod, name, _ := f.Import(); !r.hosts[mod] {
			return fmt.Errorf("program imports %s.%s: only %s and this runner's host modules are available", mod, name, wasi_snapshot_preview1.ModuleName)
		}
	}
	return nil
}

// Run runs a compiled program to completion, cycle exhaustion or the
// wall-clock backstop.
func (r *Runner) Run(ctx context.Context, job Job) (*Result, error) {
	r.mu.Lock()
	cm, ok := r.compiled[job.Program]
	r.mu.Unlock()
	if !ok {
		return nil, fmt.Errorf("%w: %x", ErrUnknownProgram, job.Program[:6])
	}
	if job.Limits.Wall > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, job.Limits.Wall)
		defer cancel()
	}
	g := &gas{}
	out := &outFS{max: job.Limits.MaxOutput, onWrite: g.chargeIO}
	stderr := &capped{max: maxStderr}
	mc, err := r.moduleConfig(job, g, out, stderr)
	if err != nil {
		return nil, err
	}
	start := time.Now()
	mem := newRunMemory()
	defer mem.release() // after mod.Close below: deferred calls run last first
	mod, err := r.rt.InstantiateModule(experimental.WithMemoryAllocator(ctx, mem.allocator()), cm, mc)
	if err != nil {
		return nil, fmt.Errorf("failed to instantiate program: %w", err)
	}
	defer mod.Close(context.Background())
	if !r.cfg.Unmetered {
		if err := g.attach(mod, job.Limits.Cycles); err != nil {
			return nil, err
		}
	}
	st := &runState{info: RunInfo{Role: job.Role, InDir: job.InDir, Inputs: job.Inputs, Cores: job.Cores}}
	if st.info.Cores <= 0 {
		st.info.Cores = runtime.GOMAXPROCS(0)
	}
	_, callErr := mod.ExportedFunction("_start").Call(context.WithValue(ctx, runKey{}, st))
	res := classify(job, g, out, callErr, ctx.Err())
	res.HostCycles = st.hostCycles
	if res.Outcome == OutcomeError && callErr != nil && r.depthExceeded(mod) {
		res.Detail = fmt.Sprintf("call depth limit (%d frame units) exceeded", r.maxDepth())
	}
	res.Stderr, res.Wall = stderr.String(), time.Since(start)
	return res, nil
}

func (r *Runner) moduleConfig(job Job, g *gas, out *outFS, stderr io.Writer) (wazero.ModuleConfig, error) {
	args := []string{"program", job.Role.String()}
	for _, in := range job.Inputs {
		args = append(args, "/in/"+in)
	}
	fsc := wazero.NewFSConfig()
	if job.InDir != "" {
		fsc = fsc.(sysfs.FSConfig).WithSysFSMount(newInFS(job.InDir, g.chargeIO), "/in")
	}
	if job.Role == Prove {
		fsc = fsc.(sysfs.FSConfig).WithSysFSMount(out, "/out")
	}
	mc := wazero.NewModuleConfig().
		WithName("").
		WithArgs(args...).
		WithEnv("GOGC", "100").
		WithFSConfig(fsc).
		WithStartFunctions(). // _start is called after the budget is set
		WithStdout(&charged{w: io.Discard, charge: g.chargeIO}).
		WithStderr(&charged{w: stderr, charge: g.chargeIO})
	if job.Role == Prove {
		src, err := proverEntropy(job.Seed)
		if err != nil {
			return nil, err
		}
		mc = mc.WithRandSource(src)
	}
	return mc, nil
}

// proverEntropy is a ChaCha8 stream keyed by the job's secret seed (or a
// fresh one): unpredictable to anyone else, reproducible for tests.
func proverEntropy(seed []byte) (io.Reader, error) {
	var key [32]byte
	switch len(seed) {
	case 32:
		copy(key[:], seed)
	case 0:
		if _, err := rand.Read(key[:]); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("prover seed is %d bytes, want 32", len(seed))
	}
	return mrand.NewChaCha8(key), nil
}

// classify turns how _start ended into a Result.
func classify(job Job, g *gas, out *outFS, callErr, ctxErr error) *Result {
	res := &Result{Cycles: g.used()}
	var exit *sys.ExitError
	switch {
	case g.exhausted():
		res.Outcome, res.Cycles = OutcomeFail, job.Limits.Cycles
		return res
	case out.tooBig:
		res.Outcome, res.Detail = OutcomeError, fmt.Sprintf("output exceeds %d bytes", job.Limits.MaxOutput)
		return res
	case ctxErr != nil:
		res.Outcome, res.Detail, res.Machine = OutcomeError, "stopped by the wall-clock limit: "+ctxErr.Error(), MachineWall
		return res
	case errors.As(callErr, &exit):
		res.ExitCode = exit.ExitCode()
	case callErr != nil:
		res.Outcome, res.Detail = OutcomeError, "trapped: "+callErr.Error()
		return res
	}
	switch {
	case job.Role == Verify && res.ExitCode == 0:
		res.Outcome = OutcomeValid
	case job.Role == Verify && res.ExitCode == 1:
		res.Outcome = OutcomeInvalid
	case job.Role == Prove && res.ExitCode == 0 && out.exists:
		res.Outcome, res.Output = OutcomeProof, bytes.Clone(out.data)
	case job.Role == Prove && res.ExitCode == 0:
		res.Outcome, res.Detail = OutcomeError, "the program exited without writing /out/proof"
	default:
		res.Outcome, res.Detail = OutcomeError, fmt.Sprintf("the program exited with code %d", res.ExitCode)
	}
	return res
}

// gas is the budget global of a running program, seen from the host.
type gas struct {
	g      api.MutableGlobal
	budget uint64
}

func (g *gas) attach(mod api.Module, budget uint64) error {
	mg, ok := mod.ExportedGlobal(meter.GasExport).(api.MutableGlobal)
	if !ok {
		return fmt.Errorf("program has no %s global: was it instrumented?", meter.GasExport)
	}
	g.g, g.budget = mg, budget
	mg.Set(budget)
	return nil
}

func (g *gas) remaining() int64 {
	if g.g == nil {
		return int64(g.budget)
	}
	return int64(g.g.Get())
}

func (g *gas) exhausted() bool { return g.remaining() < 0 }

func (g *gas) used() uint64 {
	if r := g.remaining(); r >= 0 {
		return g.budget - uint64(r)
	}
	return g.budget
}

// chargeIO takes the cost of moving n bytes through WASI from the budget;
// if it goes negative, the program traps at its next basic block.
func (g *gas) chargeIO(n int) {
	if g.g == nil || n <= 0 {
		return
	}
	g.g.Set(uint64(g.remaining() - int64((n+ioBytesPerCycle-1)/ioBytesPerCycle)))
}

// charged passes writes on and charges them.
type charged struct {
	w      io.Writer
	charge func(int)
}

func (c *charged) Write(p []byte) (int, error) {
	c.charge(len(p))
	return c.w.Write(p)
}

// capped keeps the first max bytes written to it.
type capped struct {
	buf bytes.Buffer
	max int
}

func (c *capped) Write(p []byte) (int, error) {
	if room := c.max - c.buf.Len(); room > 0 {
		c.buf.Write(p[:min(room, len(p))])
	}
	return len(p), nil
}

func (c *capped) String() string { return c.buf.String() }

// depthExceeded reports whether a trap was the meter's call-depth limit.
func (r *Runner) depthExceeded(mod api.Module) bool {
	g := mod.ExportedGlobal(meter.DepthExport)
	return g != nil && uint64(uint32(g.Get())) > uint64(r.maxDepth())
}

func (r *Runner) maxDepth() uint32 {
	if d := r.cfg.Meter.MaxCallDepth; d != 0 {
		return uint32(d)
	}
	return uint32(meter.DefaultMaxCallDepth)
}
