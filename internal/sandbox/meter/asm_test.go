package meter

// A tiny WebAssembly assembler for tests: modules are built as bytes,
// instruction by instruction, so that each test's instruction count can be
// read off its source.

const (
	i32 = valI32
	i64 = valI64
)

type ftype struct{ params, results []byte }

type wfunc struct {
	typ    uint32
	locals []byte // one value type per local
	body   []byte // instructions, including the final end
	export string // exported under this name if not ""
}

type wmod struct {
	types       []ftype
	imports     []wimport // functions
	funcs       []wfunc
	memory      []uint32 // nil: no memory; {min} or {min, max}
	table       []uint32 // nil: no table; else the function indices to put in it
	exportTable bool
	exportMem   bool
	start       *uint32
	data        [][]byte // passive data segments (for memory.init)
	globals     []byte   // raw global entries, count given by nglobals
	nglobals    uint32
	custom      []byte // a custom section payload, placed first if not nil
	elemRaw     []byte // element section payload, replacing the one table makes
	dataRaw     []byte // data section payload (with a data count section)
	importsRaw  []byte // extra import entries (count given by nimports)
	nimports    int
	exportsRaw  []byte // extra export entries (count given by nexports)
	nexports    int
}

type wimport struct {
	module, name string
	typ          uint32
}

func uleb(v uint64) []byte { return appendULEB(nil, v) }
func sleb(v int64) []byte  { return appendSLEB(nil, v) }

func cat(parts ...[]byte) []byte {
	var b []byte
	for _, p := range parts {
		b = append(b, p...)
	}
	return b
}

func name(s string) []byte { return cat(uleb(uint64(len(s))), []byte(s)) }

func vec(n int, items ...[]byte) []byte { return cat(uleb(uint64(n)), cat(items...)) }

func sec(id byte, payload []byte) []byte { return cat([]byte{id}, uleb(uint64(len(payload))), payload) }

func (m *wmod) bytes() []byte {
	out := append([]byte(nil), wasmHeader...)
	if m.custom != nil {
		out = append(out, sec(secCustom, cat(name("test"), m.custom))...)
	}
	var types [][]byte
	for _, t := range m.types {
		types = append(types, cat([]byte{0x60}, vec(len(t.params), t.params), vec(len(t.results), t.results)))
	}
	out = append(out, sec(secType, vec(len(types), types...))...)
	if len(m.imports)+m.nimports > 0 {
		var im [][]byte
		for _, i := range m.imports {
			im = append(im, cat(name(i.module), name(i.name), []byte{0x00}, uleb(uint64(i.typ))))
		}
		out = append(out, sec(secImport, vec(len(im)+m.nimports, append(im, m.importsRaw)...))...)
	}
	var fs [][]byte
	for _, f := range m.funcs {
		fs = append(fs, uleb(uint64(f.typ)))
	}
	out = append(out, sec(secFunction, vec(len(fs), fs...))...)
	if m.table != nil {
		n := uint64(len(m.table))
		out = append(out, sec(secTable, vec(1, []byte{valFuncref, 0x01}, uleb(n), uleb(n)))...)
	}
	if m.memory != nil {
		lim := cat([]byte{0x00}, uleb(uint64(m.memory[0])))
		if len(m.memory) > 1 {
			lim = cat([]byte{0x01}, uleb(uint64(m.memory[0])), uleb(uint64(m.memory[1])))
		}
		out = append(out, sec(secMemory, vec(1, lim))...)
	}
	if m.nglobals > 0 {
		out = append(out, sec(secGlobal, cat(uleb(uint64(m.nglobals)), m.globals))...)
	}
	var ex [][]byte
	nimp := uint64(len(m.imports))
	for i, f := range m.funcs {
		if f.export != "" {
			ex = append(ex, cat(name(f.export), []byte{0x00}, uleb(nimp+uint64(i))))
		}
	}
	if m.exportTable {
		ex = append(ex, cat(name("table"), []byte{0x01, 0x00}))
	}
	if m.exportMem {
		ex = append(ex, cat(name("memory"), []byte{0x02, 0x00}))
	}
	if len(ex)+m.nexports > 0 {
		out = append(out, sec(secExport, vec(len(ex)+m.nexports, append(ex, m.exportsRaw)...))...)
	}
	if m.start != nil {
		out = append(out, sec(secStart, uleb(uint64(*m.start)))...)
	}
	if m.elemRaw != nil {
		out = append(out, sec(secElement, m.elemRaw)...)
	} else if m.table != nil {
		var idx [][]byte
		for _, f := range m.table {
			idx = append(idx, uleb(uint64(f)))
		}
		seg := cat([]byte{0x00, opI32Const, 0x00, opEnd}, vec(len(idx), idx...))
		out = append(out, sec(secElement, vec(1, seg))...)
	}
	if m.data != nil {
		out = append(out, sec(secDataCount, uleb(uint64(len(m.data))))...)
	} else if m.dataRaw != nil {
		out = append(out, sec(secDataCount, uleb(uint64(m.dataRaw[0])))...)
	}
	var code [][]byte
	for _, f := range m.funcs {
		var groups [][]byte
		for _, l := range f.locals {
			groups = append(groups, []byte{1, l})
		}
		body := cat(vec(len(groups), groups...), f.body)
		code = append(code, cat(uleb(uint64(len(body))), body))
	}
	out = append(out, sec(secCode, vec(len(code), code...))...)
	if m.data != nil {
		var segs [][]byte
		for _, d := range m.data {
			segs = append(segs, cat([]byte{0x01}, vec(len(d), d)))
		}
		out = append(out, sec(secData, vec(len(segs), segs...))...)
	} else if m.dataRaw != nil {
		out = append(out, sec(secData, m.dataRaw)...)
	}
	return out
}

// Instructions.
func op(b ...byte) []byte          { return b }
func i32c(v int32) []byte          { return cat(op(opI32Const), sleb(int64(v))) }
func i64c(v int64) []byte          { return cat(op(opI64Const), sleb(v)) }
func lget(i uint32) []byte         { return cat(op(opLocalGet), uleb(uint64(i))) }
func lset(i uint32) []byte         { return cat(op(opLocalSet), uleb(uint64(i))) }
func ltee(i uint32) []byte         { return cat(op(opLocalTee), uleb(uint64(i))) }
func gget(i uint32) []byte         { return cat(op(opGlobalGet), uleb(uint64(i))) }
func gset(i uint32) []byte         { return cat(op(opGlobalSet), uleb(uint64(i))) }
func br(l uint32) []byte           { return cat(op(opBr), uleb(uint64(l))) }
func brIf(l uint32) []byte         { return cat(op(opBrIf), uleb(uint64(l))) }
func call(f uint32) []byte         { return cat(op(opCall), uleb(uint64(f))) }
func callIndirect(t uint32) []byte { return cat(op(opCallIndirect), uleb(uint64(t)), op(0x00)) }
func block(bt byte) []byte         { return op(opBlock, bt) }
func loop(bt byte) []byte          { return op(opLoop, bt) }
func ifOp(bt byte) []byte          { return op(opIf, bt) }
func brTable(def uint32, ls ...uint32) []byte {
	b := cat(op(opBrTable), uleb(uint64(len(ls))))
	for _, l := range ls {
		b = append(b, uleb(uint64(l))...)
	}
	return append(b, uleb(uint64(def))...)
}

var (
	end         = op(opEnd)
	elseOp      = op(opElse)
	ret         = op(opReturn)
	unreachable = op(opUnreachable)
	drop        = op(0x1a)
	nop         = op(0x01)
	i32Add      = op(0x6a)
	i32Sub      = op(0x6b)
	i32Eqz      = op(0x45)
	memGrow     = op(opMemoryGrow, 0x00)
	memSize     = op(0x3f, 0x00)
	memFill     = op(prefixMisc, 11, 0x00)
	memCopy     = op(prefixMisc, 10, 0x00, 0x00)
	memInit     = func(d uint32) []byte { return cat(op(prefixMisc, 8), uleb(uint64(d)), op(0x00)) }
)
