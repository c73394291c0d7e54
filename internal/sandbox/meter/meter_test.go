package meter

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/sys"
)

type engineCfg struct {
	name string
	cfg  func() wazero.RuntimeConfig
}

var engines = []engineCfg{
	{"compiler", wazero.NewRuntimeConfigCompiler},
	{"interpreter", wazero.NewRuntimeConfigInterpreter},
}

// Function types used by the test modules.
var testTypes = []ftype{
	{nil, []byte{i32}},              // 0: () -> i32
	{[]byte{i32}, []byte{i32}},      // 1: (i32) -> i32
	{[]byte{i32}, nil},              // 2: (i32) -> ()
	{nil, nil},                      // 3: () -> ()
	{[]byte{i32, i32}, []byte{i32}}, // 4: (i32, i32) -> i32
}

const testMemPages = 16 // wazero's memory cap in these tests

type outcome struct {
	remaining int64
	depth     uint32 // the depth global afterwards
	results   []uint64
	err       error
	memPages  uint32
}

func (o outcome) used(budget int64) int64 { return budget - o.remaining }

// runRaw instantiates an (already instrumented or plain) module with a
// host module "env" providing host(x) = x+1, sets the gas global to budget
// if the module has one, and calls fn.
func runRaw(t *testing.T, eng engineCfg, wasm []byte, budget int64, fn string, args ...uint64) outcome {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	rt := wazero.NewRuntimeWithConfig(ctx, eng.cfg().WithMemoryLimitPages(testMemPages).WithCloseOnContextDone(true))
	defer rt.Close(ctx)
	_, err := rt.NewHostModuleBuilder("env").
		NewFunctionBuilder().WithFunc(func(x uint32) uint32 { return x + 1 }).Export("host").
		NewFunctionBuilder().WithFunc(func(ctx context.Context, m api.Module, code uint32) {
		_ = m.CloseWithExitCode(ctx, code) // as WASI's proc_exit does
		panic(sys.NewExitError(code))
	}).Export("exit").
		Instantiate(ctx)
	if err != nil {
		t.Fatal(err)
	}
	mod, err := rt.InstantiateWithConfig(ctx, wasm, wazero.NewModuleConfig().WithStartFunctions())
	if err != nil {
		t.Fatalf("%s: instantiate: %v", eng.name, err)
	}
	var g api.MutableGlobal
	if eg := mod.ExportedGlobal(GasExport); eg != nil {
		g = eg.(api.MutableGlobal)
		g.Set(uint64(budget))
	}
	res, err := mod.ExportedFunction(fn).Call(ctx, args...)
	if ctx.Err() != nil {
		t.Fatalf("%s: %s did not stop by itself: %v", eng.name, fn, ctx.Err())
	}
	o := outcome{results: res, err: err}
	if g != nil {
		o.remaining = int64(g.Get())
	}
	if d := mod.ExportedGlobal(DepthExport); d != nil {
		o.depth = uint32(d.Get())
	}
	if mem := mod.ExportedMemory("memory"); mem != nil {
		o.memPages = mem.Size() / 65536
	}
	return o
}

func run(t *testing.T, eng engineCfg, wasm []byte, opts Options, budget int64, fn string, args ...uint64) outcome {
	t.Helper()
	inst, err := Instrument(wasm, opts)
	if err != nil {
		t.Fatalf("Instrument: %v", err)
	}
	return runRaw(t, eng, inst, budget, fn, args...)
}

type tcase struct {
	name    string
	mod     *wmod
	opts    Options
	fn      string
	args    []uint64
	want    int64    // hand-counted cycles
	results []uint64 // expected results
}

func one(typ uint32, locals []byte, body ...[]byte) *wmod {
	return &wmod{types: testTypes, funcs: []wfunc{{typ: typ, locals: locals, body: cat(body...), export: "run"}}}
}

// countLoop: while n != 0 { n-- }: block, loop, 8 per iteration, a final
// check of 3, the function's end: 8n+6.
func countLoop() *wmod {
	return one(2, nil,
		block(blockEmpty), loop(blockEmpty),
		lget(0), i32Eqz, brIf(1),
		lget(0), i32c(1), i32Sub, lset(0), br(0),
		end, end, end)
}

// doWhile: do { acc += 3; n-- } while n != 0; return acc: loop once, 9 per
// iteration, loop end, local.get, end: 9n+4.
func doWhile() *wmod {
	return one(1, []byte{i32},
		loop(blockEmpty),
		lget(1), i32c(3), i32Add, lset(1),
		lget(0), i32c(1), i32Sub, ltee(0), brIf(0),
		end, lget(1), end)
}

// brTableMod: three nested blocks, br_table on the parameter.
func brTableMod() *wmod {
	return one(1, nil,
		block(blockEmpty), block(blockEmpty), block(blockEmpty), // 3
		lget(0), brTable(2, 0, 1), // 2
		end,
		i32c(100), ret, // case 0: 2
		end,
		i32c(200), i32c(1), i32Add, ret, // case 1: 4
		end,
		i32c(300), end) // default: 2
}

func callsMod() *wmod {
	return &wmod{types: testTypes, table: []uint32{0}, funcs: []wfunc{
		{typ: 1, body: cat(lget(0), i32c(1), i32Add, end)},                              // 4
		{typ: 0, body: cat(i32c(5), call(0), call(0), end), export: "run"},              // 4 + 2*4
		{typ: 0, body: cat(i32c(5), i32c(0), callIndirect(1), end), export: "indirect"}, // 4 + 4
	}}
}

// importMod: function 0 is the import, 1 run, 2 adds one, 3 calls table
// element 0 (function 2) indirectly.
func importMod(table []uint32, exportTable bool) *wmod {
	if table == nil {
		table = []uint32{2}
	}
	return &wmod{
		types:       testTypes,
		imports:     []wimport{{"env", "host", 1}},
		table:       table,
		exportTable: exportTable,
		funcs: []wfunc{
			{typ: 0, body: cat(i32c(5), call(0), end), export: "run"},                       // 3 + CallImport
			{typ: 1, body: cat(lget(0), i32c(1), i32Add, end)},                              // 4
			{typ: 0, body: cat(i32c(5), i32c(0), callIndirect(1), end), export: "indirect"}, // 4 + 4 (+ CallImport)
		},
	}
}

func memMod(body ...[]byte) *wmod {
	m := one(1, nil, body...)
	m.memory = []uint32{1, 10}
	m.exportMem = true
	return m
}

func cases() []tcase {
	var cs []tcase
	cs = append(cs, tcase{name: "straight", mod: one(0, nil, i32c(1), i32c(2), i32Add, end), fn: "run", want: 4, results: []uint64{3}})
	for _, n := range []int64{0, 1, 7, 100} {
		cs = append(cs, tcase{name: fmt.Sprintf("loop/%d", n), mod: countLoop(), fn: "run", args: []uint64{uint64(n)}, want: 8*n + 6})
	}
	for _, n := range []int64{1, 5, 50} {
		cs = append(cs, tcase{name: fmt.Sprintf("dowhile/%d", n), mod: doWhile(), fn: "run", args: []uint64{uint64(n)}, want: 9*n + 4, results: []uint64{uint64(3 * n)}})
	}
	ifElse := one(1, nil, lget(0), ifOp(i32), i32c(10), elseOp, i32c(20), i32c(1), i32Add, end, end)
	cs = append(cs,
		// then: local.get, if, i32.const, else (jumps past end), end of function
		tcase{name: "ifelse/then", mod: ifElse, fn: "run", args: []uint64{1}, want: 5, results: []uint64{10}},
		// else: local.get, if, i32.const, i32.const, i32.add, end, end
		tcase{name: "ifelse/else", mod: ifElse, fn: "run", args: []uint64{0}, want: 7, results: []uint64{21}})
	ifOnly := one(1, nil, lget(0), ifOp(blockEmpty), i32c(5), drop, end, i32c(1), end)
	cs = append(cs,
		tcase{name: "if/then", mod: ifOnly, fn: "run", args: []uint64{1}, want: 7, results: []uint64{1}},
		tcase{name: "if/skip", mod: ifOnly, fn: "run", args: []uint64{0}, want: 4, results: []uint64{1}})
	cs = append(cs,
		tcase{name: "br_table/0", mod: brTableMod(), fn: "run", args: []uint64{0}, want: 7, results: []uint64{100}},
		tcase{name: "br_table/1", mod: brTableMod(), fn: "run", args: []uint64{1}, want: 9, results: []uint64{201}},
		tcase{name: "br_table/default", mod: brTableMod(), fn: "run", args: []uint64{5}, want: 7, results: []uint64{300}})
	// block (result i32), block, i32.const, br_if 0 (taken), i32.const,
	// end (falls through), end of function; the unreachable is skipped.
	cs = append(cs, tcase{name: "nested", mod: one(0, nil,
		block(i32), block(blockEmpty), i32c(1), brIf(0), unreachable, end, i32c(7), end, end),
		fn: "run", want: 7, results: []uint64{7}})
	// block, br 0, i32.const, end of function: dead code is not charged.
	cs = append(cs, tcase{name: "dead", mod: one(0, nil,
		block(blockEmpty), br(0), i32c(1), drop, nop, end, i32c(2), end),
		fn: "run", want: 4, results: []uint64{2}})
	// Block type by type index (multi-value style): 2 + block, add, end + end.
	cs = append(cs, tcase{name: "typeidx", mod: one(0, nil,
		i32c(1), i32c(2), op(opBlock, 4), i32Add, end, end),
		fn: "run", want: 6, results: []uint64{3}})
	cs = append(cs,
		tcase{name: "calls", mod: callsMod(), fn: "run", want: 12, results: []uint64{7}},
		tcase{name: "call_indirect", mod: callsMod(), fn: "indirect", want: 8, results: []uint64{6}})
	early := one(1, nil, lget(0), ifOp(blockEmpty), i32c(1), ret, end, i32c(2), i32c(3), i32Add, end)
	cs = append(cs,
		tcase{name: "return/early", mod: early, fn: "run", args: []uint64{1}, want: 4, results: []uint64{1}},
		tcase{name: "return/late", mod: early, fn: "run", args: []uint64{0}, want: 6, results: []uint64{5}})
	cs = append(cs,
		tcase{name: "import", mod: importMod(nil, false), fn: "run", want: 3 + DefaultCallImport, results: []uint64{6}},
		tcase{name: "import/cost3", mod: importMod(nil, false), opts: Options{CallImport: 3}, fn: "run", want: 6, results: []uint64{6}},
		// The table holds only a module function and is not exported: no surcharge.
		tcase{name: "indirect/private", mod: importMod([]uint32{2}, false), fn: "indirect", want: 8, results: []uint64{6}},
		// The host could put a host function into an exported table.
		tcase{name: "indirect/exported", mod: importMod([]uint32{2}, true), fn: "indirect", want: 8 + DefaultCallImport, results: []uint64{6}},
		// An imported function in the table.
		tcase{name: "indirect/import", mod: importMod([]uint32{2, 0}, false), fn: "indirect", want: 8 + DefaultCallImport, results: []uint64{6}})
	grow := memMod(lget(0), memGrow, end)
	cs = append(cs,
		tcase{name: "grow/2", mod: grow, fn: "run", args: []uint64{2}, want: 3 + 2*DefaultMemoryPerPage, results: []uint64{1}},
		tcase{name: "grow/fails", mod: grow, fn: "run", args: []uint64{100}, want: 3 + 100*DefaultMemoryPerPage, results: []uint64{math.MaxUint32}},
		tcase{name: "grow/cost7", mod: grow, opts: Options{MemoryPerPage: 7}, fn: "run", args: []uint64{2}, want: 3 + 14, results: []uint64{1}})
	fill := memMod(i32c(0), i32c(0), lget(0), memFill, memSize, end)
	for _, c := range []struct{ n, extra int64 }{{0, 0}, {1, 1}, {64, 1}, {65, 2}, {1000, 16}} {
		cs = append(cs, tcase{name: fmt.Sprintf("fill/%d", c.n), mod: fill, fn: "run", args: []uint64{uint64(c.n)}, want: 6 + c.extra, results: []uint64{1}})
	}
	cs = append(cs,
		tcase{name: "fill/perbyte", mod: fill, opts: Options{BulkPerByte: BulkScale}, fn: "run", args: []uint64{1000}, want: 6 + 1000, results: []uint64{1}},
		tcase{name: "copy/1000", mod: memMod(i32c(100), i32c(0), lget(0), memCopy, memSize, end), fn: "run", args: []uint64{1000}, want: 6 + 16, results: []uint64{1}})
	initMod := memMod(i32c(0), i32c(0), lget(0), memInit(0), memSize, end)
	initMod.data = [][]byte{make([]byte, 200)}
	cs = append(cs, tcase{name: "init/130", mod: initMod, fn: "run", args: []uint64{130}, want: 6 + 3, results: []uint64{1}})
	heavyAdd := DefaultCosts()
	heavyAdd.Op[0x6a] = 10
	cs = append(cs, tcase{name: "costs", mod: one(0, nil, i32c(1), i32c(2), i32Add, end), opts: Options{Costs: heavyAdd}, fn: "run", want: 13, results: []uint64{3}})
	return cs
}

func TestHandCounted(t *testing.T) {
	const big = 1 << 40
	for _, c := range cases() {
		t.Run(c.name, func(t *testing.T) {
			wasm := c.mod.bytes()
			plain := runRaw(t, engines[0], wasm, 0, c.fn, c.args...)
			if plain.err != nil {
				t.Fatalf("uninstrumented: %v", plain.err)
			}
			for _, eng := range engines {
				o := run(t, eng, wasm, c.opts, big, c.fn, c.args...)
				if o.err != nil {
					t.Fatalf("%s: %v", eng.name, o.err)
				}
				if got := o.used(big); got != c.want {
					t.Errorf("%s: used %d cycles, hand count %d", eng.name, got, c.want)
				}
				if fmt.Sprint(o.results) != fmt.Sprint(plain.results) {
					t.Errorf("%s: results %v, uninstrumented %v", eng.name, o.results, plain.results)
				}
				if c.results != nil && fmt.Sprint(o.results) != fmt.Sprint(c.results) {
					t.Errorf("%s: results %v, want %v", eng.name, o.results, c.results)
				}
				// The naive reference, one charge per instruction.
				ref := c.opts
				ref.perInstruction = true
				if r := run(t, eng, wasm, ref, big, c.fn, c.args...); r.used(big) != c.want || r.err != nil {
					t.Errorf("%s: per-instruction reference used %d (%v), want %d", eng.name, r.used(big), r.err, c.want)
				}
			}
		})
	}
}

func TestBudgetEdge(t *testing.T) {
	for _, c := range cases() {
		t.Run(c.name, func(t *testing.T) {
			wasm := c.mod.bytes()
			for _, eng := range engines {
				o := run(t, eng, wasm, c.opts, c.want, c.fn, c.args...)
				if o.err != nil || o.remaining != 0 {
					t.Errorf("%s: budget = count %d: err %v, remaining %d", eng.name, c.want, o.err, o.remaining)
				}
				// One short: the run is exhausted. It traps at the next
				// check (a function entry or loop head) or, if it finishes
				// first, ends with a negative budget the host reads.
				o = run(t, eng, wasm, c.opts, c.want-1, c.fn, c.args...)
				if o.remaining >= 0 {
					t.Errorf("%s: budget = count-1: err %v, remaining %d; want remaining < 0", eng.name, o.err, o.remaining)
				}
				// With a check after every charge, it traps at once.
				strict := c.opts
				strict.checkEveryBlock = true
				o = run(t, eng, wasm, strict, c.want-1, c.fn, c.args...)
				if o.err == nil || o.remaining >= 0 {
					t.Errorf("%s: budget = count-1, every block checked: err %v, remaining %d; want a trap", eng.name, o.err, o.remaining)
				}
			}
		})
	}
}

// TestLoopsAlwaysStop: a loop that never ends is stopped within one
// iteration of its budget running out, because loop heads are checked.
func TestLoopsAlwaysStop(t *testing.T) {
	for _, c := range cases() {
		if !strings.Contains(c.name, "loop") {
			continue
		}
		t.Run(c.name, func(t *testing.T) {
			for _, eng := range engines {
				o := run(t, eng, c.mod.bytes(), c.opts, 3, c.fn, c.args...)
				if c.want > 3 && (o.err == nil || o.remaining >= 0) {
					t.Errorf("%s: a loop with 3 cycles of budget: err %v, remaining %d; want a trap", eng.name, o.err, o.remaining)
				}
			}
		})
	}
}

// A trap that is not exhaustion leaves the budget non-negative and charged
// for the block it happened in.
func TestTrapIsNotExhaustion(t *testing.T) {
	m := one(3, nil, i32c(1), drop, unreachable, end)
	for _, eng := range engines {
		o := run(t, eng, m.bytes(), Options{}, 100, "run")
		if o.err == nil || o.remaining != 97 {
			t.Errorf("%s: err %v, remaining %d; want unreachable trap with 97 left", eng.name, o.err, o.remaining)
		}
	}
}

// A host function that never returns (proc_exit) leaves nothing charged
// that did not run: calls end basic blocks.
func TestHostExit(t *testing.T) {
	m := &wmod{types: testTypes, imports: []wimport{{"env", "exit", 2}}, funcs: []wfunc{
		{typ: 3, body: cat(i32c(0), call(0), i32c(1), drop, i32c(2), drop, end), export: "run"},
	}}
	for _, eng := range engines {
		o := run(t, eng, m.bytes(), Options{}, 1000, "run")
		var exit *sys.ExitError
		if !errors.As(o.err, &exit) || exit.ExitCode() != 0 {
			t.Fatalf("%s: %v, want exit 0", eng.name, o.err)
		}
		if used := o.used(1000); used != 2+DefaultCallImport {
			t.Errorf("%s: used %d, want %d (i32.const, call)", eng.name, used, 2+DefaultCallImport)
		}
	}
}

func TestDeterministic(t *testing.T) {
	for _, c := range cases() {
		wasm := c.mod.bytes()
		a, err := Instrument(wasm, c.opts)
		if err != nil {
			t.Fatal(err)
		}
		b, err := Instrument(bytes.Clone(wasm), c.opts)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(a, b) {
			t.Fatalf("%s: two instrumentations differ", c.name)
		}
	}
}

// Every section but global, export and code is copied byte for byte, and
// those three only gain entries (two globals and two exports: gas and depth).
func TestSectionsPreserved(t *testing.T) {
	m := importMod([]uint32{2, 0}, true)
	m.memory = []uint32{1, 2}
	m.data = [][]byte{[]byte("hello")}
	m.custom = []byte("custom payload")
	m.globals = cat([]byte{i32, 0x01}, i32c(42), end)
	m.nglobals = 1
	in := m.bytes()
	out, err := Instrument(in, Options{})
	if err != nil {
		t.Fatal(err)
	}
	pin, err := parseModule(in)
	if err != nil {
		t.Fatal(err)
	}
	pout, err := parseModule(out)
	if err != nil {
		t.Fatalf("output does not parse: %v", err)
	}
	if len(pin.sections) != len(pout.sections) {
		t.Fatalf("%d sections in, %d out", len(pin.sections), len(pout.sections))
	}
	for i, s := range pin.sections {
		o := pout.sections[i]
		if s.id != o.id {
			t.Fatalf("section %d: id %d became %d", i, s.id, o.id)
		}
		a, b := in[s.start:s.end], out[o.start:o.end]
		switch s.id {
		case secGlobal, secExport:
			if !bytes.Equal(a[1:], b[1:len(a)]) || b[0] != a[0]+2 {
				t.Errorf("section %d: entries not kept as a prefix", s.id)
			}
		case secCode:
		default:
			if !bytes.Equal(a, b) {
				t.Errorf("section %d changed", s.id)
			}
		}
	}
	if pout.globals != pin.globals+2 {
		t.Errorf("globals %d -> %d", pin.globals, pout.globals)
	}
}

// Modules without global or export sections get them, in order.
func TestCreatesSections(t *testing.T) {
	m := &wmod{types: testTypes, funcs: []wfunc{{typ: 3, body: cat(nop, end)}}}
	out, err := Instrument(m.bytes(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	p, err := parseModule(out)
	if err != nil {
		t.Fatal(err)
	}
	if p.globalSec < 0 || p.exportSec < 0 || p.globals != 2 || p.exportCount != 2 {
		t.Fatalf("global or export section missing: %+v", p)
	}
	if _, err := wazero.NewRuntime(context.Background()).CompileModule(context.Background(), out); err != nil {
		t.Fatal(err)
	}
}

func TestStartFunction(t *testing.T) {
	start := uint32(0)
	m := &wmod{types: testTypes, start: &start, funcs: []wfunc{{typ: 3, body: cat(i32c(1), drop, end)}}}
	ctx := context.Background()
	for _, initial := range []uint64{0, 2, 3, 10} {
		out, err := Instrument(m.bytes(), Options{InitialGas: initial})
		if err != nil {
			t.Fatal(err)
		}
		rt := wazero.NewRuntime(ctx)
		mod, err := rt.Instantiate(ctx, out)
		if initial < 3 {
			if err == nil {
				t.Errorf("InitialGas %d: start function (3 cycles) ran", initial)
			}
		} else if err != nil {
			t.Errorf("InitialGas %d: %v", initial, err)
		} else if left := int64(mod.ExportedGlobal(GasExport).Get()); left != int64(initial)-3 {
			t.Errorf("InitialGas %d: %d left, want %d", initial, left, initial-3)
		}
		rt.Close(ctx)
	}
}

func TestRejects(t *testing.T) {
	valid := one(0, nil, i32c(1), end).bytes()
	for _, c := range []struct {
		name string
		wasm []byte
		opts Options
		want error
	}{
		{"empty", nil, Options{}, ErrMalformed},
		{"magic", []byte("\x00asn\x01\x00\x00\x00"), Options{}, ErrMalformed},
		{"version", []byte("\x00asm\x0d\x00\x01\x00"), Options{}, ErrUnsupported},
		{"truncated", valid[:len(valid)-1], Options{}, ErrMalformed},
		// Reads the global that instrumentation would add.
		{"global beyond", one(0, nil, gget(0), end).bytes(), Options{}, ErrMalformed},
		{"local beyond", one(1, nil, lget(1), end).bytes(), Options{}, ErrMalformed},
		{"branch beyond", one(3, nil, br(1), end).bytes(), Options{}, ErrMalformed},
		{"no end", one(3, nil, nop).bytes(), Options{}, ErrMalformed},
		{"after end", one(3, nil, end, nop).bytes(), Options{}, ErrMalformed},
		{"else without if", one(3, nil, block(blockEmpty), elseOp, end, end).bytes(), Options{}, ErrMalformed},
		{"exnref param", func() []byte {
			m := one(3, nil, end)
			m.types = append(append([]ftype(nil), testTypes...), ftype{[]byte{0x69}, nil})
			return m.bytes()
		}(), Options{}, ErrUnsupported},
		{"bad value type", func() []byte {
			m := one(3, nil, end)
			m.types = append(append([]ftype(nil), testTypes...), ftype{[]byte{0x30}, nil})
			return m.bytes()
		}(), Options{}, ErrMalformed},
		{"atomics", one(3, nil, op(prefixAtomic, 0x03, 0x00), end).bytes(), Options{}, ErrUnsupported},
		{"exceptions", one(3, nil, op(0x06, blockEmpty), end, end).bytes(), Options{}, ErrUnsupported},
		{"relaxed simd", one(3, nil, op(prefixSIMD, 0x80, 0x02), end).bytes(), Options{}, ErrUnsupported},
		{"simd non-canonical", one(3, nil, op(prefixSIMD, 0x8c, 0x00), make([]byte, 16), drop, end).bytes(), Options{}, ErrUnsupported},
		{"exports gas", func() []byte { m := one(3, nil, end); m.funcs[0].export = GasExport; return m.bytes() }(), Options{}, ErrUnsupported},
		{"exports depth", func() []byte { m := one(3, nil, end); m.funcs[0].export = DepthExport; return m.bytes() }(), Options{}, ErrUnsupported},
		{"deep limit", valid, Options{MaxCallDepth: MaxCallDepthLimit + 1}, ErrOptions},
		{"free branches", valid, Options{Costs: func() *CostTable { c := DefaultCosts(); c.Op[opBr] = 0; return c }()}, ErrOptions},
		{"huge surcharge", valid, Options{MemoryPerPage: MaxSurcharge + 1}, ErrOptions},
		{"huge initial", valid, Options{InitialGas: math.MaxInt64 + 1}, ErrOptions},
	} {
		if _, err := Instrument(c.wasm, c.opts); !errors.Is(err, c.want) {
			t.Errorf("%s: err %v, want %v", c.name, err, c.want)
		}
	}
}

func TestLEB(t *testing.T) {
	for _, v := range []int64{0, 1, -1, 63, 64, -64, -65, 1 << 31, -1 << 31, math.MaxInt64, math.MinInt64} {
		r := reader{b: appendSLEB(nil, v)}
		if got, err := r.sleb(64); err != nil || got != v || !r.eof() {
			t.Errorf("sleb %d: %d %v", v, got, err)
		}
	}
	for _, c := range []struct {
		b    []byte
		bits uint
		ok   bool
		v    int64
	}{
		{[]byte{0x80, 0x80, 0x80, 0x80, 0x07}, 32, true, 0x70000000},
		{[]byte{0x80, 0x80, 0x80, 0x80, 0x08}, 32, false, 0}, // bit 31 set, upper bits not
		{[]byte{0x80, 0x80, 0x80, 0x80, 0x78}, 32, true, -1 << 31},
		{[]byte{0xff, 0xff, 0xff, 0xff, 0x7f}, 32, true, -1},
		{[]byte{0x80, 0x80, 0x80, 0x80, 0x80, 0x00}, 32, false, 0},
		{[]byte{0xff, 0xff, 0xff, 0xff, 0x0f}, 33, true, 0xffffffff},
		{[]byte{0xff, 0xff, 0xff, 0xff, 0x1f}, 33, false, 0},
	} {
		r := reader{b: c.b}
		v, err := r.sleb(c.bits)
		if (err == nil) != c.ok || (c.ok && v != c.v) {
			t.Errorf("sleb%d % x: %d %v", c.bits, c.b, v, err)
		}
	}
	r := reader{b: []byte{0xff, 0xff, 0xff, 0xff, 0x1f}}
	if _, err := r.u32(); err == nil {
		t.Error("u32 accepted 2^33-1")
	}
	r = reader{b: []byte{0xff, 0xff, 0xff, 0xff, 0x0f}}
	if v, err := r.u32(); err != nil || v != math.MaxUint32 {
		t.Errorf("u32 max: %d %v", v, err)
	}
}
