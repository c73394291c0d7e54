package chain

import (
	"encoding/binary"
	"fmt"

	abci "github.com/cometbft/cometbft/abci/types"
	"google.golang.org/protobuf/proto"

	"github.com/provernet/provernet/internal/protocol"
	"github.com/provernet/provernet/internal/store"
	"github.com/provernet/provernet/internal/store/iavltree"
	"github.com/provernet/provernet/wire/pb"
)

// PathTreeInputs is the query of a tree's inputs. data: the 32-byte tree
// id; value: its TreeInputs (what the base provers prove).
const PathTreeInputs = "/tree_inputs"

// treeInputs answers /tree_inputs: a tree's inputs, which its base
// provers prove (inline bytes, or blobs by hash and size).
func treeInputs(snap *iavltree.Snapshot, id []byte) (*abci.QueryResponse, error) {
	if len(id) != 32 {
		return nil, fmt.Errorf("a tree id is 32 bytes, got %d", len(id))
	}
	if _, err := protocol.GetTree(snap, id); err != nil {
		return nil, err
	}
	in, err := protocol.GetTreeInputs(snap, id)
	if err != nil {
		return nil, err
	}
	b, err := proto.Marshal(&pb.TreeInputs{Inputs: in})
	return &abci.QueryResponse{Value: b}, err
}

// PathTreeProof is the query of a kept or pending node proof's bytes. data: the
// 32-byte tree id, the node and the proof's seq (4 bytes each,
// big-endian); value: the proof bytes (empty for the hash pair's), which
// the tree record names by their SHA-256 only. A merge prover reads its
// children's proofs here; `provernet tree root` the winning root's.
const PathTreeProof = "/tree_proof"

// treeProof answers /tree_proof.
func treeProof(snap *iavltree.Snapshot, data []byte) (*abci.QueryResponse, error) {
	if len(data) != 40 {
		return nil, fmt.Errorf("a tree proof is named by 40 bytes (tree id, node, seq), got %d", len(data))
	}
	id, node, seq := data[:32], binary.BigEndian.Uint32(data[32:36]), binary.BigEndian.Uint32(data[36:])
	t, err := protocol.GetTree(snap, id)
	if err != nil {
		return nil, err
	}
	var pf *pb.TreeProof
	if node >= 1 && int(node) <= len(t.Nodes) {
		pf = protocol.NodeProofOf(t.Nodes[node-1], seq) // pending ones too: their committees read them
	}
	if pf == nil {
		return nil, fmt.Errorf("tree %x keeps no proof %d of node %d: %w", id, seq, node, store.ErrNotFound)
	}
	if len(pf.ProofSha256) == 0 {
		return &abci.QueryResponse{}, nil // an empty proof (the hash pair's): nothing stored
	}
	v, err := snap.Get(protocol.TreeProofKey(id, node, seq))
	if err != nil {
		return nil, err
	}
	return &abci.QueryResponse{Value: v}, nil
}
