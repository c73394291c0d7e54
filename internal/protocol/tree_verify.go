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
// of the child proofs it names (a merge node). Only the hash pair exists:
// it PROVES NOTHING (wire/tree.go), and the chain recomputes it natively.
// A real proof system plugs in here: either a native verifier of the
// same shape (a succinct verifier the chain can run in a transaction), or
// one that accepts provisionally and lets a committee decide (PROTOCOL.md
// 5.5), which the tree would then wait for before a node counts as kept.
// Before any verifier runs, the chain checks that the outputs name the
// sender (submitNodeProof): that check is the copy protection and does
// not depend on the program.

type treeVerifier interface {
	// base checks a base node proof on inputs a and b.
	base(prover address.Address, a, b *pb.Input, outputs, proof []byte) error
	// merge checks a merge node proof over the named child proofs'
	// outputs, left child first.
	merge(prover address.Address, left, right [][]byte, outputs, proof []byte) error
}

var errNoTreeVerifier = errors.New("no verifier for this program pair: only the hash test pair (wire.TreeHashBaseProgram, wire.TreeHashMergeProgram) has one so far (docs/TREES.md)")

// treeVerifierFor returns the verifier of a tree's program pair.
func treeVerifierFor(base, merge []byte) (treeVerifier, error) {
	if bytes.Equal(base, wire.TreeHashBaseProgram) && bytes.Equal(merge, wire.TreeHashMergeProgram) {
		return hashPair{}, nil
	}
	return nil, errNoTreeVerifier
}

// hashPair is the fast hash-based pair: the outputs must be exactly what
// wire.TreeHashBaseOutputs or wire.TreeHashMergeOutputs give, and the
// proof empty (there is nothing to prove).
type hashPair struct{}

func (hashPair) base(prover address.Address, a, b *pb.Input, outputs, proof []byte) error {
	want := wire.TreeHashBaseOutputs(prover, wire.TreeInputHash(a.Data, a.Sha256), wire.TreeInputHash(b.Data, b.Sha256))
	return hashPairCheck(want, outputs, proof)
}

func (hashPair) merge(prover address.Address, left, right [][]byte, outputs, proof []byte) error {
	return hashPairCheck(wire.TreeHashMergeOutputs(prover, left, right), outputs, proof)
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
