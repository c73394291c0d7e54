package prover

import (
	"bytes"
	"fmt"

	"github.com/provernet/provernet/wire"
	"github.com/provernet/provernet/wire/address"
	"github.com/provernet/provernet/wire/pb"
)

// nodeProgram proves one node of a tree: the boundary behind which a
// tree's program pair runs. Only the hash pair exists (wire/tree.go), and
// it PROVES NOTHING: its "proof" is empty and its outputs a SHA-256 that
// the daemon computes in place, in microseconds. A real pair goes behind
// the same two calls and runs in the sandbox, as a Run's program does,
// with the file contract docs/TREES.md ("Verification") gives: a base
// prover reads /in/a, /in/b and /in/prover; a merge prover reads each
// named child proof and its outputs (/in/left-<seq>.proof, .out, and
// right-) and /in/prover; both write a proof and outputs that begin with
// the prover's address.
type nodeProgram interface {
	// base proves a base node over its two inputs.
	base(prover address.Address, a, b *pb.Input) (proof, outputs []byte, err error)
	// merge proves a merge node over the outputs of the child proofs it
	// names, left child first.
	merge(prover address.Address, left, right [][]byte) (proof, outputs []byte, err error)
}

// nodeProgramFor returns the program pair a tree names.
func nodeProgramFor(t *pb.Tree) (nodeProgram, error) {
	if bytes.Equal(t.BaseProgram, wire.TreeHashBaseProgram) && bytes.Equal(t.MergeProgram, wire.TreeHashMergeProgram) {
		return hashProgram{}, nil
	}
	return nil, fmt.Errorf("tree %x names programs %x and %x: only the hash pair can be proved so far", t.Id, t.BaseProgram, t.MergeProgram)
}

// hashProgram is the hash pair, computed in the daemon.
type hashProgram struct{}

func (hashProgram) base(prover address.Address, a, b *pb.Input) ([]byte, []byte, error) {
	return nil, wire.TreeHashBaseOutputs(prover, wire.TreeInputHash(a.Data, a.Sha256), wire.TreeInputHash(b.Data, b.Sha256)), nil
}

func (hashProgram) merge(prover address.Address, left, right [][]byte) ([]byte, []byte, error) {
	return nil, wire.TreeHashMergeOutputs(prover, left, right), nil
}
