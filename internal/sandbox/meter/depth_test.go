package meter

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/experimental"
)

var i32LeU = op(0x4d)

func returnCall(f uint32) []byte { return cat(op(opReturnCall), uleb(uint64(f))) }
func returnCallIndirect(t uint32) []byte {
	return cat(op(opReturnCallIndirect), uleb(uint64(t)), op(0x00))
}

// recBody: rec(n) = n for n >= 1, by callOp(n-1) + 1. Descending, a level
// runs local.get, i32.const, i32.le_u, if (false), local.get, i32.const,
// i32.sub, the call (8, plus what callOp puts before its call); the last
// level runs 6 (the if, i32.const, return), and each level but the last 3
// on the way back (i32.const, i32.add, end).
func recBody(callOp []byte) []byte {
	return cat(lget(0), i32c(1), i32LeU, ifOp(blockEmpty), i32c(1), ret, end,
		lget(0), i32c(1), i32Sub, callOp, i32c(1), i32Add, end)
}

type recKind struct {
	name string
	mod  *wmod
	down int64 // cycles per level on the way down
}

func recKinds() []recKind {
	return []recKind{
		{"self", one(1, nil, recBody(call(0))), 8},
		{"mutual", &wmod{types: testTypes, funcs: []wfunc{
			{typ: 1, body: recBody(call(1)), export: "run"},
			{typ: 1, body: recBody(call(0))},
		}}, 8},
		{"indirect", &wmod{types: testTypes, table: []uint32{0}, funcs: []wfunc{
			{typ: 1, body: recBody(cat(i32c(0), callIndirect(1))), export: "run"},
		}}, 9},
	}
}

// recCycles is the hand count of rec(n).
func (k recKind) recCycles(n int64) int64 { return k.down*(n-1) + 6 + 3*(n-1) }

func isDepthTrap(o outcome, limit uint32) bool {
	return o.err != nil && strings.Contains(o.err.Error(), "unreachable") && o.depth > limit && o.remaining >= 0
}

// A recursion exactly MaxCallDepth frames deep runs; one frame more traps
// on entering the extra frame, having charged exactly the levels above
// it, with the same count under both engines, the depth global above the
// limit and the budget not exhausted.
func TestDepthLimit(t *testing.T) {
	const limit, big = 50, 1 << 40
	opts := Options{MaxCallDepth: limit}
	for _, k := range recKinds() {
		t.Run(k.name, func(t *testing.T) {
			wasm := k.mod.bytes()
			var used [2]int64
			for i, eng := range engines {
				o := run(t, eng, wasm, opts, big, "run", limit)
				if o.err != nil || fmt.Sprint(o.results) != "[50]" {
					t.Fatalf("%s: depth %d: %v, %v", eng.name, limit, o.results, o.err)
				}
				if got, want := o.used(big), k.recCycles(limit); got != want {
					t.Errorf("%s: depth %d used %d cycles, hand count %d", eng.name, limit, got, want)
				}
				if o.depth != 1 {
					t.Errorf("%s: depth global %d after returning, want 1", eng.name, o.depth)
				}
				o = run(t, eng, wasm, opts, big, "run", limit+1)
				if !isDepthTrap(o, limit) || o.depth != limit+1 {
					t.Fatalf("%s: depth %d: %v, depth global %d, remaining %d; want the depth trap", eng.name, limit+1, o.err, o.depth, o.remaining)
				}
				used[i] = o.used(big)
				if want := k.down * limit; used[i] != want {
					t.Errorf("%s: trap after %d cycles, want %d (the levels above)", eng.name, used[i], want)
				}
			}
			if used[0] != used[1] {
				t.Errorf("cycles up to the trap: compiler %d, interpreter %d", used[0], used[1])
			}
		})
	}
}

// With the default limit, 1500 levels run alike under both engines
// (wazero's interpreter stops at 2000 frames of its own), and 20000
// levels end in the depth trap under the compiler, not in a stack
// overflow of wazero's.
func TestDepthDefault(t *testing.T) {
	const big = 1 << 40
	for _, k := range recKinds() {
		wasm := k.mod.bytes()
		var outs []outcome
		for _, eng := range engines {
			o := run(t, eng, wasm, Options{}, big, "run", 1500)
			if o.err != nil || fmt.Sprint(o.results) != "[1500]" || o.used(big) != k.recCycles(1500) {
				t.Errorf("%s/%s: 1500 levels: %v, %v, %d cycles; want %d", k.name, eng.name, o.results, o.err, o.used(big), k.recCycles(1500))
			}
			outs = append(outs, o)
		}
		if fmt.Sprint(outs[0]) != fmt.Sprint(outs[1]) {
			t.Errorf("%s: compiler %+v, interpreter %+v", k.name, outs[0], outs[1])
		}
		o := run(t, engines[0], wasm, Options{}, big, "run", 20000)
		if !isDepthTrap(o, DefaultMaxCallDepth) || o.depth != DefaultMaxCallDepth+1 {
			t.Errorf("%s: 20000 levels: %v, depth global %d, remaining %d; want the depth trap", k.name, o.err, o.depth, o.remaining)
		}
		if want := k.down * DefaultMaxCallDepth; o.used(big) != want {
			t.Errorf("%s: 20000 levels: trap after %d cycles, want %d", k.name, o.used(big), want)
		}
	}
}

// The depth goes back after every call: a million sequential calls with a
// limit of 2, and a thousand recursions each exactly as deep as the limit.
func TestDepthRestored(t *testing.T) {
	const big = 1 << 40
	loopCalling := func(callee uint32, arg []byte) []byte {
		return cat(block(blockEmpty), loop(blockEmpty),
			lget(0), i32Eqz, brIf(1),
			arg, call(callee), drop,
			lget(0), i32c(1), i32Sub, lset(0), br(0),
			end, end, i32c(7), end)
	}
	m := &wmod{types: testTypes, funcs: []wfunc{
		{typ: 1, body: loopCalling(1, lget(0)), export: "leaves"},
		{typ: 1, body: cat(lget(0), end)},
		{typ: 1, body: loopCalling(3, i32c(49)), export: "deep"},
		{typ: 1, body: recBody(call(3))},
	}}
	wasm := m.bytes()
	rec := recKinds()[0]
	for _, eng := range engines {
		// Per call: local.get, i32.eqz, br_if, local.get, call, the
		// callee's local.get and end, drop, local.get, i32.const,
		// i32.sub, local.set, br (13); block, loop, the last check and
		// i32.const, end (7).
		o := run(t, eng, wasm, Options{MaxCallDepth: 2}, big, "leaves", 1_000_000)
		if o.err != nil || o.depth != 1 || o.used(big) != 13*1_000_000+7 {
			t.Errorf("%s: a million calls: %v, depth global %d, %d cycles", eng.name, o.err, o.depth, o.used(big))
		}
		o = run(t, eng, wasm, Options{MaxCallDepth: 50}, big, "deep", 1000)
		if want := 1000*(11+rec.recCycles(49)) + 7; o.err != nil || o.depth != 1 || o.used(big) != want {
			t.Errorf("%s: 1000 recursions to the limit: %v, depth global %d, %d cycles (want %d)", eng.name, o.err, o.depth, o.used(big), want)
		}
		o = run(t, eng, wasm, Options{MaxCallDepth: 49}, big, "deep", 1000)
		if !isDepthTrap(o, 49) {
			t.Errorf("%s: 1000 recursions one over the limit: %v, depth global %d", eng.name, o.err, o.depth)
		}
	}
}

// wazero v1.12 only runs tail calls when asked to.
var tailEngines = func() []engineCfg {
	var es []engineCfg
	for _, e := range engines {
		es = append(es, engineCfg{e.name, func() wazero.RuntimeConfig {
			return e.cfg().WithCoreFeatures(api.CoreFeaturesV2 | experimental.CoreFeaturesTailCall)
		}})
	}
	return es
}()

// Tail calls that wazero compiles as jumps keep the depth flat; those it
// may run as plain calls (stack arguments, callees that may be host
// functions) count as nested calls.
func TestDepthTailCalls(t *testing.T) {
	const big = 1 << 40
	ints := func(n int) []byte { return []byte(strings.Repeat(string(rune(i32)), n)) }
	types := append(append([]ftype(nil), testTypes...),
		ftype{ints(6), []byte{i32}},  // 5: the most integer parameters in registers
		ftype{ints(7), []byte{i32}},  // 6: one too many on arm64
		ftype{ints(12), []byte{i32}}, // 7: too many on amd64 as well
	)
	// tr(n, ...) = 7 after n tail calls: local.get, i32.eqz, if (false),
	// local.get, i32.const, i32.sub, (arguments,) the tail call.
	tr := func(extra int, tail []byte) []byte {
		var args []byte
		for i := 1; i <= extra; i++ {
			args = append(args, lget(uint32(i))...)
		}
		return cat(lget(0), i32Eqz, ifOp(blockEmpty), i32c(7), ret, end,
			lget(0), i32c(1), i32Sub, args, tail, end)
	}
	selfMod := func(typ uint32, extra int) *wmod {
		return &wmod{types: types, funcs: []wfunc{{typ: typ, body: tr(extra, returnCall(0)), export: "run"}}}
	}
	indirectMod := func(exported bool) *wmod {
		return &wmod{types: types, table: []uint32{0}, exportTable: exported,
			funcs: []wfunc{{typ: 1, body: tr(0, cat(i32c(0), returnCallIndirect(1))), export: "run"}}}
	}
	for _, c := range []struct {
		name    string
		mod     *wmod
		extra   int
		perIter int64
		flat    bool
	}{
		{"self", selfMod(1, 0), 0, 7, true},
		{"six params", selfMod(5, 5), 5, 7 + 5, true},
		{"seven params", selfMod(6, 6), 6, 7 + 6, false},
		{"indirect", indirectMod(false), 0, 8, true},
		{"indirect, exported table", indirectMod(true), 0, 8 + DefaultCallImport, false},
	} {
		wasm := c.mod.bytes()
		args := func(n uint64) []uint64 { return append([]uint64{n}, make([]uint64, c.extra)...) }
		for _, eng := range tailEngines {
			name := c.name + "/" + eng.name
			if c.flat {
				// Far more tail calls than the limit.
				o := run(t, eng, wasm, Options{MaxCallDepth: 5}, big, "run", args(100_000)...)
				if o.err != nil || fmt.Sprint(o.results) != "[7]" || o.depth != 1 || o.used(big) != c.perIter*100_000+5 {
					t.Errorf("%s: %v, %v, depth global %d, %d cycles", name, o.results, o.err, o.depth, o.used(big))
				}
				continue
			}
			// n tail calls make n+1 frames.
			o := run(t, eng, wasm, Options{MaxCallDepth: 50}, big, "run", args(49)...)
			if o.err != nil || fmt.Sprint(o.results) != "[7]" || o.depth != 50 || o.used(big) != c.perIter*49+5 {
				t.Errorf("%s: 50 frames: %v, %v, depth global %d, %d cycles", name, o.results, o.err, o.depth, o.used(big))
			}
			o = run(t, eng, wasm, Options{MaxCallDepth: 50}, big, "run", args(50)...)
			if !isDepthTrap(o, 50) || o.used(big) != c.perIter*50 {
				t.Errorf("%s: 51 frames: %v, depth global %d, %d cycles", name, o.err, o.depth, o.used(big))
			}
		}
	}

	// wazero's compiler runs these tail calls as plain calls on both
	// architectures: the stack grows, and the depth limit stops it.
	wasm := selfMod(7, 11).bytes()
	o := run(t, tailEngines[0], wasm, Options{}, 1<<50, "run", append([]uint64{1 << 30}, make([]uint64, 11)...)...)
	if !isDepthTrap(o, DefaultMaxCallDepth) {
		t.Errorf("endless tail calls with stack arguments: %v, depth global %d", o.err, o.depth)
	}
}

func TestRegistersOnly(t *testing.T) {
	for _, c := range []struct {
		params, results string
		want            bool
	}{
		{"", "", true},
		{"iiiiii", "iiiiiiii", true},
		{"iiiiiii", "", false},
		{"", "iiiiiiiii", false},
		{"ffffffffiiiiii", "ffffffff", true},
		{"fffffffff", "", false},
		{"", "fffffffff", false},
	} {
		var ft funcType
		for _, p := range c.params {
			if p == 'f' {
				ft.floatParams++
			} else {
				ft.intParams++
			}
		}
		for _, p := range c.results {
			if p == 'f' {
				ft.floatResults++
			} else {
				ft.intResults++
			}
		}
		if got := ft.registersOnly(); got != c.want {
			t.Errorf("(%s) -> (%s): registersOnly %v", c.params, c.results, got)
		}
	}
}

// weightsOf reads the weight of each function of an instrumented module
// from its prologue (global.get depth, i32.const weight).
func weightsOf(t *testing.T, inst []byte) []uint64 {
	t.Helper()
	m, err := parseModule(inst)
	if err != nil {
		t.Fatal(err)
	}
	s := m.sections[m.codeSec]
	r := &reader{b: inst[:s.end], off: s.start}
	n, _ := r.u32()
	var ws []uint64
	for i := uint32(0); i < n; i++ {
		size, _ := r.u32()
		end := r.off + int(size)
		groups, _ := r.u32()
		for g := uint32(0); g < groups; g++ {
			r.u32()
			r.byte()
		}
		if b, _ := r.byte(); b != opGlobalGet {
			t.Fatalf("function %d does not start with global.get", i)
		}
		r.u32()
		if b, _ := r.byte(); b != opI32Const {
			t.Fatalf("function %d: no i32.const after global.get", i)
		}
		w, err := r.sleb(32)
		if err != nil {
			t.Fatal(err)
		}
		ws = append(ws, uint64(w))
		r.off = end
	}
	return ws
}

// Adversarial frames: functions that make wazero's compiler spill many
// values, so that their frames are far larger than their locals suggest.
// recursion(n) with base case n == 0 around body, which runs before the
// recursive call and is used after it.
func bigFrame(locals []byte, before, after [][]byte) *wmod {
	var b [][]byte
	b = append(b, lget(0), i32Eqz, ifOp(blockEmpty), i32c(0), ret, end)
	b = append(b, before...)
	b = append(b, lget(0), i32c(1), i32Sub, call(0))
	b = append(b, after...)
	b = append(b, end)
	return &wmod{types: testTypes, funcs: []wfunc{{typ: 1, locals: locals, body: cat(b...), export: "run"}}}
}

// liveI32: k i32 values on the operand stack across the recursive call.
func liveI32(k int) *wmod {
	var before, after [][]byte
	for i := 0; i < k; i++ {
		before = append(before, lget(0), i32c(int32(i)), i32Add)
		after = append(after, i32Add)
	}
	return bigFrame(nil, before, after)
}

// liveV128: k v128 values (spill slots of 16 bytes) across the call.
func liveV128(k int) *wmod {
	var before, after [][]byte
	for i := 0; i < k; i++ {
		before = append(before, lget(0), i32c(int32(i)), i32Add, op(prefixSIMD, 0x11)) // i32x4.splat
	}
	after = append(after, op(prefixSIMD, 0x11))
	for i := 0; i < k; i++ {
		after = append(after, op(prefixSIMD, 0xae, 0x01)) // i32x4.add
	}
	after = append(after, op(prefixSIMD, 0x1b, 0x00)) // i32x4.extract_lane 0
	return bigFrame(nil, before, after)
}

// phis: l locals set inside n nested ifs, so that each if's end joins l
// distinct values: l*n phis, few locals, a short body.
func phis(l, n int) *wmod {
	var before, after [][]byte
	for i := 0; i < n; i++ {
		before = append(before, lget(0), ifOp(blockEmpty))
	}
	for j := 0; j < l; j++ {
		before = append(before, lget(0), i32c(int32(j)), i32Add, lset(uint32(1+j)))
	}
	for i := 0; i < n; i++ {
		before = append(before, end)
	}
	for j := 0; j < l; j++ {
		after = append(after, lget(uint32(1+j)), i32Add)
	}
	return bigFrame([]byte(strings.Repeat(string(rune(i32)), l)), before, after)
}

// recurseForever runs run(2^30) under the compiler: it recurses until
// something stops it.
func recurseForever(t *testing.T, inst []byte) outcome {
	t.Helper()
	return runRaw(t, engines[0], inst, 1<<50, "run", 1<<30)
}

func isStackOverflow(o outcome) bool {
	return o.err != nil && strings.Contains(o.err.Error(), "stack overflow")
}

// The weights keep the frames of the deepest permitted recursion within
// wazero's stack even when frames are large; counting every function as
// one unit would not (which shows the test can fail).
func TestFrameWeights(t *testing.T) {
	for _, c := range []struct {
		name string
		mod  *wmod
	}{
		{"live i32", liveI32(2000)},
		{"live v128", liveV128(1000)},
		{"phis", phis(100, 100)},
	} {
		wasm := c.mod.bytes()
		inst, err := Instrument(wasm, Options{MaxCallDepth: MaxCallDepthLimit})
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		w := weightsOf(t, inst)[0]
		o := recurseForever(t, inst)
		if !isDepthTrap(o, MaxCallDepthLimit) {
			t.Errorf("%s (weight %d): %v, depth global %d; want the depth trap", c.name, w, o.err, o.depth)
		}
		cfg, err := Options{MaxCallDepth: MaxCallDepthLimit}.resolve()
		if err != nil {
			t.Fatal(err)
		}
		cfg.unitWeights = true
		unit, err := instrument(wasm, cfg)
		if err != nil {
			t.Fatal(err)
		}
		u := recurseForever(t, unit)
		if !isStackOverflow(u) || u.depth >= MaxCallDepthLimit {
			t.Errorf("%s with unit weights: %v at depth %d; want wazero's stack overflow before the limit", c.name, u.err, u.depth)
		}
		t.Logf("%s: weight %d (frame bound <= %d bytes); with unit weights, wazero's stack overflows at depth %d", c.name, w, w*FrameUnit, u.depth)
	}
}

// stackBytes measures how much stack wazero's compiler gives a call on
// this machine: the depth a recursion of minimal frames (return address
// and frame pointer, 16 bytes) reaches before it overflows.
func stackBytes(t *testing.T) uint64 {
	t.Helper()
	// counter++; call self
	m := &wmod{types: testTypes, nglobals: 1, globals: cat([]byte{i32, 0x01}, i32c(0), end),
		funcs: []wfunc{{typ: 3, body: cat(gget(0), i32c(1), i32Add, gset(0), call(0), end), export: "run"}}}
	m.exportsRaw, m.nexports = cat(name("n"), []byte{0x03, 0x00}), 1
	ctx := context.Background()
	rt := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigCompiler())
	defer rt.Close(ctx)
	mod, err := rt.Instantiate(ctx, m.bytes())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := mod.ExportedFunction("run").Call(ctx); err == nil || !strings.Contains(err.Error(), "stack overflow") {
		t.Fatalf("unbounded recursion: %v", err)
	}
	return 16 * mod.ExportedGlobal("n").Get()
}

// The frame bound of each adversarial function is at least its frame as
// measured: wazero's stack divided by the depth at which it overflows
// with unit weights.
func TestFrameBoundMeasured(t *testing.T) {
	stack := stackBytes(t)
	// At least 50,000,000 bytes (wazero's callStackCeiling); the
	// estimate assumes 16-byte minimal frames, right for amd64.
	t.Logf("wazero's compiler stack: about %d bytes", stack)
	for _, c := range []struct {
		name string
		mod  *wmod
	}{
		{"live i32 200", liveI32(200)},
		{"live i32 2000", liveI32(2000)},
		{"live v128 100", liveV128(100)},
		{"live v128 1000", liveV128(1000)},
		{"phis 20x20", phis(20, 20)},
		{"phis 60x60", phis(60, 60)},
		{"phis 100x100", phis(100, 100)},
		{"phis 200x20", phis(200, 20)},
		{"phis 20x200", phis(20, 200)},
		{"rec", recKinds()[0].mod},
	} {
		wasm := c.mod.bytes()
		inst, err := Instrument(wasm, Options{})
		if err != nil {
			t.Fatal(err)
		}
		w := weightsOf(t, inst)[0]
		cfg, _ := Options{}.resolve()
		cfg.unitWeights = true
		cfg.maxDepth = 1 << 30
		unit, err := instrument(wasm, cfg)
		if err != nil {
			t.Fatal(err)
		}
		o := recurseForever(t, unit)
		if !isStackOverflow(o) {
			t.Fatalf("%s: %v", c.name, o.err)
		}
		frame := stack / uint64(o.depth)
		t.Logf("%s: about %d bytes per frame, bound %d (weight %d)", c.name, frame, w*FrameUnit, w)
		if frame > w*FrameUnit {
			t.Errorf("%s: frames of about %d bytes, weight %d covers only %d", c.name, frame, w, w*FrameUnit)
		}
	}
}

// A function whose frame bound exceeds MaxFrameBound is rejected.
func TestFrameBoundReject(t *testing.T) {
	many := []byte(strings.Repeat(string(rune(i32)), 40000))
	var body [][]byte
	for i := 0; i < 15; i++ {
		body = append(body, lget(0), ifOp(blockEmpty), end)
	}
	body = append(body, i32c(0), end)
	m := one(1, many, body...)
	if _, err := Instrument(m.bytes(), Options{}); !errors.Is(err, ErrUnsupported) {
		t.Fatalf("40000 locals and 15 joins: %v, want ErrUnsupported", err)
	}
	m = one(1, many[:1000], body...)
	inst, err := Instrument(m.bytes(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if w := weightsOf(t, inst)[0]; w < 2 {
		t.Errorf("1000 locals and 15 joins weigh %d", w)
	}
}

// Small functions count one unit; the Go program instruments, and its
// functions' weights are logged.
func TestWeightsSmall(t *testing.T) {
	for _, c := range cases() {
		inst, err := Instrument(c.mod.bytes(), c.opts)
		if err != nil {
			t.Fatal(err)
		}
		for i, w := range weightsOf(t, inst) {
			if w != 1 {
				t.Errorf("%s: function %d weighs %d", c.name, i, w)
			}
		}
	}
	for _, k := range recKinds() {
		inst, err := Instrument(k.mod.bytes(), Options{})
		if err != nil {
			t.Fatal(err)
		}
		for i, w := range weightsOf(t, inst) {
			if w != 1 {
				t.Errorf("%s: function %d weighs %d", k.name, i, w)
			}
		}
	}
}

func TestGoProgramWeights(t *testing.T) {
	inst, err := Instrument(goProgram(t), Options{})
	if err != nil {
		t.Fatal(err)
	}
	ws := weightsOf(t, inst)
	hist := map[string]int{}
	var maxW uint64
	for _, w := range ws {
		switch {
		case w == 1:
			hist["1"]++
		case w <= 4:
			hist["2-4"]++
		case w <= 16:
			hist["5-16"]++
		case w <= 64:
			hist["17-64"]++
		default:
			hist[">64"]++
		}
		maxW = max(maxW, w)
	}
	t.Logf("%d functions; weights: %v; heaviest %d", len(ws), hist, maxW)
	if maxW*FrameUnit > MaxFrameBound {
		t.Errorf("heaviest function weighs %d", maxW)
	}
}
