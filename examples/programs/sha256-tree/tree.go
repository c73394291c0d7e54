// Package sha256tree is the logic of the sha256-tree example programs: a
// base program and a merge program for proof trees (docs/TREES.md) that
// follow the tree program file contract (examples/programs/README.md, "Tree
// programs"), deployed like any program as a prover and a verifier module
// each.
//
// IT PROVES NOTHING CRYPTOGRAPHICALLY. Its "proof" is a SHA-256 chain over
// the public outputs that anyone can recompute from public data, and its
// merge does not verify its children's proofs (it reads them, bounded, but
// only their presence matters). It exists to exercise the contract, the
// sandbox and a committee of verifiers with programs that cost a measurable
// few milliseconds; a real pair proves its statement (see the gnark pair in
// docs/TREES.md).
//
// What it does bind, as every tree program must, is the prover: the public
// outputs begin with the prover's 20-byte address and hash it, and the proof
// is computed from the outputs, so a proof lifted from another prover does
// not verify under the copier's address.
//
//	base outputs  = prover || SHA-256(BaseDomain || prover || SHA-256(a) || SHA-256(b))
//	merge outputs = prover || SHA-256(MergeDomain || prover ||
//	                    u32be(count_left)  || (u32be(len) || out) per left child ||
//	                    u32be(count_right) || (u32be(len) || out) per right child)
//	proof         = h_K, h_0 = outputs, h_{i+1} = SHA-256(h_i), K = Iterations
//
// The package links neither fmt nor os (package progcore, not progio), so
// its verifier modules stay small.
package sha256tree

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
)

const (
	// BaseDomain and MergeDomain separate the two programs' hashes.
	BaseDomain  = "provernet/sha256-tree/base/v1"
	MergeDomain = "provernet/sha256-tree/merge/v1"

	// AddressSize is the size of a prover's address.
	AddressSize = 20
	// OutputsSize is the size of both programs' public outputs.
	OutputsSize = AddressSize + sha256.Size
	// ProofSize is the size of a proof: one SHA-256 digest.
	ProofSize = sha256.Size
	// Iterations is K, the length of the proof's hash chain: fixed, so
	// that proving and verifying cost a measurable few milliseconds.
	Iterations = 10000
)

// Why a verifier rejects (all invalid, exit 1).
var (
	ErrNotProver = errors.New("outputs do not begin with the prover's address")
	ErrOutputs   = errors.New("outputs do not follow from the inputs")
	ErrProof     = errors.New("proof does not match the outputs")
)

// BaseOutputs are the base program's public outputs for prover on the
// node's two inputs.
func BaseOutputs(prover, a, b []byte) []byte {
	ha, hb := sha256.Sum256(a), sha256.Sum256(b)
	h := sha256.New()
	h.Write([]byte(BaseDomain))
	h.Write(prover)
	h.Write(ha[:])
	h.Write(hb[:])
	return h.Sum(bytes.Clone(prover))
}

// MergeOutputs are the merge program's public outputs for prover over the
// outputs of the child proofs it names, left child's first, each side in
// the order named.
func MergeOutputs(prover []byte, left, right [][]byte) []byte {
	h := sha256.New()
	h.Write([]byte(MergeDomain))
	h.Write(prover)
	for _, side := range [][][]byte{left, right} {
		h.Write(binary.BigEndian.AppendUint32(nil, uint32(len(side))))
		for _, out := range side {
			h.Write(binary.BigEndian.AppendUint32(nil, uint32(len(out))))
			h.Write(out)
		}
	}
	return h.Sum(bytes.Clone(prover))
}

// Proof is the proof of outputs: SHA-256 applied Iterations times.
func Proof(outputs []byte) []byte {
	h := sha256.Sum256(outputs)
	for i := 1; i < Iterations; i++ {
		h = sha256.Sum256(h[:])
	}
	return h[:]
}

// ProveBase proves a base node: files must be exactly prover, a and b.
func ProveBase(f Files) (outputs, proof []byte, err error) {
	if err := f.exactly(baseNames(false)); err != nil {
		return nil, nil, err
	}
	prover, err := f.prover()
	if err != nil {
		return nil, nil, err
	}
	outputs = BaseOutputs(prover, f[FileA], f[FileB])
	return outputs, Proof(outputs), nil
}

// VerifyBase checks a base node's proof: files must be exactly prover, a,
// b and outputs. It returns a malformed error (progcore.IsMalformed) for
// bad files, one of ErrNotProver, ErrOutputs, ErrProof for a rejected
// proof, or nil.
func VerifyBase(f Files, proof []byte) error {
	if err := f.exactly(baseNames(true)); err != nil {
		return err
	}
	prover, err := f.prover()
	if err != nil {
		return err
	}
	return check(prover, f[FileOutputs], BaseOutputs(prover, f[FileA], f[FileB]), proof)
}

// ProveMerge proves a merge node: files must be exactly prover and, for
// k = 1..n on each side (1 <= n <= MaxChildren), left-<k>.out,
// left-<k>.proof, right-<k>.out and right-<k>.proof.
func ProveMerge(f Files) (outputs, proof []byte, err error) {
	prover, left, right, err := f.merge(false)
	if err != nil {
		return nil, nil, err
	}
	outputs = MergeOutputs(prover, left, right)
	return outputs, Proof(outputs), nil
}

// VerifyMerge checks a merge node's proof: files as ProveMerge's plus
// outputs; its errors are VerifyBase's.
func VerifyMerge(f Files, proof []byte) error {
	prover, left, right, err := f.merge(true)
	if err != nil {
		return err
	}
	return check(prover, f[FileOutputs], MergeOutputs(prover, left, right), proof)
}

// check compares the claimed outputs with the ones the inputs give, then
// the proof with the one the outputs give. The address comes first: it is
// what makes a lifted proof worthless, whatever else matches.
func check(prover, outputs, want, proof []byte) error {
	if len(outputs) < AddressSize || !bytes.Equal(outputs[:AddressSize], prover) {
		return ErrNotProver
	}
	if !bytes.Equal(outputs, want) {
		return ErrOutputs
	}
	if !bytes.Equal(proof, Proof(outputs)) {
		return ErrProof
	}
	return nil
}
