// Package meter makes WebAssembly programs count their own execution, so
// that a cycle budget can be enforced identically on every machine and under
// every engine.
//
// # Role
//
// Provers and verifiers run untrusted WebAssembly modules under wazero,
// which has no fuel metering of its own. Instrument rewrites a module's
// bytes before they are compiled: it adds a mutable i64 global, exported as
// GasExport, holding the remaining budget, and code that subtracts the cost
// of what runs from it and traps with `unreachable` as soon as it goes
// negative. The host sets the global before calling _start and reads it
// afterwards: cycles used = budget - remaining. A trap with remaining < 0 is
// an exhausted budget; any other ending leaves remaining >= 0.
//
// It also bounds the call depth (see Call depth below): a second global,
// exported as DepthExport, counts the depth, and a call that would go
// deeper than Options.MaxCallDepth traps. A trap with remaining >= 0 and
// depth > MaxCallDepth is the depth limit.
//
// # Cost model
//
// The cost of a run is the sum, over every instruction the module executes,
// of that instruction's weight in the CostTable (DefaultCosts: 1 for every
// instruction), plus three dynamic surcharges:
//
//   - memory.grow: MemoryPerPage per requested 64 KiB page (whether or not
//     the grow succeeds), charged before the grow runs;
//   - memory.copy, memory.fill, memory.init, table.copy, table.fill,
//     table.init and table.grow: ceil(n * BulkPerByte / BulkScale), where n
//     is the byte (memory) or element (table) count operand, charged before
//     the instruction runs;
//   - a call of an imported (host) function: CallImport, added to the
//     weight of the call instruction. call_indirect and
//     return_call_indirect carry it too when an imported function could be
//     reached through a table (see below).
//
// "Executed" follows the structured control flow of WebAssembly, position
// by position in the code: block, loop and if count when they are entered;
// a branch to a loop lands after the loop instruction (which is not counted
// again); a branch to a block or if lands after its end (which is not
// counted); end and else count when control reaches them by falling
// through (else then jumps past the matching end); an if whose condition is
// false continues after its else, or after its end when there is none,
// without counting either. The final end of a function counts when the body
// falls off it, return counts when it returns.
//
// The instructions the instrumentation inserts are never charged. Costs are
// charged per basic block, in advance: at the start of each straight-line
// run of code the whole run's weight is subtracted at once (see
// docs/METERING.md for how the runs are cut). A run is only ever entered at
// its start and every instruction in it runs once control enters it, unless
// an instruction traps, so when no trap occurs the charged sum equals the
// executed sum exactly. Control can only leave a run early by a trap, and
// calls end a run, so a host function that never returns (proc_exit) leaves
// nothing charged that did not run.
//
// An imported function can be reached through a table only if the module
// imports or exports a table, imports a funcref global or exports one,
// names an imported function in an element segment, a global initializer or
// a function export (which makes ref.func of it valid), or passes funcref
// values across its boundary (an imported function returning funcref, an
// exported function taking one). If none of these holds, call_indirect is
// charged like any instruction.
//
// # Call depth
//
// wazero's engines run out of stack at different depths: the interpreter
// after 2000 frames, the compiler when its stack, which depends on frame
// sizes and thus on the architecture, passes about 50 MB. A run's outcome
// must not depend on where that happens, so the instrumentation counts the
// depth itself. Every function gets a weight w >= 1 and an i32 local $d; on
// entry it runs
//
//	$d = depth + w; depth = $d; if $d > MaxCallDepth { unreachable }
//
// and after every call and call_indirect returns, depth = $d. Returns do
// not decrement it (traps end the run, and the caller restores it), so
// after the outermost function returns the global holds that function's
// weight: a host that calls into an instance more than once sets it back
// to 0 first. A return_call or return_call_indirect that wazero's compiler
// runs as a jump (the callee's parameters and results all fit in registers
// on amd64 and arm64, and it cannot be an imported function) first sets
// depth = $d - w, the depth at entry, so tail recursion runs in constant
// depth; any other tail call may run as a plain call and counts as one.
// None of this code is charged: a call that exceeds the limit traps before
// its callee charges anything, with remaining >= 0.
//
// The weight is the function's frame bound in FrameUnit (2 KiB) units,
// rounded up. The bound over-approximates the frame wazero's compiler gives
// the function: spill slots are never shared there, so the frame grows with
// every value the function defines and with the phis where control paths
// join (locals times joins), not just with its locals: a function with no
// locals and 2000 values live across a call has a 9 KB frame. The depth
// limit thus bounds the total frame size: at most MaxCallDepthLimit *
// FrameUnit = 24 MiB, plus MaxFrameBound = 8 MiB for the function whose
// entry traps (its frame is allocated before its check runs), 32 MiB in
// all, below the 50,000,000 bytes wazero's compiler always provides.
// Functions whose bound exceeds MaxFrameBound are rejected. Small functions
// weigh 1, so MaxCallDepth is their number of nested calls; typical Go
// functions weigh 2 to 16. docs/METERING.md has the details.
//
// Consensus runs use the compiler. The interpreter, for tests, stops at
// 2000 frames of its own, below the default limit: runs compared across
// engines must stay below 2000 frames.
//
// # NaNs
//
// WebAssembly leaves the sign, and with NaN operands the payload, of a NaN
// a float instruction produces to the machine (0/0 is 0xFFF8000000000000
// on amd64, 0x7FF8000000000000 on arm64), so a program reading the bits
// could end differently on different machines. After every instruction
// whose NaN the spec leaves open (f32/f64 and f32x4/f64x2 ceil, floor,
// trunc, nearest, sqrt, add, sub, mul, div, min, max, and the demotions
// and promotions) the instrumentation inserts
//
//	local.tee $t; const canonical; local.get $t; local.get $t; eq; select
//
// (v128.bitselect for SIMD), which replaces a NaN with the canonical
// positive quiet NaN, 0x7FC00000 or 0x7FF8000000000000 per lane. That is
// a result the spec allows, and every other result keeps its bits.
// Instructions whose bits the spec fixes (abs, neg, copysign, reinterpret,
// moves, pmin and pmax) are left alone. $t is a scratch local per type
// (f32, f64, v128); the code is not charged. docs/METERING.md has the
// details.
//
// # Invariants
//
//   - The output is a pure function of the input bytes and the Options.
//   - No function, table, memory, type, element or data index moves: the gas
//     and depth globals are appended after all existing globals, the depth
//     local and, in the functions that need them, a scratch i32 local and
//     the f32, f64 and v128 scratch locals of the NaN canonicalisation are
//     appended to the locals, and no function is added.
//   - The global and export sections only gain two entries each (they are
//     created if absent). Every other section, custom sections included,
//     is copied byte for byte, and so are the instructions of the code
//     section: only inserted code, the new locals and size fields are new.
//   - Every NaN whose bits the spec leaves to the machine is replaced with
//     the canonical one, so no value depends on the machine; an
//     instruction's result that is not a NaN keeps its bits.
//   - Input code that refers to a global or local beyond those it declares is
//     rejected, so code can never reach the gas or depth global or the
//     locals that instrumentation introduces.
//   - The budget must lie in [0, 2^63-1] when set. The check after every
//     charge runs before the charged code, so remaining never drops below
//     -(largest single charge), and no arithmetic on it can overflow.
//   - Every loop iteration and every call costs at least 1 (the table must
//     give br, br_if, br_table and the call instructions a nonzero weight),
//     so no program runs forever on a finite budget.
//
// Supported: the WebAssembly 2.0 core instruction set as wazero v1.12
// enables it by default (MVP, sign extension, saturating float-to-int,
// bulk memory, multi-value block types, reference types, fixed-width SIMD
// with its NaNs canonicalised), plus tail calls. Rejected with
// ErrUnsupported: threads and atomics, exception handling, typed function
// references and GC, relaxed SIMD, memory64, multiple memories, shared
// memories, non-canonical encodings of prefixed opcodes (which wazero
// decodes differently from the spec), functions with more than MaxLocals
// locals and functions whose frame bound exceeds MaxFrameBound. Malformed
// input is rejected with ErrMalformed; Instrument never panics.
package meter

import (
	"errors"
	"fmt"
	"math"
)

// GasExport is the export name of the mutable i64 global that holds the
// remaining budget.
const GasExport = "provernet_gas"

// DepthExport is the export name of the mutable i32 global that holds the
// current call depth, in frame units (see the package documentation).
const DepthExport = "provernet_depth"

// Call depth limit (see the package documentation for the arithmetic).
// MaxCallDepthLimit*FrameUnit + MaxFrameBound = 32 MiB, the most stack
// the frames below a depth trap can take, is under the 50,000,000 bytes
// wazero's compiler provides.
const (
	// DefaultMaxCallDepth is the depth limit a zero Options.MaxCallDepth
	// selects.
	DefaultMaxCallDepth = 10000
	// MaxCallDepthLimit caps Options.MaxCallDepth:
	// MaxCallDepthLimit*FrameUnit = 24 MiB.
	MaxCallDepthLimit = 12288
	// FrameUnit is the stack size, in bytes, one unit of depth stands for:
	// a function whose frame bound is b bytes counts ceil(b/FrameUnit)
	// units (at least 1).
	FrameUnit = 2048
	// MaxFrameBound bounds the frame of a single function: functions whose
	// frame bound exceeds it are rejected with ErrUnsupported.
	MaxFrameBound = 8 << 20
)

// Defaults of the dynamic surcharges (a zero Options field selects them).
const (
	DefaultMemoryPerPage = 1024 // cycles per 64 KiB page requested by memory.grow
	DefaultBulkPerByte   = 1    // in 1/BulkScale cycles: one cycle per 64 bytes
	DefaultCallImport    = 100  // cycles per call of a host function
)

// BulkScale is the denominator of Options.BulkPerByte: a bulk operation on n
// bytes or elements costs ceil(n * BulkPerByte / BulkScale) extra cycles.
const BulkScale = 64

// MaxSurcharge bounds MemoryPerPage, BulkPerByte and CallImport, so that no
// dynamic charge can overflow 63 bits (n is at most 2^32-1).
const MaxSurcharge = 1<<31 - 1

// MaxLocals bounds the parameters plus locals of one function. wazero
// allocates per declared local before validating anything else, so an
// unbounded count (up to 2^32) would let a tiny module take gigabytes of
// memory; 50000 is the limit web engines enforce. (Locals do not bound a
// frame by themselves; they count in the frame bound, see Call depth.)
const MaxLocals = 50000

// Errors returned by Instrument wrap one of these.
var (
	// ErrMalformed: the input is not a well-formed WebAssembly binary
	// module (or refers to indices it does not declare).
	ErrMalformed = errors.New("meter: malformed module")
	// ErrUnsupported: the input uses a feature the metering does not
	// handle, has a function whose frame may be too large, or already
	// exports GasExport or DepthExport.
	ErrUnsupported = errors.New("meter: unsupported module")
	// ErrOptions: the Options are out of range.
	ErrOptions = errors.New("meter: invalid options")
)

// CostTable gives the weight of each instruction, by opcode. Weights of
// opcodes that do not exist are ignored.
type CostTable struct {
	// Op is indexed by single-byte opcodes; entries 0xFC, 0xFD and 0xFE
	// (prefixes) are unused.
	Op [256]uint32
	// Misc is indexed by the sub-opcode of 0xFC-prefixed instructions
	// (saturating truncation 0-7, bulk memory and table 8-17).
	Misc [18]uint32
	// SIMD is indexed by the sub-opcode of 0xFD-prefixed instructions.
	SIMD [256]uint32
}

// DefaultCosts returns a fresh table in which every instruction costs 1.
func DefaultCosts() *CostTable {
	t := new(CostTable)
	for i := range t.Op {
		t.Op[i] = 1
	}
	for i := range t.Misc {
		t.Misc[i] = 1
	}
	for i := range t.SIMD {
		t.SIMD[i] = 1
	}
	return t
}

// Options sets the cost model. The zero value selects the defaults.
type Options struct {
	// Costs weighs each instruction; nil selects DefaultCosts.
	Costs *CostTable
	// MemoryPerPage is charged per 64 KiB page memory.grow asks for
	// (0: DefaultMemoryPerPage).
	MemoryPerPage uint64
	// BulkPerByte is the surcharge per byte of memory.copy, memory.fill and
	// memory.init, and per element of table.copy, table.fill, table.init and
	// table.grow, in units of 1/BulkScale cycle, rounded up per instruction
	// (0: DefaultBulkPerByte, i.e. one cycle per 64 bytes).
	BulkPerByte uint64
	// CallImport is charged per call of an imported function, on top of the
	// call instruction's own weight (0: DefaultCallImport).
	CallImport uint64
	// InitialGas is the initial value of the gas global, the budget of the
	// module's start function (if it has a start section) during
	// instantiation. Must be at most 2^63-1. Hosts set the global again
	// before calling _start.
	InitialGas uint64
	// MaxCallDepth is the largest call depth, in frame units, a program
	// may reach; a call that would go deeper traps (0:
	// DefaultMaxCallDepth; at most MaxCallDepthLimit). Functions with
	// small frames count one unit each, so this is the number of nested
	// calls of such functions.
	MaxCallDepth uint32

	// perInstruction (tests only) charges every instruction on its own,
	// straight before it, without any control-flow analysis: the naive
	// reference the basic-block metering is checked against.
	perInstruction bool
	// checkEveryBlock (tests only) checks the budget after every charge.
	checkEveryBlock bool
	// keepNaNs (tests only) leaves NaNs as the engine makes them.
	keepNaNs bool
}

// config is Options with the defaults applied and checked.
type config struct {
	costs         *CostTable
	memoryPerPage uint64
	bulkPerByte   uint64
	callImport    uint64
	initialGas    int64
	maxDepth      uint32
	perInstr      bool
	// unitWeights (tests only) makes every function count one unit of
	// depth whatever its frame bound, to show the bound is needed.
	unitWeights bool
	// checkEveryBlock (tests only) checks the budget after every charge,
	// not only at function entries and loop heads.
	checkEveryBlock bool
	// keepNaNs (tests only) leaves NaNs as the engine produces them, to
	// show the canonicalisation is needed.
	keepNaNs bool
}

func (o Options) resolve() (*config, error) {
	c := &config{
		costs:           o.Costs,
		memoryPerPage:   o.MemoryPerPage,
		bulkPerByte:     o.BulkPerByte,
		callImport:      o.CallImport,
		perInstr:        o.perInstruction,
		checkEveryBlock: o.checkEveryBlock,
		keepNaNs:        o.keepNaNs,
	}
	if c.costs == nil {
		c.costs = DefaultCosts()
	}
	if c.memoryPerPage == 0 {
		c.memoryPerPage = DefaultMemoryPerPage
	}
	if c.bulkPerByte == 0 {
		c.bulkPerByte = DefaultBulkPerByte
	}
	if c.callImport == 0 {
		c.callImport = DefaultCallImport
	}
	for _, v := range []struct {
		name string
		v    uint64
	}{{"MemoryPerPage", c.memoryPerPage}, {"BulkPerByte", c.bulkPerByte}, {"CallImport", c.callImport}} {
		if v.v > MaxSurcharge {
			return nil, fmt.Errorf("%w: %s %d exceeds %d", ErrOptions, v.name, v.v, MaxSurcharge)
		}
	}
	if o.InitialGas > math.MaxInt64 {
		return nil, fmt.Errorf("%w: InitialGas %d exceeds 2^63-1", ErrOptions, o.InitialGas)
	}
	c.initialGas = int64(o.InitialGas)
	c.maxDepth = o.MaxCallDepth
	if c.maxDepth == 0 {
		c.maxDepth = DefaultMaxCallDepth
	}
	if c.maxDepth > MaxCallDepthLimit {
		return nil, fmt.Errorf("%w: MaxCallDepth %d exceeds %d", ErrOptions, c.maxDepth, MaxCallDepthLimit)
	}
	// Termination: every backward jump and every call must cost something.
	for _, op := range []byte{opBr, opBrIf, opBrTable, opCall, opCallIndirect, opReturnCall, opReturnCallIndirect} {
		if c.costs.Op[op] == 0 {
			return nil, fmt.Errorf("%w: opcode %#02x must cost at least 1 (it can repeat code)", ErrOptions, op)
		}
	}
	return c, nil
}

// Instrument returns a copy of the WebAssembly binary module wasm that
// charges the cycles it executes to the exported global GasExport and
// bounds its call depth with the exported global DepthExport, as the
// package documentation describes. It does not modify wasm. Errors wrap
// ErrMalformed, ErrUnsupported or ErrOptions.
func Instrument(wasm []byte, opts Options) ([]byte, error) {
	cfg, err := opts.resolve()
	if err != nil {
		return nil, err
	}
	return instrument(wasm, cfg)
}

func malformed(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrMalformed, fmt.Sprintf(format, args...))
}

func unsupported(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrUnsupported, fmt.Sprintf(format, args...))
}
