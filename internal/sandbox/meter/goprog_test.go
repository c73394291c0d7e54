package meter

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"
	"github.com/tetratelabs/wazero/sys"
)

// The Go test program (testdata/sha256prog), built once per test binary
// with GOOS=wasip1 GOARCH=wasm, in a module of its own.
var goProg struct {
	once sync.Once
	wasm []byte
	err  error
	skip bool
}

func goProgram(tb testing.TB) []byte {
	tb.Helper()
	goProg.once.Do(func() {
		gobin, err := exec.LookPath("go")
		if err != nil {
			goProg.skip = true
			return
		}
		src, err := os.ReadFile(filepath.Join("testdata", "sha256prog", "main.go"))
		if err != nil {
			goProg.err = err
			return
		}
		dir, err := os.MkdirTemp("", "meter-sha256prog-")
		if err != nil {
			goProg.err = err
			return
		}
		defer os.RemoveAll(dir)
		if err := os.WriteFile(filepath.Join(dir, "main.go"), src, 0o644); err != nil {
			goProg.err = err
			return
		}
		if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module sha256prog\n\ngo 1.21\n"), 0o644); err != nil {
			goProg.err = err
			return
		}
		cmd := exec.Command(gobin, "build", "-o", "prog.wasm", ".")
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm", "GOWORK=off", "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			goProg.err = errors.New("go build: " + err.Error() + ": " + string(out))
			return
		}
		goProg.wasm, goProg.err = os.ReadFile(filepath.Join(dir, "prog.wasm"))
	})
	if goProg.skip {
		tb.Skip("go is not on PATH")
	}
	if goProg.err != nil {
		tb.Fatal(goProg.err)
	}
	return goProg.wasm
}

// goRunner runs one compiled WASI program, many times.
type goRunner struct {
	rt wazero.Runtime
	cm wazero.CompiledModule
}

func newGoRunner(tb testing.TB, cfg wazero.RuntimeConfig, wasm []byte) *goRunner {
	tb.Helper()
	ctx := context.Background()
	rt := wazero.NewRuntimeWithConfig(ctx, cfg.WithMemoryLimitPages(1024).WithCloseOnContextDone(true))
	wasi_snapshot_preview1.MustInstantiate(ctx, rt)
	cm, err := rt.CompileModule(ctx, wasm)
	if err != nil {
		rt.Close(ctx)
		tb.Fatalf("compile: %v", err)
	}
	tb.Cleanup(func() { rt.Close(ctx) })
	return &goRunner{rt: rt, cm: cm}
}

type goResult struct {
	remaining int64
	stdout    string
	exit      uint32 // exit code; 0 also when _start returned
	err       error  // a trap, if any
}

// run sets the budget (if the module is metered) and runs _start with
// args and stdin.
func (g *goRunner) run(tb testing.TB, budget int64, stdin string, args ...string) goResult {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var out bytes.Buffer
	mc := wazero.NewModuleConfig().WithName("").WithStartFunctions().
		WithArgs(append([]string{"prog"}, args...)...).
		WithStdin(bytes.NewReader([]byte(stdin))).WithStdout(&out).WithStderr(&out)
	mod, err := g.rt.InstantiateModule(ctx, g.cm, mc)
	if err != nil {
		tb.Fatalf("instantiate: %v", err)
	}
	defer mod.Close(ctx)
	var gas api.MutableGlobal
	if eg := mod.ExportedGlobal(GasExport); eg != nil {
		gas = eg.(api.MutableGlobal)
		gas.Set(uint64(budget))
	}
	_, err = mod.ExportedFunction("_start").Call(ctx)
	if ctx.Err() != nil {
		tb.Fatalf("the program did not stop by itself: %v", ctx.Err())
	}
	r := goResult{stdout: out.String(), err: err}
	var exit *sys.ExitError
	if errors.As(err, &exit) {
		r.exit, r.err = exit.ExitCode(), nil
	}
	if gas != nil {
		r.remaining = int64(gas.Get())
	}
	return r
}

const goBudget = 1 << 50

func (g *goRunner) cycles(tb testing.TB, stdin string, n string) (int64, string) {
	tb.Helper()
	r := g.run(tb, goBudget, stdin, n)
	if r.err != nil || r.exit != 0 {
		tb.Fatalf("run %s: exit %d, %v: %s", n, r.exit, r.err, r.stdout)
	}
	return goBudget - r.remaining, r.stdout
}

func TestGoProgram(t *testing.T) {
	wasm := goProgram(t)
	metered, err := Instrument(wasm, Options{})
	if err != nil {
		t.Fatal(err)
	}
	const stdin = "provernet metering test input\n"

	plain := newGoRunner(t, wazero.NewRuntimeConfigCompiler(), wasm)
	comp := newGoRunner(t, wazero.NewRuntimeConfigCompiler(), metered)

	// The instrumented program behaves as the original.
	want := plain.run(t, 0, stdin, "100")
	if want.err != nil || want.exit != 0 || len(want.stdout) != 65 {
		t.Fatalf("uninstrumented run: exit %d, %v: %q", want.exit, want.err, want.stdout)
	}
	c100, out := comp.cycles(t, stdin, "100")
	if out != want.stdout {
		t.Fatalf("instrumented output %q, uninstrumented %q", out, want.stdout)
	}
	if again, _ := comp.cycles(t, stdin, "100"); again != c100 {
		t.Fatalf("same run twice: %d then %d cycles", c100, again)
	}

	// The count is affine in the iteration count: the program's control
	// flow does not depend on the data, and "100", "200", "300" parse alike.
	c200, _ := comp.cycles(t, stdin, "200")
	c300, _ := comp.cycles(t, stdin, "300")
	perHash := (c200 - c100) / 100
	t.Logf("cycles: N=100 %d, N=200 %d, N=300 %d (%d per SHA-256 block)", c100, c200, c300, perHash)
	if c200-c100 != c300-c200 {
		t.Fatalf("not affine: %d, %d, %d", c100, c200, c300)
	}
	if (c200-c100)%100 != 0 || perHash < 1000 || perHash > 100000 {
		t.Fatalf("%d cycles per SHA-256 compression: implausible", perHash)
	}

	// Other engine, same count; the naive per-instruction reference agrees.
	interp := newGoRunner(t, wazero.NewRuntimeConfigInterpreter(), metered)
	if c, out := interp.cycles(t, stdin, "100"); c != c100 || out != want.stdout {
		t.Fatalf("interpreter: %d cycles (%q), compiler %d", c, out, c100)
	}
	naive, err := Instrument(wasm, Options{perInstruction: true})
	if err != nil {
		t.Fatal(err)
	}
	ref := newGoRunner(t, wazero.NewRuntimeConfigInterpreter(), naive)
	if c, _ := ref.cycles(t, stdin, "100"); c != c100 {
		t.Fatalf("per-instruction reference: %d cycles, basic blocks %d", c, c100)
	}

	// The NaN canonicalisation is not charged: without it, the same count.
	keep, err := Instrument(wasm, Options{keepNaNs: true})
	if err != nil {
		t.Fatal(err)
	}
	if c, out := newGoRunner(t, wazero.NewRuntimeConfigCompiler(), keep).cycles(t, stdin, "100"); c != c100 || out != want.stdout {
		t.Fatalf("without NaN canonicalisation: %d cycles (%q), with %d", c, out, c100)
	}

	// Budget edge: exactly enough runs to the end, one less fails.
	if r := comp.run(t, c100, stdin, "100"); r.err != nil || r.exit != 0 || r.remaining != 0 || r.stdout != want.stdout {
		t.Fatalf("budget = count: exit %d, %v, remaining %d", r.exit, r.err, r.remaining)
	}
	if r := comp.run(t, c100-1, stdin, "100"); r.err == nil || r.remaining >= 0 {
		t.Fatalf("budget = count-1: exit %d, %v, remaining %d", r.exit, r.err, r.remaining)
	}
}

// BenchmarkMeteredOverhead compares the sha256 program with and without
// metering under wazero's compiler; "overhead" is metered/plain run time.
func BenchmarkMeteredOverhead(b *testing.B) {
	wasm := goProgram(b)
	metered, err := Instrument(wasm, Options{})
	if err != nil {
		b.Fatal(err)
	}
	plain := newGoRunner(b, wazero.NewRuntimeConfigCompiler(), wasm)
	comp := newGoRunner(b, wazero.NewRuntimeConfigCompiler(), metered)
	const n = "20000"
	var tPlain, tMetered time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		p := plain.run(b, 0, "x", n)
		t1 := time.Now()
		m := comp.run(b, goBudget, "x", n)
		t2 := time.Now()
		if p.err != nil || m.err != nil || p.stdout != m.stdout {
			b.Fatalf("plain %v %q, metered %v %q", p.err, p.stdout, m.err, m.stdout)
		}
		tPlain += t1.Sub(t0)
		tMetered += t2.Sub(t1)
	}
	b.ReportMetric(float64(tPlain.Nanoseconds())/float64(b.N), "plain-ns/op")
	b.ReportMetric(float64(tMetered.Nanoseconds())/float64(b.N), "metered-ns/op")
	b.ReportMetric(float64(tMetered)/float64(tPlain), "overhead")
}
