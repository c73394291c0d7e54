package chain

import (
	"fmt"

	abci "github.com/cometbft/cometbft/abci/types"
	"google.golang.org/protobuf/proto"

	"github.com/provernet/provernet/internal/protocol"
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
