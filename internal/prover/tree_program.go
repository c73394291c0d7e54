package prover

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"

	"github.com/provernet/provernet/internal/protocol"
	"github.com/provernet/provernet/wire"
	"github.com/provernet/provernet/wire/address"
	"github.com/provernet/provernet/wire/pb"
)

// nodeProgram proves one node of a tree: the boundary behind which a
// tree's program pair runs (docs/TREES.md, "The prover daemon"). Two
// pairs exist:
//
//   - the hash pair (wire/tree.go) PROVES NOTHING: its "proof" is empty
//     and its outputs a SHA-256 that the daemon computes in place, in
//     microseconds, during the pass;
//   - the gnark pair (tree_gnark.go): real Groth16 proofs whose merge
//     verifies its two children in-circuit, made by provernet-sandbox's
//     tree-node command with the keys in Config.TreeKeysDir; seconds for
//     a base node, minutes for a merge, so it runs in the background;
//   - any other pair is two deployed programs (tree_deployed.go), run in
//     sandbox workers on the tree file contract, in the background; their
//     proofs go to committees, which the daemon sits on (tree_vote.go).
type nodeProgram interface {
	// name is how the log names the pair.
	name() string
	// background reports whether proving runs outside the pass.
	background() bool
	// oneChild reports whether a merge names exactly one kept proof of
	// each child (the gnark circuit verifies two proofs) rather than all.
	oneChild() bool
	// needsProofs reports whether a merge needs its children's proof
	// bytes (served by the /tree_proof query).
	needsProofs() bool
	// prove proves job's node; it returns the proof and the outputs.
	prove(ctx context.Context, job nodeJob) (proof, outputs []byte, err error)
}

// nodeJob is one node to prove: a base node's inputs, or the kept child
// proofs a merge aggregates, left child first.
type nodeJob struct {
	tree        []byte
	n, node     uint32
	prover      address.Address
	a, b        *pb.Input
	left, right []childProof
}

// childProof is a named kept proof of a child.
type childProof struct {
	seq     uint32
	outputs []byte
	proof   []byte // read only when the program needs it
}

// nodeProgramFor returns the program pair a tree names.
func (d *Daemon) nodeProgramFor(t *pb.Tree) (nodeProgram, error) {
	if bytes.Equal(t.BaseProgram, wire.TreeHashBaseProgram) && bytes.Equal(t.MergeProgram, wire.TreeHashMergeProgram) {
		return hashProgram{}, nil
	}
	if tp, ok := d.params.Trees(); ok && len(tp.TreeGnarkBaseVK) > 0 {
		b, m := wire.TreeGnarkPrograms(tp.TreeGnarkBaseVK, tp.TreeGnarkMergeVKs)
		if bytes.Equal(t.BaseProgram, b) && bytes.Equal(t.MergeProgram, m) {
			if d.cfg.TreeKeysDir == "" {
				return nil, fmt.Errorf("tree %x is of the gnark pair, and this daemon has no keys for it (--tree-keys DIR, made by `provernet tree keys`)", t.Id)
			}
			return &gnarkProgram{exe: d.cfg.Exe, dir: d.cfg.TreeKeysDir, vks: append([][]byte{tp.TreeGnarkBaseVK}, tp.TreeGnarkMergeVKs...)}, nil
		}
	}
	if len(t.BaseProgram) != sha256.Size || len(t.MergeProgram) != sha256.Size {
		return nil, fmt.Errorf("tree %x names programs %x and %x: neither a built-in pair nor two deployed programs", t.Id, t.BaseProgram, t.MergeProgram)
	}
	// Any other pair is two deployed programs (the chain refuses a tree
	// of anything else), their node proofs judged by committees.
	return &deployedProgram{d: d, base: t.BaseProgram, merge: t.MergeProgram}, nil
}

// hashProgram is the hash pair, computed in the daemon.
type hashProgram struct{}

func (hashProgram) name() string      { return "the hash pair: it proves nothing" }
func (hashProgram) background() bool  { return false }
func (hashProgram) oneChild() bool    { return false }
func (hashProgram) needsProofs() bool { return false }

func (hashProgram) prove(_ context.Context, j nodeJob) ([]byte, []byte, error) {
	if protocol.IsTreeBase(j.n, j.node) {
		return nil, wire.TreeHashBaseOutputs(j.prover, wire.TreeInputHash(j.a.Data, j.a.Sha256), wire.TreeInputHash(j.b.Data, j.b.Sha256)), nil
	}
	return nil, wire.TreeHashMergeOutputs(j.prover, outputsOf(j.left), outputsOf(j.right)), nil
}

func outputsOf(cs []childProof) [][]byte {
	var out [][]byte
	for _, c := range cs {
		out = append(out, c.outputs)
	}
	return out
}
