package protocol

import (
	"bytes"
	"fmt"
	"sync"

	"github.com/provernet/provernet/internal/treepair"
	"github.com/provernet/provernet/wire"
	"github.com/provernet/provernet/wire/pb"
)

// The gnark pair (docs/TREES.md, "The gnark pair"): a node proof is a
// Groth16 proof over BN254 of internal/treezk's circuit of its level,
// under the verifying key the params name for that level. Its public
// inputs are the prover, the tree id, the node and Out, and the chain
// computes every one of them itself (treepair.BaseOut from the inputs'
// hashes, treepair.MergeOut from the named children's kept outputs), so
// a proof verifies only for its own prover, tree, node and children. A
// merge circuit verifies its two children's proofs in-circuit, so the
// chain checks the node's own proof only: about 2.6 ms with its key's
// parsing, wire.WeightGnarkNodeProof.
//
// A merge aggregates exactly one kept proof of each child: the circuit
// verifies two proofs, not up to 2 x proofs_per_node.

// maxGnarkMergeLevels is the most merge levels a pair can have: a tree
// of max_tree_inputs (at most 64) inputs has log2(64) - 1 of them.
const (
	maxGnarkMergeLevels = 5
	maxGnarkVKBytes     = 4096
)

// gnarkPair is the gnark pair's keys as the params hold them: raw[0] the
// base level's, raw[L] merge level L's. A node proof parses only its own
// level's key.
type gnarkPair struct {
	raw [][]byte
}

// newGnarkPair checks the keys the params name; validate parses every
// one of them.
func newGnarkPair(tp TreeParams) (*gnarkPair, error) {
	if len(tp.TreeGnarkBaseVK) == 0 || len(tp.TreeGnarkMergeVKs) == 0 || len(tp.TreeGnarkMergeVKs) > maxGnarkMergeLevels {
		return nil, fmt.Errorf("the gnark pair needs tree_gnark_base_vk and 1..%d tree_gnark_merge_vks, got %d bytes and %d keys",
			maxGnarkMergeLevels, len(tp.TreeGnarkBaseVK), len(tp.TreeGnarkMergeVKs))
	}
	return &gnarkPair{raw: append([][]byte{tp.TreeGnarkBaseVK}, tp.TreeGnarkMergeVKs...)}, nil
}

// validate parses every level's key and checks that it binds a proof to
// its public inputs (treepair.CheckBinding): the base circuit has no
// commitment, each merge circuit one (its in-circuit verifier's).
func (g *gnarkPair) validate() error {
	for level := range g.raw {
		vk, err := g.vk(uint32(level))
		if err != nil {
			return err
		}
		commitments := 1
		if level == 0 {
			commitments = 0
		}
		if err := vk.CheckBinding(commitments); err != nil {
			return fmt.Errorf("gnark pair level %d: %w", level, err)
		}
	}
	return nil
}

// parsedVKs keeps the keys parsed: they are immutable once in the
// genesis, and parsing one, every point checked, is about 0.4 ms, a sixth
// of a verification (the gnark review, L1). Keyed by the key's bytes, so
// a cached key is the one those bytes give; parsing is a pure function,
// so the cache changes no result.
var parsedVKs sync.Map // string(raw) -> *treepair.VerifyingKey

// vk parses level's key, once.
func (g *gnarkPair) vk(level uint32) (*treepair.VerifyingKey, error) {
	if int(level) >= len(g.raw) {
		return nil, fmt.Errorf("no key for level %d", level) // fits refused the tree
	}
	raw := g.raw[level]
	if len(raw) > maxGnarkVKBytes {
		return nil, fmt.Errorf("gnark pair level %d: the verifying key is %d bytes, the limit is %d", level, len(raw), maxGnarkVKBytes)
	}
	if vk, ok := parsedVKs.Load(string(raw)); ok {
		return vk.(*treepair.VerifyingKey), nil
	}
	vk, err := treepair.ParseVerifyingKey(raw)
	if err != nil {
		return nil, fmt.Errorf("gnark pair level %d: %w", level, err)
	}
	if vk.NumPublic() != treepair.NumPublic {
		return nil, fmt.Errorf("gnark pair level %d: the verifying key takes %d public inputs, node circuits have %d", level, vk.NumPublic(), treepair.NumPublic)
	}
	parsedVKs.Store(string(raw), vk)
	return vk, nil
}

func (g *gnarkPair) fits(n uint32) error {
	if levels := log2(n) - 1; int(levels) >= len(g.raw) {
		return fmt.Errorf("the gnark pair has keys for %d merge levels: trees of at most %d inputs, not %d", len(g.raw)-1, 2<<(len(g.raw)-1), n)
	}
	return nil
}

func (g *gnarkPair) base(at nodeAt, a, b *pb.Input, outputs, proof []byte) error {
	out, err := treepair.BaseOut(at.prover, at.tree, at.node, wire.TreeInputHash(a.Data, a.Sha256), wire.TreeInputHash(b.Data, b.Sha256))
	if err != nil {
		return err
	}
	return g.check(at, out, outputs, proof)
}

func (g *gnarkPair) merge(at nodeAt, left, right [][]byte, outputs, proof []byte) error {
	if len(left) != 1 || len(right) != 1 {
		return fmt.Errorf("a gnark merge aggregates one proof of each child; this one names %d and %d", len(left), len(right))
	}
	out, err := treepair.MergeOut(at.prover, at.tree, at.node, left[0], right[0])
	if err != nil {
		return err
	}
	return g.check(at, out, outputs, proof)
}

// check requires the outputs the chain computed and verifies the proof
// under the key of the node's level against the public inputs.
func (g *gnarkPair) check(at nodeAt, out treepair.Element, outputs, proof []byte) error {
	if want := treepair.Outputs(at.prover, out); !bytes.Equal(outputs, want) {
		return fmt.Errorf("outputs %x are not the node's commitment %x", outputs, want)
	}
	// The proof first: an empty or malformed one (weighed without
	// WeightGnarkNodeProof) costs no key.
	p, err := treepair.ParseProof(proof)
	if err != nil {
		return fmt.Errorf("proof: %w", err)
	}
	level := treeLevel(at.n, at.node)
	vk, err := g.vk(level)
	if err != nil {
		return err
	}
	pub, err := treepair.Public(at.prover, at.tree, at.node, out)
	if err != nil {
		return err
	}
	if err := treepair.Verify(vk, p, pub); err != nil {
		return fmt.Errorf("level %d proof: %w", level, err)
	}
	return nil
}
