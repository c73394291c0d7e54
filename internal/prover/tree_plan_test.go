package prover

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/cockroachdb/datadriven"
	"google.golang.org/protobuf/proto"

	"github.com/provernet/provernet/internal/protocol"
	"github.com/provernet/provernet/wire/address"
	"github.com/provernet/provernet/wire/pb"
)

// TestTreePlan runs the tree planner's scripts in testdata/tree: a tree as
// the chain holds it, this prover's VRF values and fee burn, and the plan
// (which nodes it proves now, with which children). The commands:
//
//	tree n=N [per-node=3] [state=pending|proving|final|expired] [one-child=true]
//	node I phase=open|step_sibling|step_any|waiting|closed [until=H] [proofs=(seq:prover:score[:pinned],...)]
//	     [pending=(seq:prover:score:ballot=N:by=H:committee=a.b:votes=01,...)] [deciding=true]
//	vrf I=VALUE ...          this prover's VRF values (nodes in a window)
//	self [fee-burn=BP] [free=N] [state=active|suspended|out]
//	tip H
//	sent I at=H              this daemon sent a proof of node I at tip H
//	proving I                node I is being proved in the background
//	gave-up I                the program failed on this prover's proof of node I
//	plan
//	duty B                   a verification of ballot B is running or queued
//	judge                    the pending proofs this prover judges now (planTreeVotes)
//
// one-child=true is a pair whose merges name one kept proof of each child
// (the gnark pair).
func TestTreePlan(t *testing.T) {
	datadriven.Walk(t, "testdata/tree", func(t *testing.T, path string) {
		s := newTreeStory()
		datadriven.RunTest(t, path, func(t *testing.T, d *datadriven.TestData) string {
			out, err := s.run(d)
			if err != nil {
				t.Fatalf("%s: %v", d.Pos, err)
			}
			return out
		})
	})
}

type treeStory struct {
	names    map[string]address.Address
	prover   *pb.Prover
	out      bool
	tip      int64
	values   map[uint32]uint64
	sent     map[uint32]int64
	proving  map[uint32]bool
	gaveUp   map[uint32]bool
	oneChild bool
	free     int
	feeBurn  uint32
	t        *pb.Tree
	duties   map[string]roundDuty
}

func newTreeStory() *treeStory {
	s := &treeStory{names: map[string]address.Address{}, values: map[uint32]uint64{}, sent: map[uint32]int64{}, proving: map[uint32]bool{}, gaveUp: map[uint32]bool{}, free: 1, duties: map[string]roundDuty{}}
	me := s.addr("me")
	s.prover = &pb.Prover{Address: me[:], State: pb.ProverState_PROVER_STATE_ACTIVE}
	return s
}

func (s *treeStory) addr(name string) address.Address {
	if a, ok := s.names[name]; ok {
		return a
	}
	var a address.Address
	copy(a[:], name)
	a[19] = byte(len(s.names) + 1)
	s.names[name] = a
	return a
}

func (s *treeStory) name(b []byte) string {
	for n, a := range s.names {
		if string(a[:]) == string(b) {
			return n
		}
	}
	return fmt.Sprintf("%x", b)
}

func (s *treeStory) run(d *datadriven.TestData) (string, error) {
	a, err := parseArgs(d.CmdArgs)
	if err != nil {
		return "", err
	}
	var out string
	switch d.Cmd {
	case "tree":
		out, err = s.setTree(a)
	case "node":
		out, err = s.setNode(a)
	case "vrf":
		out, err = s.setVRF(a)
	case "self":
		out, err = s.setSelf(a)
	case "tip":
		var h int64
		if h, err = a.bareInt(); err == nil {
			s.tip, out = h, "ok"
		}
	case "sent":
		out, err = s.setSent(a)
	case "proving":
		var i int64
		if i, err = a.bareInt(); err == nil {
			s.proving[uint32(i)], out = true, "ok"
		}
	case "gave-up":
		var i int64
		if i, err = a.bareInt(); err == nil {
			s.gaveUp[uint32(i)], out = true, "ok"
		}
	case "plan":
		out, err = s.plan()
	case "duty":
		var b int64
		if b, err = a.bareInt(); err == nil {
			s.duties[treeBallotKey(uint64(b))], out = roundVerifying, "ok"
		}
	case "judge":
		out, err = s.judge()
	default:
		return "", fmt.Errorf("unknown command %q", d.Cmd)
	}
	if err != nil {
		return "", err
	}
	return out, a.unused()
}

func (s *treeStory) setTree(a *cmdArgs) (string, error) {
	n, err := a.uint32("n", 0)
	if err != nil {
		return "", err
	}
	if n < 2 || n&(n-1) != 0 {
		return "", fmt.Errorf("n=%d is no power of two", n)
	}
	per, err := a.uint32("per-node", 3)
	if err != nil {
		return "", err
	}
	st, _ := a.take("state")
	state, err := enumValue(pb.TreeState_value, "TREE_STATE_", strings.ToUpper(cmpOr(st, "proving")))
	if err != nil {
		return "", err
	}
	if oc, ok := a.take("one-child"); ok {
		s.oneChild = oc == "true"
	}
	s.t = &pb.Tree{Id: make([]byte, 32), N: n, ProofsPerNode: per, State: pb.TreeState(state)}
	for i := uint32(1); i < n; i++ {
		s.t.Nodes = append(s.t.Nodes, &pb.TreeNode{Index: i, Phase: pb.NodePhase_NODE_PHASE_WAITING})
	}
	return "ok", nil
}

func cmpOr(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

func (s *treeStory) setNode(a *cmdArgs) (string, error) {
	if s.t == nil {
		return "", fmt.Errorf("no tree yet")
	}
	i, err := a.bareInt()
	if err != nil {
		return "", err
	}
	if i < 1 || int(i) > len(s.t.Nodes) {
		return "", fmt.Errorf("the tree has no node %d", i)
	}
	nd := s.t.Nodes[i-1]
	if ph, ok := a.take("phase"); ok {
		v, err := enumValue(pb.NodePhase_value, "NODE_PHASE_", strings.ToUpper(ph))
		if err != nil {
			return "", err
		}
		nd.Phase = pb.NodePhase(v)
	}
	if nd.PhaseEnd, err = a.int("until", nd.PhaseEnd); err != nil {
		return "", err
	}
	if v, ok := a.take("proofs"); ok {
		if nd.Proofs, err = s.parseProofs(v); err != nil {
			return "", err
		}
	}
	if v, ok := a.take("pending"); ok {
		if nd.Pending, err = s.parseProofs(v); err != nil {
			return "", err
		}
	}
	if v, ok := a.take("deciding"); ok {
		nd.Deciding = v == "true"
	}
	return "ok", nil
}

// parseProofs reads seq:prover:score[:pinned][:left=a.b][:right=c.d]
// [:ballot=N][:by=H][:committee=x.y][:votes=DIGITS], comma-separated
// (votes: one digit per member, 0 none, 1 valid, 2 invalid).
func (s *treeStory) parseProofs(v string) ([]*pb.TreeProof, error) {
	var out []*pb.TreeProof
	if v == "" {
		return nil, nil // () : none
	}
	for _, item := range strings.Split(v, ",") {
		f := strings.Split(item, ":")
		if len(f) < 3 {
			return nil, fmt.Errorf("proof %q: want seq:prover:score[:pinned]", item)
		}
		seq, err1 := strconv.ParseUint(f[0], 10, 32)
		score, err2 := strconv.ParseUint(f[2], 10, 64)
		if err1 != nil || err2 != nil {
			return nil, fmt.Errorf("proof %q: bad seq or score", item)
		}
		p := s.addr(f[1])
		pf := &pb.TreeProof{Seq: uint32(seq), Prover: p[:], Score: score}
		for _, flag := range f[3:] {
			switch k, v, _ := strings.Cut(flag, "="); k {
			case "pinned":
				pf.Pinned = true
			case "left", "right":
				var seqs []uint32
				for _, x := range strings.Split(v, ".") {
					n, err := strconv.ParseUint(x, 10, 32)
					if err != nil {
						return nil, fmt.Errorf("proof %q: %s=%s", item, k, v)
					}
					seqs = append(seqs, uint32(n))
				}
				if k == "left" {
					pf.Left = seqs
				} else {
					pf.Right = seqs
				}
			case "ballot", "by":
				n, err := strconv.ParseInt(v, 10, 64)
				if err != nil {
					return nil, fmt.Errorf("proof %q: %s=%s", item, k, v)
				}
				if k == "ballot" {
					pf.Ballot = uint64(n)
				} else {
					pf.VoteBy = n
				}
			case "committee":
				for _, m := range strings.Split(v, ".") {
					a := s.addr(m)
					pf.Committee = append(pf.Committee, a[:])
				}
			case "votes":
				for _, c := range v {
					pf.Votes = append(pf.Votes, byte(c-'0'))
				}
			default:
				return nil, fmt.Errorf("proof %q: unknown flag %q", item, flag)
			}
		}
		out = append(out, pf)
	}
	return out, nil
}

func (s *treeStory) setVRF(a *cmdArgs) (string, error) {
	for k, v := range a.vals {
		node, err1 := strconv.ParseUint(k, 10, 32)
		value, err2 := strconv.ParseUint(v, 10, 64)
		if err1 != nil || err2 != nil {
			return "", fmt.Errorf("vrf %s=%s: want NODE=VALUE", k, v)
		}
		s.values[uint32(node)] = value
		delete(a.vals, k)
	}
	return "ok", nil
}

func (s *treeStory) setSelf(a *cmdArgs) (string, error) {
	fb, err := a.uint32("fee-burn", s.feeBurn)
	if err != nil {
		return "", err
	}
	free, err := a.int("free", int64(s.free))
	if err != nil {
		return "", err
	}
	s.feeBurn, s.free = fb, int(free)
	if st, ok := a.take("state"); ok {
		switch st {
		case "active":
			s.prover.State = pb.ProverState_PROVER_STATE_ACTIVE
		case "suspended":
			s.prover.State = pb.ProverState_PROVER_STATE_SUSPENDED
		case "out":
			s.out = true
		default:
			return "", fmt.Errorf("unknown state %q", st)
		}
	}
	return "ok", nil
}

func (s *treeStory) setSent(a *cmdArgs) (string, error) {
	i, err := a.bareInt()
	if err != nil {
		return "", err
	}
	at, err := a.int("at", -1)
	if err != nil || at < 0 {
		return "", fmt.Errorf("sent needs at=H: %v", err)
	}
	s.sent[uint32(i)] = at
	return "ok", nil
}

func (s *treeStory) plan() (string, error) {
	if s.t == nil {
		return "", fmt.Errorf("no tree yet")
	}
	me := s.addr("me")
	before := proto.Clone(s.t)
	acts := planTree(treeView{t: s.t, self: standing{addr: me, prover: s.prover, out: s.out, free: s.free},
		values: s.values, feeBurn: s.feeBurn, sent: s.sent, proving: s.proving, gaveUp: s.gaveUp, tip: s.tip, oneChild: s.oneChild})
	if !proto.Equal(before, s.t) {
		return "", fmt.Errorf("the planner changed the tree")
	}
	if len(acts) == 0 {
		return "nothing", nil
	}
	var lines []string
	for _, a := range acts {
		lines = append(lines, a.String())
	}
	return strings.Join(lines, "\n"), nil
}

// judge prints planTreeVotes's duties.
func (s *treeStory) judge() (string, error) {
	if s.t == nil {
		return "", fmt.Errorf("no tree yet")
	}
	before := proto.Clone(s.t)
	duties := planTreeVotes(s.t, standing{addr: s.addr("me"), prover: s.prover, out: s.out, free: s.free}, s.tip, s.duties)
	if !proto.Equal(before, s.t) {
		return "", fmt.Errorf("the planner changed the tree")
	}
	if len(duties) == 0 {
		return "nothing", nil
	}
	var lines []string
	for _, d := range duties {
		lines = append(lines, fmt.Sprintf("judge node %d seq %d (%s) ballot %d", d.node, d.pf.Seq, s.name(d.pf.Prover), d.pf.Ballot))
	}
	return strings.Join(lines, "\n"), nil
}

// TestBestChildrenMaximizes: the children bestChildren names give the
// merge proof's subtree the highest total score of every choice the chain
// accepts (1..proofs_per_node kept proofs of each child), against a
// brute force over all of them, on random trees with pinned and
// cross-named proofs.
func TestBestChildrenMaximizes(t *testing.T) {
	r := rand.New(rand.NewPCG(16, 7))
	for round := range 300 {
		tr := randomTree(r, 8)
		for node := uint32(1); node < 4; node++ {
			l, rr := bestChildren(tr, node)
			got := mergeTotal(tr, node, l, rr)
			best := uint64(0)
			for _, ls := range subsets(tr.Nodes[2*node-1].Proofs) {
				for _, rs := range subsets(tr.Nodes[2*node].Proofs) {
					best = max(best, mergeTotal(tr, node, ls, rs))
				}
			}
			if got != best {
				t.Fatalf("round %d node %d: bestChildren %v %v totals %d, the best choice %d", round, node, l, rr, got, best)
			}
		}
	}
}

// TestBestChildMaximizes: for a pair whose merges name one proof of each
// child (the gnark pair), the pair bestChild picks gives the merge's
// subtree the highest total of every such choice, against a brute force.
func TestBestChildMaximizes(t *testing.T) {
	r := rand.New(rand.NewPCG(16, 8))
	for round := range 300 {
		tr := randomTree(r, 8)
		for node := uint32(1); node < 4; node++ {
			l, rr := bestChild(tr, 2*node), bestChild(tr, 2*node+1)
			got := mergeTotal(tr, node, l, rr)
			best := uint64(0)
			for _, lp := range tr.Nodes[2*node-1].Proofs {
				for _, rp := range tr.Nodes[2*node].Proofs {
					best = max(best, mergeTotal(tr, node, []uint32{lp.Seq}, []uint32{rp.Seq}))
				}
			}
			if len(l) != 1 || len(rr) != 1 || got != best {
				t.Fatalf("round %d node %d: bestChild %v %v totals %d, the best choice %d", round, node, l, rr, got, best)
			}
		}
	}
}

// mergeTotal is the total score of a would-be merge proof of node (score
// 0, seq beyond any kept) naming left and right, by the chain's closure.
func mergeTotal(t *pb.Tree, node uint32, left, right []uint32) uint64 {
	pf := &pb.TreeProof{Seq: 1 << 30, Left: left, Right: right}
	var total uint64
	for ref := range protocol.TreeClosure(t, node, pf) {
		for _, p := range t.Nodes[ref.Node-1].Proofs {
			if p.Seq == ref.Seq {
				total += p.Score
			}
		}
	}
	return total
}

// subsets lists every non-empty subset of the proofs' seqs, ascending.
func subsets(pfs []*pb.TreeProof) [][]uint32 {
	var out [][]uint32
	for mask := 1; mask < 1<<len(pfs); mask++ {
		var s []uint32
		for i, pf := range pfs {
			if mask&(1<<i) != 0 {
				s = append(s, pf.Seq)
			}
		}
		slices.Sort(s)
		out = append(out, s)
	}
	return out
}

// randomTree is a tree of n inputs whose every node keeps 1..3 proofs with
// random scores, each merge proof naming a random non-empty choice of its
// children's.
func randomTree(r *rand.Rand, n uint32) *pb.Tree {
	t := &pb.Tree{N: n, ProofsPerNode: 3}
	for i := uint32(1); i < n; i++ {
		t.Nodes = append(t.Nodes, &pb.TreeNode{Index: i, Phase: pb.NodePhase_NODE_PHASE_CLOSED})
	}
	for i := n - 1; i >= 1; i-- {
		nd := t.Nodes[i-1]
		for seq := uint32(1); seq <= 1+uint32(r.IntN(3)); seq++ {
			pf := &pb.TreeProof{Seq: seq, Score: r.Uint64N(1 << 40)}
			if !protocol.IsTreeBase(n, i) {
				pf.Left = pick(r, t.Nodes[2*i-1].Proofs)
				pf.Right = pick(r, t.Nodes[2*i].Proofs)
			}
			nd.Proofs = append(nd.Proofs, pf)
		}
	}
	return t
}

func pick(r *rand.Rand, pfs []*pb.TreeProof) []uint32 {
	all := subsets(pfs)
	return all[r.IntN(len(all))]
}
