package meter

import (
	"bytes"
	"context"
	"errors"
	"math/rand/v2"
	"testing"

	"github.com/tetratelabs/wazero"
)

// FuzzInstrument: Instrument never panics, never modifies its input, is
// deterministic, only fails with its documented errors, does not call
// malformed a function body wazero accepts, and whenever wazero accepts the
// input it accepts the output.
func FuzzInstrument(f *testing.F) {
	for _, c := range cases() {
		f.Add(c.mod.bytes())
	}
	f.Add(countLoop().bytes()[:20])
	f.Add([]byte{})
	f.Add([]byte("\x00asm\x01\x00\x00\x00"))
	f.Add([]byte("\x00asm\x01\x00\x00\x00\x01\x04\x01\x60\x00\x00\x03\x02\x01\x00\x0a\x04\x01\x02\x00\x0b"))
	f.Add([]byte("\x00asm\x01\x00\x00\x00\x0a\xff\xff\xff\xff\x0f"))
	f.Add([]byte("garbage that is not WebAssembly at all"))
	simdMod := one(3, nil, op(prefixSIMD, 0x0c), make([]byte, 16), op(prefixSIMD, 0x80, 0x01), op(prefixSIMD, 0x15, 0x00), drop, end)
	f.Add(simdMod.bytes())
	// Float instructions whose NaNs are canonicalised (and some that are
	// not), scalar and SIMD, and in unreachable code.
	for _, c := range nanCases() {
		f.Add(c.mod().bytes())
	}
	ops := floatOps()
	for seed := range uint64(4) {
		f.Add(genFloatProgram(rand.New(rand.NewPCG(seed, 0x6e616e)), ops).mod.bytes())
	}
	f.Add(one(3, nil, unreachable, op(0xa3), drop, unreachable, simd(0xe7), drop, end).bytes())

	ctx := context.Background()
	rt := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigInterpreter())
	defer rt.Close(ctx)
	compiles := func(wasm []byte) error {
		cm, err := rt.CompileModule(ctx, wasm)
		if err == nil {
			cm.Close(ctx)
		}
		return err
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		orig := bytes.Clone(in)
		out, err := Instrument(in, Options{})
		if !bytes.Equal(in, orig) {
			t.Fatal("Instrument modified its input")
		}
		// wazero allocates by declared counts before checking them (a
		// garbage count can take gigabytes), so it only sees modules whose
		// sections Instrument parsed, whose counts are thus bounded by
		// their sizes, and whose functions' locals are few.
		var fe *funcError
		parsed := err == nil || errors.As(err, &fe)
		valid := parsed && safeForWazero(in) && compiles(in) == nil
		if err != nil {
			if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrUnsupported) {
				t.Fatalf("undocumented error: %v", err)
			}
			// Within function bodies the decoders must agree (wazero is
			// lenient about some module-level details, such as any byte
			// as a table element type or an empty data count section).
			if valid && errors.Is(err, ErrMalformed) {
				t.Fatalf("wazero accepts the module, Instrument calls it malformed: %v", err)
			}
			return
		}
		again, err := Instrument(in, Options{})
		if err != nil || !bytes.Equal(out, again) {
			t.Fatalf("not deterministic (%v)", err)
		}
		if valid {
			if err := compiles(out); err != nil {
				t.Fatalf("input compiles, output does not: %v", err)
			}
		}
	})
}

// safeForWazero reports whether every section's leading count is at most
// its size, every function declares at most MaxLocals locals and there is
// no name section (whose maps wazero also sizes by their counts).
func safeForWazero(wasm []byte) bool {
	if len(wasm) < 8 {
		return true
	}
	r := &reader{b: wasm, off: 8}
	for !r.eof() {
		id, err := r.byte()
		if err != nil {
			return false
		}
		size, err := r.u32()
		if err != nil || int(size) > len(wasm)-r.off {
			return false
		}
		s := &reader{b: wasm[:r.off+int(size)], off: r.off}
		r.off += int(size)
		n, err := s.u32()
		if err != nil { // wazero would read on past the section
			return false
		}
		if id == secCustom {
			if s.skip(int(n)) != nil || string(wasm[s.off-int(n):s.off]) == "name" {
				return false
			}
			continue
		}
		if id == secStart || id == secDataCount {
			continue
		}
		if uint64(n) > uint64(size) {
			return false
		}
		if id != secCode {
			continue
		}
		for i := uint32(0); i < n; i++ {
			bsize, err := s.u32()
			if err != nil || int(bsize) > len(s.b)-s.off {
				return false
			}
			b := &reader{b: s.b[:s.off+int(bsize)], off: s.off}
			s.off += int(bsize)
			groups, err := b.u32()
			if err != nil || uint64(groups) > uint64(bsize) {
				return false
			}
			var sum uint64
			for g := uint32(0); g < groups; g++ {
				c, err := b.u32()
				if err != nil {
					return false
				}
				sum += uint64(c)
				if _, err := b.byte(); err != nil || sum > MaxLocals {
					return false
				}
			}
		}
	}
	return true
}
