package meter

import (
	"context"
	"fmt"
	"testing"

	"github.com/tetratelabs/wazero"
)

// Every encoding of element segments parses, and an imported function in
// any of them makes call_indirect carry the host-call surcharge.
func TestElementSegments(t *testing.T) {
	refFunc := func(f byte) []byte { return []byte{opRefFunc, f, opEnd} }
	offset := []byte{opI32Const, 0, opEnd}
	for flags := byte(0); flags < 8; flags++ {
		for _, withImport := range []bool{false, true} {
			fs := []byte{2} // the add-one function
			if withImport {
				fs = []byte{2, 0}
			}
			seg := []byte{flags}
			if flags == 2 || flags == 6 {
				seg = append(seg, 0) // table 0
			}
			if flags&1 == 0 {
				seg = append(seg, offset...)
			}
			switch {
			case flags&3 != 0 && flags&4 == 0:
				seg = append(seg, 0x00) // elemkind funcref
			case flags&3 != 0:
				seg = append(seg, valFuncref)
			}
			seg = append(seg, byte(len(fs)))
			for _, f := range fs {
				if flags&4 == 0 {
					seg = append(seg, f)
				} else {
					seg = append(seg, refFunc(f)...)
				}
			}
			m := importMod([]uint32{2, 2}, false)
			m.elemRaw = cat([]byte{1}, seg)
			wasm := m.bytes()
			name := fmt.Sprintf("flags %d import %v", flags, withImport)
			p, err := parseModule(wasm)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if p.mayCallImportIndirectly != withImport {
				t.Errorf("%s: mayCallImportIndirectly = %v", name, p.mayCallImportIndirectly)
			}
			if flags&1 != 0 { // passive or declarative: the table stays empty
				inst, err := Instrument(wasm, Options{})
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				if _, err := wazero.NewRuntime(context.Background()).CompileModule(context.Background(), inst); err != nil {
					t.Errorf("%s: %v", name, err)
				}
				continue
			}
			want := int64(8)
			if withImport {
				want += DefaultCallImport
			}
			for _, eng := range engines {
				o := run(t, eng, wasm, Options{}, 1<<40, "indirect")
				if o.err != nil || o.used(1<<40) != want || fmt.Sprint(o.results) != "[6]" {
					t.Errorf("%s/%s: used %d, %v, %v; want %d", name, eng.name, o.used(1<<40), o.results, o.err, want)
				}
			}
		}
	}
}

func TestIndirectImportRule(t *testing.T) {
	base := func() *wmod { return importMod([]uint32{2}, false) }
	for _, c := range []struct {
		name string
		mod  func() *wmod
		want bool
	}{
		{"private table", base, false},
		{"exported table", func() *wmod { m := base(); m.exportTable = true; return m }, true},
		{"re-exported import", func() *wmod {
			m := base()
			m.exportsRaw, m.nexports = cat(name("host"), []byte{0x00, 0x00}), 1
			return m
		}, true},
		{"imported funcref global", func() *wmod {
			m := base()
			m.importsRaw, m.nimports = cat(name("env"), name("g"), []byte{0x03, valFuncref, 0x00}), 1
			return m
		}, true},
		{"imported i32 global", func() *wmod {
			m := base()
			m.importsRaw, m.nimports = cat(name("env"), name("g"), []byte{0x03, i32, 0x00}), 1
			return m
		}, false},
		{"ref.func import in a global", func() *wmod {
			m := base()
			m.globals, m.nglobals = []byte{valFuncref, 0x00, opRefFunc, 0x00, opEnd}, 1
			return m
		}, true},
		{"exported funcref global", func() *wmod {
			m := base()
			m.globals, m.nglobals = []byte{valFuncref, 0x01, opRefFunc, 0x02, opEnd}, 1
			m.exportsRaw, m.nexports = cat(name("g"), []byte{0x03, 0x00}), 1
			return m
		}, true},
		{"private funcref global", func() *wmod {
			m := base()
			m.globals, m.nglobals = []byte{valFuncref, 0x01, opRefFunc, 0x02, opEnd}, 1
			return m
		}, false},
		{"export takes funcref", func() *wmod {
			m := base()
			m.types = append(append([]ftype(nil), testTypes...), ftype{[]byte{valFuncref}, nil})
			m.funcs = append(m.funcs, wfunc{typ: uint32(len(testTypes)), body: end, export: "take"})
			return m
		}, true},
		{"import returns funcref", func() *wmod {
			m := base()
			m.types = append(append([]ftype(nil), testTypes...), ftype{nil, []byte{valFuncref}})
			m.importsRaw, m.nimports = cat(name("env"), name("give"), []byte{0x00, byte(len(testTypes))}), 1
			// The extra import shifts the defined functions by one.
			m.table = []uint32{3}
			return m
		}, true},
	} {
		p, err := parseModule(c.mod().bytes())
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if p.mayCallImportIndirectly != c.want {
			t.Errorf("%s: mayCallImportIndirectly = %v, want %v", c.name, p.mayCallImportIndirectly, c.want)
		}
	}
}

// Active data segments (both encodings) and constant expressions reading an
// imported global.
func TestDataSegments(t *testing.T) {
	m := memMod(i32c(0), op(0x28, 2, 0), end) // i32.load
	m.importsRaw, m.nimports = cat(name("env"), name("base"), []byte{0x03, i32, 0x00}), 1
	m.dataRaw = cat([]byte{3},
		[]byte{0x00, opGlobalGet, 0, opEnd, 1, 0x11},
		[]byte{0x02, 0x00, opI32Const, 1, opEnd, 1, 0x22},
		[]byte{0x01, 2, 0x33, 0x44})
	inst, err := Instrument(m.bytes(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	p, err := parseModule(inst)
	if err != nil {
		t.Fatal(err)
	}
	if p.globals != 3 {
		t.Fatalf("%d globals, want the import and the gas and depth globals", p.globals)
	}
	// An offset expression must not read the gas global.
	m.dataRaw = cat([]byte{1}, []byte{0x00, opGlobalGet, 1, opEnd, 1, 0x11})
	if _, err := Instrument(m.bytes(), Options{}); err == nil {
		t.Fatal("data offset reading a global the module does not have was accepted")
	}
}

// SIMD immediates: v128.const, a two-byte opcode, lanes, memargs.
func TestSIMD(t *testing.T) {
	v := func(a, b, c, d uint32) []byte {
		var x []byte
		for _, w := range []uint32{a, b, c, d} {
			x = append(x, byte(w), byte(w>>8), byte(w>>16), byte(w>>24))
		}
		return cat(op(prefixSIMD, 0x0c), x)
	}
	add := one(0, nil,
		v(1, 2, 3, 4), v(10, 20, 30, 40),
		op(prefixSIMD, 0xae, 0x01), // i32x4.add
		op(prefixSIMD, 0x1b, 0x02), // i32x4.extract_lane 2
		end)
	lane := memMod(
		i32c(16), v(1, 2, 3, 4), op(prefixSIMD, 0x0b, 4, 0), // v128.store
		i32c(16), v(0, 0, 0, 0), op(prefixSIMD, 0x56, 2, 4, 1), // v128.load32_lane offset 4 into lane 1
		op(prefixSIMD, 0x1b, 0x01),
		lget(0), i32Add, end)
	for _, c := range []struct {
		name string
		mod  *wmod
		args []uint64
		want int64
		res  string
	}{{"add", add, nil, 5, "[33]"}, {"lane", lane, []uint64{7}, 10, "[9]"}} {
		for _, eng := range engines {
			o := run(t, eng, c.mod.bytes(), Options{}, 1<<40, "run", c.args...)
			if o.err != nil || o.used(1<<40) != c.want || fmt.Sprint(o.results) != c.res {
				t.Errorf("%s/%s: used %d, %v, %v; want %d, %s", c.name, eng.name, o.used(1<<40), o.results, o.err, c.want, c.res)
			}
		}
	}
}
