package protocol_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/cockroachdb/datadriven"

	"github.com/provernet/provernet/internal/protocol"
	"github.com/provernet/provernet/wire"
)

// The committee path under attack (review of "trees of deployed
// programs"): what a scenario file cannot say in a few lines.

// line runs one scenario command written as a scenario file's line
// ("cmd key=value ..."), so a Go test can loop over the story's commands.
func (s *scenario) line(t *testing.T, l string) string {
	t.Helper()
	f := strings.Fields(l)
	d := &datadriven.TestData{Pos: "go: " + l, Cmd: f[0]}
	for _, a := range f[1:] {
		k, v, ok := strings.Cut(a, "=")
		arg := datadriven.CmdArg{Key: k}
		if ok {
			arg.Vals = []string{v}
		}
		d.CmdArgs = append(d.CmdArgs, arg)
	}
	return s.handle(t, d)
}

// mustOK runs l and fails the test unless it succeeded.
func (s *scenario) mustOK(t *testing.T, l string) string {
	t.Helper()
	out := s.line(t, l)
	if !strings.HasPrefix(out, "ok") && !strings.HasPrefix(out, "height") {
		t.Fatalf("%s: %s", l, out)
	}
	return out
}

// committeeWorld starts a story: a genesis with args, the named provers
// (comma-separated) registered with stake, and dep's deployed pair tbase
// and tmerge, whose trees go to committees.
func committeeWorld(t *testing.T, args, provers string, stake int) *scenario {
	t.Helper()
	s := &scenario{}
	s.mustOK(t, "genesis "+args)
	s.line(t, fmt.Sprintf("tree-provers names=%s stake=%d", provers, stake))
	s.mustOK(t, "deploy from=dep as=tbase verify-cycles=1000000")
	s.mustOK(t, "deploy from=dep as=tmerge verify-cycles=1000000")
	return s
}

// TestCommitteeTreeTimersCannotEmptyBlocks: review M5 said a height takes
// at most a quarter of a block of tree timers (every timer a ProveTree
// can set has a slot it reserved). A pending node proof sets a timer of
// its tree at vote_by+1, a height no slot was reserved for, and a
// deciding node moves its windows to heights no slot was reserved for
// either. So an attacker with 110 trees of n = 2 (3 uprv of reward each,
// created over five blocks within the slot limit) sends one pending
// proof to each in one block (110 x 600 of weight: half a block), and
// the block vote_window+1 later has 110 x 1,700 of due work: more than
// max_block_weight, no room for any transaction, Votes included (the
// silent committees are then redrawn and their timers fall together
// again). It must fail while that is so.
func TestCommitteeTreeTimersCannotEmptyBlocks(t *testing.T) {
	s := committeeWorld(t, "accounts=seq:1000000000,dep:1000,a:100000000,b:2000,c:2000,d:2000 min_prover_stake=1000 min_node_deadline=2 tree_committee_size=3 tree_vote_fee=10 vote_window=3 vote_rounds=2", "a,b,c,d", 1500)
	p := s.env.Params
	// five sets of 22 trees, each set at its own height with its own
	// node_deadline, so that no two sets share a reserved height
	var names []string
	for set, d := range []int{50, 60, 70, 80, 90} {
		for i := range 22 {
			name := fmt.Sprintf("t%d_%d", set, i)
			s.mustOK(t, fmt.Sprintf("prove-tree from=seq as=%s n=2 reward=3 deadline=%d programs=tbase,tmerge", name, d))
			names = append(names, name)
		}
		s.mustOK(t, "finalize-block")
	}
	s.mustOK(t, "finalize-block") // every root is open
	h := s.env.Height
	for _, name := range names {
		s.mustOK(t, "node-proof from=a tree="+name+" node=1")
	}
	for range 3 * (p.VoteWindow + 1) {
		x := s.env.Height + 1 // the next block's room, from the state before it
		due, err := protocol.DueWeight(s.tree.Working(), p, x)
		if err != nil {
			t.Fatal(err)
		}
		room, err := protocol.TxRoom(s.tree.Working(), p, x)
		if err != nil {
			t.Fatal(err)
		}
		if due > p.MaxBlockWeight/4 {
			t.Errorf("height %d (proofs sent at %d): tree timers due weigh %d (%d trees), over a quarter of max_block_weight %d; room for transactions %d",
				x, h, due, due/wire.WeightTreeTimer, p.MaxBlockWeight, room)
		}
		s.mustOK(t, "finalize-block")
	}
}

// TestTreeVoteFeeTimesCommitteeFits: a pending proof escrows
// tree_vote_fee x the committee's size; tree_vote_fee is capped at 2^40
// but committee_size (tree_committee_size 0 takes it) is not, so the
// product could wrap: here 2^40 x 2^30 escrows 0.
func TestTreeVoteFeeTimesCommitteeFits(t *testing.T) {
	p := protocol.DefaultParams()
	tp := protocol.DefaultTreeParams()
	tp.TreeVoteFee, tp.TreeCommitteeSize = 1<<40, 0
	p.TreeParams, p.CommitteeSize = &tp, 1<<30
	if err := p.Validate(); err == nil || !strings.Contains(err.Error(), "tree_vote_fee") {
		t.Fatalf("params whose vote fee escrow is %d (wrapped) validate: %v", protocol.TreeVoteFee(p), err)
	}
}

// TestCommitteeTimersCannotShutOutNewTrees: a ProveTree takes a slot at
// every height its timers may fall at, the first being the next block's
// (its opening), and is refused when one of them is full. The committee
// path's timers take free slots too (treeTimerFrom): a pending proof's
// draw at the next height and its ballot's end vote_window later, whether
// or not anyone votes. So an attacker with maxTreesDue trees of its own
// program pair, each sent one pending proof a block (600 of weight each;
// its vote fees come back when its silent committees leave it
// undecided), fills every height's slots a vote_window ahead: no
// ProveTree of anybody's is admitted, at any node_deadline, for as long
// as it goes on. Here max_block_weight 20,400 allows 3 trees due at a
// height (the committee path's timers may take one of them).
func TestCommitteeTimersCannotShutOutNewTrees(t *testing.T) {
	s := committeeWorld(t, "accounts=seq:1000000,dep:1000,a:100000,b:100000,c:100000,d:100000,e:100000,f:100000,g:100000,h:100000 min_prover_stake=1000 min_node_deadline=2 tree_committee_size=2 tree_vote_fee=10 vote_window=3 vote_rounds=2 max_block_weight=20400", "a,b,c,d,e,f,g,h", 1500)
	attackers := []string{"a", "b", "c", "d", "e", "f", "g", "h"}
	trees := []string{"x1", "x2", "x3"}
	for _, x := range trees { // the attacker's own trees, long windows
		s.mustOK(t, "prove-tree from=dep as="+x+" n=4 reward=9 deadline=60 programs=tbase,tmerge")
	}
	s.mustOK(t, "finalize-block")
	refused := 0
	for k := range 12 {
		if k >= 5 { // a user asks for a tree, first in the block (each at its own node_deadline)
			out := s.line(t, fmt.Sprintf("prove-tree from=seq as=u%d n=2 reward=9000 deadline=%d", k, 20+k))
			if !strings.HasPrefix(out, "ok") {
				refused++
				if refused == 1 {
					t.Errorf("height %d: %s", s.env.Height, out)
				}
			}
		}
		for _, x := range trees { // one pending proof per tree a block
			s.mustOK(t, fmt.Sprintf("node-proof from=%s tree=%s node=%d", attackers[k%8], x, 2+k/8))
		}
		s.mustOK(t, "finalize-block")
	}
	if refused > 0 {
		t.Errorf("%d of 7 ProveTrees refused while an attacker sends 3 pending proofs a block", refused)
	}
}

// TestCommitteeTimersDelayBounded: the committee path's timers share
// committeeTimerSlots a height, first come first served, and a tree
// reuses a height it holds. An attacker whose tree holds every height's
// share vote_window ahead (here one tree: max_block_weight 20,400 allows
// 3 trees due at a height, one of them a committee timer), kept by one
// pending proof a block, pushes another tree's draw past them. The delay
// is bounded: an honest proof is drawn within vote_window + 3 blocks,
// and its ballot still takes votes for vote_window from its draw (with
// the default vote_window of 10, a draw waits at most about 12 blocks
// for as long as the attacker sends committeeTimerSlots pending proofs a
// block, each paying its transaction fee and its committee). A residual
// (docs/SECURITY.md): a per-tree share of the committee slots would
// remove it.
func TestCommitteeTimersDelayBounded(t *testing.T) {
	s := committeeWorld(t, "accounts=seq:1000000,dep:1000,a:100000,b:100000,c:100000,d:100000,e:100000,f:100000,g:100000,h:100000 min_prover_stake=1000 min_node_deadline=2 tree_committee_size=2 tree_vote_fee=10 vote_window=3 vote_rounds=2 max_block_weight=20400", "a,b,c,d,e,f,g,h", 1500)
	s.mustOK(t, "prove-tree from=dep as=x n=4 reward=9 deadline=200 programs=tbase,tmerge")
	s.mustOK(t, "prove-tree from=seq as=u n=4 reward=9000 deadline=150 programs=tbase,tmerge")
	s.mustOK(t, "finalize-block")
	attackers := []string{"a", "b", "c", "d", "e", "f", "g"}
	sent := int64(0)
	for k := range 40 {
		s.mustOK(t, fmt.Sprintf("node-proof from=%s tree=x node=%d", attackers[k%7], 2+(k/7)%2))
		if k == 20 {
			s.mustOK(t, "node-proof from=h tree=u node=2")
			sent = s.env.Height
		}
		s.mustOK(t, "finalize-block")
		tr, err := protocol.GetTree(s.tree.Working(), s.trees["u"])
		if err != nil {
			t.Fatal(err)
		}
		if sent > 0 && len(tr.Nodes[1].Pending) > 0 && tr.Nodes[1].Pending[0].Ballot != 0 {
			pf := tr.Nodes[1].Pending[0]
			t.Logf("an honest proof sent at %d is drawn at %d and takes votes until %d (vote_window %d)", sent, s.env.Height, pf.VoteBy, s.env.Params.VoteWindow)
			if s.env.Height > sent+s.env.Params.VoteWindow+3 || pf.VoteBy < s.env.Height+s.env.Params.VoteWindow-1 {
				t.Errorf("an honest proof sent at %d is drawn at %d and takes votes until %d: beyond the bound (vote_window %d)", sent, s.env.Height, pf.VoteBy, s.env.Params.VoteWindow)
			}
			return
		}
	}
	t.Fatal("never drawn")
}
