package treepair

import (
	"errors"
	"fmt"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr/mimc"
)

// A node's statement. Every node circuit has the same NumPublic public
// inputs, in this order: the prover's 20-byte address, the 32-byte tree
// id as two 128-bit halves (high first), the node (heap order), and the
// node's commitment Out:
//
//	base:  Out = MiMC(1, prover, treeHi, treeLo, node, aHi, aLo, bHi, bLo)
//	merge: Out = MiMC(2, prover, treeHi, treeLo, node, leftProver, leftOut, rightProver, rightOut)
//
// a and b being the SHA-256 of the base node's two inputs (or their blob
// hashes), each split in halves. A merge commits to its children's
// provers and Outs, and so, level by level, a root's Out to every input
// and every prover of its tree.
const NumPublic = 5

// AddressSize and OutputsSize: a node's outputs are the prover's address
// then Out, 32 bytes big-endian.
const (
	AddressSize = 20
	OutputsSize = AddressSize + fr.Bytes
)

// Tags separating base from merge commitments.
const (
	TagBase  = 1
	TagMerge = 2
)

// Element is a scalar of BN254.
type Element = fr.Element

// FromAddress is an address as a scalar (160 bits, below the modulus).
func FromAddress(a [AddressSize]byte) Element {
	var e Element
	e.SetBytes(a[:])
	return e
}

// Halves splits a 32-byte hash into two 128-bit scalars, high first.
func Halves(h []byte) (hi, lo Element, err error) {
	if len(h) != 32 {
		return hi, lo, fmt.Errorf("a hash is 32 bytes, got %d", len(h))
	}
	hi.SetBytes(h[:16])
	lo.SetBytes(h[16:])
	return hi, lo, nil
}

// BaseOut is a base node's Out.
func BaseOut(prover [AddressSize]byte, tree []byte, node uint32, a, b []byte) (Element, error) {
	th, tl, err := Halves(tree)
	if err != nil {
		return Element{}, fmt.Errorf("tree id: %w", err)
	}
	ah, al, err := Halves(a)
	if err != nil {
		return Element{}, fmt.Errorf("input a: %w", err)
	}
	bh, bl, err := Halves(b)
	if err != nil {
		return Element{}, fmt.Errorf("input b: %w", err)
	}
	return hash(fr.NewElement(TagBase), FromAddress(prover), th, tl, fr.NewElement(uint64(node)), ah, al, bh, bl), nil
}

// MergeOut is a merge node's Out over its children's outputs (prover then
// Out, as Outputs writes them), left first.
func MergeOut(prover [AddressSize]byte, tree []byte, node uint32, left, right []byte) (Element, error) {
	th, tl, err := Halves(tree)
	if err != nil {
		return Element{}, fmt.Errorf("tree id: %w", err)
	}
	lp, lo, err := ParseOutputs(left)
	if err != nil {
		return Element{}, fmt.Errorf("left child: %w", err)
	}
	rp, ro, err := ParseOutputs(right)
	if err != nil {
		return Element{}, fmt.Errorf("right child: %w", err)
	}
	return hash(fr.NewElement(TagMerge), FromAddress(prover), th, tl, fr.NewElement(uint64(node)),
		FromAddress(lp), lo, FromAddress(rp), ro), nil
}

// Public is a node's public witness, in circuit order.
func Public(prover [AddressSize]byte, tree []byte, node uint32, out Element) ([]Element, error) {
	th, tl, err := Halves(tree)
	if err != nil {
		return nil, fmt.Errorf("tree id: %w", err)
	}
	return []Element{FromAddress(prover), th, tl, fr.NewElement(uint64(node)), out}, nil
}

// Outputs are a node's public outputs: the prover's address, then Out.
func Outputs(prover [AddressSize]byte, out Element) []byte {
	b := out.Bytes()
	return append(append(make([]byte, 0, OutputsSize), prover[:]...), b[:]...)
}

// ParseOutputs splits outputs into the prover and a canonical Out.
func ParseOutputs(outputs []byte) (prover [AddressSize]byte, out Element, err error) {
	if len(outputs) != OutputsSize {
		return prover, out, fmt.Errorf("outputs are %d bytes, want %d (address, Out)", len(outputs), OutputsSize)
	}
	copy(prover[:], outputs)
	if err := out.SetBytesCanonical(outputs[AddressSize:]); err != nil {
		return prover, out, errors.New("outputs: Out is not a canonical BN254 scalar")
	}
	return prover, out, nil
}

// hash is MiMC over scalars (gnark-crypto's, as gnark's std/hash/mimc in
// circuit).
func hash(xs ...Element) Element {
	h := mimc.NewMiMC()
	for i := range xs {
		b := xs[i].Bytes()
		_, _ = h.Write(b[:]) // canonical scalars: never an error
	}
	var e Element
	e.SetBytes(h.Sum(nil))
	return e
}
