package protocol

import (
	"encoding/hex"
	"math/bits"
	"strconv"

	"github.com/provernet/provernet/internal/store"
	"github.com/provernet/provernet/wire/pb"
)

// Competing roots and rewards (docs/TREES.md, "Roots" and "Rewards").
// When the root closes, each of its kept proofs is a candidate; a
// candidate's tree is every proof it includes, through the child proofs
// it names, recursively, each counted once; the winner is the candidate
// whose tree has the highest total score (at a tie, the earlier, lower
// seq). Each proof in the winning tree that was not a step-in is paid
// R * (10000 - fee_burn_bp) / (10000 * NUM_NODES * proofs_per_node),
// rounded down; uncles, if tree_uncle_reward_bp is on, that share of it;
// the rest of R is burned.

// TreeRef names one proof of a tree.
type TreeRef struct{ Node, Seq uint32 }

// RootTotal is a candidate root's total score.
type RootTotal struct {
	Seq   uint32
	Total uint64
}

// TreeClosure is the set of proofs a proof of node includes, itself too.
func TreeClosure(t *pb.Tree, node uint32, pf *pb.TreeProof) map[TreeRef]bool {
	in := map[TreeRef]bool{}
	var walk func(node uint32, pf *pb.TreeProof)
	walk = func(node uint32, pf *pb.TreeProof) {
		ref := TreeRef{node, pf.Seq}
		if in[ref] {
			return
		}
		in[ref] = true
		for i, seqs := range [][]uint32{pf.Left, pf.Right} {
			child := 2*node + uint32(i)
			if child > uint32(len(t.Nodes)) {
				continue
			}
			for _, s := range seqs {
				if c := keptProof(t.Nodes[child-1], s); c != nil {
					walk(child, c)
				}
			}
		}
	}
	walk(node, pf)
	return in
}

// closureScore sums the scores of the proofs in set, in node and seq
// order.
func closureScore(t *pb.Tree, set map[TreeRef]bool) uint64 {
	var total uint64
	for _, nd := range t.Nodes {
		for _, pf := range nd.Proofs {
			if set[TreeRef{nd.Index, pf.Seq}] {
				total += pf.Score
			}
		}
	}
	return total
}

// SubtreeTotal is the total score of the proofs pf (a kept proof of
// node) includes: itself and, through the child proofs it names, theirs.
func SubtreeTotal(t *pb.Tree, node uint32, pf *pb.TreeProof) uint64 {
	return closureScore(t, TreeClosure(t, node, pf))
}

// RootTotals are the root's kept proofs' total scores, in seq order, and
// the winner's index among them (-1 with no root proof).
func RootTotals(t *pb.Tree) ([]RootTotal, int) {
	if len(t.Nodes) == 0 {
		return nil, -1
	}
	var out []RootTotal
	win := -1
	for _, pf := range t.Nodes[0].Proofs {
		out = append(out, RootTotal{Seq: pf.Seq, Total: closureScore(t, TreeClosure(t, 1, pf))})
		if i := len(out) - 1; win < 0 || out[i].Total > out[win].Total {
			win = i
		}
	}
	return out, win
}

// TreeShare is one proof's pay in a tree of reward r with m =
// NUM_NODES * proofs_per_node proofs: floor(r * (10000 - feeBurnBP) /
// (10000 * m)), computed in 128 bits.
func TreeShare(r uint64, feeBurnBP uint32, m uint64) uint64 {
	if m == 0 || feeBurnBP > 10000 {
		return 0
	}
	hi, lo := bits.Mul64(r, 10000-uint64(feeBurnBP))
	d := 10000 * m // m <= 63 * 16
	if hi >= d {
		return 0 // cannot happen: r * 10000 / d < 2^64
	}
	q, _ := bits.Div64(hi, lo, d)
	return q
}

// finalizeTree picks the winning root, pays the winning tree (and the
// uncles if on), burns the rest and closes the escrow.
func finalizeTree(kv store.KV, env Env, t *pb.Tree) ([]Event, error) {
	totals, win := RootTotals(t)
	root := t.Nodes[0].Proofs[win]
	for i, rt := range totals {
		t.Nodes[0].Proofs[i].Total = rt.Total
	}
	winning := TreeClosure(t, 1, root)
	m := uint64(treeNodes(t.N)) * uint64(t.ProofsPerNode)
	pay := map[string]uint64{}
	var order [][]byte
	for _, nd := range t.Nodes {
		for _, pf := range nd.Proofs {
			pf.InWinningTree = winning[TreeRef{nd.Index, pf.Seq}]
			if pf.StepIn || (!pf.InWinningTree && t.UncleRewardBp == 0) {
				continue
			}
			amount := TreeShare(t.Reward, pf.FeeBurnBp, m)
			if !pf.InWinningTree {
				amount = amount * uint64(t.UncleRewardBp) / 10000
			}
			pf.Paid = amount
			if _, ok := pay[string(pf.Prover)]; !ok {
				order = append(order, pf.Prover)
			}
			pay[string(pf.Prover)] += amount
			t.Paid += amount
		}
	}
	t.Burned = t.Escrow - t.Paid                                                                      // at most m shares of at most r/m each
	t.Escrow, t.Winner, t.State, t.EndHeight = 0, root.Seq, pb.TreeState_TREE_STATE_FINAL, env.Height // seqs start at 1
	evs := []Event{treeEvent(t, "winner", strconv.Itoa(int(root.Seq)), "winner_prover", addrString(root.Prover),
		"total", strconv.FormatUint(totals[win].Total, 10), "paid", strconv.FormatUint(t.Paid, 10), "burned", strconv.FormatUint(t.Burned, 10))}
	for _, a := range order {
		if err := credit(kv, a, pay[string(a)]); err != nil {
			return nil, err
		}
		evs = append(evs, event("tree_paid", "tree", hex.EncodeToString(t.Id), "prover", addrString(a), "amount", strconv.FormatUint(pay[string(a)], 10)))
	}
	return evs, burn(kv, t.Burned)
}

// expireTree burns tree_expiry_burn_bp of R and refunds the rest: a node
// got no proof through every window, so no root can ever be built. The
// burn makes an abandoned tree cost its submitter something beyond the
// fee (its timers were due work every block kept room for).
func expireTree(kv store.KV, env Env, t *pb.Tree, failed uint32) ([]Event, error) {
	cancelled, err := cancelPending(kv, t) // other nodes' proofs still before committees
	if err != nil {
		return nil, err
	}
	tp, _ := env.Params.Trees()
	t.Burned = expiryBurn(t.Escrow, tp.TreeExpiryBurnBP)
	t.Refunded, t.Escrow = t.Escrow-t.Burned, 0
	t.State, t.EndHeight = pb.TreeState_TREE_STATE_EXPIRED, env.Height
	if err := credit(kv, t.Owner, t.Refunded); err != nil {
		return nil, err
	}
	if err := burn(kv, t.Burned); err != nil {
		return nil, err
	}
	return append(cancelled, treeEvent(t, "failed_node", strconv.Itoa(int(failed)), "refunded", strconv.FormatUint(t.Refunded, 10),
		"burned", strconv.FormatUint(t.Burned, 10))), nil
}

// expiryBurn is floor(r * bp / 10000), in 128 bits (bp <= 10000).
func expiryBurn(r uint64, bp uint32) uint64 {
	hi, lo := bits.Mul64(r, uint64(min(bp, 10000)))
	q, _ := bits.Div64(hi, lo, 10000)
	return q
}
