package sim

import (
	"slices"
	"testing"

	"github.com/provernet/provernet/internal/protocol"
	"github.com/provernet/provernet/wire/pb"
)

func treeOptions(provers, trees int) Options {
	o := DefaultOptions()
	o.Mechanism, o.Provers, o.Trees, o.TreeN, o.Seed = MechTree, provers, trees, 8, 7
	o.FailRate, o.SilentShare = 0, 0
	return o
}

// TestTreeKeepsTheBestScores: with every prover submitting to a base
// node, the node keeps exactly the proofs_per_node highest scores of the
// provers (a naive sort of every score), whatever order the block
// applied them in, and counts every other submission as evicted or
// refused.
func TestTreeKeepsTheBestScores(t *testing.T) {
	for _, provers := range []int{2, 3, 7, 40} {
		s := newTreeSim(treeOptions(provers, 1))
		tr := &pb.Tree{N: s.n, ProofsPerNode: s.tp.ProofsPerNode}
		for node := uint32(1); node <= s.numNodes(); node++ {
			tr.Nodes = append(tr.Nodes, &pb.TreeNode{Index: node})
		}
		node := s.n - 1 // a base node
		var out treeOutcome
		if w := s.proveNode(tr, 5, node, &out); w != 1 {
			t.Fatalf("%d provers: the node took %d windows, want 1", provers, w)
		}
		var want, got []uint64
		for p := range provers {
			want = append(want, s.score(5, node, p))
		}
		slices.Sort(want)
		slices.Reverse(want)
		want = want[:min(len(want), int(s.tp.ProofsPerNode))]
		for _, pf := range tr.Nodes[node-1].Proofs {
			got = append(got, pf.Score)
		}
		slices.Sort(got)
		slices.Reverse(got)
		if !slices.Equal(got, want) {
			t.Errorf("%d provers: kept %v, the best scores are %v", provers, got, want)
		}
		if out.submitted != provers || out.submitted != len(got)+out.evicted+out.refused {
			t.Errorf("%d provers: %d submitted, %d kept, %d evicted, %d refused", provers, out.submitted, len(got), out.evicted, out.refused)
		}
	}
}

// TestTreeAccounts: without failures every tree is final after one seed
// block and a window per level; every node keeps min(provers, 3) proofs
// and every merge names them all, so only the losing root proofs are
// out of the winning tree; what is paid and burned is every tree's R;
// each proof is paid the chain's TreeShare.
func TestTreeAccounts(t *testing.T) {
	for _, provers := range []int{1, 2, 6} {
		o := treeOptions(provers, 20)
		r, err := RunTree(o)
		if err != nil {
			t.Fatal(err)
		}
		tp, _ := o.Params.Trees()
		kept := min(provers, int(tp.ProofsPerNode))
		levels := int64(treeLevels(uint32(o.TreeN)))
		if r.Final != o.Trees || r.BlocksP99 != 1+levels*tp.MinNodeDeadline || r.StepInsPerTree != 0 {
			t.Errorf("%d provers: %d final of %d, blocks p99 %d, step-ins %v", provers, r.Final, o.Trees, r.BlocksP99, r.StepInsPerTree)
		}
		if want := float64(kept-1) / float64(o.TreeN-1); r.WastedPerNode != want {
			t.Errorf("%d provers: %v wasted proofs per node, want %v (the losing roots)", provers, r.WastedPerNode, want)
		}
		if sum := r.PaidShare + r.BurnedShare + r.RefundedShare; sum < 0.999999 || sum > 1.000001 {
			t.Errorf("%d provers: paid, burned and refunded add up to %v of R", provers, sum)
		}
		var paid float64
		for _, c := range r.ByFeeBurn {
			paid += c.PaidShare
		}
		if r.PaidShare > 0 && (paid < 0.999999 || paid > 1.000001) {
			t.Errorf("%d provers: the fee-burn classes hold %v of the pay", provers, paid)
		}
	}
}

// TestTreePaysTheShare: one prover, fee burn 0: it proves every node and
// is paid TreeShare for each, all but the root's two missing candidates'
// shares.
func TestTreePaysTheShare(t *testing.T) {
	o := treeOptions(1, 3)
	o.TreeFeeBurns = []uint32{2500}
	r, err := RunTree(o)
	if err != nil {
		t.Fatal(err)
	}
	tp, _ := o.Params.Trees()
	m := uint64(o.TreeN-1) * uint64(tp.ProofsPerNode)
	want := uint64(o.Trees) * uint64(o.TreeN-1) * protocol.TreeShare(o.TreeReward, 2500, m)
	if got := r.ByFeeBurn[0].PaidPerProverUprv; got != want {
		t.Errorf("paid %d, want %d", got, want)
	}
}

// TestTreeLiveness: when every prover fails every node, every tree
// expires at its base nodes' last step-in window, tree_expiry_burn_bp
// of R burns and the rest is refunded; when half the provers are
// silent, some nodes need step-ins and the trees still end.
func TestTreeLiveness(t *testing.T) {
	o := treeOptions(5, 10)
	o.FailRate = 1
	r, err := RunTree(o)
	if err != nil {
		t.Fatal(err)
	}
	tp, _ := o.Params.Trees()
	if r.Expired != o.Trees || r.BlocksP50 != 1+3*tp.MinNodeDeadline || r.PaidShare != 0 {
		t.Errorf("all failing: %d expired of %d, blocks %d, paid %v", r.Expired, o.Trees, r.BlocksP50, r.PaidShare)
	}
	if want := float64(10000-tp.TreeExpiryBurnBP) / 10000; r.RefundedShare != want {
		t.Errorf("refunded %v of R, want %v", r.RefundedShare, want)
	}
	o = treeOptions(4, 200)
	o.FailRate = 0.6
	r, err = RunTree(o)
	if err != nil {
		t.Fatal(err)
	}
	if r.StepInsPerTree == 0 || r.Final+r.Expired != o.Trees || r.BlocksP99 <= r.BlocksP50 {
		t.Errorf("fail rate 0.6: %+v; want step-ins and a latency tail", r)
	}
}

// TestTreeDeterministic: the same options give the same report.
func TestTreeDeterministic(t *testing.T) {
	o := treeOptions(9, 30)
	o.FailRate = 0.3
	a, err := RunTree(o)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := RunTree(o)
	a.WallS, b.WallS = 0, 0
	if !slices.Equal(a.ByFeeBurn, b.ByFeeBurn) || a.BlocksP99 != b.BlocksP99 || a.EvictedPerNode != b.EvictedPerNode || a.Final != b.Final {
		t.Errorf("two runs differ: %+v / %+v", a, b)
	}
}
