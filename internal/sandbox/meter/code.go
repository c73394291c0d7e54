package meter

import (
	"math"
	"math/bits"
	"strconv"
)

// Opcodes the rewriter treats specially.
const (
	opUnreachable        = 0x00
	opBlock              = 0x02
	opLoop               = 0x03
	opIf                 = 0x04
	opElse               = 0x05
	opEnd                = 0x0b
	opBr                 = 0x0c
	opBrIf               = 0x0d
	opBrTable            = 0x0e
	opReturn             = 0x0f
	opCall               = 0x10
	opCallIndirect       = 0x11
	opReturnCall         = 0x12
	opReturnCallIndirect = 0x13
	opSelectT            = 0x1c
	opLocalGet           = 0x20
	opLocalSet           = 0x21
	opLocalTee           = 0x22
	opGlobalGet          = 0x23
	opGlobalSet          = 0x24
	opMemoryGrow         = 0x40
	opI32Const           = 0x41
	opI64Const           = 0x42
	opF32Const           = 0x43
	opF64Const           = 0x44
	opI32GtU             = 0x4b
	opI64LtS             = 0x53
	opI32Add             = 0x6a
	opI32Sub             = 0x6b
	opI64Add             = 0x7c
	opI64Sub             = 0x7d
	opI64Mul             = 0x7e
	opI64ShrU            = 0x88
	opI64ExtendI32U      = 0xad
	opRefNull            = 0xd0
	opRefFunc            = 0xd2
	prefixMisc           = 0xfc
	prefixSIMD           = 0xfd
	prefixAtomic         = 0xfe
	blockEmpty           = 0x40
	simdV128Const        = 0x0c
)

// Marks on instruction boundaries (boundary k is just before instruction k).
const (
	markStart = 1 << iota // a basic block starts here
	markLive              // and control can reach it: charge it here
	markLoop              // it is a loop's body: check the budget here
)

// Dynamic surcharges.
const (
	dynNone = iota
	dynGrow // memory.grow: pages * memoryPerPage
	dynBulk // bulk memory and table operations: ceil(n * bulkPerByte / 64)
)

// Control frame kinds.
const (
	ctlFunc = iota
	ctlBlock
	ctlLoop
	ctlIf
	ctlElse
)

type ctl struct {
	kind      uint8
	targeted  bool  // some branch targets this label
	bodyStart int32 // index of the first instruction inside
}

// What the depth accounting does around a call instruction.
const (
	callNone     = iota
	callRestore  // call, call_indirect: set the depth back after it returns
	callTailFlat // return_call*: the callee replaces the frame; leave first
	// A return_call* that wazero may run as a plain call (stack arguments,
	// or an imported callee) is left alone: the frame stays counted.
)

type inst struct {
	start, end int32 // byte range in the function body
	cost       uint64
	dyn        uint8
	call       uint8
	nan        uint8 // NaN kind of the result (nan.go): canonicalise it
}

// inserted counts what the instrumentation adds to a function, for its
// frame bound.
type inserted struct {
	charges  uint64 // charges at the start of basic blocks
	dyns     uint64 // dynamic charges
	restores uint64 // depth restores after calls
	tails    uint64 // depth resets before tail calls
	nans     uint64 // NaN canonicalisations
	slots    uint64 // scratch locals of the canonicalisations
}

// frameStats gathers, while decoding a function, what bounds the frame
// wazero's compiler gives it (see frameBound).
type frameStats struct {
	values   uint64 // values the instructions may define
	merges   uint64 // blocks where control paths join
	arity    uint64 // parameters and results of blocks
	calls    uint64 // calls, including those to wazero's runtime
	callArea uint64 // the most parameters plus results of a call
	globals  uint64 // distinct globals referenced
}

// rewriter holds per-module state and buffers reused across functions.
type rewriter struct {
	m     *module
	cfg   *config
	gas   uint32
	depth uint32
	insts []inst
	marks []uint8
	stack []ctl
	sums  []uint64 // per basic block: the sum charged at its start
	fs    frameStats
	// globalSeen[g] == fn: the current function references global g (fn
	// is the index of the current function among the defined ones, plus 1).
	globalSeen []uint32
	fn         uint32
}

// validSIMD lists the fixed-width SIMD sub-opcodes (0x00-0xff) that exist.
var validSIMD = func() (v [256]bool) {
	for i := range v {
		v[i] = true
	}
	for _, op := range []int{0x9a, 0xa2, 0xa5, 0xa6, 0xaf, 0xb0, 0xb2, 0xb3, 0xb4, 0xbb, 0xc2, 0xc5, 0xc6, 0xcf, 0xd0, 0xd2, 0xd3, 0xd4, 0xe2, 0xee} {
		v[op] = false
	}
	return v
}()

func rewriteCode(sec []byte, m *module, cfg *config, gas, depth uint32) ([]byte, error) {
	r := &reader{b: sec}
	n, err := r.u32()
	if err != nil {
		return nil, err
	}
	rw := &rewriter{m: m, cfg: cfg, gas: gas, depth: depth, globalSeen: make([]uint32, m.globals)}
	out := make([]byte, 0, len(sec)*2+16)
	out = appendULEB(out, uint64(n))
	var fn []byte
	for i := uint32(0); i < n; i++ {
		size, err := r.u32()
		if err != nil {
			return nil, err
		}
		start := r.off
		if err := r.skip(int(size)); err != nil {
			return nil, malformed("function %d: body size %d exceeds the code section", i, size)
		}
		typ := m.types[m.funcTypes[i]]
		rw.fn = i + 1
		fn, err = rw.function(fn[:0], sec[start:r.off], typ)
		if err != nil {
			return nil, &funcError{f: m.importedFuncs + i, err: err}
		}
		if uint64(len(fn)) > math.MaxUint32 {
			return nil, unsupported("function %d grows beyond 4 GiB", m.importedFuncs+i)
		}
		out = appendULEB(out, uint64(len(fn)))
		out = append(out, fn...)
	}
	if !r.eof() {
		return nil, malformed("code section: trailing bytes")
	}
	return out, nil
}

// funcError places an error in a function (by function index).
type funcError struct {
	f   uint32
	err error
}

func (e *funcError) Error() string {
	return e.err.Error() + " (in function " + strconv.FormatUint(uint64(e.f), 10) + ")"
}

func (e *funcError) Unwrap() error { return e.err }

// function rewrites one body (locals and expression) into dst.
func (rw *rewriter) function(dst, body []byte, typ funcType) ([]byte, error) {
	r := &reader{b: body}
	groups, err := r.count(2)
	if err != nil {
		return nil, err
	}
	locals := uint64(typ.params)
	for g := uint32(0); g < groups; g++ {
		c, err := r.u32()
		if err != nil {
			return nil, err
		}
		t, err := r.byte()
		if err != nil {
			return nil, err
		}
		if !isValType(t) {
			return nil, typeError("local", t)
		}
		locals += uint64(c)
		if locals > MaxLocals {
			return nil, unsupported("more than %d locals", MaxLocals)
		}
	}
	if locals > MaxLocals {
		return nil, unsupported("more than %d parameters and locals", MaxLocals)
	}
	localsEnd := r.off
	code := body[localsEnd:]
	rw.fs = frameStats{arity: uint64(typ.results)}
	needScratch, err := rw.decode(code, locals)
	if err != nil {
		return nil, err
	}
	insts, marks := rw.insts, rw.marks

	// The sums charged at the start of each basic block (0: none), and
	// what else is inserted.
	var ins inserted
	var slotUsed [numSlots]bool
	sums := rw.sums[:0]
	for k := 0; k < len(insts); {
		j := k + 1
		for j < len(insts) && marks[j]&markStart == 0 {
			j++
		}
		var sum uint64
		if marks[k]&markLive != 0 {
			for t := k; t < j; t++ {
				if insts[t].cost > math.MaxInt64-sum {
					return nil, unsupported("a basic block costs more than 2^63-1")
				}
				sum += insts[t].cost
			}
		}
		if sum > 0 {
			ins.charges++
		}
		sums = append(sums, sum)
		for t := k; t < j; t++ {
			if insts[t].dyn != dynNone {
				ins.dyns++
			}
			switch insts[t].call {
			case callRestore:
				ins.restores++
			case callTailFlat:
				ins.tails++
			}
			if insts[t].nan != nanNone {
				ins.nans++
				slotUsed[nanSlot(insts[t].nan)] = true
			}
		}
		k = j
	}
	rw.sums = sums

	for _, used := range slotUsed {
		if used {
			ins.slots++
		}
	}
	bound := rw.frameBound(locals, ins)
	if bound > MaxFrameBound {
		return nil, unsupported("its stack frame may take %d bytes, more than %d", bound, MaxFrameBound)
	}
	weight := (bound + FrameUnit - 1) / FrameUnit
	if rw.cfg.unitWeights {
		weight = 1
	}

	// Locals: the original groups, then the depth local and, if needed,
	// the scratch local (both i32), then one group per scratch local of
	// the NaN canonicalisation (f32, f64, v128, those needed). Appended
	// after all others, they move no index.
	dl, scratch := uint32(locals), uint32(locals)+1
	extra := byte(1)
	if needScratch {
		extra = 2
	}
	dst = appendULEB(dst, uint64(groups)+1+ins.slots)
	dst = append(dst, body[r.lebEnd(0):localsEnd]...)
	dst = append(dst, extra, valI32)
	var slotLocal [numSlots]uint32
	next := uint32(locals) + uint32(extra)
	for s, used := range slotUsed {
		if used {
			slotLocal[s] = next
			next++
			dst = append(dst, 1, slotType[s])
		}
	}

	dst = rw.appendDepthEntry(dst, dl, weight)
	b := 0
	for k := 0; k < len(insts); b++ {
		j := k + 1
		for j < len(insts) && marks[j]&markStart == 0 {
			j++
		}
		if sums[b] > 0 {
			check := k == 0 || marks[k]&markLoop != 0 || rw.cfg.checkEveryBlock
			dst = rw.appendCharge(dst, sums[b], check)
		}
		for t := k; t < j; t++ {
			in := insts[t]
			switch in.dyn {
			case dynGrow:
				dst = rw.appendDynamic(dst, scratch, rw.cfg.memoryPerPage, false)
			case dynBulk:
				dst = rw.appendDynamic(dst, scratch, rw.cfg.bulkPerByte, true)
			}
			if in.call == callTailFlat {
				dst = rw.appendDepthLeave(dst, dl, weight)
			}
			dst = append(dst, code[in.start:in.end]...)
			if in.call == callRestore {
				dst = rw.appendDepthRestore(dst, dl)
			}
			if in.nan != nanNone {
				dst = appendCanonNaN(dst, in.nan, slotLocal[nanSlot(in.nan)])
			}
		}
		k = j
	}
	return dst, nil
}

// frameBound bounds, in bytes, the stack frame wazero's compiler (v1.12,
// amd64 and arm64) gives the instrumented function. The frame holds the
// return address and saved frame pointer, the callee-saved registers the
// function uses (at most 23, 16 bytes each), the stack arguments and
// results of its calls, and one spill slot (at most 16 bytes) per SSA value
// the register allocator ever spills: slots are never shared. A value is
// defined by an instruction, by a call (results, and the memory base,
// length and globals reloaded after it), by an initial local, or is a phi:
// a parameter of a block where paths join, at most one per variable
// (parameters, locals, referenced globals, memory base and length) and per
// block result. vars is the number of parameters and locals; ins counts
// the inserted code.
func (rw *rewriter) frameBound(vars uint64, ins inserted) uint64 {
	fs := &rw.fs
	globals := fs.globals + 2 // and the gas and depth globals
	values := satAdd(vars, fs.values, satMul(3, fs.arity),
		satMul(fs.calls, globals+2),
		satMul(fs.merges, satAdd(vars, globals, 2)),
		// The instrumentation: per charge, the gas before and after
		// and the comparison; per dynamic charge the operand, product,
		// rounding; the depth and comparison at entry; the depth
		// written after calls and before tail calls; per NaN
		// canonicalisation its constant, comparison and select, and
		// the initial value of each scratch local (which never needs
		// a phi: it is always written right before it is read, in the
		// same basic block).
		satMul(4, ins.charges), satMul(12, ins.dyns), 6, ins.restores, satMul(3, ins.tails),
		satMul(canonValues, ins.nans), ins.slots)
	return satAdd(512, satMul(16, fs.callArea), satMul(16, values))
}

func satAdd(xs ...uint64) uint64 {
	var s uint64
	for _, x := range xs {
		if s+x < s {
			return math.MaxUint64
		}
		s += x
	}
	return s
}

func satMul(a, b uint64) uint64 {
	hi, lo := bits.Mul64(a, b)
	if hi != 0 {
		return math.MaxUint64
	}
	return lo
}

// lebEnd returns the offset just after the LEB128 number starting at off.
func (r *reader) lebEnd(off int) int {
	for off < len(r.b) && r.b[off]&0x80 != 0 {
		off++
	}
	return off + 1
}

// appendDepthEntry appends the function's prologue: $d = depth + weight;
// depth = $d; if $d > max { unreachable }. It is never charged.
func (rw *rewriter) appendDepthEntry(dst []byte, d uint32, weight uint64) []byte {
	dst = append(dst, opGlobalGet)
	dst = appendULEB(dst, uint64(rw.depth))
	dst = append(dst, opI32Const)
	dst = appendSLEB(dst, int64(weight))
	dst = append(dst, opI32Add, opLocalTee)
	dst = appendULEB(dst, uint64(d))
	dst = append(dst, opGlobalSet)
	dst = appendULEB(dst, uint64(rw.depth))
	dst = append(dst, opLocalGet)
	dst = appendULEB(dst, uint64(d))
	dst = append(dst, opI32Const)
	dst = appendSLEB(dst, int64(rw.cfg.maxDepth))
	return append(dst, opI32GtU, opIf, blockEmpty, opUnreachable, opEnd)
}

// appendDepthRestore appends depth = $d, after a call returns.
func (rw *rewriter) appendDepthRestore(dst []byte, d uint32) []byte {
	dst = append(dst, opLocalGet)
	dst = appendULEB(dst, uint64(d))
	dst = append(dst, opGlobalSet)
	return appendULEB(dst, uint64(rw.depth))
}

// appendDepthLeave appends depth = $d - weight, the depth at entry, before
// a tail call that replaces the frame.
func (rw *rewriter) appendDepthLeave(dst []byte, d uint32, weight uint64) []byte {
	dst = append(dst, opLocalGet)
	dst = appendULEB(dst, uint64(d))
	dst = append(dst, opI32Const)
	dst = appendSLEB(dst, int64(weight))
	dst = append(dst, opI32Sub, opGlobalSet)
	return appendULEB(dst, uint64(rw.depth))
}

// appendCharge appends gas -= cost and, if check, if gas < 0 { unreachable }.
// Checks are only needed where a run could otherwise go on without bound:
// at function entry and at the head of every loop iteration; the host
// treats a run that ends with gas < 0 as exhausted too.
func (rw *rewriter) appendCharge(dst []byte, cost uint64, check bool) []byte {
	dst = append(dst, opGlobalGet)
	dst = appendULEB(dst, uint64(rw.gas))
	dst = append(dst, opI64Const)
	dst = appendSLEB(dst, int64(cost))
	dst = append(dst, opI64Sub)
	if !check {
		dst = append(dst, opGlobalSet)
		return appendULEB(dst, uint64(rw.gas))
	}
	return rw.appendStoreCheck(dst)
}

// appendStoreCheck stores the i64 on the stack into gas and traps if it is
// negative.
func (rw *rewriter) appendStoreCheck(dst []byte) []byte {
	dst = append(dst, opGlobalSet)
	dst = appendULEB(dst, uint64(rw.gas))
	dst = append(dst, opGlobalGet)
	dst = appendULEB(dst, uint64(rw.gas))
	return append(dst, opI64Const, 0, opI64LtS, opIf, blockEmpty, opUnreachable, opEnd)
}

// appendDynamic charges for the i32 operand on top of the stack, leaving it
// there: gas -= n*per (bulk: ceil(n*per/BulkScale)).
func (rw *rewriter) appendDynamic(dst []byte, scratch uint32, per uint64, bulk bool) []byte {
	dst = append(dst, opLocalTee)
	dst = appendULEB(dst, uint64(scratch))
	dst = append(dst, opGlobalGet)
	dst = appendULEB(dst, uint64(rw.gas))
	dst = append(dst, opLocalGet)
	dst = appendULEB(dst, uint64(scratch))
	dst = append(dst, opI64ExtendI32U, opI64Const)
	dst = appendSLEB(dst, int64(per))
	dst = append(dst, opI64Mul)
	if bulk {
		dst = append(dst, opI64Const)
		dst = appendSLEB(dst, BulkScale-1)
		dst = append(dst, opI64Add, opI64Const)
		dst = appendSLEB(dst, 6) // log2(BulkScale)
		dst = append(dst, opI64ShrU)
	}
	dst = append(dst, opI64Sub)
	return rw.appendStoreCheck(dst)
}

// decode splits code into instructions, checks its structure and the
// indices that matter to metering, weighs each instruction and marks the
// basic block boundaries. It reports whether a scratch local is needed.
func (rw *rewriter) decode(code []byte, locals uint64) (bool, error) {
	m, costs, fs := rw.m, rw.cfg.costs, &rw.fs
	r := &reader{b: code}
	insts := rw.insts[:0]
	marks := append(rw.marks[:0], markStart|markLive)
	stack := append(rw.stack[:0], ctl{kind: ctlFunc})
	needScratch := false
	defer func() { rw.insts, rw.marks, rw.stack = insts, marks, stack }()

	target := func(l uint32) error {
		if uint64(l) >= uint64(len(stack)) {
			return malformed("branch depth %d out of range", l)
		}
		stack[len(stack)-1-int(l)].targeted = true
		return nil
	}
	// blockType reads a block type and adds its arity to the frame stats.
	blockType := func() error {
		b, err := r.peek()
		if err != nil {
			return err
		}
		if b == blockEmpty || isValType(b) {
			if b != blockEmpty {
				fs.arity++
			}
			r.off++
			return nil
		}
		if b >= 0x40 && b < 0x80 { // a negative one-byte s33: a type
			return typeError("block", b)
		}
		t, err := r.sleb(33)
		if err != nil {
			return err
		}
		if t < 0 || t >= int64(len(m.types)) {
			return malformed("block type %d out of range", t)
		}
		fs.arity += m.types[t].arity()
		return nil
	}
	memarg := func() error {
		align, err := r.u32()
		if err != nil {
			return err
		}
		if align >= 64 {
			return unsupported("multiple memories (memarg flags %#x)", align)
		}
		_, err = r.u32()
		return err
	}
	zeroByte := func() error {
		b, err := r.byte()
		if err != nil {
			return err
		}
		if b != 0 {
			return unsupported("memory index %#x (multiple memories)", b)
		}
		return nil
	}
	funcIdx := func() (uint32, error) {
		f, err := r.u32()
		if err == nil && uint64(f) >= m.numFuncs() {
			err = malformed("function index %d out of range", f)
		}
		return f, err
	}
	typeIdx := func() (uint32, error) {
		t, err := r.u32()
		if err == nil && int(t) >= len(m.types) {
			err = malformed("type index %d out of range", t)
		}
		return t, err
	}
	// aCall adds a call of a function of type t to the frame stats: its
	// arguments and results, and the checks of an indirect call.
	aCall := func(t funcType) {
		fs.calls++
		fs.values += t.arity() + 8
		fs.callArea = max(fs.callArea, t.arity())
	}
	global := func(x uint32) {
		if rw.globalSeen[x] != rw.fn {
			rw.globalSeen[x] = rw.fn
			fs.globals++
		}
	}
	skipU32 := func(n int) error {
		for ; n > 0; n-- {
			if _, err := r.u32(); err != nil {
				return err
			}
		}
		return nil
	}

	for {
		if r.eof() {
			return false, malformed("function body ends without end")
		}
		i := len(insts)
		start := r.off
		op, _ := r.byte()
		cost := uint64(costs.Op[op])
		dyn := uint8(dynNone)
		callKind := uint8(callNone)
		nan := uint8(nanNone)
		var after uint8 // marks for boundary i+1
		var err error
		// Values the instruction may define (see frameBound): most define
		// their result and maybe an intermediate one.
		values := uint64(2)
		switch op {
		case opUnreachable, opReturn:
			after = markStart
			values = 0
		case 0x01, 0x1a: // nop, drop
			values = 0
		case 0x1b, 0xd1: // select, ref.is_null
		case opBlock, opLoop, opIf:
			values = 0
			if err = blockType(); err != nil {
				break
			}
			kind := uint8(ctlBlock)
			if op == opLoop {
				kind = ctlLoop
			} else if op == opIf {
				kind = ctlIf
			}
			stack = append(stack, ctl{kind: kind, bodyStart: int32(i + 1)})
			if op == opIf {
				after = markStart | markLive // taken when the condition holds
			}
		case opElse:
			values = 0
			if top := &stack[len(stack)-1]; top.kind != ctlIf {
				err = malformed("else without if")
			} else {
				top.kind = ctlElse
			}
			after = markStart | markLive // where a false condition lands
		case opEnd:
			values = 0
			top := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			switch top.kind {
			case ctlFunc:
				if !r.eof() {
					return false, malformed("%d bytes after the end of the function", len(code)-r.off)
				}
			case ctlBlock:
				if top.targeted {
					after = markStart | markLive
					fs.merges++
				}
			case ctlLoop:
				if top.targeted {
					marks[top.bodyStart] |= markStart | markLive | markLoop
					fs.merges++
				}
			case ctlIf, ctlElse:
				after = markStart | markLive
				fs.merges++
			}
		case opBr:
			values = 0
			var l uint32
			if l, err = r.u32(); err == nil {
				err = target(l)
			}
			after = markStart
		case opBrIf:
			values = 0
			var l uint32
			if l, err = r.u32(); err == nil {
				err = target(l)
			}
			after = markStart | markLive
		case opBrTable:
			values = 0
			var n, l uint32
			if n, err = r.u32(); err != nil {
				break
			}
			for j := uint64(0); j <= uint64(n) && err == nil; j++ {
				if l, err = r.u32(); err == nil {
					err = target(l)
				}
			}
			after = markStart
		case opCall, opReturnCall:
			var f uint32
			if f, err = funcIdx(); err != nil {
				break
			}
			if f < m.importedFuncs {
				cost += rw.cfg.callImport
			}
			t := m.types[m.funcType(f)]
			values = 0
			aCall(t)
			after, callKind = markStart|markLive, callRestore
			if op == opReturnCall {
				after, callKind = markStart, callNone
				if f >= m.importedFuncs && t.registersOnly() {
					callKind = callTailFlat
				}
			}
		case opCallIndirect, opReturnCallIndirect:
			var ti uint32
			if ti, err = typeIdx(); err == nil {
				_, err = r.u32() // table
			}
			if err != nil {
				break
			}
			if m.mayCallImportIndirectly {
				cost += rw.cfg.callImport
			}
			t := m.types[ti]
			values = 0
			aCall(t)
			after, callKind = markStart|markLive, callRestore
			if op == opReturnCallIndirect {
				after, callKind = markStart, callNone
				if !m.mayCallImportIndirectly && t.registersOnly() {
					callKind = callTailFlat
				}
			}
		case opSelectT:
			var n uint32
			if n, err = r.count(1); err != nil {
				break
			}
			for j := uint32(0); j < n && err == nil; j++ {
				var t byte
				if t, err = r.byte(); err == nil && !isValType(t) {
					err = typeError("value", t)
				}
			}
		case opLocalGet, opLocalSet, opLocalTee:
			values = 0
			var x uint32
			if x, err = r.u32(); err == nil && uint64(x) >= locals {
				err = malformed("local %d out of range", x)
			}
		case opGlobalGet, opGlobalSet:
			var x uint32
			if x, err = r.u32(); err == nil && x >= m.globals {
				err = malformed("global %d out of range", x)
			}
			if err == nil {
				global(x)
			}
		case 0x25, 0x26: // table.get, table.set
			err = skipU32(1)
			values = 4
		case 0x3f: // memory.size
			err = zeroByte()
		case opMemoryGrow:
			err = zeroByte()
			dyn = dynGrow
			fs.calls++ // wazero's runtime grows the memory
		case opI32Const:
			_, err = r.sleb(32)
			values = 1
		case opI64Const:
			_, err = r.sleb(64)
			values = 1
		case opF32Const:
			err = r.skip(4)
			values = 1
		case opF64Const:
			err = r.skip(8)
			values = 1
		case opRefNull:
			var t byte
			if t, err = r.byte(); err == nil && !isRefType(t) {
				err = typeError("ref.null", t)
			}
		case opRefFunc:
			_, err = funcIdx()
		case prefixMisc:
			// wazero reads these sub-opcodes as one byte: insist on it.
			var sub byte
			if sub, err = r.byte(); err != nil {
				break
			}
			if sub >= byte(len(costs.Misc)) {
				err = unsupported("opcode 0xfc %#x", sub)
				break
			}
			cost = uint64(costs.Misc[sub])
			if sub >= 8 && sub != 9 && sub != 13 && sub != 16 {
				// Bulk operations call wazero's runtime or loop.
				values = 8
				fs.calls++
				if sub == 11 || sub == 17 { // memory.fill, table.fill
					fs.merges += 3
				}
			}
			switch sub {
			case 8: // memory.init
				if err = skipU32(1); err == nil {
					err = zeroByte()
				}
				dyn = dynBulk
			case 9, 13, 16: // data.drop, elem.drop, table.size
				err = skipU32(1)
			case 10: // memory.copy
				if err = zeroByte(); err == nil {
					err = zeroByte()
				}
				dyn = dynBulk
			case 11: // memory.fill
				err = zeroByte()
				dyn = dynBulk
			case 12, 14: // table.init, table.copy
				err = skipU32(2)
				dyn = dynBulk
			case 15, 17: // table.grow, table.fill
				err = skipU32(1)
				dyn = dynBulk
			}
		case prefixSIMD:
			var sub uint64
			subStart := r.off
			if sub, err = r.uleb(32); err != nil {
				break
			}
			// wazero reads the first byte as the opcode; a canonical
			// encoding of an opcode below 256 decodes the same way (its
			// second byte, 0x01, reads as a nop there).
			if sub > 0xff || !validSIMD[sub] {
				err = unsupported("opcode 0xfd %#x (relaxed or unknown SIMD)", sub)
				break
			}
			if canon := appendULEB(nil, sub); string(canon) != string(code[subStart:r.off]) {
				err = unsupported("non-canonical encoding of SIMD opcode %#x", sub)
				break
			}
			cost = uint64(costs.SIMD[sub])
			nan = nanSIMD[sub]
			switch {
			case sub <= 0x0b || sub == 0x5c || sub == 0x5d: // loads, stores
				err = memarg()
				values = 4
			case sub == 0x0c || sub == 0x0d: // v128.const, i8x16.shuffle
				err = r.skip(16)
			case sub >= 0x15 && sub <= 0x22: // extract/replace lane
				err = r.skip(1)
			case sub >= 0x54 && sub <= 0x5b: // load/store lane
				if err = memarg(); err == nil {
					err = r.skip(1)
				}
				values = 4
			}
		case prefixAtomic:
			err = unsupported("threads (atomic instructions)")
		case 0x06, 0x07, 0x08, 0x09, 0x0a, 0x18, 0x19, 0x1f:
			err = unsupported("exception handling (opcode %#02x)", op)
		case 0x14, 0x15, 0xd3, 0xd4, 0xd5, 0xd6, 0xfb:
			err = unsupported("typed function references or GC (opcode %#02x)", op)
		default:
			switch {
			case op >= 0x28 && op <= 0x3e: // loads and stores
				err = memarg()
				values = 4 // address, bounds check, value
			case op >= 0x45 && op <= 0xc4: // numeric
				nan = nanScalar[op]
			default:
				err = malformed("unknown opcode %#02x", op)
			}
		}
		if err != nil {
			return false, err
		}
		if r.off-start > math.MaxInt32 || r.off > math.MaxInt32 {
			return false, unsupported("function body too large")
		}
		fs.values += values
		if rw.cfg.keepNaNs {
			nan = nanNone
		}
		insts = append(insts, inst{start: int32(start), end: int32(r.off), cost: cost, dyn: dyn, call: callKind, nan: nan})
		if dyn != dynNone {
			needScratch = true
		}
		if rw.cfg.perInstr {
			after = markStart | markLive
		}
		marks = append(marks, after)
		if len(stack) == 0 {
			return needScratch, nil
		}
	}
}
