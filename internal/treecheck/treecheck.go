// Package treecheck verifies a final proof tree's winning root from its
// record, without trusting the node that served it (docs/TREES.md, "The
// CLI"): `provernet tree root` runs it before it writes a root, and the
// devnet smoke on the tree it proves.
//
// It recomputes the outputs of every proof of the winning tree, bottom
// up, as the chain does (wire's hash pair, treepair's gnark statements):
// a base proof's from the user's own inputs when given, else as recorded;
// a merge proof's from the children it names. The winning root's outputs
// must come out as recorded, so they commit to the inputs and to the
// provers the record names. For the gnark pair it then verifies the
// root's Groth16 proof under its level's key, whose merge circuit
// verified the children in-circuit. It reads nothing but its arguments.
package treecheck

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/provernet/provernet/internal/protocol"
	"github.com/provernet/provernet/internal/treepair"
	"github.com/provernet/provernet/wire"
	"github.com/provernet/provernet/wire/address"
)

// Check is what Verify verified of a final tree's winning root.
type Check struct {
	Pair       string `json:"pair"`       // hash or gnark
	Recomputed int    `json:"recomputed"` // proofs of the winning tree whose outputs were recomputed and matched
	Inputs     bool   `json:"inputs"`     // the base proofs' outputs came from the given input files
	Proof      bool   `json:"proof"`      // the root's Groth16 proof verified (the gnark pair)
	Keys       string `json:"keys,omitempty"`
}

// Keys are the gnark pair's verifying keys: the base level's, then one
// per merge level, and where they came from (for the report).
type Keys struct {
	Levels [][]byte
	From   string
}

// Verify checks t's winning root (t final) as the package comment says;
// inputs may be nil (the base proofs' outputs are then taken as
// recorded), keys nil for the hash pair, rootProof the winning root's
// proof bytes (empty for the hash pair).
func Verify(t *wire.Tree, inputs [][]byte, keys *Keys, rootProof []byte) (*Check, error) {
	id, err := hex.DecodeString(t.ID)
	if err != nil || len(id) != 32 || t.Winner == nil {
		return nil, fmt.Errorf("tree %q: not a final tree's record", t.ID)
	}
	if inputs != nil && uint32(len(inputs)) != t.N {
		return nil, fmt.Errorf("%d input files for a tree of %d inputs", len(inputs), t.N)
	}
	r := &treeRecompute{t: t, id: id, inputs: inputs, nodes: map[uint32]*wire.TreeNode{}, memo: map[[2]uint32][]byte{}}
	for i := range t.Nodes {
		r.nodes[t.Nodes[i].Node] = &t.Nodes[i]
	}
	check := &Check{Inputs: inputs != nil}
	switch {
	case t.BaseProgram == hex.EncodeToString(wire.TreeHashBaseProgram) && t.MergeProgram == hex.EncodeToString(wire.TreeHashMergeProgram):
		check.Pair = "hash"
	case keys != nil && gnarkPairOf(keys) == [2]string{t.BaseProgram, t.MergeProgram}:
		check.Pair, r.gnark, check.Keys = "gnark", true, keys.From
	case keys != nil:
		return nil, fmt.Errorf("tree %s's programs are neither the hash pair nor the gnark pair of the keys from %s", t.ID, keys.From)
	default:
		return nil, fmt.Errorf("tree %s's programs are not the hash pair, and no gnark keys were given", t.ID)
	}
	root, err := r.outputs(1, *t.Winner)
	if err != nil {
		return nil, err
	}
	check.Recomputed = r.count
	if !r.gnark {
		if len(rootProof) != 0 {
			return nil, fmt.Errorf("the hash pair's root proof is empty; the node gave %d bytes", len(rootProof))
		}
		return check, nil
	}
	if err := verifyGnarkRoot(t, id, keys, root, rootProof); err != nil {
		return nil, err
	}
	check.Proof = true
	return check, nil
}

// gnarkPairOf is the program ids (hex) of the gnark pair with keys.
func gnarkPairOf(keys *Keys) [2]string {
	if len(keys.Levels) < 2 {
		return [2]string{}
	}
	b, m := wire.TreeGnarkPrograms(keys.Levels[0], keys.Levels[1:])
	return [2]string{hex.EncodeToString(b), hex.EncodeToString(m)}
}

// verifyGnarkRoot verifies the root's proof under its level's key
// against the public inputs of its recomputed outputs.
func verifyGnarkRoot(t *wire.Tree, id []byte, keys *Keys, outputs, proof []byte) error {
	level := protocol.TreeLevel(t.N, 1)
	if int(level) >= len(keys.Levels) {
		return fmt.Errorf("the keys from %s cover %d merge levels; this root is at level %d", keys.From, len(keys.Levels)-1, level)
	}
	vk, err := treepair.ParseVerifyingKey(keys.Levels[level])
	if err != nil {
		return fmt.Errorf("level %d key: %w", level, err)
	}
	p, err := treepair.ParseProof(proof)
	if err != nil {
		return fmt.Errorf("the root's proof: %w", err)
	}
	prover, out, err := treepair.ParseOutputs(outputs)
	if err != nil {
		return err
	}
	pub, err := treepair.Public(prover, id, 1, out)
	if err != nil {
		return err
	}
	if err := treepair.Verify(vk, p, pub); err != nil {
		return fmt.Errorf("the root's proof does not verify: %w", err)
	}
	return nil
}

// treeRecompute recomputes the outputs of a tree's proofs.
type treeRecompute struct {
	t      *wire.Tree
	id     []byte
	inputs [][]byte
	gnark  bool
	nodes  map[uint32]*wire.TreeNode
	memo   map[[2]uint32][]byte
	count  int
}

// outputs recomputes proof seq of node and checks it against the record.
func (r *treeRecompute) outputs(node, seq uint32) ([]byte, error) {
	if o, ok := r.memo[[2]uint32{node, seq}]; ok {
		return o, nil
	}
	pf, err := r.proof(node, seq)
	if err != nil {
		return nil, err
	}
	recorded, err := hex.DecodeString(pf.Outputs)
	if err != nil {
		return nil, fmt.Errorf("node %d proof %d: outputs %q are not hex", node, seq, pf.Outputs)
	}
	prover, err := address.Parse(pf.Prover)
	if err != nil {
		return nil, fmt.Errorf("node %d proof %d: prover: %w", node, seq, err)
	}
	var want []byte
	if node >= r.t.N/2 {
		if r.inputs == nil { // nothing to recompute a base proof from
			r.memo[[2]uint32{node, seq}] = recorded
			return recorded, nil
		}
		want, err = r.base(node, prover)
	} else {
		want, err = r.merge(node, prover, pf)
	}
	if err != nil {
		return nil, fmt.Errorf("node %d proof %d: %w", node, seq, err)
	}
	if !bytes.Equal(want, recorded) {
		return nil, fmt.Errorf("node %d proof %d by %s: the node records outputs %x, but its inputs give %x", node, seq, pf.Prover, recorded, want)
	}
	r.count++
	r.memo[[2]uint32{node, seq}] = want
	return want, nil
}

// proof finds proof seq among node's kept proofs.
func (r *treeRecompute) proof(node, seq uint32) (*wire.TreeProof, error) {
	nd, ok := r.nodes[node]
	if !ok {
		return nil, fmt.Errorf("the record has no node %d", node)
	}
	for i := range nd.Proofs {
		if nd.Proofs[i].Seq == seq {
			return &nd.Proofs[i], nil
		}
	}
	return nil, fmt.Errorf("node %d has no kept proof %d", node, seq)
}

// base is a base proof's outputs from its two inputs.
func (r *treeRecompute) base(node uint32, prover address.Address) ([]byte, error) {
	i := 2 * (node - r.t.N/2)
	a, b := sha256.Sum256(r.inputs[i]), sha256.Sum256(r.inputs[i+1])
	if !r.gnark {
		return wire.TreeHashBaseOutputs(prover, a[:], b[:]), nil
	}
	out, err := treepair.BaseOut(prover, r.id, node, a[:], b[:])
	if err != nil {
		return nil, err
	}
	return treepair.Outputs(prover, out), nil
}

// merge is a merge proof's outputs from the child proofs it names.
func (r *treeRecompute) merge(node uint32, prover address.Address, pf *wire.TreeProof) ([]byte, error) {
	var sides [2][][]byte
	for s, seqs := range [2][]uint32{pf.Left, pf.Right} {
		if len(seqs) == 0 {
			return nil, errors.New("it names no proof of a child")
		}
		for _, q := range seqs {
			o, err := r.outputs(2*node+uint32(s), q)
			if err != nil {
				return nil, err
			}
			sides[s] = append(sides[s], o)
		}
	}
	if !r.gnark {
		return wire.TreeHashMergeOutputs(prover, sides[0], sides[1]), nil
	}
	if len(sides[0]) != 1 || len(sides[1]) != 1 {
		return nil, fmt.Errorf("a gnark merge names one proof of each child, not %d and %d", len(sides[0]), len(sides[1]))
	}
	out, err := treepair.MergeOut(prover, r.id, node, sides[0][0], sides[1][0])
	if err != nil {
		return nil, err
	}
	return treepair.Outputs(prover, out), nil
}
