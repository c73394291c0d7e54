package prover

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"maps"
	"slices"

	abci "github.com/cometbft/cometbft/abci/types"
	"google.golang.org/protobuf/proto"

	"github.com/provernet/provernet/internal/vrf"
	"github.com/provernet/provernet/wire/pb"
)

// Following proof trees (docs/TREES.md, "The prover daemon"). A tree
// becomes of interest when a block's events name it (its ProveTree's
// tree event, a node opening or changing window) and stays so, across
// restarts (state.json's trees), until it is final or expired. What the
// daemon learns of a tree that never changes (its inputs, its VRF proofs
// for each node) is kept in memory while it is of interest.

// treeWork is what the daemon keeps about one tree of interest.
type treeWork struct {
	inputs  []*pb.Input        // nil until read (base nodes need them)
	vrf     map[uint32]nodeVRF // this prover's VRF proof per node, once computed
	sent    map[uint32]int64   // nodes whose proof it sent, with the tip then
	proving map[uint32]bool    // nodes being proved in the background
	gaveUp  map[uint32]bool    // nodes whose program failed on this prover's proof
	warned  bool               // a tree of a pair it cannot prove was reported
	judged  []uint64           // ballots of pending proofs it took up (tree_vote.go)
}

func newTreeWork() *treeWork {
	return &treeWork{vrf: map[uint32]nodeVRF{}, sent: map[uint32]int64{}, proving: map[uint32]bool{}, gaveUp: map[uint32]bool{}}
}

// nodeVRF is this prover's VRF proof over one node's input and its value.
type nodeVRF struct {
	pi    []byte
	value uint64
}

// treesNamed lists the tree ids (hex) that events of a block name.
func treesNamed(evs []abci.Event) []string {
	var ids []string
	for _, e := range evs {
		key := ""
		switch e.Type {
		case "tree":
			key = "id"
		case "node", "node_proof", "node_ballot":
			key = "tree"
		default:
			continue
		}
		for _, a := range e.Attributes {
			if a.Key == key {
				ids = append(ids, a.Value)
			}
		}
	}
	return ids
}

// noteTrees marks the trees of block events as of interest.
func (d *Daemon) noteTrees(evs []abci.Event) {
	for _, id := range treesNamed(evs) {
		if d.trees[id] == nil {
			d.trees[id] = newTreeWork()
		}
	}
}

// sortedTrees lists the trees of interest in order.
func (d *Daemon) sortedTrees() []string { return slices.Sorted(maps.Keys(d.trees)) }

// treeVRFKey returns the prover's VRF key once it matches the key its
// chain record names (nil, after one warning, when it does not).
func (d *Daemon) treeVRFKey() *vrf.Key {
	if d.vrfKey != nil || d.me == nil {
		return d.vrfKey
	}
	k, err := vrf.LoadKeyFile(d.cfg.vrfKeyFile())
	if err == nil && !slices.Equal(k.Public, d.me.VrfPublicKey) {
		err = fmt.Errorf("%s holds VRF key %x, but the chain has %x for this prover", d.cfg.vrfKeyFile(), k.Public, d.me.VrfPublicKey)
	}
	if err != nil {
		if !d.vrfWarned {
			d.cfg.Log.Warn("no VRF key for proof trees: this prover proves no tree nodes", "err", err,
				"hint", "the daemon's VRF key is DIR/vrf.json, written when it registers; Config.VRFKeyFile names another")
			d.vrfWarned = true
		}
		return nil
	}
	d.vrfKey = k
	return k
}

func (c *chain) tree(ctx context.Context, id []byte) (*pb.Tree, error) {
	b, err := c.query(ctx, "/tree", id)
	if err != nil {
		return nil, err
	}
	var t pb.Tree
	return &t, proto.Unmarshal(b, &t)
}

// treeProof reads a kept or pending node proof's bytes
// (chain.PathTreeProof), checked against the SHA-256 its record names; a
// record that names none has an empty proof, which the chain does not
// store.
func (c *chain) treeProof(ctx context.Context, id []byte, node, seq uint32, want []byte) ([]byte, error) {
	if len(want) == 0 {
		return []byte{}, nil
	}
	key := binary.BigEndian.AppendUint32(binary.BigEndian.AppendUint32(append([]byte{}, id...), node), seq)
	b, err := c.query(ctx, "/tree_proof", key) // chain.PathTreeProof
	if err != nil {
		return nil, err
	}
	if sum := sha256.Sum256(b); !bytes.Equal(sum[:], want) {
		return nil, fmt.Errorf("the node sent bytes of SHA-256 %x; the tree names %x", sum, want)
	}
	return b, nil
}

func (c *chain) treeInputs(ctx context.Context, id []byte) ([]*pb.Input, error) {
	b, err := c.query(ctx, "/tree_inputs", id) // chain.PathTreeInputs
	if err != nil {
		return nil, err
	}
	var in pb.TreeInputs
	if err := proto.Unmarshal(b, &in); err != nil {
		return nil, err
	}
	return in.Inputs, nil
}
