package sim

import (
	"fmt"
	"math/bits"
	"slices"
	"time"

	"github.com/provernet/provernet/internal/protocol"
	"github.com/provernet/provernet/wire/pb"
)

// Mechanism tree (issue 16, docs/TREES.md): proof trees proved by a
// population of provers, on the chain's own rules for what a node keeps
// (protocol.WouldKeep), which root wins (protocol.RootTotals and
// TreeClosure) and what a proof is paid (protocol.TreeShare). The
// simulator builds each tree's record as the chain would (pb.Tree) and
// asks those functions; what it models itself is who submits when:
//
//   - a node's window opens when both its children have closed (a base
//     node at the block after the ProveTree); every prover that is not
//     silent and does not fail on it (fail_rate, a seeded draw per tree,
//     node, prover and window) submits in the window's first block, as
//     the daemons do when they see the node open with room; the block
//     orders them by a seeded draw and the node keeps or refuses each in
//     turn, evicting its lowest kept proof when a better one arrives;
//   - a node with no proof at its window's end goes to the sibling
//     step-in window (provers with a kept proof in the sibling subtree,
//     the whole tree's for the root), then the open one (anyone), each
//     node_deadline blocks; step-in proofs are kept and unpaid; a node
//     with none after both fails and the tree expires
//     (tree_expiry_burn_bp of R burns, the rest is refunded);
//   - a merge names every kept proof of each child (the daemon's rule);
//   - a score is a seeded 32-bit draw standing for the VRF value, times
//     10000 + the prover's fee burn, as the chain computes it.
//
// Trees are independent: block weight and tree slots are not simulated.
// Uncle rewards are not (off by default; Validate refuses them).

// treeSim simulates trees of one population.
type treeSim struct {
	o      Options
	pop    *Population // only its seeded draws
	tp     protocol.TreeParams
	n      uint32
	burns  []uint32 // each prover's fee burn
	silent []bool
	acc    treeAcc
}

// The purposes of the tree mechanism's draws.
const (
	drawTreeScore uint64 = 0x7472656501 + iota
	drawTreeFail
	drawTreeOrder
	drawTreeSilent
)

// treeOutcome is one simulated tree.
type treeOutcome struct {
	final                       bool
	blocks                      int64 // ProveTree's block to the block that ended it
	stepIns, kept, inWinning    int
	submitted, evicted, refused int
	paid, burned, refunded      uint64
}

func newTreeSim(o Options) *treeSim {
	tp, _ := o.Params.Trees()
	s := &treeSim{o: o, pop: &Population{seed: o.Seed}, tp: tp, n: uint32(o.TreeN)}
	s.burns, s.silent = make([]uint32, o.Provers), make([]bool, o.Provers)
	for p := range o.Provers {
		s.burns[p] = o.TreeFeeBurns[p%len(o.TreeFeeBurns)]
		s.silent[p] = s.pop.chance(o.SilentShare, drawTreeSilent, uint64(p), 0, 0)
	}
	s.acc = newTreeAcc(o.Provers)
	return s
}

// RunTree simulates o.Trees trees of o.TreeN inputs (mechanism tree).
func RunTree(o Options) (*TreeReport, error) {
	if o.Mechanism != MechTree {
		return nil, fmt.Errorf("RunTree runs mechanism %s, not %s", MechTree, o.Mechanism)
	}
	if err := o.Validate(); err != nil {
		return nil, err
	}
	start := time.Now()
	s := newTreeSim(o)
	for i := range o.Trees {
		s.acc.add(s.oneTree(uint64(i)))
	}
	r := s.report()
	r.WallS = time.Since(start).Seconds()
	return r, nil
}

func (s *treeSim) numNodes() uint32 { return s.n - 1 }

// oneTree proves tree i, asked at height 0, and settles it.
func (s *treeSim) oneTree(i uint64) treeOutcome {
	t := &pb.Tree{N: s.n, ProofsPerNode: s.tp.ProofsPerNode, Reward: s.o.TreeReward}
	for node := uint32(1); node <= s.numNodes(); node++ {
		t.Nodes = append(t.Nodes, &pb.TreeNode{Index: node})
	}
	closeAt := make([]int64, 2*s.n)
	var out treeOutcome
	d := s.tp.MinNodeDeadline
	for node := s.numNodes(); node >= 1; node-- { // children (2i, 2i+1) before parents
		open := int64(1)
		if !protocol.IsTreeBase(s.n, node) {
			open = max(closeAt[2*node], closeAt[2*node+1])
		}
		w := s.proveNode(t, i, node, &out)
		if w == 0 {
			out.blocks = open + 3*d
			return s.expire(t, out)
		}
		closeAt[node] = open + int64(w)*d
	}
	out.blocks = closeAt[1]
	return s.settle(t, out)
}

// proveNode runs node's windows until one keeps a proof; it returns the
// windows used (1: its own, 2: the sibling step-in, 3: the open step-in)
// or 0 when none did.
func (s *treeSim) proveNode(t *pb.Tree, tree uint64, node uint32, out *treeOutcome) int {
	nd := t.Nodes[node-1]
	for w := 1; w <= 3; w++ {
		nd.Phase = windowPhase(w)
		for _, p := range s.submitters(t, tree, node, w) {
			s.submit(t, nd, tree, p, w > 1, out)
		}
		if len(nd.Proofs) > 0 {
			nd.Phase = pb.NodePhase_NODE_PHASE_CLOSED
			return w
		}
	}
	return 0
}

func windowPhase(w int) pb.NodePhase {
	switch w {
	case 1:
		return pb.NodePhase_NODE_PHASE_OPEN
	case 2:
		return pb.NodePhase_NODE_PHASE_STEP_SIBLING
	}
	return pb.NodePhase_NODE_PHASE_STEP_ANY
}

// submitters are the provers that submit to node in window w, in the
// order the block applies them.
func (s *treeSim) submitters(t *pb.Tree, tree uint64, node uint32, w int) []int {
	role := uint64(node)<<2 | uint64(w)
	type entry struct {
		key uint64
		p   int
	}
	var es []entry
	for p := range s.o.Provers {
		if s.silent[p] || s.pop.chance(s.o.FailRate, drawTreeFail, tree, role, uint64(p)) {
			continue
		}
		if !protocol.MayProveNode(t, node, treeProver(p)) {
			continue
		}
		es = append(es, entry{s.pop.draw(drawTreeOrder, tree, role, uint64(p)), p})
	}
	slices.SortFunc(es, func(a, b entry) int { return cmpU64(a.key, b.key) })
	ps := make([]int, len(es))
	for i, e := range es {
		ps[i] = e.p
	}
	return ps
}

// submit applies one SubmitNodeProof of prover p: kept (evicting the
// node's lowest proof when full) or refused, as the chain's keepSlot.
func (s *treeSim) submit(t *pb.Tree, nd *pb.TreeNode, tree uint64, p int, stepIn bool, out *treeOutcome) {
	out.submitted++
	score := s.score(tree, nd.Index, p)
	if !protocol.WouldKeep(nd, t.ProofsPerNode, score) {
		out.refused++
		return
	}
	if uint32(len(nd.Proofs)) >= t.ProofsPerNode {
		nd.Proofs = slices.Delete(nd.Proofs, lowestKept(nd), lowestKept(nd)+1)
		out.evicted++
	}
	nd.NextSeq++
	pf := &pb.TreeProof{Seq: nd.NextSeq, Prover: treeProver(p), FeeBurnBp: s.burns[p], Score: score, StepIn: stepIn}
	if !protocol.IsTreeBase(t.N, nd.Index) {
		pf.Left, pf.Right = keptSeqs(t.Nodes[2*nd.Index-1]), keptSeqs(t.Nodes[2*nd.Index])
	}
	nd.Proofs = append(nd.Proofs, pf)
}

// score is the chain's score: the 4-byte VRF value times 10000 + the fee
// burn; the value is a seeded draw (uniform, as a VRF output is).
func (s *treeSim) score(tree uint64, node uint32, p int) uint64 {
	v := s.pop.draw(drawTreeScore, tree, uint64(node), uint64(p)) >> 32
	return v * (10000 + uint64(s.burns[p]))
}

// lowestKept is the index of nd's lowest-ranked proof: the lowest score,
// at a tie the later seq (the chain's ranking; nothing in a node's own
// window is pinned yet).
func lowestKept(nd *pb.TreeNode) int {
	low := 0
	for i, pf := range nd.Proofs {
		if l := nd.Proofs[low]; pf.Score < l.Score || (pf.Score == l.Score && pf.Seq > l.Seq) {
			low = i
		}
	}
	return low
}

func keptSeqs(nd *pb.TreeNode) []uint32 {
	var out []uint32
	for _, pf := range nd.Proofs {
		out = append(out, pf.Seq)
	}
	slices.Sort(out)
	return out
}

// treeProver is prover p's address in a simulated tree record.
func treeProver(p int) []byte {
	a := make([]byte, 20)
	for i := range 8 {
		a[19-i] = byte(uint64(p) >> (8 * i))
	}
	return a
}

func proverIndex(a []byte) int {
	var p uint64
	for _, b := range a[12:] {
		p = p<<8 | uint64(b)
	}
	return int(p)
}

// settle chooses the winning root with the chain's functions and pays
// every proof of its tree that was not a step-in.
func (s *treeSim) settle(t *pb.Tree, out treeOutcome) treeOutcome {
	out.final = true
	totals, win := protocol.RootTotals(t)
	in := protocol.TreeClosure(t, 1, t.Nodes[0].Proofs[indexOfSeq(t.Nodes[0], totals[win].Seq)])
	m := uint64(s.numNodes()) * uint64(t.ProofsPerNode)
	for _, nd := range t.Nodes {
		for _, pf := range nd.Proofs {
			p := proverIndex(pf.Prover)
			s.acc.kept[p]++
			out.kept++
			out.stepIns += b2i(pf.StepIn)
			if !in[protocol.TreeRef{Node: nd.Index, Seq: pf.Seq}] {
				continue
			}
			out.inWinning++
			s.acc.inWinning[p]++
			if !pf.StepIn {
				pay := protocol.TreeShare(t.Reward, pf.FeeBurnBp, m)
				s.acc.paid[p] += pay
				out.paid += pay
			}
		}
	}
	out.burned = t.Reward - out.paid
	return out
}

// expire burns tree_expiry_burn_bp of R and refunds the rest.
func (s *treeSim) expire(t *pb.Tree, out treeOutcome) treeOutcome {
	out.burned = bpOf(t.Reward, s.tp.TreeExpiryBurnBP)
	out.refunded = t.Reward - out.burned
	return out
}

func indexOfSeq(nd *pb.TreeNode, seq uint32) int {
	for i, pf := range nd.Proofs {
		if pf.Seq == seq {
			return i
		}
	}
	return 0
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func cmpU64(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// treeLevels is log2 n.
func treeLevels(n uint32) int { return bits.Len32(n) - 1 }
