package bench

import (
	"context"
	"errors"
	"fmt"

	"github.com/provernet/provernet/client"
	"github.com/provernet/provernet/wire"
)

// TreeTxs is the node-proof traffic of a tree's blocks, read from the
// committed transactions' results: the work that a tree's record no
// longer shows (evicted proofs, refused submissions).
type TreeTxs struct {
	Accepted int `json:"accepted"` // node_proof events of the tree: proofs kept when they landed
	Evicted  int `json:"evicted"`  // node_proof_evicted events of the tree
	// Failed counts the failed transactions in the tree's blocks by code
	// name. In the benchmark's devnet only the prover daemons send
	// transactions then, so they are the refused node proofs (a
	// score_too_low lost a race for a full node's last place).
	Failed map[string]int `json:"failed"`
}

// scanTreeTxs reads every transaction from the block after the tree's
// ProveTree to the block that ended it.
func scanTreeTxs(ctx context.Context, c *client.Client, t *wire.Tree) (TreeTxs, error) {
	s := TreeTxs{Failed: map[string]int{}}
	for h := t.Height + 1; h <= t.EndHeight; h++ {
		b, err := c.Block(ctx, h)
		if err != nil {
			return s, fmt.Errorf("block %d: %w", h, err)
		}
		for _, hash := range b.TxHashes {
			r, err := c.Tx(ctx, hash)
			if errors.Is(err, client.ErrNotFound) {
				continue // the beacon entry has no result of its own
			}
			if err != nil {
				return s, fmt.Errorf("tx %s: %w", hash, err)
			}
			s.count(r, t.ID)
		}
	}
	return s, nil
}

func (s *TreeTxs) count(r *wire.TxResult, tree string) {
	if r.Code != 0 {
		s.Failed[r.CodeName]++
		return
	}
	for _, ev := range r.Events {
		if ev.Attrs["tree"] != tree {
			continue
		}
		switch ev.Type {
		case "node_proof":
			s.Accepted++
		case "node_proof_evicted":
			s.Evicted++
		}
	}
}
