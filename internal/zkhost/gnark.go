package zkhost

import (
	"bytes"
	"fmt"
	"io"
	"math/big"

	"github.com/consensys/gnark-crypto/ecc"
	bls12377 "github.com/consensys/gnark-crypto/ecc/bls12-377"
	fftbls12377 "github.com/consensys/gnark-crypto/ecc/bls12-377/fr/fft"
	bls12381 "github.com/consensys/gnark-crypto/ecc/bls12-381"
	fftbls12381 "github.com/consensys/gnark-crypto/ecc/bls12-381/fr/fft"
	bn254 "github.com/consensys/gnark-crypto/ecc/bn254"
	fftbn254 "github.com/consensys/gnark-crypto/ecc/bn254/fr/fft"
	bw6761 "github.com/consensys/gnark-crypto/ecc/bw6-761"
	fftbw6761 "github.com/consensys/gnark-crypto/ecc/bw6-761/fr/fft"
	"github.com/consensys/gnark/constraint"
	csbls12377 "github.com/consensys/gnark/constraint/bls12-377"
	csbls12381 "github.com/consensys/gnark/constraint/bls12-381"
	csbn254 "github.com/consensys/gnark/constraint/bn254"
	csbw6761 "github.com/consensys/gnark/constraint/bw6-761"

	"github.com/provernet/provernet/sdk/zkabi"
)

// Backends returns every gnark backend of this host.
func Backends() []Backend {
	return append(groth16Backends(), plonkBackends()...)
}

// Hard limits on inputs, checked before anything is decoded. Inputs
// above them get ErrTooLarge: they are not malformed, just more than a
// worker takes.
const (
	maxSystemBytes       = 256 << 20
	maxProvingKeyBytes   = 1 << 30
	maxVerifyingKeyBytes = 16 << 20
	maxWitnessBytes      = 256 << 20
	maxProofBytes        = 1 << 20

	// maxLogDomain bounds FFT domains (2^28 is BN254's two-adicity, and
	// far above what a 1 GiB proving key can serve).
	maxLogDomain = 28
	maxDomain    = 1 << maxLogDomain
	// maxWires bounds the wires of a system: the solver allocates about
	// 33 bytes a wire before it looks at a single constraint.
	maxWires = 1 << 28
	// maxHintOutputs bounds the outputs of one hint call: the solver
	// allocates a big.Int per output.
	maxHintOutputs = 1 << 16
	// maxSystemMemory bounds the estimated memory of a decoded system.
	maxSystemMemory = 1 << 30
)

// curveInfo is what the curve-generic validators need to know about a
// curve: sizes, the scalar field, and typed accessors into gnark's
// per-curve objects.
type curveInfo struct {
	zk      zkabi.Curve
	id      ecc.ID
	r       *big.Int // scalar field modulus
	frBytes int      // bytes of a serialized scalar
	frLimbs int      // 64-bit words of a scalar in memory
	g1, g2  int      // compressed point sizes; uncompressed are twice

	// compressed reports whether a point encoding with this first byte
	// is compressed (gnark-crypto's isCompressed).
	compressed func(msb byte) bool
	// core returns the curve-independent part of a typed system.
	core func(constraint.ConstraintSystem) (*constraint.System, bool)
	// domainBytes is the serialization of fft.NewDomain(card) without
	// precomputation.
	domainBytes func(card uint64) ([]byte, error)
}

var curves = map[zkabi.Curve]*curveInfo{
	zkabi.BN254: {
		zk: zkabi.BN254, id: ecc.BN254, r: ecc.BN254.ScalarField(), frBytes: 32, frLimbs: 4,
		g1: bn254.SizeOfG1AffineCompressed, g2: bn254.SizeOfG2AffineCompressed,
		compressed: func(msb byte) bool { return msb&(0b11<<6) != 0 },
		core: func(cs constraint.ConstraintSystem) (*constraint.System, bool) {
			c, ok := cs.(*csbn254.R1CS)
			if !ok {
				return nil, false
			}
			return &c.System, true
		},
		domainBytes: func(card uint64) ([]byte, error) {
			return writeToBytes(fftbn254.NewDomain(card, fftbn254.WithoutPrecompute()))
		},
	},
	zkabi.BLS12381: {
		zk: zkabi.BLS12381, id: ecc.BLS12_381, r: ecc.BLS12_381.ScalarField(), frBytes: 32, frLimbs: 4,
		g1: bls12381.SizeOfG1AffineCompressed, g2: bls12381.SizeOfG2AffineCompressed,
		compressed: zcashCompressed,
		core: func(cs constraint.ConstraintSystem) (*constraint.System, bool) {
			c, ok := cs.(*csbls12381.R1CS)
			if !ok {
				return nil, false
			}
			return &c.System, true
		},
		domainBytes: func(card uint64) ([]byte, error) {
			return writeToBytes(fftbls12381.NewDomain(card, fftbls12381.WithoutPrecompute()))
		},
	},
	zkabi.BLS12377: {
		zk: zkabi.BLS12377, id: ecc.BLS12_377, r: ecc.BLS12_377.ScalarField(), frBytes: 32, frLimbs: 4,
		g1: bls12377.SizeOfG1AffineCompressed, g2: bls12377.SizeOfG2AffineCompressed,
		compressed: zcashCompressed,
		core: func(cs constraint.ConstraintSystem) (*constraint.System, bool) {
			c, ok := cs.(*csbls12377.R1CS)
			if !ok {
				return nil, false
			}
			return &c.System, true
		},
		domainBytes: func(card uint64) ([]byte, error) {
			return writeToBytes(fftbls12377.NewDomain(card, fftbls12377.WithoutPrecompute()))
		},
	},
	zkabi.BW6761: {
		zk: zkabi.BW6761, id: ecc.BW6_761, r: ecc.BW6_761.ScalarField(), frBytes: 48, frLimbs: 6,
		g1: bw6761.SizeOfG1AffineCompressed, g2: bw6761.SizeOfG2AffineCompressed,
		compressed: zcashCompressed,
		core: func(cs constraint.ConstraintSystem) (*constraint.System, bool) {
			c, ok := cs.(*csbw6761.R1CS)
			if !ok {
				return nil, false
			}
			return &c.System, true
		},
		domainBytes: func(card uint64) ([]byte, error) {
			return writeToBytes(fftbw6761.NewDomain(card, fftbw6761.WithoutPrecompute()))
		},
	},
}

// zcashCompressed is isCompressed of the curves with 3 flag bits
// (0b000 uncompressed, 0b010 uncompressed infinity).
func zcashCompressed(msb byte) bool {
	m := msb & (0b111 << 5)
	return m != 0 && m != 0b010<<5
}

// protect runs fn, turning a panic into an error with the given status.
// Backends call gnark under it so that an input the validators missed
// costs one call, not the worker. It only covers this goroutine; that is
// why the validators must make sure gnark's own goroutines cannot panic.
//
// The message holds the panic value only, never a stack trace: a stack
// names goroutine ids, addresses and build paths, and every message a
// program can read must be a function of its input alone, the same on
// every machine (verifiers must reach identical outcomes).
func protect(status zkabi.Status, what string, fn func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = Errorf(status, "%s: gnark panicked: %s", what, panicText(r))
		}
	}()
	return fn()
}

// panicText words a recovered panic value without anything that depends
// on the process (%v of a value holding pointers prints addresses).
func panicText(r any) string {
	switch v := r.(type) {
	case error:
		return v.Error()
	case string:
		return v
	case fmt.Stringer:
		return v.String()
	}
	return fmt.Sprintf("a value of type %T", r)
}

// wrapStatus gives err the status unless it already carries one.
func wrapStatus(status zkabi.Status, what string, err error) error {
	if err == nil {
		return nil
	}
	if _, ok := err.(*Error); ok {
		return err
	}
	return Errorf(status, "%s: %w", what, err)
}

func tooLarge(what string, n, limit int) error {
	if n > limit {
		return Errorf(zkabi.ErrTooLarge, "%s is %d bytes, the limit is %d", what, n, limit)
	}
	return nil
}

func isPow2(n uint64) bool { return n != 0 && n&(n-1) == 0 }

func writeToBytes(w io.WriterTo) ([]byte, error) {
	var b bytes.Buffer
	_, err := w.WriteTo(&b)
	return b.Bytes(), err
}
