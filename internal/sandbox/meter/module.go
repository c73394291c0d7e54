package meter

import "math"

// Section ids.
const (
	secCustom    = 0
	secType      = 1
	secImport    = 2
	secFunction  = 3
	secTable     = 4
	secMemory    = 5
	secGlobal    = 6
	secExport    = 7
	secStart     = 8
	secElement   = 9
	secCode      = 10
	secData      = 11
	secDataCount = 12
	secTag       = 13
)

// sectionRank gives the position each non-custom section must take.
var sectionRank = [...]int{
	secType: 1, secImport: 2, secFunction: 3, secTable: 4, secMemory: 5,
	secGlobal: 7, secExport: 8, secStart: 9, secElement: 10, secDataCount: 11,
	secCode: 12, secData: 13, secTag: 6,
}

// Value types.
const (
	valI32       = 0x7f
	valI64       = 0x7e
	valF32       = 0x7d
	valF64       = 0x7c
	valV128      = 0x7b
	valFuncref   = 0x70
	valExternref = 0x6f
)

func isValType(b byte) bool {
	switch b {
	case valI32, valI64, valF32, valF64, valV128, valFuncref, valExternref:
		return true
	}
	return false
}

func isRefType(b byte) bool { return b == valFuncref || b == valExternref }

// typeError rejects a type byte: those of proposals wazero may parse but
// metering does not handle (exnref, typed and GC references) are
// unsupported, other bytes malformed.
func typeError(what string, t byte) error {
	if t >= 0x63 && t <= 0x74 {
		return unsupported("%s type %#x (exception handling or GC)", what, t)
	}
	return malformed("bad %s type %#x", what, t)
}

type section struct {
	id         byte
	header     int // offset of the id byte
	start, end int // payload
}

type funcType struct {
	params, results uint32
	// Parameters and results by register class, as wazero's compiler
	// passes them: integers and references, floats and vectors.
	intParams, floatParams   uint32
	intResults, floatResults uint32
	funcrefParam             bool
	funcrefResult            bool
}

// arity is the number of parameters plus results.
func (t funcType) arity() uint64 { return uint64(t.params) + uint64(t.results) }

// registersOnly reports whether wazero's compiler passes every parameter
// and result of the type in registers on both amd64 and arm64 (8 integer
// and 8 float registers for each on arm64, 9 and 8 on amd64; two integer
// parameter registers carry wazero's contexts). Only then does it compile
// return_call to the type as a jump, replacing the caller's frame; with
// stack arguments it falls back to a plain call.
func (t funcType) registersOnly() bool {
	return t.intParams+2 <= 8 && t.floatParams <= 8 && t.intResults <= 8 && t.floatResults <= 8
}

// module is what instrumentation needs to know about the input.
type module struct {
	sections []section

	types         []funcType
	importedFuncs uint32
	importTypes   []uint32 // type index of each imported function
	funcTypes     []uint32 // type index of each defined function
	globals       uint32   // imported + defined
	globalFuncref []bool   // per global: of type funcref
	// mayCallImportIndirectly: some imported function may end up in a
	// table (see the package documentation).
	mayCallImportIndirectly bool

	exportsReserved string // an export already named GasExport or DepthExport

	globalSec, exportSec, codeSec int // index into sections, -1 if absent
	globalCount, exportCount      uint32
}

func (m *module) numFuncs() uint64 { return uint64(m.importedFuncs) + uint64(len(m.funcTypes)) }

// funcType returns the type index of function f (f < numFuncs()).
func (m *module) funcType(f uint32) uint32 {
	if f < m.importedFuncs {
		return m.importTypes[f]
	}
	return m.funcTypes[f-m.importedFuncs]
}

var wasmHeader = []byte{0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00}

func instrument(wasm []byte, cfg *config) ([]byte, error) {
	m, err := parseModule(wasm)
	if err != nil {
		return nil, err
	}
	if m.exportsReserved != "" {
		return nil, unsupported("the module already exports %q", m.exportsReserved)
	}
	if uint64(m.globals)+1 >= math.MaxUint32 {
		return nil, unsupported("too many globals")
	}
	gas, depth := m.globals, m.globals+1 // indices of the new globals

	out := make([]byte, 0, len(wasm)+len(wasm)/2+64)
	out = append(out, wasmHeader...)
	var payload []byte
	emit := func(id byte, p []byte) {
		out = append(out, id)
		out = appendULEB(out, uint64(len(p)))
		out = append(out, p...)
	}
	globalDone, exportDone := false, false
	flushBefore := func(rank int) {
		if !globalDone && rank > sectionRank[secGlobal] {
			globalDone = true
			payload = appendULEB(payload[:0], 2)
			payload = appendNewGlobals(payload, cfg.initialGas)
			emit(secGlobal, payload)
		}
		if !exportDone && rank > sectionRank[secExport] {
			exportDone = true
			payload = appendULEB(payload[:0], 2)
			payload = appendNewExports(payload, gas, depth)
			emit(secExport, payload)
		}
	}
	for i, s := range m.sections {
		body := wasm[s.start:s.end]
		if s.id != secCustom {
			flushBefore(sectionRank[s.id])
		}
		switch {
		case s.id == secGlobal && i == m.globalSec:
			globalDone = true
			r := reader{b: body}
			if _, err := r.u32(); err != nil {
				return nil, err
			}
			payload = appendULEB(payload[:0], uint64(m.globalCount)+2)
			payload = append(payload, body[r.off:]...)
			payload = appendNewGlobals(payload, cfg.initialGas)
			emit(secGlobal, payload)
		case s.id == secExport && i == m.exportSec:
			exportDone = true
			r := reader{b: body}
			if _, err := r.u32(); err != nil {
				return nil, err
			}
			payload = appendULEB(payload[:0], uint64(m.exportCount)+2)
			payload = append(payload, body[r.off:]...)
			payload = appendNewExports(payload, gas, depth)
			emit(secExport, payload)
		case s.id == secCode && i == m.codeSec:
			code, err := rewriteCode(body, m, cfg, gas, depth)
			if err != nil {
				return nil, err
			}
			emit(secCode, code)
		default:
			out = append(out, wasm[s.header:s.end]...)
		}
	}
	flushBefore(math.MaxInt)
	return out, nil
}

// appendNewGlobals appends the gas global (mutable i64) and the depth
// global (mutable i32, starting at 0).
func appendNewGlobals(dst []byte, initialGas int64) []byte {
	dst = append(dst, valI64, 0x01, opI64Const)
	dst = appendSLEB(dst, initialGas)
	return append(dst, opEnd, valI32, 0x01, opI32Const, 0, opEnd)
}

func appendNewExports(dst []byte, gas, depth uint32) []byte {
	for _, e := range []struct {
		name string
		idx  uint32
	}{{GasExport, gas}, {DepthExport, depth}} {
		dst = appendULEB(dst, uint64(len(e.name)))
		dst = append(dst, e.name...)
		dst = append(dst, 0x03) // global
		dst = appendULEB(dst, uint64(e.idx))
	}
	return dst
}

func parseModule(wasm []byte) (*module, error) {
	if len(wasm) < len(wasmHeader) || string(wasm[:4]) != string(wasmHeader[:4]) {
		return nil, malformed("not a WebAssembly binary (bad magic)")
	}
	if string(wasm[4:8]) != string(wasmHeader[4:8]) {
		return nil, unsupported("binary format version %x (want 1, a core module)", wasm[4:8])
	}
	m := &module{globalSec: -1, exportSec: -1, codeSec: -1}
	r := reader{b: wasm, off: len(wasmHeader)}
	lastRank := 0
	var funcCount uint32
	haveFuncSec := false
	for !r.eof() {
		header := r.off
		id, err := r.byte()
		if err != nil {
			return nil, err
		}
		size, err := r.u32()
		if err != nil {
			return nil, err
		}
		start := r.off
		if err := r.skip(int(size)); err != nil {
			return nil, malformed("section %d: size %d exceeds the module", id, size)
		}
		s := section{id: id, header: header, start: start, end: r.off}
		if id != secCustom {
			if int(id) >= len(sectionRank) {
				return nil, malformed("unknown section id %d", id)
			}
			if id == secTag {
				return nil, unsupported("exception handling (tag section)")
			}
			if sectionRank[id] <= lastRank {
				return nil, malformed("section %d out of order or repeated", id)
			}
			lastRank = sectionRank[id]
		}
		sr := &reader{b: wasm[:s.end], off: s.start}
		switch id {
		case secCustom:
			n, err := sr.u32()
			if err != nil {
				return nil, err
			}
			if err := sr.skip(int(n)); err != nil {
				return nil, err
			}
			sr.off = s.end
		case secType:
			err = m.parseTypes(sr)
		case secImport:
			err = m.parseImports(sr)
		case secFunction:
			haveFuncSec = true
			funcCount, err = sr.count(1)
			if err == nil {
				m.funcTypes = make([]uint32, funcCount)
				for i := range m.funcTypes {
					if m.funcTypes[i], err = sr.u32(); err != nil {
						break
					}
					if int(m.funcTypes[i]) >= len(m.types) {
						err = malformed("function %d: type index %d out of range", i, m.funcTypes[i])
						break
					}
				}
			}
		case secTable:
			err = parseVec(sr, 2, func() error {
				rt, err := sr.byte()
				if err != nil {
					return err
				}
				if rt == 0x40 {
					return unsupported("table with initializer expression")
				}
				if !isRefType(rt) {
					return typeError("table element", rt)
				}
				return skipLimits(sr, false)
			})
		case secMemory:
			err = parseVec(sr, 2, func() error { return skipLimits(sr, true) })
		case secGlobal:
			m.globalSec = len(m.sections)
			m.globalCount, err = sr.count(3)
			for i := uint32(0); err == nil && i < m.globalCount; i++ {
				var t byte
				if t, err = sr.byte(); err != nil {
					break
				}
				if !isValType(t) {
					err = typeError("global", t)
					break
				}
				var mut byte
				if mut, err = sr.byte(); err != nil {
					break
				}
				if mut > 1 {
					err = malformed("bad global mutability %#x", mut)
					break
				}
				err = m.constExpr(sr, m.globals)
				m.globalFuncref = append(m.globalFuncref, t == valFuncref)
				m.globals++
			}
		case secExport:
			m.exportSec = len(m.sections)
			err = m.parseExports(sr, wasm)
		case secStart:
			var f uint32
			if f, err = sr.u32(); err == nil && uint64(f) >= m.numFuncs() {
				err = malformed("start function %d out of range", f)
			}
		case secElement:
			err = m.parseElements(sr)
		case secDataCount:
			_, err = sr.u32()
		case secCode:
			m.codeSec = len(m.sections)
			var n uint32
			if n, err = sr.u32(); err == nil && n != funcCount {
				err = malformed("code section has %d bodies for %d functions", n, funcCount)
			}
			sr.off = s.end // bodies are parsed when rewritten
		case secData:
			err = m.parseData(sr)
		}
		if err != nil {
			return nil, err
		}
		if sr.off != s.end {
			return nil, malformed("section %d: %d trailing bytes", id, s.end-sr.off)
		}
		m.sections = append(m.sections, s)
	}
	if haveFuncSec && funcCount > 0 && m.codeSec < 0 {
		return nil, malformed("%d functions but no code section", funcCount)
	}
	// Funcref values crossing the module boundary through calls.
	for _, t := range m.importTypes {
		if m.types[t].funcrefResult {
			m.mayCallImportIndirectly = true
		}
	}
	return m, nil
}

func parseVec(r *reader, minSize int, each func() error) error {
	n, err := r.count(minSize)
	if err != nil {
		return err
	}
	for i := uint32(0); i < n; i++ {
		if err := each(); err != nil {
			return err
		}
	}
	return nil
}

// skipLimits reads table or memory limits, rejecting what the metering
// does not handle (memory64 and shared memories would change operand types
// or need atomics).
func skipLimits(r *reader, memory bool) error {
	flags, err := r.byte()
	if err != nil {
		return err
	}
	switch {
	case flags&^0x07 != 0:
		return malformed("bad limits flags %#x", flags)
	case flags&0x04 != 0:
		return unsupported("64-bit memories and tables")
	case flags&0x02 != 0:
		if !memory {
			return malformed("bad table limits flags %#x", flags)
		}
		return unsupported("shared memories (threads)")
	}
	if _, err := r.u32(); err != nil {
		return err
	}
	if flags&0x01 != 0 {
		if _, err := r.u32(); err != nil {
			return err
		}
	}
	return nil
}

func (m *module) parseTypes(r *reader) error {
	return parseVec(r, 3, func() error {
		form, err := r.byte()
		if err != nil {
			return err
		}
		if form != 0x60 {
			if form == 0x4e || form == 0x4f || form == 0x50 || form == 0x5e || form == 0x5f {
				return unsupported("GC types (form %#x)", form)
			}
			return malformed("bad type form %#x", form)
		}
		var ft funcType
		for i := 0; i < 2; i++ {
			n, err := r.count(1)
			if err != nil {
				return err
			}
			for j := uint32(0); j < n; j++ {
				t, err := r.byte()
				if err != nil {
					return err
				}
				if !isValType(t) {
					return typeError("value", t)
				}
				if t == valFuncref {
					if i == 0 {
						ft.funcrefParam = true
					} else {
						ft.funcrefResult = true
					}
				}
				isFloat := t == valF32 || t == valF64 || t == valV128
				switch {
				case i == 0 && isFloat:
					ft.floatParams++
				case i == 0:
					ft.intParams++
				case isFloat:
					ft.floatResults++
				default:
					ft.intResults++
				}
			}
			if i == 0 {
				ft.params = n
			} else {
				ft.results = n
			}
		}
		m.types = append(m.types, ft)
		return nil
	})
}

func (m *module) parseImports(r *reader) error {
	return parseVec(r, 4, func() error {
		for i := 0; i < 2; i++ { // module and field names
			n, err := r.u32()
			if err != nil {
				return err
			}
			if err := r.skip(int(n)); err != nil {
				return err
			}
		}
		kind, err := r.byte()
		if err != nil {
			return err
		}
		switch kind {
		case 0x00:
			t, err := r.u32()
			if err != nil {
				return err
			}
			if int(t) >= len(m.types) {
				return malformed("imported function type %d out of range", t)
			}
			if m.importedFuncs == math.MaxUint32 {
				return malformed("too many imported functions")
			}
			m.importedFuncs++
			m.importTypes = append(m.importTypes, t)
		case 0x01:
			rt, err := r.byte()
			if err != nil {
				return err
			}
			if !isRefType(rt) {
				return typeError("table element", rt)
			}
			// The host could have put an imported function in it.
			m.mayCallImportIndirectly = true
			return skipLimits(r, false)
		case 0x02:
			return skipLimits(r, true)
		case 0x03:
			t, err := r.byte()
			if err != nil {
				return err
			}
			if !isValType(t) {
				return typeError("global", t)
			}
			mut, err := r.byte()
			if err != nil {
				return err
			}
			if mut > 1 {
				return malformed("bad global mutability %#x", mut)
			}
			if t == valFuncref {
				m.mayCallImportIndirectly = true
			}
			if m.globals == math.MaxUint32 {
				return malformed("too many globals")
			}
			m.globalFuncref = append(m.globalFuncref, t == valFuncref)
			m.globals++
		case 0x04:
			return unsupported("exception handling (tag import)")
		default:
			return malformed("bad import kind %#x", kind)
		}
		return nil
	})
}

func (m *module) parseExports(r *reader, wasm []byte) error {
	var err error
	m.exportCount, err = r.count(3)
	if err != nil {
		return err
	}
	for i := uint32(0); i < m.exportCount; i++ {
		n, err := r.u32()
		if err != nil {
			return err
		}
		nameStart := r.off
		if err := r.skip(int(n)); err != nil {
			return err
		}
		if n := string(wasm[nameStart:r.off]); n == GasExport || n == DepthExport {
			m.exportsReserved = n
		}
		kind, err := r.byte()
		if err != nil {
			return err
		}
		idx, err := r.u32()
		if err != nil {
			return err
		}
		switch kind {
		case 0x00:
			if uint64(idx) >= m.numFuncs() {
				return malformed("exported function %d out of range", idx)
			}
			if idx < m.importedFuncs {
				m.mayCallImportIndirectly = true // ref.func of it becomes valid
			} else if m.types[m.funcTypes[idx-m.importedFuncs]].funcrefParam {
				m.mayCallImportIndirectly = true // the host may pass one in
			}
		case 0x01:
			m.mayCallImportIndirectly = true // the host may fill it
		case 0x02:
		case 0x03:
			if idx >= m.globals {
				return malformed("exported global %d out of range", idx)
			}
			if m.globalFuncref[idx] {
				m.mayCallImportIndirectly = true // the host may set it
			}
		case 0x04:
			return unsupported("exception handling (tag export)")
		default:
			return malformed("bad export kind %#x", kind)
		}
	}
	return nil
}

// constExpr reads a constant expression up to its end. global.get may
// only name one of the first globals globals; ref.func of an imported
// function makes that function reachable through tables.
func (m *module) constExpr(r *reader, globals uint32) error {
	for {
		op, err := r.byte()
		if err != nil {
			return err
		}
		switch op {
		case opEnd:
			return nil
		case opI32Const:
			_, err = r.sleb(32)
		case opI64Const:
			_, err = r.sleb(64)
		case opF32Const:
			err = r.skip(4)
		case opF64Const:
			err = r.skip(8)
		case opGlobalGet:
			var g uint32
			if g, err = r.u32(); err == nil && g >= globals {
				err = malformed("constant expression reads global %d of %d", g, globals)
			}
		case opRefNull:
			var t byte
			if t, err = r.byte(); err == nil && !isRefType(t) {
				err = typeError("ref.null", t)
			}
		case opRefFunc:
			var f uint32
			if f, err = r.u32(); err == nil {
				err = m.refFunc(f)
			}
		case 0x6a, 0x6b, 0x6c, 0x7c, 0x7d, 0x7e: // extended-const add, sub, mul
		case prefixSIMD:
			var sub uint32
			if sub, err = r.u32(); err == nil && sub != simdV128Const {
				err = malformed("SIMD opcode %#x in a constant expression", sub)
			} else if err == nil {
				err = r.skip(16)
			}
		default:
			err = malformed("opcode %#02x in a constant expression", op)
		}
		if err != nil {
			return err
		}
	}
}

// refFunc notes a function index named outside code (elements, globals).
func (m *module) refFunc(f uint32) error {
	if uint64(f) >= m.numFuncs() {
		return malformed("function index %d out of range", f)
	}
	if f < m.importedFuncs {
		m.mayCallImportIndirectly = true
	}
	return nil
}

func (m *module) parseElements(r *reader) error {
	return parseVec(r, 1, func() error {
		flags, err := r.u32()
		if err != nil {
			return err
		}
		if flags > 7 {
			return malformed("bad element segment flags %d", flags)
		}
		if flags&0x02 != 0 && flags&0x01 == 0 { // explicit table index
			if _, err := r.u32(); err != nil {
				return err
			}
		}
		if flags&0x01 == 0 { // active: offset
			if err := m.constExpr(r, m.globals); err != nil {
				return err
			}
		}
		if flags&0x03 != 0 { // element kind or reference type
			k, err := r.byte()
			if err != nil {
				return err
			}
			if flags&0x04 == 0 && k != 0x00 {
				return malformed("bad element kind %#x", k)
			}
			if flags&0x04 != 0 && !isRefType(k) {
				return typeError("element", k)
			}
		}
		if flags&0x04 == 0 { // function indices
			return parseVec(r, 1, func() error {
				f, err := r.u32()
				if err != nil {
					return err
				}
				return m.refFunc(f)
			})
		}
		return parseVec(r, 1, func() error { return m.constExpr(r, m.globals) })
	})
}

func (m *module) parseData(r *reader) error {
	return parseVec(r, 1, func() error {
		flags, err := r.u32()
		if err != nil {
			return err
		}
		switch flags {
		case 0, 2:
			if flags == 2 {
				mem, err := r.u32()
				if err != nil {
					return err
				}
				if mem != 0 {
					return unsupported("multiple memories")
				}
			}
			if err := m.constExpr(r, m.globals); err != nil {
				return err
			}
		case 1:
		default:
			return malformed("bad data segment flags %d", flags)
		}
		n, err := r.u32()
		if err != nil {
			return err
		}
		return r.skip(int(n))
	})
}
