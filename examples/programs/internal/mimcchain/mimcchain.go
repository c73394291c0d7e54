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
	"encoding/binary"
	"errors"
	"strconv"
	"strings"

	"github.com/provernet/provernet/examples/programs/internal/progcore"
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
	Modulus Element
	// Chain computes MiMC^n(x) with gnark-crypto's native MiMC, the one
	// gnark's std/hash/mimc constrains; x is below Modulus. Only provers
	// need it (nil in a verifier's Spec).
	Chain func(x Element, n int) Element
	// CheckProof checks the length and shape of a proof in gnark's
	// binary format before anything decodes it (the points are the
	// decoder's business). nil: any length up to MaxProofSize.
	CheckProof func(p []byte) error
}

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
	X, Y *Element // nil if absent
}

// ParseInput decodes and checks input.json strictly (unknown fields,
// trailing data and out-of-range elements are refused); every error is
// malformed input. It accepts exactly what encoding/json's Decoder with
// DisallowUnknownFields, followed by a More check, accepts into InputJSON
// (see DecodeInputJSON), then n in range and x and y, when not empty,
// elements.
func (s *Spec) ParseInput(data []byte) (Input, error) {
	in, err := DecodeInputJSON(data)
	if err != nil {
		return Input{}, progcore.Malformed(progcore.Wrap("input.json", err))
	}
	if in.N < MinChainLength || in.N > MaxChainLength {
		return Input{}, progcore.MalformedMsg("input.json: n=" + strconv.Itoa(in.N) + " out of range [" +
			strconv.Itoa(MinChainLength) + ", " + strconv.Itoa(MaxChainLength) + "]")
	}
	out := Input{N: in.N}
	if in.X != "" {
		x, err := s.ParseElement(in.X)
		if err != nil {
			return Input{}, progcore.Malformed(progcore.Wrap("input.json: x", err))
		}
		out.X = &x
	}
	if in.Y != "" {
		y, err := s.ParseElement(in.Y)
		if err != nil {
			return Input{}, progcore.Malformed(progcore.Wrap("input.json: y", err))
		}
		out.Y = &y
	}
	return out, nil
}

// ParseElement parses a decimal or 0x-hex integer in [0, Modulus): what
// math/big's SetString(str, 10), or SetString(str[2:], 16) after a "0x",
// accepts (a sign included: "-0" and "+5" are elements).
func (s *Spec) ParseElement(str string) (Element, error) {
	var base uint64 = 10
	digits := str
	if h, found := strings.CutPrefix(str, "0x"); found {
		base, digits = 16, h
	}
	v, neg, overflow, ok := parseUint(digits, base)
	if !ok {
		return Element{}, errors.New(strconv.Quote(str) + " is not a decimal or 0x-hex integer")
	}
	if (neg && !v.IsZero()) || overflow || v.Cmp(s.Modulus) >= 0 {
		return Element{}, errors.New(strconv.Quote(str) + " is not in [0, r) for the " + s.Curve.String() + " scalar field")
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
func (s *Spec) FullWitness(x, y Element) []byte {
	return s.witness(1, 1, y, x)
}

// PublicWitness encodes the public witness: Y alone.
func (s *Spec) PublicWitness(y Element) []byte {
	return s.witness(1, 0, y)
}

func (s *Spec) witness(nbPublic, nbSecret uint32, elems ...Element) []byte {
	out := make([]byte, 0, witnessHeader+ElementSize*len(elems))
	out = binary.BigEndian.AppendUint32(out, nbPublic)
	out = binary.BigEndian.AppendUint32(out, nbSecret)
	out = binary.BigEndian.AppendUint32(out, uint32(len(elems)))
	for _, e := range elems {
		out = append(out, e[:]...)
	}
	return out
}

// PublicY decodes a public witness holding exactly one element below the
// modulus (the y of a proof container).
func (s *Spec) PublicY(w []byte) (Element, error) {
	be := binary.BigEndian
	if len(w) != witnessHeader+ElementSize || be.Uint32(w[0:]) != 1 || be.Uint32(w[4:]) != 0 || be.Uint32(w[8:]) != 1 {
		return Element{}, errors.New("public witness: want exactly one public element")
	}
	y := Element(w[witnessHeader:])
	if y.Cmp(s.Modulus) >= 0 {
		return Element{}, errors.New("public witness: element not reduced")
	}
	return y, nil
}
