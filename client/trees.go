package client

import (
	"context"
	"encoding/hex"
	"fmt"
	"net/url"

	"github.com/provernet/provernet/wire"
	"github.com/provernet/provernet/wire/address"
	"github.com/provernet/provernet/wire/pb"
)

// Proof trees (issue 16, docs/TREES.md).

// ProveTreeMsg asks for a proof tree of the hash test pair (which proves
// nothing: docs/TREES.md) over inline inputs, named tx0, tx1, ..., with
// reward R uprv and node_deadline blocks per window. len(inputs) must be
// a power of two.
func ProveTreeMsg(inputs [][]byte, reward uint64, nodeDeadline int64) *Msg {
	m := &pb.ProveTree{BaseProgram: wire.TreeHashBaseProgram, MergeProgram: wire.TreeHashMergeProgram,
		Reward: reward, NodeDeadline: nodeDeadline}
	for i, in := range inputs {
		m.Inputs = append(m.Inputs, &pb.Input{Name: fmt.Sprintf("tx%d", i), Data: in})
	}
	return &Msg{Kind: &pb.Msg_ProveTree{ProveTree: m}}
}

// ProveTree sends m (a ProveTree message) alone in a transaction and
// returns the tree's id (hex), known before the chain includes it.
func (c *Client) ProveTree(ctx context.Context, key *Key, fee uint64, m *Msg) (string, *wire.BroadcastResult, error) {
	if m.GetProveTree() == nil {
		return "", nil, fmt.Errorf("not a ProveTree message")
	}
	fp, err := c.FeeParams(ctx)
	if err != nil {
		return "", nil, err
	}
	raw, nonce, err := c.signNext(ctx, key, fee, fp, m)
	if err != nil {
		return "", nil, err
	}
	sender, err := address.Parse(key.Address())
	if err != nil {
		return "", nil, err
	}
	res, err := c.Broadcast(ctx, raw)
	return hex.EncodeToString(wire.TreeID(sender, nonce, 0)), res, err
}

// Tree reads a proof tree by its id (hex).
func (c *Client) Tree(ctx context.Context, id string) (*wire.Tree, error) {
	var t wire.Tree
	return &t, c.get(ctx, "/v1/trees/"+url.PathEscape(id), &t)
}
