package prover

import (
	"bytes"
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/provernet/provernet/internal/protocol"
	"github.com/provernet/provernet/wire"
	"github.com/provernet/provernet/wire/pb"
)

// The tree planner (docs/TREES.md, "The prover daemon"): pure, like plan.
// For one proof tree as the chain holds it, this prover's VRF values for
// the nodes in a window, its fee burn, what it sent and the tip, it
// decides which nodes to prove now and, for a merge node, which child
// proofs to name. The rules are the chain's own (protocol.WouldKeep,
// protocol.MayProveNode), so a proof it plans is one the chain keeps
// unless someone else's lands first.
//
//   - A node is a candidate while it takes proofs (open, or a step-in
//     window this prover is admitted to, and not deciding), its window
//     still has a block to come (phase_end > tip+1), this prover holds no
//     kept or pending proof of it and has none in flight (sent within
//     resendAfter blocks) nor gave it up (its program failed on it), and
//     its score, VRF value x (10000 +
//     fee_burn_bp), would be kept: the node has room, or the score beats
//     its lowest unpinned kept proof.
//   - A merge node names every kept proof of each child (bestChildren):
//     that maximizes the total score of the subtree it roots, the
//     competing-roots rule. In its own open window it waits for better
//     children, until each child is full (proofs_per_node kept) or closed,
//     or until mergeMargin blocks are left; in a step-in window it does
//     not wait.
//   - At most free nodes per pass (the daemon's capacity), earliest
//     window end first, then deeper nodes first.
//   - A final or expired tree is forgotten; a pending one waits for its
//     seed; a prover outside the active set proves nothing.

// mergeMargin is how many blocks before its window ends a merge prover
// stops waiting for fuller children.
const mergeMargin = 2

// treeView is everything the tree planner looks at for one tree.
type treeView struct {
	t       *pb.Tree
	self    standing
	values  map[uint32]uint64 // this prover's VRF value (wire.TreeVRFValue) per node in a window
	feeBurn uint32            // this prover's fee_burn_bp
	sent    map[uint32]int64  // nodes whose proof this daemon sent, with the tip then
	proving map[uint32]bool   // nodes being proved in the background
	gaveUp  map[uint32]bool   // nodes whose program failed on this prover's proof (errNodeProgram)
	tip     int64
	// oneChild: the tree's pair merges one kept proof of each child (the
	// gnark pair), not all of them.
	oneChild bool
}

// treeActKind is one thing the tree planner asks of the executor.
type treeActKind uint8

const (
	actProveNode  treeActKind = iota + 1 // compute the node's proof and send SubmitNodeProof
	actForgetTree                        // the tree is final or expired: stop watching it
)

// treeAction is one step of a tree plan.
type treeAction struct {
	kind        treeActKind
	node        uint32
	left, right []uint32 // a merge node's named child proofs (seqs)
	score       uint64   // the proof's score
	stepIn      bool     // a step-in window: kept but paid nothing
}

// String is the action as the tree scripts print it (testdata/tree).
func (a treeAction) String() string {
	if a.kind == actForgetTree {
		return "forget"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "prove %d score=%d", a.node, a.score)
	if len(a.left)+len(a.right) > 0 {
		fmt.Fprintf(&b, " left=%s right=%s", seqList(a.left), seqList(a.right))
	}
	if a.stepIn {
		b.WriteString(" step-in")
	}
	return b.String()
}

func seqList(s []uint32) string {
	var parts []string
	for _, v := range s {
		parts = append(parts, fmt.Sprint(v))
	}
	return strings.Join(parts, ",")
}

// planTree decides what to do about one tree.
func planTree(v treeView) []treeAction {
	switch v.t.State {
	case pb.TreeState_TREE_STATE_FINAL, pb.TreeState_TREE_STATE_EXPIRED:
		return []treeAction{{kind: actForgetTree}}
	case pb.TreeState_TREE_STATE_PROVING:
	default:
		return nil
	}
	if !v.self.active() || v.self.out || v.self.free <= 0 {
		return nil
	}
	var acts []treeAction
	for _, nd := range v.t.Nodes {
		if a, ok := v.candidate(nd); ok {
			acts = append(acts, a)
		}
	}
	slices.SortStableFunc(acts, func(a, b treeAction) int {
		ea, eb := v.t.Nodes[a.node-1].PhaseEnd, v.t.Nodes[b.node-1].PhaseEnd
		if c := cmp.Compare(ea, eb); c != 0 {
			return c
		}
		return cmp.Compare(b.node, a.node)
	})
	return acts[:min(len(acts), v.self.free)]
}

// candidate plans a proof of nd, if one is due now.
func (v treeView) candidate(nd *pb.TreeNode) (treeAction, bool) {
	value, known := v.values[nd.Index]
	if !known || !protocol.InTreeWindow(nd.Phase) || nd.PhaseEnd <= v.tip+1 {
		return treeAction{}, false
	}
	if at, ok := v.sent[nd.Index]; (ok && v.tip <= at+resendAfter) || v.proving[nd.Index] {
		return treeAction{}, false // in flight
	}
	if v.gaveUp[nd.Index] {
		return treeAction{}, false // its program cannot prove it for this prover
	}
	if holds(nd, v.self.addr[:]) || !protocol.MayProveNode(v.t, nd.Index, v.self.addr[:]) {
		return treeAction{}, false
	}
	score := wire.TreeScore(value, v.feeBurn)
	if !protocol.WouldKeep(nd, v.t.ProofsPerNode, score) {
		return treeAction{}, false
	}
	a := treeAction{kind: actProveNode, node: nd.Index, score: score, stepIn: nd.Phase != pb.NodePhase_NODE_PHASE_OPEN}
	if protocol.IsTreeBase(v.t.N, nd.Index) {
		return a, true
	}
	if !a.stepIn && !v.childrenReady(nd) {
		return treeAction{}, false
	}
	if v.oneChild {
		a.left, a.right = bestChild(v.t, 2*nd.Index), bestChild(v.t, 2*nd.Index+1)
	} else {
		a.left, a.right = bestChildren(v.t, nd.Index)
	}
	return a, len(a.left) > 0 && len(a.right) > 0
}

// childrenReady reports whether a merge prover should stop waiting for
// better children: each child is full or closed, or the node's window is
// about to end.
func (v treeView) childrenReady(nd *pb.TreeNode) bool {
	if nd.PhaseEnd-(v.tip+1) <= mergeMargin {
		return true
	}
	for _, c := range []uint32{2 * nd.Index, 2*nd.Index + 1} {
		child := v.t.Nodes[c-1]
		if uint32(len(child.Proofs)) < v.t.ProofsPerNode && child.Phase != pb.NodePhase_NODE_PHASE_CLOSED {
			return false
		}
	}
	return true
}

// bestChildren are the child proofs a merge proof of node names: every
// kept proof of each child, seqs ascending. Scores are never negative, so
// naming more proofs never lowers the total of the subtree (the union of
// their closures only grows); naming them all is the maximum, and it
// pins them all, so none can be evicted under this proof.
func bestChildren(t *pb.Tree, node uint32) (left, right []uint32) {
	seqs := func(c uint32) []uint32 {
		var out []uint32
		for _, pf := range t.Nodes[c-1].Proofs {
			out = append(out, pf.Seq)
		}
		slices.Sort(out)
		return out
	}
	return seqs(2 * node), seqs(2*node + 1)
}

// bestChild is the one kept proof of child a merge of a one-child pair
// names: the one whose subtree (itself and what it names) has the highest
// total score, the earlier seq at a tie; none if the child keeps none.
// The parent's total is its own score plus its two children's subtrees,
// so the best child on each side is the best merge.
func bestChild(t *pb.Tree, child uint32) []uint32 {
	var best *pb.TreeProof
	var bestTotal uint64
	for _, pf := range t.Nodes[child-1].Proofs {
		total := protocol.SubtreeTotal(t, child, pf)
		if best == nil || total > bestTotal || (total == bestTotal && pf.Seq < best.Seq) {
			best, bestTotal = pf, total
		}
	}
	if best == nil {
		return nil
	}
	return []uint32{best.Seq}
}

// holds reports whether a holds a kept proof of nd, or one pending
// before its committee (the chain takes no second one while it waits).
func holds(nd *pb.TreeNode, a []byte) bool {
	for _, pfs := range [][]*pb.TreeProof{nd.Proofs, nd.Pending} {
		for _, pf := range pfs {
			if bytes.Equal(pf.Prover, a) {
				return true
			}
		}
	}
	return false
}
