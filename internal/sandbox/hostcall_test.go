package sandbox

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
)

// testHost is a host module for the tests: charge(n) charges n cycles;
// sum(ptr, n) charges 1000 + n/16 and then sums n bytes of guest memory.
type testHost struct{ worked atomic.Int64 }

func (*testHost) Name() string { return "provernet_test_v1" }

func (h *testHost) Instantiate(ctx context.Context, rt wazero.Runtime) error {
	_, err := rt.NewHostModuleBuilder(h.Name()).
		NewFunctionBuilder().WithGoModuleFunction(api.GoModuleFunc(func(ctx context.Context, mod api.Module, stack []uint64) {
		Charge(ctx, mod, stack[0])
		h.worked.Add(1)
		stack[0] = 0
	}), []api.ValueType{api.ValueTypeI64}, []api.ValueType{api.ValueTypeI32}).Export("charge").
		NewFunctionBuilder().WithGoModuleFunction(api.GoModuleFunc(func(ctx context.Context, mod api.Module, stack []uint64) {
		ptr, n := api.DecodeU32(stack[0]), api.DecodeU32(stack[1])
		Charge(ctx, mod, 1000+uint64(n)/16) // before touching memory
		buf, ok := mod.Memory().Read(ptr, n)
		if !ok {
			panic(errors.New("provernet_test_v1.sum: range outside memory"))
		}
		h.worked.Add(1)
		var s uint64
		for _, b := range buf {
			s += uint64(b)
		}
		stack[0] = s
	}), []api.ValueType{api.ValueTypeI32, api.ValueTypeI32}, []api.ValueType{api.ValueTypeI64}).Export("sum").
		Instantiate(ctx)
	return err
}

// hostGuest returns testdata/hostguest built for wasip1.
func hostGuest(t *testing.T) []byte { return mustWasm(t, buildHostGuest) }

func hostRun(t *testing.T, r *Runner, cmd string, cycles uint64) *Result {
	t.Helper()
	h, err := r.Compile(context.Background(), hostGuest(t))
	if err != nil {
		t.Fatal(err)
	}
	res, err := r.Run(context.Background(), Job{Program: h, Role: Prove, InDir: inputDir(t, map[string]string{"cmd": cmd}), Inputs: []string{"cmd"},
		Seed: make([]byte, 32), Limits: Limits{Cycles: cycles, MaxOutput: 1 << 20, Wall: time.Minute}})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// TestHostCallCharges: a host call's charge adds exactly to the run's
// cycles on both engines; a budget that cannot pay it ends the run as out
// of cycles with the host's work not done; a range outside guest memory is
// an error outcome, not a crash.
func TestHostCallCharges(t *testing.T) {
	for _, interp := range []bool{false, true} {
		host := &testHost{}
		r, err := NewRunner(context.Background(), Config{Interpreter: interp, MemoryPages: 4096, Cache: testCache, Interruptible: true, Hosts: []Host{host}})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { r.Close(context.Background()) })
		// Same digits, so the same guest path: the counts differ by the charges.
		base := hostRun(t, r, "charge 4000000", lots)
		big := hostRun(t, r, "charge 5000000", lots)
		if base.Outcome != OutcomeProof || big.Outcome != OutcomeProof || big.Cycles-base.Cycles != 1_000_000 || big.HostCycles != 5_000_000 {
			t.Fatalf("interpreter=%t: charge 4e6: %v; charge 5e6: %v host %d", interp, base, big, big.HostCycles)
		}
		if exact := hostRun(t, r, "charge 5000000", big.Cycles); exact.Outcome != OutcomeProof {
			t.Fatalf("interpreter=%t: a budget of exactly the count: %v", interp, exact)
		}
		if short := hostRun(t, r, "charge 5000000", big.Cycles-1); short.Outcome != OutcomeFail || short.Cycles != big.Cycles-1 {
			t.Fatalf("interpreter=%t: one cycle short: %v after %d cycles", interp, short, short.Cycles)
		}
		// A budget that cannot pay the charge when the call comes (a
		// million short of it): the call's work is never done.
		before := host.worked.Load()
		cannot := hostRun(t, r, "charge 5000000", big.Cycles-1_000_000)
		if cannot.Outcome != OutcomeFail || cannot.Cycles != big.Cycles-1_000_000 || cannot.HostCycles != 0 || host.worked.Load() != before {
			t.Fatalf("interpreter=%t: a budget short of the charge: %v after %d cycles, host %d, work done %d times", interp, cannot, cannot.Cycles, cannot.HostCycles, host.worked.Load()-before)
		}
		sum := hostRun(t, r, "sum", lots)
		if want := fmt.Sprint(uint64(1<<20) / 256 * (255 * 256 / 2)); sum.Outcome != OutcomeProof || string(sum.Output) != want || sum.HostCycles != 1000+(1<<20)/16 {
			t.Fatalf("interpreter=%t: sum: %v %q (want %s), host %d", interp, sum, sum.Output, want, sum.HostCycles)
		}
		if out := hostRun(t, r, "outside", lots); out.Outcome != OutcomeError || !strings.Contains(out.Detail, "outside memory") {
			t.Fatalf("interpreter=%t: a range outside memory: %v %q", interp, out, out.Detail)
		}
	}
}

// TestUnknownHostRefused: a runner without the host module refuses a
// program that imports it.
func TestUnknownHostRefused(t *testing.T) {
	_, err := newRunner(t, false).Compile(context.Background(), hostGuest(t))
	if err == nil || !strings.Contains(err.Error(), "provernet_test_v1") {
		t.Fatalf("Compile of a program importing an unknown module: %v", err)
	}
}
