package protocol

import (
	"strconv"

	"github.com/provernet/provernet/internal/store"
	"github.com/provernet/provernet/wire/pb"
)

// Tree windows (docs/TREES.md, "Windows and step-in"). BeginBlock looks
// at each tree with a timer at its height: a pending tree opens its base
// nodes with this height's seed; a node whose window ends closes if it
// has a kept proof, and otherwise moves on to the sibling step-in window,
// then the open step-in window, then fails (and the tree expires). A
// node's close makes its kept proofs final and opens its parent once the
// sibling has closed too: every window is a collection window in which
// the proofs compete by score, and none is built upon before it ends.
// The root's close finalizes the tree. A node's window is node_deadline
// blocks: it takes proofs at heights opened .. phase_end-1.

// treeTimers advances every tree whose timer is this height.
func treeTimers(kv store.KV, env Env) ([]Event, error) {
	if err := releaseTreeSlots(kv, env.Height); err != nil {
		return nil, err
	}
	ids, err := dueAt(kv, prefixTreeTimer, env.Height)
	if err != nil {
		return nil, err
	}
	// Nothing a tree timer does changes who is active (a committee redrawn
	// here slashes nobody; an expiry or a close pays and refunds), so its
	// redraws read the active provers once.
	env.active = &activeList{}
	var evs []Event
	for _, id := range ids {
		if err := kv.Delete(treeTimerKey(env.Height, id)); err != nil {
			return nil, err
		}
		t, err := GetTree(kv, id)
		if err != nil {
			return nil, err
		}
		env.ballotEnd = new(int64)
		more, err := advanceTree(kv, env, t)
		if err != nil {
			return nil, err
		}
		evs = append(evs, more...)
		if err := setTree(kv, t); err != nil {
			return nil, err
		}
	}
	return evs, nil
}

// advanceTree does what falls due for t at env.Height.
func advanceTree(kv store.KV, env Env, t *pb.Tree) ([]Event, error) {
	switch t.State {
	case pb.TreeState_TREE_STATE_PENDING:
		return openTree(kv, env, t)
	case pb.TreeState_TREE_STATE_PROVING:
	default:
		return nil, nil
	}
	var evs []Event
	for i := len(t.Nodes) - 1; i >= 0; i-- { // children before parents
		nd := t.Nodes[i]
		drawn, err := drawWaiting(kv, env, t, nd)
		if err != nil {
			return nil, err
		}
		more, err := expireOverdue(kv, env, t, nd)
		if err != nil {
			return nil, err
		}
		evs = append(append(evs, drawn...), more...)
		if !nodeDue(env.Height, nd) {
			continue
		}
		if len(nd.Pending) > 0 {
			// its window ended with proofs still before committees: it
			// waits for them (tree_committee.go)
			nd.Deciding = true
			evs = append(evs, nodeEvent(t, nd))
			continue
		}
		nd.Deciding = false
		if len(nd.Proofs) > 0 {
			nd.Phase = pb.NodePhase_NODE_PHASE_CLOSED
			evs = append(evs, nodeEvent(t, nd))
			if nd.Index == 1 {
				more, err := finalizeTree(kv, env, t)
				return append(evs, more...), err
			}
			// a parent opened now has a window ending after this height,
			// so this loop, which reaches it later, leaves it alone
			opened, err := openIfReady(kv, env.Params, env.Height, t, nd.Index/2)
			if err != nil {
				return nil, err
			}
			if opened {
				evs = append(evs, nodeEvent(t, t.Nodes[nd.Index/2-1]))
			}
			continue
		}
		if nd.Phase == pb.NodePhase_NODE_PHASE_STEP_ANY {
			nd.Phase = pb.NodePhase_NODE_PHASE_FAILED
			more, err := expireTree(kv, env, t, nd.Index)
			return append(append(evs, nodeEvent(t, nd)), more...), err
		}
		nd.Phase++ // open -> step_sibling -> step_any
		end, err := treeTimerFrom(kv, env.Params, env.Height+t.NodeDeadline, t.Id)
		if err != nil {
			return nil, err
		}
		nd.PhaseEnd = end
		evs = append(evs, nodeEvent(t, nd))
	}
	return evs, nil
}

// nodeDue reports whether nd's window ends at height h, or it was
// deciding and its last pending proof is decided.
func nodeDue(h int64, nd *pb.TreeNode) bool {
	if nd.Deciding {
		return len(nd.Pending) == 0
	}
	return inWindow(nd.Phase) && nd.PhaseEnd == h
}

// inWindow reports whether a node in phase takes proofs.
func inWindow(p pb.NodePhase) bool {
	return p == pb.NodePhase_NODE_PHASE_OPEN || p == pb.NodePhase_NODE_PHASE_STEP_SIBLING || p == pb.NodePhase_NODE_PHASE_STEP_ANY
}

// openTree fixes the tree's seed (this height's) and opens its base nodes.
func openTree(kv store.KV, env Env, t *pb.Tree) ([]Event, error) {
	seed, err := Seed(kv)
	if err != nil {
		return nil, err
	}
	t.Seed, t.State = seed, pb.TreeState_TREE_STATE_PROVING
	for _, nd := range t.Nodes {
		if isBase(t.N, nd.Index) {
			if err := openNode(kv, env.Params, env.Height, t, nd); err != nil {
				return nil, err
			}
		}
	}
	return []Event{treeEvent(t, "seed_height", strconv.FormatInt(env.Height, 10))}, nil
}
