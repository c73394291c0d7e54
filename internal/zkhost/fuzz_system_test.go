package zkhost

import (
	"strings"
	"testing"

	"github.com/consensys/gnark/constraint"

	"github.com/provernet/provernet/sdk/zkabi"
)

// noGnarkPanic fails if err is a panic protect caught while decoding:
// the validators exist so that gnark's decoders never panic.
func noGnarkPanic(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil && strings.Contains(err.Error(), "gnark panicked") {
		t.Fatalf("%s: validation let a panicking input through: %v", what, err)
	}
}

// FuzzParseSystem decodes arbitrary bytes as BN254 R1CS and SparseR1CS
// systems; a system that decodes is then solved with the fixture witness
// (on this goroutine, so only protect stands between a solver panic and
// the fuzzer).
func FuzzParseSystem(f *testing.F) {
	fx := g16Fix(f, zkabi.BN254)
	f.Add(fx.cs)
	f.Add(fx.cs[:100])
	ci := curves[zkabi.BN254]
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, typ := range []constraint.SystemType{constraint.SystemR1CS, constraint.SystemSparseR1CS} {
			p, err := decodeSystem(ci, data, typ)
			noGnarkPanic(t, "system", err)
			if err != nil {
				if StatusOf(err) != zkabi.ErrSystem && StatusOf(err) != zkabi.ErrTooLarge {
					t.Fatalf("status %v: %v", StatusOf(err), err)
				}
				continue
			}
			pub := len(p.core.Public)
			if typ == constraint.SystemR1CS {
				pub--
			}
			w, err := decodeWitness(ci, fx.full, pub, len(p.core.Secret), zkabi.ErrWitness)
			if err != nil {
				continue
			}
			_ = protect(zkabi.ErrSystem, "solver", func() error {
				_, err := p.cs.Solve(w, solverOptions()...)
				return err
			})
		}
	})
}

// FuzzIntcomp checks the intcomp validators against intcomp itself: a
// stream they accept decodes to exactly the count they report.
func FuzzIntcomp(f *testing.F) {
	f.Add([]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12})
	f.Fuzz(func(t *testing.T, data []byte) {
		w32 := make([]uint32, len(data)/4)
		for i := range w32 {
			w32[i] = uint32(data[4*i]) | uint32(data[4*i+1])<<8 | uint32(data[4*i+2])<<16 | uint32(data[4*i+3])<<24
		}
		r := &byteReader{b: append(le64(uint64(len(w32))), data[:4*len(w32)]...)}
		_, _ = readStream32(r, 1<<16)
		w64 := len(data) / 8
		r = &byteReader{b: append(le64(uint64(w64)), data[:8*w64]...)}
		_, _ = readStream64(r, 1<<16)
	})
}

func le64(v uint64) []byte {
	b := make([]byte, 8)
	for i := range b {
		b[i] = byte(v >> (8 * i))
	}
	return b
}
