package sim

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
)

// TreeReport is mechanism tree's report: liveness, latency, wasted work
// and how the reward spreads, in all and by fee burn.
type TreeReport struct {
	Mechanism    string  `json:"mechanism"`
	Seed         uint64  `json:"seed"`
	Command      string  `json:"command"`
	Trees        int     `json:"trees"`
	N            int     `json:"n"`
	NumNodes     int     `json:"num_nodes"`
	Provers      int     `json:"provers"`
	NodeDeadline int64   `json:"node_deadline"`
	FailRate     float64 `json:"fail_rate"`
	SilentShare  float64 `json:"silent"`

	Final          int     `json:"final"`
	Expired        int     `json:"expired"`
	Liveness       float64 `json:"liveness"`          // final / trees
	StepInsPerTree float64 `json:"step_ins_per_tree"` // kept step-in proofs per final tree
	// Blocks from a tree's ProveTree to the block that ended it (final or
	// expired), and per level for the final ones.
	BlocksP50         int64   `json:"blocks_p50"`
	BlocksP99         int64   `json:"blocks_p99"`
	BlocksPerLevelP50 float64 `json:"blocks_per_level_p50"`

	// Per node of the final trees, mean: kept proofs not in the winning
	// tree (proofs_per_node), proofs kept and evicted later, submissions
	// refused, and every submission.
	WastedPerNode    float64 `json:"proofs_per_node"`
	EvictedPerNode   float64 `json:"evicted_per_node"`
	RefusedPerNode   float64 `json:"refused_per_node"`
	SubmittedPerNode float64 `json:"submitted_per_node"`

	RewardUprv    uint64  `json:"reward_uprv"` // all trees' R
	PaidShare     float64 `json:"paid_share"`
	BurnedShare   float64 `json:"burned_share"`
	RefundedShare float64 `json:"refunded_share"`
	RewardGini    float64 `json:"reward_gini"` // over the provers' pay
	Nakamoto      int     `json:"nakamoto"`    // fewest provers holding over half the pay

	ByFeeBurn []TreeFeeBurnClass `json:"by_fee_burn"`
	WallS     float64            `json:"wall_s"`
}

// TreeFeeBurnClass is what the provers offering one fee burn got.
type TreeFeeBurnClass struct {
	FeeBurnBP uint32 `json:"fee_burn_bp"`
	Provers   int    `json:"provers"`
	// Shares of all kept proofs, of the winning trees' proofs and of the
	// pay; pay per prover (mean, uprv).
	KeptShare         float64 `json:"kept_share"`
	WinningShare      float64 `json:"winning_share"`
	PaidShare         float64 `json:"paid_share"`
	PaidPerProverUprv uint64  `json:"paid_per_prover_uprv"`
}

// treeAcc accumulates the trees' outcomes.
type treeAcc struct {
	kept, inWinning []int
	paid            []uint64
	outs            []treeOutcome
}

func newTreeAcc(provers int) treeAcc {
	return treeAcc{kept: make([]int, provers), inWinning: make([]int, provers), paid: make([]uint64, provers)}
}

func (a *treeAcc) add(o treeOutcome) { a.outs = append(a.outs, o) }

func (s *treeSim) report() *TreeReport {
	o := s.o
	r := &TreeReport{Mechanism: MechTree, Seed: o.Seed, Command: o.Command(), Trees: o.Trees, N: o.TreeN,
		NumNodes: int(s.numNodes()), Provers: o.Provers, NodeDeadline: s.tp.MinNodeDeadline, FailRate: o.FailRate, SilentShare: o.SilentShare}
	var blocks []int64
	var perLevel []int64 // blocks x 100 / levels, for the percentile
	var waste, evicted, refused, submitted, stepIns int
	var paid, burned, refunded uint64
	for _, t := range s.acc.outs {
		blocks = append(blocks, t.blocks)
		paid, burned, refunded = paid+t.paid, burned+t.burned, refunded+t.refunded
		stepIns += t.stepIns // counted at settlement: final trees only
		if !t.final {
			r.Expired++
			continue
		}
		r.Final++
		perLevel = append(perLevel, t.blocks*100/int64(treeLevels(s.n)))
		waste, evicted, refused, submitted = waste+t.kept-t.inWinning, evicted+t.evicted, refused+t.refused, submitted+t.submitted
	}
	nodes := float64(r.Final) * float64(s.numNodes())
	r.Liveness, r.StepInsPerTree = share(float64(r.Final), float64(o.Trees)), share(float64(stepIns), float64(r.Final))
	r.BlocksP50, r.BlocksP99 = percentile(blocks, 50), percentile(blocks, 99)
	r.BlocksPerLevelP50 = float64(percentile(perLevel, 50)) / 100
	r.WastedPerNode, r.EvictedPerNode = share(float64(waste), nodes), share(float64(evicted), nodes)
	r.RefusedPerNode, r.SubmittedPerNode = share(float64(refused), nodes), share(float64(submitted), nodes)
	r.RewardUprv = o.TreeReward * uint64(o.Trees)
	total := float64(r.RewardUprv)
	r.PaidShare, r.BurnedShare, r.RefundedShare = share(float64(paid), total), share(float64(burned), total), share(float64(refunded), total)
	r.RewardGini, _ = gini(s.acc.paid)
	r.Nakamoto = nakamoto(s.acc.paid)
	r.ByFeeBurn = s.byFeeBurn(paid)
	return r
}

// byFeeBurn groups the provers by the fee burn they offer.
func (s *treeSim) byFeeBurn(paid uint64) []TreeFeeBurnClass {
	var kept, win int
	for p := range s.o.Provers {
		kept, win = kept+s.acc.kept[p], win+s.acc.inWinning[p]
	}
	burns := slices.Clone(s.burns)
	slices.Sort(burns)
	var out []TreeFeeBurnClass
	for _, b := range slices.Compact(burns) {
		c := TreeFeeBurnClass{FeeBurnBP: b}
		var k, w int
		var pay uint64
		for p := range s.o.Provers {
			if s.burns[p] == b {
				c.Provers++
				k, w, pay = k+s.acc.kept[p], w+s.acc.inWinning[p], pay+s.acc.paid[p]
			}
		}
		c.KeptShare, c.WinningShare, c.PaidShare = share(float64(k), float64(kept)), share(float64(w), float64(win)), share(float64(pay), float64(paid))
		c.PaidPerProverUprv = pay / uint64(max(c.Provers, 1))
		out = append(out, c)
	}
	return out
}

// WriteTreeTable writes r as text.
func WriteTreeTable(w io.Writer, r *TreeReport) {
	fmt.Fprintf(w, "%d trees of %d inputs (%d nodes, node_deadline %d), %d provers, fail rate %.2f, silent %.2f\n",
		r.Trees, r.N, r.NumNodes, r.NodeDeadline, r.Provers, r.FailRate, r.SilentShare)
	fmt.Fprintf(w, "liveness %s (%d final, %d expired), %.2f step-ins per final tree\n", pct(r.Liveness), r.Final, r.Expired, r.StepInsPerTree)
	fmt.Fprintf(w, "blocks to end p50 %d, p99 %d; per level p50 %.2f\n", r.BlocksP50, r.BlocksP99, r.BlocksPerLevelP50)
	fmt.Fprintf(w, "per node: %.3f kept proofs wasted, %.2f evicted, %.2f refused, %.2f submitted\n",
		r.WastedPerNode, r.EvictedPerNode, r.RefusedPerNode, r.SubmittedPerNode)
	fmt.Fprintf(w, "reward: paid %s, burned %s, refunded %s; Gini %.3f, Nakamoto %d\n", pct(r.PaidShare), pct(r.BurnedShare), pct(r.RefundedShare), r.RewardGini, r.Nakamoto)
	fmt.Fprintf(w, "%-12s %8s %10s %12s %10s %18s\n", "fee burn bp", "provers", "kept", "in winning", "paid", "paid/prover uprv")
	for _, c := range r.ByFeeBurn {
		fmt.Fprintf(w, "%-12d %8d %10s %12s %10s %18d\n", c.FeeBurnBP, c.Provers, pct(c.KeptShare), pct(c.WinningShare), pct(c.PaidShare), c.PaidPerProverUprv)
	}
}

// treeArgs are mechanism tree's flags that differ from d's.
func (o Options) treeArgs(d Options) []string {
	var args []string
	if o.Trees != d.Trees {
		args = append(args, "--trees", strconv.Itoa(o.Trees))
	}
	if o.TreeN != d.TreeN {
		args = append(args, "--tree-n", strconv.Itoa(o.TreeN))
	}
	if o.TreeReward != d.TreeReward {
		args = append(args, "--tree-reward", strconv.FormatUint(o.TreeReward, 10))
	}
	if !slices.Equal(o.TreeFeeBurns, d.TreeFeeBurns) {
		var bs []string
		for _, b := range o.TreeFeeBurns {
			bs = append(bs, strconv.FormatUint(uint64(b), 10))
		}
		args = append(args, "--tree-fee-burns", strings.Join(bs, ","))
	}
	return args
}
