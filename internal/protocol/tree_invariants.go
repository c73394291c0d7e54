package protocol

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/provernet/provernet/internal/store"
	"github.com/provernet/provernet/wire/pb"
)

// CheckTrees verifies every proof tree (issue 16): its reward is escrow +
// paid + burned + refunded; nothing is paid, burned or refunded before it
// ends; a node keeps at most proofs_per_node proofs; a merge node is
// waiting until both its children have closed; a child proof is pinned
// exactly when a kept proof of its parent names it, and every named one
// is kept; a final tree paid exactly its winning tree (and uncles if on),
// each proof at most its share, step-ins nothing, and its winner (a seq,
// never 0) is the root with the highest total; a tree not final has
// winner 0.
func CheckTrees(r store.Reader) error {
	var errs []error
	err := Scan(r, prefixTree, func(t *pb.Tree) bool {
		if err := checkTree(t); err != nil {
			errs = append(errs, fmt.Errorf("tree %x: %w", t.Id, err))
		}
		return len(errs) < 10
	})
	return errors.Join(append(errs, err, checkTreeTimerSlots(r), checkPendingLive(r))...)
}

// checkPendingLive checks that every pending node proof can still end
// and every deciding node still close: a proof with a ballot has that
// ballot, naming it and taking votes until the proof's vote_by, and its
// tree has a timer at vote_by+1 to close it; a proof without one (drawn
// at the start of a later block) has vote_by 0 and its tree a timer in
// the maxTimerSearch heights after the proof's (treeTimerFrom); a
// deciding node with nothing pending has a timer of its tree; and every
// tree ballot belongs to a pending proof (a decided, expired or
// cancelled one is deleted).
func checkPendingLive(r store.Reader) error {
	timers := map[string][]int64{}
	err := r.Iterate(prefixTreeTimer, store.PrefixEnd(prefixTreeTimer), func(k, _ []byte) bool {
		rest := k[len(prefixTreeTimer):]
		if len(rest) > 9 {
			h := int64(binary.BigEndian.Uint64(rest[:8]))
			timers[string(rest[9:])] = append(timers[string(rest[9:])], h)
		}
		return true
	})
	if err != nil {
		return err
	}
	ballots := map[uint64]*pb.Ballot{}
	err = ScanFrom(r, prefixBallot, prefixBallot, func(k []byte, b *pb.Ballot) bool {
		if len(b.Tree) > 0 && len(k) == len(prefixBallot)+8 {
			ballots[binary.BigEndian.Uint64(k[len(prefixBallot):])] = b
		}
		return true
	})
	if err != nil {
		return err
	}
	var errs []error
	err = Scan(r, prefixTree, func(t *pb.Tree) bool {
		if err := checkTreeLive(t, timers[string(t.Id)], ballots); err != nil {
			errs = append(errs, fmt.Errorf("tree %x: %w", t.Id, err))
		}
		return len(errs) < 10
	})
	if len(ballots) > 0 { // what is left was named by no pending proof
		n := slices.Min(slices.Collect(maps.Keys(ballots)))
		b := ballots[n]
		errs = append(errs, fmt.Errorf("%d tree ballots judge no pending proof, ballot %d (tree %x node %d seq %d) first", len(ballots), n, b.Tree, b.Node, b.Seq))
	}
	return errors.Join(append(errs, err)...)
}

// checkTreeLive is checkPendingLive for t, whose timers are at heights;
// it takes the ballots it accounts for out of ballots.
func checkTreeLive(t *pb.Tree, heights []int64, ballots map[uint64]*pb.Ballot) error {
	for _, nd := range t.Nodes {
		if nd.Deciding && len(nd.Pending) == 0 && len(heights) == 0 {
			return fmt.Errorf("node %d is deciding with nothing pending and its tree has no timer to close it", nd.Index)
		}
		for _, pf := range nd.Pending {
			if pf.Ballot == 0 {
				drawn := slices.ContainsFunc(heights, func(h int64) bool { return h > pf.Height && h <= pf.Height+maxTimerSearch })
				if pf.VoteBy != 0 || !drawn {
					return fmt.Errorf("node %d's pending proof %d (height %d) has no ballot, vote_by %d and its tree timers at %v: nothing draws its committee in the %d blocks after it", nd.Index, pf.Seq, pf.Height, pf.VoteBy, heights, maxTimerSearch)
				}
				continue
			}
			b := ballots[pf.Ballot]
			if b == nil || !bytes.Equal(b.Tree, t.Id) || b.Node != nd.Index || b.Seq != pf.Seq || b.VoteBy != pf.VoteBy {
				return fmt.Errorf("node %d's pending proof %d names ballot %d, which is missing or judges something else (%v)", nd.Index, pf.Seq, pf.Ballot, b)
			}
			delete(ballots, pf.Ballot)
			if !slices.Contains(heights, pf.VoteBy+1) {
				return fmt.Errorf("node %d's pending proof %d takes votes until %d, but its tree has no timer at %d (timers at %v): nothing will end its ballot", nd.Index, pf.Seq, pf.VoteBy, pf.VoteBy+1, heights)
			}
		}
	}
	return nil
}

// checkTreeTimerSlots checks that every pending tree timer holds a slot
// at its height (tree_slots.go), one its ProveTree reserved or one the
// committee path took, so no height's tree timers exceed maxTreesDue but
// by treeTimerFrom's last resort.
func checkTreeTimerSlots(r store.Reader) error {
	var missing []byte
	err := r.Iterate(prefixTreeTimer, store.PrefixEnd(prefixTreeTimer), func(k, _ []byte) bool {
		for _, prefix := range [][]byte{prefixTreeSlot, prefixTreeTimerSlot} {
			if v, err := r.Get(append(append([]byte{}, prefix...), k[len(prefixTreeTimer):]...)); err != nil || v != nil {
				return err == nil
			}
		}
		missing = k
		return false
	})
	if err == nil && missing != nil {
		err = fmt.Errorf("tree timer %x holds no slot at its height", missing[len(prefixTreeTimer):])
	}
	return err
}

func checkTree(t *pb.Tree) error {
	if t.Escrow+t.Paid+t.Burned+t.Refunded != t.Reward {
		return fmt.Errorf("escrow %d + paid %d + burned %d + refunded %d != reward %d", t.Escrow, t.Paid, t.Burned, t.Refunded, t.Reward)
	}
	if uint32(len(t.Nodes)) != treeNodes(t.N) {
		return fmt.Errorf("%d nodes for n = %d", len(t.Nodes), t.N)
	}
	if err := checkPending(t); err != nil {
		return err
	}
	if err := checkTreeNodes(t); err != nil {
		return err
	}
	switch t.State {
	case pb.TreeState_TREE_STATE_FINAL:
		return checkFinalTree(t)
	case pb.TreeState_TREE_STATE_EXPIRED:
		if t.Paid != 0 || t.Escrow != 0 || t.Winner != 0 {
			return fmt.Errorf("expired but paid %d, escrow %d, winner %d", t.Paid, t.Escrow, t.Winner)
		}
	default:
		if t.Winner != 0 {
			return fmt.Errorf("%s with winner %d", TreeStateName(t.State), t.Winner)
		}
		if t.Escrow != t.Reward {
			return fmt.Errorf("%s with escrow %d of reward %d", TreeStateName(t.State), t.Escrow, t.Reward)
		}
	}
	return nil
}

// checkPending checks the committee path's pending proofs: only in a
// proving tree's nodes that take proofs or are deciding, never kept too,
// and the tree's vote escrow is their fees; a deciding node has some,
// or its close is due.
func checkPending(t *pb.Tree) error {
	var fees uint64
	for _, nd := range t.Nodes {
		if nd.Deciding && (t.State != pb.TreeState_TREE_STATE_PROVING || !inWindow(nd.Phase)) {
			return fmt.Errorf("node %d is deciding while the tree is %s and the node %s", nd.Index, TreeStateName(t.State), NodePhaseName(nd.Phase))
		}
		for _, pf := range nd.Pending {
			if t.State != pb.TreeState_TREE_STATE_PROVING || !inWindow(nd.Phase) {
				return fmt.Errorf("node %d has pending proof %d while the tree is %s and the node %s", nd.Index, pf.Seq, TreeStateName(t.State), NodePhaseName(nd.Phase))
			}
			if keptProof(nd, pf.Seq) != nil || pf.Seq >= nd.NextSeq {
				return fmt.Errorf("node %d's pending proof %d is kept too, or beyond next_seq %d", nd.Index, pf.Seq, nd.NextSeq)
			}
			fees += pf.VoteFee
		}
	}
	if fees != t.VoteEscrow {
		return fmt.Errorf("vote escrow %d, but its pending proofs' fees are %d", t.VoteEscrow, fees)
	}
	return nil
}

// checkTreeNodes checks keeping and pinning.
func checkTreeNodes(t *pb.Tree) error {
	for _, nd := range t.Nodes {
		if uint32(len(nd.Proofs)) > t.ProofsPerNode {
			return fmt.Errorf("node %d keeps %d proofs; proofs_per_node is %d", nd.Index, len(nd.Proofs), t.ProofsPerNode)
		}
		if nd.Phase != pb.NodePhase_NODE_PHASE_WAITING && nd.Index < t.N/2 &&
			(t.Nodes[2*nd.Index-1].Phase != pb.NodePhase_NODE_PHASE_CLOSED || t.Nodes[2*nd.Index].Phase != pb.NodePhase_NODE_PHASE_CLOSED) {
			return fmt.Errorf("node %d is %s while a child has not closed", nd.Index, NodePhaseName(nd.Phase))
		}
		if err := checkPins(t, nd); err != nil {
			return err
		}
		for _, pf := range nd.Proofs {
			if t.State != pb.TreeState_TREE_STATE_FINAL && (pf.Paid != 0 || pf.InWinningTree) {
				return fmt.Errorf("node %d proof %d paid %d before the tree is final", nd.Index, pf.Seq, pf.Paid)
			}
			for i, seqs := range [][]uint32{pf.Left, pf.Right} {
				for _, s := range seqs {
					c := keptProof(t.Nodes[2*nd.Index+uint32(i)-1], s)
					if c == nil || !c.Pinned {
						return fmt.Errorf("node %d proof %d names child proof %d of node %d, which is not kept and pinned", nd.Index, pf.Seq, s, 2*nd.Index+uint32(i))
					}
				}
			}
		}
	}
	return nil
}

// checkFinalTree checks a final tree's pay against its winning tree.
func checkFinalTree(t *pb.Tree) error {
	if t.Escrow != 0 || t.Refunded != 0 {
		return fmt.Errorf("final with escrow %d and refunded %d", t.Escrow, t.Refunded)
	}
	totals, win := RootTotals(t)
	if win < 0 || t.Winner == 0 || totals[win].Seq != t.Winner {
		return fmt.Errorf("winner %d is not the root with the highest total (%v)", t.Winner, totals)
	}
	m := uint64(treeNodes(t.N)) * uint64(t.ProofsPerNode)
	var paid uint64
	for _, nd := range t.Nodes {
		for _, pf := range nd.Proofs {
			paid += pf.Paid
			share := TreeShare(t.Reward, pf.FeeBurnBp, m)
			switch {
			case pf.StepIn && pf.Paid != 0:
				return fmt.Errorf("node %d proof %d stepped in and was paid %d", nd.Index, pf.Seq, pf.Paid)
			case pf.InWinningTree && !pf.StepIn && pf.Paid != share:
				return fmt.Errorf("node %d proof %d in the winning tree was paid %d, its share is %d", nd.Index, pf.Seq, pf.Paid, share)
			case !pf.InWinningTree && pf.Paid > share*uint64(t.UncleRewardBp)/10000:
				return fmt.Errorf("node %d proof %d outside the winning tree was paid %d", nd.Index, pf.Seq, pf.Paid)
			}
		}
	}
	if paid != t.Paid {
		return fmt.Errorf("proofs were paid %d, the tree records %d", paid, t.Paid)
	}
	return nil
}

// checkPins checks that a proof of nd's children is pinned exactly when a
// kept proof of nd names it.
func checkPins(t *pb.Tree, nd *pb.TreeNode) error {
	if isBase(t.N, nd.Index) {
		return nil
	}
	named := map[TreeRef]bool{}
	for _, pf := range nd.Proofs {
		for i, seqs := range [][]uint32{pf.Left, pf.Right} {
			for _, s := range seqs {
				named[TreeRef{2*nd.Index + uint32(i), s}] = true
			}
		}
	}
	for c := 2 * nd.Index; c <= 2*nd.Index+1; c++ {
		for _, pf := range t.Nodes[c-1].Proofs {
			if pf.Pinned != named[TreeRef{c, pf.Seq}] {
				return fmt.Errorf("node %d proof %d: pinned %v, but named by a kept proof of node %d: %v", c, pf.Seq, pf.Pinned, nd.Index, named[TreeRef{c, pf.Seq}])
			}
		}
	}
	return nil
}
