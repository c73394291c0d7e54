package protocol_test

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/provernet/provernet/internal/protocol"
	"github.com/provernet/provernet/wire/pb"
)

// TestCommitteeTreeStress runs trees of deployed programs through random
// proofs and random (often silent, sometimes split) committees, checking
// the invariants after every block (the scenario's finalize-block does,
// CheckTrees' liveness checks included), and then that every tree ends:
// no pending proof is left undrawn or unexpired, no node deciding for
// good.
func TestCommitteeTreeStress(t *testing.T) {
	for seed := range uint64(6) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) { stressCommitteeTrees(t, seed, "") })
		// one tree timer a height: the committee path's timers leave
		// their heights for the first free one (treeTimerFrom)
		t.Run(fmt.Sprint(seed, "-slots"), func(t *testing.T) { stressCommitteeTrees(t, seed, " max_block_weight=20000") })
	}
}

func stressCommitteeTrees(t *testing.T, seed uint64, extra string) {
	rng := rand.New(rand.NewPCG(seed, 7))
	provers := []string{"p0", "p1", "p2", "p3", "p4", "p5", "p6", "p7"}
	var accts []string
	for _, p := range provers {
		accts = append(accts, p+":10000000")
	}
	s := committeeWorld(t, "accounts=seq:1000000000,dep:1000,"+strings.Join(accts, ",")+
		" min_prover_stake=1000 min_node_deadline=2 tree_committee_size=3 tree_vote_fee=10 vote_window=2 vote_rounds=2"+extra,
		strings.Join(provers, ","), 100000)
	names := map[string]string{} // address bytes -> name
	for _, p := range provers {
		a := s.addr(t, p)
		names[string(a[:])] = p
	}
	var trees []string
	stats := map[string]int{}
	for i := 0; i < 12 && len(trees) < 4; i++ {
		name := fmt.Sprintf("t%d", i)
		n := []int{2, 4, 8}[rng.IntN(3)]
		out := s.line(t, fmt.Sprintf("prove-tree from=seq as=%s n=%d reward=900000 deadline=%d programs=tbase,tmerge", name, n, 2+rng.IntN(3)))
		if strings.HasPrefix(out, "ok") {
			trees = append(trees, name)
		} else {
			stats["tree refused"]++
		}
		s.mustOK(t, "finalize-block")
	}
	step := func(submit bool) {
		for _, name := range trees {
			tr, err := protocol.TreeView(s.tree.Working(), s.trees[name])
			if err != nil {
				t.Fatal(err)
			}
			if tr.State != pb.TreeState_TREE_STATE_PROVING {
				continue
			}
			for _, nd := range tr.Nodes {
				for _, pf := range nd.Pending {
					if pf.Ballot == 0 || pf.VoteBy < s.env.Height {
						continue
					}
					for i, m := range pf.Committee {
						if i < len(pf.Votes) && pf.Votes[i] != 0 {
							continue
						}
						v := []string{"valid", "valid", "valid", "invalid", "copied", "", "", ""}[rng.IntN(8)]
						if v != "" {
							s.line(t, fmt.Sprintf("vote from=%s ballot%d=%s", names[string(m)], pf.Ballot, v))
						}
					}
				}
				if !submit || nd.Deciding || (nd.Phase != pb.NodePhase_NODE_PHASE_OPEN && nd.Phase != pb.NodePhase_NODE_PHASE_STEP_SIBLING && nd.Phase != pb.NodePhase_NODE_PHASE_STEP_ANY) {
					continue
				}
				for _, p := range provers {
					if rng.IntN(6) != 0 {
						continue
					}
					l := fmt.Sprintf("node-proof from=%s tree=%s node=%d burn=%d", p, name, nd.Index, rng.IntN(3000))
					if 2*nd.Index <= uint32(len(tr.Nodes)) {
						l += " left=" + seqList(tr.Nodes[2*nd.Index-1]) + " right=" + seqList(tr.Nodes[2*nd.Index])
					}
					s.line(t, l)
				}
			}
		}
		out := s.line(t, "finalize-block")
		for _, k := range []string{"verdict=valid kept=true", "verdict=valid kept=false", "verdict=invalid", "verdict=undecided", "verdict=cancelled", "state=final", "state=expired", "node_ballot", "deciding"} {
			stats[k] += strings.Count(out, k)
		}
		if strings.Contains(out, "invariant broken") {
			t.Fatalf("height %d: %s", s.env.Height, out)
		}
	}
	defer func() { t.Log(stats) }()
	for range 120 {
		step(true)
	}
	for range 200 {
		step(false)
	}
	for _, name := range trees {
		tr, err := protocol.GetTree(s.tree.Working(), s.trees[name])
		if err != nil {
			t.Fatal(err)
		}
		if tr.State == pb.TreeState_TREE_STATE_PROVING {
			t.Errorf("tree %s still proving at height %d, 200 blocks after the last proof: %v", name, s.env.Height, tr)
		}
	}
}

// seqList names every kept proof of nd, comma-separated ("1" when none:
// the proof is then refused, as a stale merge is).
func seqList(nd *pb.TreeNode) string {
	var out []string
	for _, pf := range nd.Proofs {
		out = append(out, fmt.Sprint(pf.Seq))
	}
	if len(out) == 0 {
		return "1"
	}
	return strings.Join(out, ",")
}
