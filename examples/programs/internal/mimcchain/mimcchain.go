// Package mimcchain is what the MiMC-chain example programs (groth16-mimc,
// plonk-mimc) agree on without gnark: the statement's input file, the
// witness in gnark's binary format, and the proof container. The provers
// and verifiers that prove through the host (sdk/guest) are built from it
// alone, so they stay small; the pure-wasm reference programs use it too,
// so both paths read and write the same files.
//
// The statement: "I know x such that MiMC^n(x) = y", MiMC^n being a chain
// of n MiMC hashes over the scalar field of the proof system's curve
// (h_0 = x, h_{i+1} = MiMC(h_i), y = h_n), x secret and y public.
package mimcchain

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"strings"

	"github.com/provernet/provernet/examples/programs/internal/progio"
	"github.com/provernet/provernet/sdk/zkabi"
)

// Spec is one program's instance of the statement.
type Spec struct {
	Name   string // program name, for messages
	System zkabi.System
	Curve  zkabi.Curve
	// Magic starts every proof container (8 bytes).
	Magic string
	// Modulus is the scalar field's; every element is below it.
	Modulus *big.Int
	// Chain computes MiMC^n(x) with gnark-crypto's native MiMC, the one
	// gnark's std/hash/mimc constrains; x is below Modulus.
	Chain func(x *big.Int, n int) *big.Int
	// CheckProof checks the length and shape of a proof in gnark's
	// binary format before anything decodes it (the points are the
	// decoder's business). nil: any length up to MaxProofSize.
	CheckProof func(p []byte) error
}

// ElementSize is the bytes of a scalar field element in gnark's binary
// formats (big-endian, fixed size).
func (s *Spec) ElementSize() int { return (s.Modulus.BitLen() + 7) / 8 }

// Limits on the chain length (about 330 R1CS constraints a link).
const (
	MinChainLength = 1
	MaxChainLength = 1 << 12
)

// MaxInputSize bounds input.json.
const MaxInputSize = 64 << 10

// InputJSON is the content of input.json. Field elements are decimal
// strings or 0x-prefixed hex, each below the scalar field modulus.
type InputJSON struct {
	N int    `json:"n"`           // chain length; must match the circuit of the keys
	X string `json:"x,omitempty"` // secret preimage (needed by the prover)
	Y string `json:"y,omitempty"` // public image; optional
}

// Input is a checked input.json.
type Input struct {
	N    int
	X, Y *big.Int // nil if absent
}

// ParseInput decodes and checks input.json strictly (unknown fields,
// trailing data and out-of-range elements are refused); every error is
// malformed input.
func (s *Spec) ParseInput(data []byte) (Input, error) {
	var in InputJSON
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		return Input{}, progio.Malformedf("input.json: %w", err)
	}
	if dec.More() {
		return Input{}, progio.Malformedf("input.json: trailing data")
	}
	if in.N < MinChainLength || in.N > MaxChainLength {
		return Input{}, progio.Malformedf("input.json: n=%d out of range [%d, %d]", in.N, MinChainLength, MaxChainLength)
	}
	out := Input{N: in.N}
	var err error
	if in.X != "" {
		if out.X, err = s.ParseElement(in.X); err != nil {
			return Input{}, progio.Malformedf("input.json: x: %w", err)
		}
	}
	if in.Y != "" {
		if out.Y, err = s.ParseElement(in.Y); err != nil {
			return Input{}, progio.Malformedf("input.json: y: %w", err)
		}
	}
	return out, nil
}

// ParseElement parses a decimal or 0x-hex integer in [0, Modulus).
func (s *Spec) ParseElement(str string) (*big.Int, error) {
	v := new(big.Int)
	ok := false
	if h, found := strings.CutPrefix(str, "0x"); found {
		_, ok = v.SetString(h, 16)
	} else {
		_, ok = v.SetString(str, 10)
	}
	if !ok {
		return nil, fmt.Errorf("%q is not a decimal or 0x-hex integer", str)
	}
	if v.Sign() < 0 || v.Cmp(s.Modulus) >= 0 {
		return nil, fmt.Errorf("%q is not in [0, r) for the %s scalar field", str, s.Curve)
	}
	return v, nil
}

// ---- witness, gnark's witness.MarshalBinary format ----

// The witness format (gnark backend/witness, WriteTo):
//
//	uint32be nbPublic | uint32be nbSecret | uint32be len | len elements
//
// each element big-endian, ElementSize bytes, in canonical (not
// Montgomery) form; public values first, in the circuit's field order.
const witnessHeader = 12

// FullWitness encodes the full witness of the circuit: public Y, secret X.
func (s *Spec) FullWitness(x, y *big.Int) []byte {
	return s.witness(1, 1, y, x)
}

// PublicWitness encodes the public witness: Y alone.
func (s *Spec) PublicWitness(y *big.Int) []byte {
	return s.witness(1, 0, y)
}

func (s *Spec) witness(nbPublic, nbSecret uint32, elems ...*big.Int) []byte {
	size := s.ElementSize()
	out := make([]byte, 0, witnessHeader+size*len(elems))
	out = binary.BigEndian.AppendUint32(out, nbPublic)
	out = binary.BigEndian.AppendUint32(out, nbSecret)
	out = binary.BigEndian.AppendUint32(out, uint32(len(elems)))
	for _, e := range elems {
		n := len(out)
		out = append(out, make([]byte, size)...)
		e.FillBytes(out[n:])
	}
	return out
}

// PublicY decodes a public witness holding exactly one element below the
// modulus (the y of a proof container).
func (s *Spec) PublicY(w []byte) (*big.Int, error) {
	be := binary.BigEndian
	if len(w) != witnessHeader+s.ElementSize() || be.Uint32(w[0:]) != 1 || be.Uint32(w[4:]) != 0 || be.Uint32(w[8:]) != 1 {
		return nil, errors.New("public witness: want exactly one public element")
	}
	y := new(big.Int).SetBytes(w[witnessHeader:])
	if y.Cmp(s.Modulus) >= 0 {
		return nil, errors.New("public witness: element not reduced")
	}
	return y, nil
}
