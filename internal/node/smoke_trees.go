package node

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/provernet/provernet/client"
	"github.com/provernet/provernet/internal/protocol"
	"github.com/provernet/provernet/internal/treecheck"
	"github.com/provernet/provernet/wire"
)

// The smoke's proof tree (issue 16, docs/TREES.md): one tree of four
// inputs of the hash pair (built into the chain, so nothing is deployed;
// it proves nothing), proved by the devnet's prover daemons to final, its
// winning root written to disk and every kept proof's pay checked against
// the formula.

// SmokeTree is one proof tree of the smoke test, from ProveTree to final.
type SmokeTree struct {
	ID            string           `json:"id"`
	State         string           `json:"state"`
	RootProofFile string           `json:"root_proof_file"`
	RewardUprv    uint64           `json:"reward_uprv"`
	NumNodes      uint32           `json:"num_nodes"`
	ProofsPerNode uint32           `json:"proofs_per_node"`
	Proofs        []SmokeTreeProof `json:"proofs"`
}

// SmokeTreeProof is one kept proof of a smoke tree.
type SmokeTreeProof struct {
	Node          uint32 `json:"node"`
	Prover        string `json:"prover"`
	FeeBurnBP     uint32 `json:"fee_burn_bp"`
	PaidUprv      uint64 `json:"paid_uprv"`
	InWinningTree bool   `json:"in_winning_tree"`
}

// smokeTreeReward is the smoke tree's R; smokeTreeDeadline its
// node_deadline (blocks of 200 ms).
const (
	smokeTreeReward   = 1_000_000
	smokeTreeDeadline = 15
)

// SmokeTreeFeeBurn is the fee burn the smoke's prover i offers on its
// node proofs, so the report shows the formula at more than one value.
func SmokeTreeFeeBurn(i int) uint32 { return uint32(i%3) * 1000 }

// smokeTrees proves one tree of n = 4 with the running provers.
func smokeTrees(ctx context.Context, d *Devnet, rep *SmokeReport) error {
	c := client.New(d.APIURL())
	if err := WaitActiveProvers(ctx, c, len(d.ProverKeys)); err != nil {
		return err
	}
	var inputs [][]byte
	for i := range 4 {
		inputs = append(inputs, fmt.Appendf(nil, "smoke tree transaction %d", i))
	}
	from := d.Keys[len(d.Keys)-1]
	id, res, err := c.ProveTree(ctx, from, 0, client.ProveTreeMsg(inputs, smokeTreeReward, smokeTreeDeadline))
	if err != nil {
		return fmt.Errorf("tree: %w", err)
	}
	if tx, err := c.WaitTx(ctx, res.Hash); err != nil || tx.Code != 0 {
		return fmt.Errorf("tree: the ProveTree did not commit: %v %v", err, client.TxError(tx))
	}
	t, err := c.WaitTree(ctx, id, 200*time.Millisecond, nil, client.TreeEnded)
	if err != nil {
		return fmt.Errorf("tree %s: %w", id, err)
	}
	st := smokeTreeOf(t)
	rep.Trees = append(rep.Trees, st)
	if t.State != "final" {
		return fmt.Errorf("tree %s ended %s", id, t.State)
	}
	root, err := client.TreeRootOf(t)
	if err != nil {
		return err
	}
	// As `provernet tree root` does: the root recomputed from the inputs,
	// not taken from the node's record.
	if _, err := treecheck.Verify(t, inputs, nil, nil); err != nil {
		return fmt.Errorf("tree %s: its root does not check out: %w", id, err)
	}
	if rep.Trees[len(rep.Trees)-1].RootProofFile, err = writeTreeRoot(d.Home(), root); err != nil {
		return err
	}
	return CheckTreePay(t)
}

func smokeTreeOf(t *wire.Tree) SmokeTree {
	st := SmokeTree{ID: t.ID, State: t.State, RewardUprv: t.RewardUprv, NumNodes: t.NumNodes, ProofsPerNode: t.ProofsPerNode, Proofs: []SmokeTreeProof{}}
	for _, nd := range t.Nodes {
		for _, pf := range nd.Proofs {
			st.Proofs = append(st.Proofs, SmokeTreeProof{Node: nd.Node, Prover: pf.Prover, FeeBurnBP: pf.FeeBurnBP, PaidUprv: pf.PaidUprv, InWinningTree: pf.InWinningTree})
		}
	}
	return st
}

// writeTreeRoot writes a root proof under home/results.
func writeTreeRoot(home string, root *client.TreeRoot) (string, error) {
	dir := filepath.Join(home, "results")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", err
	}
	b, err := json.MarshalIndent(root, "", "  ")
	if err != nil {
		return "", err
	}
	path := filepath.Join(dir, "tree-"+root.Tree[:12]+"-root.json")
	return path, os.WriteFile(path, append(b, '\n'), 0o600)
}

// CheckTreePay checks a final tree's pay: each kept proof in the winning
// tree that was not a step-in is paid floor(R x (10000 - fee_burn_bp) /
// (10000 x NUM_NODES x proofs_per_node)), every other proof nothing
// (uncle rewards off), and the tree's paid and burned add up to R.
func CheckTreePay(t *wire.Tree) error {
	m := uint64(t.NumNodes) * uint64(t.ProofsPerNode)
	var paid uint64
	for _, nd := range t.Nodes {
		for _, pf := range nd.Proofs {
			want := uint64(0)
			if pf.InWinningTree && !pf.StepIn {
				want = protocol.TreeShare(t.RewardUprv, pf.FeeBurnBP, m)
			}
			if pf.PaidUprv != want {
				return fmt.Errorf("tree %s node %d proof %d (%s, fee burn %d bp): paid %d uprv, the formula says %d", t.ID, nd.Node, pf.Seq, pf.Prover, pf.FeeBurnBP, pf.PaidUprv, want)
			}
			paid += pf.PaidUprv
		}
	}
	if paid != t.Paid || t.Paid+t.Burned != t.RewardUprv || t.Escrow != 0 {
		return fmt.Errorf("tree %s: proofs paid %d, the tree says paid %d, burned %d, escrow %d, of R %d", t.ID, paid, t.Paid, t.Burned, t.Escrow, t.RewardUprv)
	}
	return nil
}
