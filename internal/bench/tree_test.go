package bench

import (
	"context"
	"testing"
	"time"

	"github.com/provernet/provernet/wire"
)

// TestTreeSmall proves one tree of four inputs with three prover daemons
// and checks the report's counts against the tree's own record: every
// node keeps a proof of each prover (there is room for three), the
// winning root names them all, so 7 of the 9 kept proofs are in it and
// paid, the two other root proofs are the waste (2/3 per node), paid and
// burned add up to R, and the tree took exactly the design's blocks (one
// for the seed and a window per level: no step-ins), and the node-proof
// events of its blocks match the kept proofs. It checks no time.
func TestTreeSmall(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a devnet")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	const reward = 9_000_000
	r, err := Tree(ctx, TreeOptions{N: 4, Provers: 3, Capacity: 4, Reward: reward, FeeBurn: TreeFeeBurns,
		BlockTime: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if r.State != "final" || r.NumNodes != 3 || r.Levels != 2 || r.NodeDeadline != 5 || r.MaxProofsPerNode != 3 {
		t.Fatalf("report %+v; want a final tree of 3 nodes, 2 levels, node_deadline 5, 3 proofs per node", r)
	}
	if r.ProofsKept != 9 || r.ProofsInWinning != 7 || r.ProofsPaid != 7 || r.StepIns != 0 {
		t.Errorf("kept %d, in the winning tree %d, paid %d, step-ins %d; want 9, 7, 7, 0", r.ProofsKept, r.ProofsInWinning, r.ProofsPaid, r.StepIns)
	}
	if want := float64(r.ProofsKept-r.ProofsInWinning) / float64(r.NumNodes); r.WastedProofsPerNode != want {
		t.Errorf("proofs_per_node %v, want %v", r.WastedProofsPerNode, want)
	}
	if r.PaidUprv+r.BurnedUprv != reward || r.RewardUprv != reward || r.RefundedUprv != 0 {
		t.Errorf("paid %d + burned %d, refunded %d, of R %d (%d)", r.PaidUprv, r.BurnedUprv, r.RefundedUprv, r.RewardUprv, reward)
	}
	if r.RootFinalBlocks != r.DesignBlocks || r.DesignBlocks != 1+2*5 {
		t.Errorf("root_final_blocks %d, design %d; want both 11", r.RootFinalBlocks, r.DesignBlocks)
	}
	if r.Txs.Accepted-r.Txs.Evicted != r.ProofsKept || r.Txs.Evicted != 0 {
		t.Errorf("%d node proofs landed, %d evicted; want the %d kept, none evicted (there is room for all)", r.Txs.Accepted, r.Txs.Evicted, r.ProofsKept)
	}
	checkTreeShares(t, r)
}

// checkTreeShares: the by-prover figures add up to the tree's.
func checkTreeShares(t *testing.T, r *TreeReport) {
	t.Helper()
	var kept, in int
	var paid uint64
	for _, s := range r.ByProver {
		kept, in, paid = kept+s.Kept, in+s.InWinning, paid+s.PaidUprv
	}
	if len(r.ByProver) != r.Provers || kept != r.ProofsKept || in != r.ProofsInWinning || paid != r.PaidUprv {
		t.Errorf("by prover %+v: %d provers, kept %d, in %d, paid %d; the tree's %d, %d, %d, %d", r.ByProver, len(r.ByProver), kept, in, paid, r.Provers, r.ProofsKept, r.ProofsInWinning, r.PaidUprv)
	}
	var levelKept int
	for _, l := range r.PerLevel {
		levelKept += l.Kept
	}
	if levelKept != r.ProofsKept {
		t.Errorf("levels keep %d proofs, the tree %d", levelKept, r.ProofsKept)
	}
}

// TestSummarizeTreeLevels: a hand-made tree of four inputs (heap order)
// whose root kept two proofs, one winning, and whose base nodes opened at
// +1 and kept proofs at +2 and +3: the report places each node at its
// level, counts the loser and the unnamed base proof as waste, and finds
// the winner's prover and total.
func TestSummarizeTreeLevels(t *testing.T) {
	win := uint32(2)
	tr := &wire.Tree{N: 4, NumNodes: 3, ProofsPerNode: 3, NodeDeadline: 5, Height: 10, EndHeight: 21, State: "final",
		RewardUprv: 900, Paid: 300, Burned: 600, Winner: &win, Nodes: []wire.TreeNode{
			{Node: 1, Opened: 16, Proofs: []wire.TreeProof{
				{Seq: 1, Prover: "a", Height: 17, Total: 5},
				{Seq: 2, Prover: "b", Height: 18, Total: 9, InWinningTree: true, PaidUprv: 100},
			}},
			{Node: 2, Opened: 11, Proofs: []wire.TreeProof{
				{Seq: 1, Prover: "a", Height: 12, InWinningTree: true, PaidUprv: 100},
				{Seq: 2, Prover: "b", Height: 13},
			}},
			{Node: 3, Opened: 11, Proofs: []wire.TreeProof{{Seq: 1, Prover: "b", Height: 13, InWinningTree: true, PaidUprv: 100}}},
		}}
	r := summarizeTree(tr)
	if r.Levels != 2 || r.RootFinalBlocks != 11 || r.DesignBlocks != 11 || r.RootFinalBlocksPerLevel != 5.5 {
		t.Errorf("levels %d, root_final_blocks %d, design %d, per level %v; want 2, 11, 11, 5.5", r.Levels, r.RootFinalBlocks, r.DesignBlocks, r.RootFinalBlocksPerLevel)
	}
	want := []TreeLevel{
		{Level: 0, Nodes: 2, Kept: 3, InWinning: 2, OpenedBlocks: 1, FirstProofBlock: 2, LastProofBlock: 3},
		{Level: 1, Nodes: 1, Kept: 2, InWinning: 1, OpenedBlocks: 6, FirstProofBlock: 7, LastProofBlock: 8},
	}
	for i, l := range want {
		if i >= len(r.PerLevel) || r.PerLevel[i] != l {
			t.Fatalf("levels %+v; want %+v", r.PerLevel, want)
		}
	}
	if r.ProofsKept != 5 || r.ProofsInWinning != 3 || r.ProofsPaid != 3 || r.WastedProofsPerNode != 2.0/3 {
		t.Errorf("kept %d, in %d, paid %d, wasted per node %v", r.ProofsKept, r.ProofsInWinning, r.ProofsPaid, r.WastedProofsPerNode)
	}
	if r.WinnerProver != "b" || r.WinnerTotal != 9 || len(r.ByProver) != 2 || r.ByProver[1].PaidUprv != 200 {
		t.Errorf("winner %s %d, by prover %+v", r.WinnerProver, r.WinnerTotal, r.ByProver)
	}
}
