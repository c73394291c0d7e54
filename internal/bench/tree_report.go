package bench

import (
	"math/bits"
	"sort"

	"github.com/provernet/provernet/wire"
)

// TreeReport is bench tree's JSON report: one proof tree of the hash pair
// (docs/TREES.md) from its ProveTree's inclusion to final. Heights are
// relative to the inclusion block. The hash pair's proving takes
// microseconds in the daemon, so the critical path's proving time is 0
// blocks and every block of root_final_blocks is protocol latency.
type TreeReport struct {
	N            uint32 `json:"n"`
	Levels       int    `json:"levels"` // log2 n
	NumNodes     uint32 `json:"num_nodes"`
	Provers      int    `json:"provers"`
	NodeDeadline int64  `json:"node_deadline"`
	BlockTimeMS  int64  `json:"block_time_ms"`
	State        string `json:"state"`

	// RootFinalBlocks is end_height - height: from the ProveTree's block
	// to the block that finalized the tree.
	RootFinalBlocks int64 `json:"root_final_blocks"`
	// RootFinalBlocksPerLevel is RootFinalBlocks / Levels.
	RootFinalBlocksPerLevel float64 `json:"root_final_blocks_per_level"`
	// DesignBlocks is what the collection windows give a tree proved
	// without step-ins: 1 (the seed block) + levels x node_deadline.
	DesignBlocks int64 `json:"design_blocks"`
	// PerLevel is each level, base first.
	PerLevel []TreeLevel `json:"per_level"`

	ProofsKept       int    `json:"proofs_kept"`
	ProofsInWinning  int    `json:"proofs_in_winning_tree"`
	ProofsPaid       int    `json:"proofs_paid"`
	StepIns          int    `json:"step_ins"`
	MaxProofsPerNode uint32 `json:"max_proofs_per_node"` // the chain's proofs_per_node parameter
	// WastedProofsPerNode is the kept proofs not in the winning tree, per
	// node (mean): the work done and not used.
	WastedProofsPerNode float64 `json:"proofs_per_node"`
	// EvictedPerNode is the proofs kept when they landed and evicted by
	// better ones later, per node (mean): work wasted before the end.
	EvictedPerNode float64 `json:"evicted_per_node"`
	Txs            TreeTxs `json:"txs"`

	RewardUprv   uint64 `json:"reward_uprv"`
	PaidUprv     uint64 `json:"paid_uprv"`
	BurnedUprv   uint64 `json:"burned_uprv"`
	RefundedUprv uint64 `json:"refunded_uprv"`
	WinnerProver string `json:"winner_prover,omitempty"`
	WinnerTotal  uint64 `json:"winner_total,omitempty"`

	ByProver []TreeProverShare `json:"by_prover"`
	WallS    float64           `json:"wall_s"`
	Machine  Machine           `json:"machine"`
}

// TreeLevel is one level of the tree: when its proofs landed, relative to
// the ProveTree's block, and how many were kept and used.
type TreeLevel struct {
	Level           int   `json:"level"` // 0 the base
	Nodes           int   `json:"nodes"`
	Kept            int   `json:"kept"`
	InWinning       int   `json:"in_winning_tree"`
	OpenedBlocks    int64 `json:"opened_blocks"`      // the level's first window opened
	FirstProofBlock int64 `json:"first_proof_blocks"` // its first kept proof's block
	LastProofBlock  int64 `json:"last_proof_blocks"`  // its last kept proof's block
}

// TreeProverShare is what one prover kept, had used and was paid.
type TreeProverShare struct {
	Prover    string `json:"prover"`
	FeeBurnBP uint32 `json:"fee_burn_bp"`
	Kept      int    `json:"kept"`
	InWinning int    `json:"in_winning_tree"`
	PaidUprv  uint64 `json:"paid_uprv"`
}

// summarizeTree fills the report's tree figures from an ended tree.
func summarizeTree(t *wire.Tree) *TreeReport {
	r := &TreeReport{N: t.N, NumNodes: t.NumNodes, NodeDeadline: t.NodeDeadline, State: t.State,
		MaxProofsPerNode: t.ProofsPerNode, RewardUprv: t.RewardUprv, PaidUprv: t.Paid, BurnedUprv: t.Burned,
		RefundedUprv: t.Refunded, PerLevel: []TreeLevel{}, ByProver: []TreeProverShare{}}
	if t.N > 1 {
		r.Levels = bits.Len32(t.N) - 1
	}
	r.DesignBlocks = 1 + int64(r.Levels)*t.NodeDeadline
	if t.EndHeight > 0 {
		r.RootFinalBlocks = t.EndHeight - t.Height
	}
	if r.Levels > 0 {
		r.RootFinalBlocksPerLevel = float64(r.RootFinalBlocks) / float64(r.Levels)
	}
	levels := make([]TreeLevel, r.Levels)
	for i := range levels {
		levels[i].Level = i
	}
	provers := map[string]*TreeProverShare{}
	for _, nd := range t.Nodes {
		lv := &levels[treeLevel(nd.Node, r.Levels)]
		lv.Nodes++
		lv.OpenedBlocks = minRel(lv.OpenedBlocks, nd.Opened, t.Height)
		for _, pf := range nd.Proofs {
			r.countProof(lv, provers, pf, t.Height)
		}
	}
	r.PerLevel = levels
	if t.NumNodes > 0 {
		r.WastedProofsPerNode = float64(r.ProofsKept-r.ProofsInWinning) / float64(t.NumNodes)
	}
	r.ByProver = sortedShares(provers)
	r.WinnerProver, r.WinnerTotal = winnerOf(t)
	return r
}

// countProof adds one kept proof to the report, its level and its prover.
func (r *TreeReport) countProof(lv *TreeLevel, provers map[string]*TreeProverShare, pf wire.TreeProof, h int64) {
	r.ProofsKept++
	lv.Kept++
	if lv.FirstProofBlock == 0 || pf.Height-h < lv.FirstProofBlock {
		lv.FirstProofBlock = pf.Height - h
	}
	lv.LastProofBlock = max(lv.LastProofBlock, pf.Height-h)
	s := provers[pf.Prover]
	if s == nil {
		s = &TreeProverShare{Prover: pf.Prover, FeeBurnBP: pf.FeeBurnBP}
		provers[pf.Prover] = s
	}
	s.Kept++
	if pf.StepIn {
		r.StepIns++
	}
	if pf.InWinningTree {
		r.ProofsInWinning++
		lv.InWinning++
		s.InWinning++
	}
	if pf.PaidUprv > 0 {
		r.ProofsPaid++
		s.PaidUprv += pf.PaidUprv
	}
}

// treeLevel is node's level, 0 the base, in a tree of the given levels
// (heap order: node 1 the root, at levels-1).
func treeLevel(node uint32, levels int) int {
	depth := bits.Len32(node) - 1 // the root at depth 0
	return min(max(levels-1-depth, 0), max(levels-1, 0))
}

// minRel keeps the smallest height relative to h, ignoring unset ones.
func minRel(cur, height, h int64) int64 {
	if height == 0 {
		return cur
	}
	if cur == 0 || height-h < cur {
		return height - h
	}
	return cur
}

func sortedShares(m map[string]*TreeProverShare) []TreeProverShare {
	out := make([]TreeProverShare, 0, len(m))
	for _, s := range m {
		out = append(out, *s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Prover < out[j].Prover })
	return out
}

func winnerOf(t *wire.Tree) (string, uint64) {
	if t.Winner == nil || len(t.Nodes) == 0 {
		return "", 0
	}
	for _, pf := range t.Nodes[0].Proofs {
		if pf.Seq == *t.Winner {
			return pf.Prover, pf.Total
		}
	}
	return "", 0
}
