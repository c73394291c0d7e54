package protocol

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/provernet/provernet/wire"
	"github.com/provernet/provernet/wire/address"
	"github.com/provernet/provernet/wire/pb"
)

// Verification of node proofs (docs/TREES.md, "Verification"). A
// treeVerifier decides, inside the transaction, whether a node proof's
// public outputs follow from its inputs (a base node) or from the outputs
// of the child proofs it names (a merge node), and whether its proof
// proves them. Two pairs have one, both verified natively:
//
//   - the hash pair PROVES NOTHING (wire/tree.go): the chain recomputes
//     its outputs and its proof is empty;
//   - the gnark pair (tree_gnark.go): Groth16 over BN254 with the keys
//     the params name, whose merge circuit verifies its children's proofs
//     in-circuit, so the chain checks only the node's own proof.
//
// A pair whose proofs the chain cannot check itself would instead be
// accepted provisionally and decided by a committee (PROTOCOL.md 5.5),
// which the tree would then wait for before a node counts as kept; none
// exists. Before any verifier runs, the chain checks that the outputs
// name the sender (submitNodeProof): that check is the copy protection
// and does not depend on the program.

type treeVerifier interface {
	// fits checks that the pair can prove a tree of n inputs.
	fits(n uint32) error
	// base checks a base node proof on inputs a and b.
	base(at nodeAt, a, b *pb.Input, outputs, proof []byte) error
	// merge checks a merge node proof over the named child proofs'
	// outputs, left child first.
	merge(at nodeAt, left, right [][]byte, outputs, proof []byte) error
}

// nodeAt is the node a proof is of, and its prover.
type nodeAt struct {
	tree   []byte
	n      uint32 // the tree's inputs
	node   uint32
	prover address.Address
}

var errNoTreeVerifier = errors.New("no verifier for this program pair: the chain verifies the hash test pair (wire.TreeHashBaseProgram, wire.TreeHashMergeProgram) and, when its params name keys, the gnark pair (wire.TreeGnarkPrograms); docs/TREES.md")

// treeVerifierFor returns the verifier of a tree's program pair.
func treeVerifierFor(tp TreeParams, base, merge []byte) (treeVerifier, error) {
	if bytes.Equal(base, wire.TreeHashBaseProgram) && bytes.Equal(merge, wire.TreeHashMergeProgram) {
		return hashPair{}, nil
	}
	if len(tp.TreeGnarkBaseVK) > 0 {
		b, m := wire.TreeGnarkPrograms(tp.TreeGnarkBaseVK, tp.TreeGnarkMergeVKs)
		if bytes.Equal(base, b) && bytes.Equal(merge, m) {
			return newGnarkPair(tp)
		}
	}
	return nil, errNoTreeVerifier
}

// hashPair is the fast hash-based pair: the outputs must be exactly what
// wire.TreeHashBaseOutputs or wire.TreeHashMergeOutputs give, and the
// proof empty (there is nothing to prove).
type hashPair struct{}

func (hashPair) fits(uint32) error { return nil }

func (hashPair) base(at nodeAt, a, b *pb.Input, outputs, proof []byte) error {
	want := wire.TreeHashBaseOutputs(at.prover, wire.TreeInputHash(a.Data, a.Sha256), wire.TreeInputHash(b.Data, b.Sha256))
	return hashPairCheck(want, outputs, proof)
}

func (hashPair) merge(at nodeAt, left, right [][]byte, outputs, proof []byte) error {
	return hashPairCheck(wire.TreeHashMergeOutputs(at.prover, left, right), outputs, proof)
}

func hashPairCheck(want, outputs, proof []byte) error {
	if len(proof) != 0 {
		return fmt.Errorf("the hash pair's proof is empty; this one is %d bytes", len(proof))
	}
	if !bytes.Equal(want, outputs) {
		return fmt.Errorf("outputs %x are not the hash pair's %x", outputs, want)
	}
	return nil
}
