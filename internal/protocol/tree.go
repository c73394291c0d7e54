package protocol

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"strconv"

	"google.golang.org/protobuf/proto"

	"github.com/provernet/provernet/internal/store"
	"github.com/provernet/provernet/wire"
	"github.com/provernet/provernet/wire/address"
	"github.com/provernet/provernet/wire/pb"
)

// Proof trees (PROTOCOL.md 7, issue 16; docs/TREES.md). A ProveTree
// included at height h escrows R and waits; its base nodes open at h+1
// with seed[h+1] (so the proposer that included it could not know the
// scores, as for a Run's allocation). Invariants: a tree's reward is
// always escrow + paid + burned + refunded; a node keeps at most
// proofs_per_node proofs; a merge node opens only when both its children
// have closed, so the proofs a parent names are final (never evicted);
// a proof is pinned exactly when a kept proof of its parent names it;
// only provers registered before the seed height prove; and nothing is
// paid before the root closes.

// GetTree reads a tree.
func GetTree(r store.Reader, id []byte) (*pb.Tree, error) {
	b, err := r.Get(treeKey(id))
	if err != nil {
		return nil, fmt.Errorf("failed to read tree %x: %w", id, err)
	}
	if b == nil {
		return nil, fmt.Errorf("tree %x: %w", id, store.ErrNotFound)
	}
	t := &pb.Tree{}
	if err := proto.Unmarshal(b, t); err != nil {
		return nil, fmt.Errorf("failed to decode tree %x: %w", id, err)
	}
	return t, nil
}

// GetTreeInputs reads a tree's inputs.
func GetTreeInputs(r store.Reader, id []byte) ([]*pb.Input, error) {
	in := &pb.TreeInputs{}
	if err := getProto(r, treeInputsKey(id), in); err != nil {
		return nil, fmt.Errorf("failed to read tree %x's inputs: %w", id, err)
	}
	return in.Inputs, nil
}

func setTree(kv store.KV, t *pb.Tree) error { return setProto(kv, treeKey(t.Id), t) }

// setTreeTimer has the tree looked at, at height h, at the start of the
// block (a key holds it once however many of its windows end then).
func setTreeTimer(kv store.KV, h int64, id []byte) error {
	return kv.Set(treeTimerKey(h, id), []byte{1})
}

func proveTree(kv store.KV, env Env, sender address.Address, m *pb.ProveTree) (Result, error) {
	tp, ok := env.Params.Trees()
	if !ok {
		return reject(wire.CodeNotAllowed, "prove_tree: proof trees are off on this chain (max_tree_inputs is 0)"), nil
	}
	if res := checkProveTree(env.Params, tp, m); !res.OK() {
		return res, nil
	}
	if res, err := checkTreePair(kv, tp, m); err != nil || !res.OK() {
		return res, err
	}
	slots := treeSlotHeights(env.Height, len(m.Inputs), m.NodeDeadline)
	full, err := fullTreeSlot(kv, env.Params, slots)
	if err != nil {
		return Result{}, err
	}
	if full != 0 {
		return reject(wire.CodeLimitReached, "prove_tree: %d trees may fall due at height %d already (a quarter of max_block_weight); choose another node_deadline or a later block", maxTreesDue(env.Params), full), nil
	}
	acct, err := GetAccount(kv, sender)
	if err != nil {
		return Result{}, err
	}
	if acct.Balance < m.Reward {
		return reject(wire.CodeInsufficientFunds, "prove_tree: %s holds %d uprv after the transaction fee and cannot escrow the reward of %d uprv", sender, acct.Balance, m.Reward), nil
	}
	if err := addBalance(kv, sender, acct, -1, m.Reward); err != nil {
		return Result{}, err
	}
	n := uint32(len(m.Inputs))
	t := &pb.Tree{
		Id: wire.TreeID(sender, env.txNonce, env.msgIndex), Owner: sender[:],
		BaseProgram: m.BaseProgram, MergeProgram: m.MergeProgram, N: n, Reward: m.Reward,
		NodeDeadline: m.NodeDeadline, Height: env.Height, State: pb.TreeState_TREE_STATE_PENDING,
		Escrow: m.Reward, ProofsPerNode: tp.ProofsPerNode, UncleRewardBp: tp.TreeUncleRewardBP,
	}
	for i := uint32(1); i <= treeNodes(n); i++ {
		// seqs start at 1, so that a tree's winner 0 means none
		t.Nodes = append(t.Nodes, &pb.TreeNode{Index: i, Phase: pb.NodePhase_NODE_PHASE_WAITING, NextSeq: 1})
	}
	if old, err := kv.Get(treeKey(t.Id)); err != nil || old != nil {
		if err == nil {
			err = fmt.Errorf("tree %x exists already", t.Id)
		}
		return Result{}, err
	}
	if err := reserveTreeSlots(kv, slots, t.Id); err != nil {
		return Result{}, err
	}
	if err := setProto(kv, treeInputsKey(t.Id), &pb.TreeInputs{Inputs: m.Inputs}); err != nil {
		return Result{}, err
	}
	if err := setTreeTimer(kv, env.Height+1, t.Id); err != nil {
		return Result{}, err
	}
	if err := setTree(kv, t); err != nil {
		return Result{}, err
	}
	return emit(env, event("tree", "id", hex.EncodeToString(t.Id), "owner", sender.String(),
		"n", strconv.Itoa(int(n)), "reward", strconv.FormatUint(m.Reward, 10),
		"node_deadline", strconv.FormatInt(m.NodeDeadline, 10))), nil
}

// checkProveTree checks a ProveTree's fields against the parameters.
func checkProveTree(p Params, tp TreeParams, m *pb.ProveTree) Result {
	n := uint64(len(m.Inputs))
	switch {
	case !isPowerOfTwo(n) || n < 2 || n > uint64(tp.MaxTreeInputs):
		return reject(wire.CodeInvalidMessage, "prove_tree: %d inputs; n must be a power of two, 2..%d (max_tree_inputs)", n, tp.MaxTreeInputs)
	case m.NodeDeadline < tp.MinNodeDeadline || m.NodeDeadline > tp.MaxNodeDeadline:
		return reject(wire.CodeInvalidMessage, "prove_tree: node_deadline %d blocks must be %d..%d (min_node_deadline..max_node_deadline)", m.NodeDeadline, tp.MinNodeDeadline, tp.MaxNodeDeadline)
	case m.Reward < (n-1)*uint64(tp.ProofsPerNode):
		return reject(wire.CodeInvalidMessage, "prove_tree: reward %d uprv is below one uprv per proof (%d nodes x %d proofs_per_node)", m.Reward, n-1, tp.ProofsPerNode)
	}
	for i, in := range m.Inputs {
		if res := checkInput(p, in); !res.OK() {
			res.Log = "prove_tree: input " + strconv.Itoa(i) + ": " + res.Log
			return res
		}
	}
	return Result{}
}

// checkTreePair checks the tree's program pair: a pair the chain
// verifies natively must fit n; any other must be two deployed programs
// with a verifier budget, whose proofs committees judge.
func checkTreePair(r store.Reader, tp TreeParams, m *pb.ProveTree) (Result, error) {
	v, err := treeVerifierFor(tp, m.BaseProgram, m.MergeProgram)
	if err != nil {
		return committeePairError(r, m.BaseProgram, m.MergeProgram)
	}
	if err := v.fits(uint32(len(m.Inputs))); err != nil {
		return reject(wire.CodeInvalidMessage, "prove_tree: %v", err), nil
	}
	return Result{}, nil
}

// treeEvent describes a tree's state.
func treeEvent(t *pb.Tree, kv ...string) Event {
	return event("tree", append([]string{"id", hex.EncodeToString(t.Id), "state", TreeStateName(t.State)}, kv...)...)
}

// TreeStateName is the lower-case name of a tree state.
func TreeStateName(s pb.TreeState) string {
	switch s {
	case pb.TreeState_TREE_STATE_PENDING:
		return "pending"
	case pb.TreeState_TREE_STATE_PROVING:
		return "proving"
	case pb.TreeState_TREE_STATE_FINAL:
		return "final"
	case pb.TreeState_TREE_STATE_EXPIRED:
		return "expired"
	}
	return "unspecified"
}

// NodePhaseName is the lower-case name of a node's phase.
func NodePhaseName(p pb.NodePhase) string {
	switch p {
	case pb.NodePhase_NODE_PHASE_WAITING:
		return "waiting"
	case pb.NodePhase_NODE_PHASE_OPEN:
		return "open"
	case pb.NodePhase_NODE_PHASE_STEP_SIBLING:
		return "step_sibling"
	case pb.NodePhase_NODE_PHASE_STEP_ANY:
		return "step_any"
	case pb.NodePhase_NODE_PHASE_CLOSED:
		return "closed"
	case pb.NodePhase_NODE_PHASE_FAILED:
		return "failed"
	}
	return "unspecified"
}

// proverIn reports whether a has a kept proof in the subtree rooted at s
// (s = 0 names no subtree).
func proverIn(t *pb.Tree, s uint32, a []byte) bool {
	for _, nd := range t.Nodes {
		if !inSubtree(nd.Index, s) {
			continue
		}
		for _, pf := range nd.Proofs {
			if bytes.Equal(pf.Prover, a) {
				return true
			}
		}
	}
	return false
}
