package protocol

import (
	"github.com/provernet/provernet/wire/pb"
)

// The tree rules a prover needs to decide what to prove
// (internal/prover's tree planner), exported from the very functions the
// chain applies, so a daemon's decision and the chain's verdict cannot
// drift apart. All are pure reads of a tree record.

// WouldKeep reports whether node nd of a tree with perNode proofs per
// node would keep a new proof of score (keepSlot).
func WouldKeep(nd *pb.TreeNode, perNode uint32, score uint64) bool {
	_, ok := keepSlot(nd, perNode, score)
	return ok
}

// MayProveNode reports whether the node's current phase admits a proof
// from prover a: none while it is deciding (its window ended with
// proofs pending); any prover while it is open or in its open step-in
// window; in its sibling step-in window only one with a kept proof in
// the sibling subtree (the whole tree's for the root). It does not look
// at a's standing on the chain nor at its kept proofs of the node.
func MayProveNode(t *pb.Tree, node uint32, a []byte) bool {
	if node < 1 || int(node) > len(t.Nodes) || t.Nodes[node-1].Deciding {
		return false
	}
	switch t.Nodes[node-1].Phase {
	case pb.NodePhase_NODE_PHASE_OPEN, pb.NodePhase_NODE_PHASE_STEP_ANY:
		return true
	case pb.NodePhase_NODE_PHASE_STEP_SIBLING:
		return proverIn(t, stepInSubtree(node), a)
	}
	return false
}

// IsTreeBase reports whether node is a base node of a tree of n inputs.
func IsTreeBase(n, node uint32) bool { return isBase(n, node) }

// TreeBaseInputs are the indices of the two inputs base node proves.
func TreeBaseInputs(n, node uint32) (uint32, uint32) { return baseInputs(n, node) }

// InTreeWindow reports whether a node in phase takes proofs.
func InTreeWindow(p pb.NodePhase) bool { return inWindow(p) }
