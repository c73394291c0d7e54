package protocol_test

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/provernet/provernet/internal/protocol"
	"github.com/provernet/provernet/internal/vrf"
	"github.com/provernet/provernet/wire"
	"github.com/provernet/provernet/wire/pb"
)

// The proof tree commands of the scenario files (issue 16):
//
//	tree-provers names=A,B,... [stake=N] [vrf-of=NAME]: register with a real VRF key (NAME's public key) and stake
//	prove-tree from=NAME as=T n=N reward=R deadline=D [blob-input] [programs=hash|other|BASE,MERGE]
//	  (BASE,MERGE: programs the story deployed; their node proofs go to committees)
//	node-proof from=NAME tree=T node=I [left=S,S] [right=S,S] [burn=BP] [copy-of=NAME] [vrf-of=NAME] [bad-vrf] [proof=TEXT]
//	  (vrf-of: the VRF proof lifted from NAME's own submission for the node)
//	prove-nodes tree=T nodes=I..J names=A,B,... [burn=BP]: each name proves each node (merges name every kept child proof)
//	scores tree=T node=I names=A,B,... [burn=BP]: what each would score
//	tree T [summary]: the tree, its nodes and kept proofs, the roots' totals
//	tree-share reward=R burn=BP nodes=N [per-node=K]: one proof's pay
//	due from=H to=H: each height's due weight (DueWeight), those above 0
//	roots n=N, then lines "node=I NAME:SCORE[:L1+L2/R1+R2] ...": the winning root of a made-up tree
//
// A prover's VRF secret key is SHA-256("vrf:" + name), so its scores are
// the same in every run; the VRF proofs are real (RFC 9381).

func (s *scenario) handleTree(t testing.TB, c *cmd) (string, bool) {
	switch c.d.Cmd {
	case "tree-provers":
		return s.treeProvers(t, c), true
	case "prove-tree":
		return s.proveTree(t, c), true
	case "node-proof":
		return s.nodeProof(t, c), true
	case "prove-nodes":
		return s.proveNodes(t, c), true
	case "scores":
		return s.scores(t, c), true
	case "tree":
		summary := c.flag("summary")
		return s.showTree(t, s.treeName(c, c.bare(1)[0]), summary), true
	case "tree-share":
		r, bp, nodes := c.uint("reward", "", 64), c.uint("burn", "", 32), c.uint("nodes", "", 32)
		k := c.uint("per-node", "3", 32)
		return fmt.Sprintf("share=%d", protocol.TreeShare(r, uint32(bp), nodes*k)), true
	case "roots":
		return s.roots(c), true
	case "due":
		return s.due(t, c), true
	}
	return "", false
}

func vrfSecret(name string) []byte {
	sk := sha256.Sum256([]byte("vrf:" + name))
	return sk[:]
}

func (s *scenario) treeName(c *cmd, name string) string {
	c.t.Helper()
	if _, ok := s.trees[name]; !ok {
		c.fail("unknown tree %q", name)
	}
	return name
}

func (s *scenario) treeProvers(t testing.TB, c *cmd) string {
	stake := c.uint("stake", "1000", 64)
	var out []string
	for _, name := range c.list("names") {
		pk, err := vrf.PublicKey(vrfSecret(c.opt("vrf-of", name)))
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range []*pb.Msg{
			{Kind: &pb.Msg_RegisterProver{RegisterProver: &pb.RegisterProver{VrfPublicKey: pk,
				Hardware: &pb.Hardware{CpuCores: 8, MemoryMb: 16384}, MaxConcurrent: 2}}},
			{Kind: &pb.Msg_Stake{Stake: &pb.Stake{Amount: stake}}},
		} {
			if res := s.send(t, name, m); !strings.HasPrefix(res, "ok") {
				return name + ": " + res
			}
		}
		p, err := protocol.GetProver(s.tree.Working(), s.addr(t, name))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, name+" "+protocol.StateName(p.State))
	}
	return strings.Join(out, "\n")
}

func (s *scenario) proveTree(t testing.TB, c *cmd) string {
	from, as := c.str("from"), c.str("as")
	n := c.uint("n", "", 16)
	m := &pb.ProveTree{BaseProgram: wire.TreeHashBaseProgram, MergeProgram: wire.TreeHashMergeProgram,
		Reward: c.uint("reward", "", 64), NodeDeadline: c.int("deadline", "")}
	switch progs := c.opt("programs", "hash"); {
	case progs == "hash":
	case strings.Contains(progs, ","):
		b, mg, _ := strings.Cut(progs, ",")
		m.BaseProgram, m.MergeProgram = s.programs[b], s.programs[mg]
	default:
		m.BaseProgram = make([]byte, 32)
	}
	blob := c.flag("blob-input")
	for i := range n {
		in := &pb.Input{Name: "tx" + strconv.Itoa(int(i)), Data: []byte("transaction " + strconv.Itoa(int(i)))}
		if blob && i == 0 {
			sum := sha256.Sum256(in.Data)
			in.Data, in.Sha256, in.Size = nil, sum[:], 14
		}
		m.Inputs = append(m.Inputs, in)
	}
	a, err := protocol.GetAccount(s.tree.Working(), s.addr(t, from))
	if err != nil {
		t.Fatal(err)
	}
	id := wire.TreeID(s.addr(t, from), a.Nonce, 0)
	if s.trees == nil {
		s.trees = map[string][]byte{}
	}
	s.trees[as], s.wlNames[hex.EncodeToString(id)] = id, as
	return s.send(t, from, &pb.Msg{Kind: &pb.Msg_ProveTree{ProveTree: m}})
}

// nodeProofMsg builds from's proof of node: a real VRF proof, and the
// hash pair's outputs over the tree's inputs or the named child proofs'
// outputs, computed for copyOf's address (a lifted proof) if set.
func (s *scenario) nodeProofMsg(t testing.TB, c *cmd, tr *pb.Tree, from string, node uint32, left, right []uint32, burn uint32, copyOf string, badVRF bool) *pb.SubmitNodeProof {
	alphaNode := node
	if badVRF {
		alphaNode++ // a proof over another node's input
	}
	vrfName := from
	if c.d.Cmd == "node-proof" {
		vrfName = c.opt("vrf-of", from) // a VRF proof lifted from another prover's submission
	}
	pi, err := vrf.Prove(vrfSecret(vrfName), wire.TreeVRFInput(tr.Seed, tr.Id, alphaNode, s.addr(t, vrfName)))
	if err != nil {
		t.Fatal(err)
	}
	who := s.addr(t, from)
	if copyOf != "" {
		who = s.addr(t, copyOf)
	}
	m := &pb.SubmitNodeProof{Tree: tr.Id, Node: node, Left: left, Right: right, VrfProof: pi, FeeBurnBp: burn}
	if node >= tr.N/2 && node < tr.N {
		in, err := protocol.GetTreeInputs(s.tree.Working(), tr.Id)
		if err != nil {
			t.Fatal(err)
		}
		i := 2 * (node - tr.N/2)
		m.Outputs = wire.TreeHashBaseOutputs(who, wire.TreeInputHash(in[i].Data, in[i].Sha256), wire.TreeInputHash(in[i+1].Data, in[i+1].Sha256))
		return m
	}
	outs := func(child uint32, seqs []uint32) [][]byte {
		var o [][]byte
		for _, sq := range seqs {
			found := []byte("no such proof")
			if child >= 1 && child <= uint32(len(tr.Nodes)) {
				for _, pf := range tr.Nodes[child-1].Proofs {
					if pf.Seq == sq {
						found = pf.Outputs
					}
				}
			}
			o = append(o, found)
		}
		return o
	}
	m.Outputs = wire.TreeHashMergeOutputs(who, outs(2*node, left), outs(2*node+1, right))
	return m
}

func (s *scenario) nodeProof(t testing.TB, c *cmd) string {
	from, name := c.str("from"), s.treeName(c, c.str("tree"))
	node := uint32(c.uint("node", "", 32))
	tr, err := protocol.GetTree(s.tree.Working(), s.trees[name])
	if err != nil {
		return "error: " + err.Error()
	}
	seqs := func(key string) []uint32 {
		if !c.has(key) {
			return nil
		}
		var out []uint32
		for _, v := range c.list(key) {
			n, err := strconv.ParseUint(v, 10, 32)
			if err != nil {
				c.fail("%s: %q is not a seq", key, v)
			}
			out = append(out, uint32(n))
		}
		return out
	}
	left, right := seqs("left"), seqs("right")
	burn := uint32(c.uint("burn", "0", 32))
	m := s.nodeProofMsg(t, c, tr, from, node, left, right, burn, c.opt("copy-of", ""), c.flag("bad-vrf"))
	if p := c.opt("proof", ""); p != "" {
		m.Proof = []byte(p)
	}
	return s.send(t, from, &pb.Msg{Kind: &pb.Msg_SubmitNodeProof{SubmitNodeProof: m}})
}

// proveNodes has each name prove each node of nodes=I..J (from J down),
// a merge naming every kept proof of its children; it prints one line
// per proof that was not kept.
func (s *scenario) proveNodes(t testing.TB, c *cmd) string {
	name := s.treeName(c, c.str("tree"))
	lo, hi, ok := strings.Cut(c.str("nodes"), "..")
	a, err1 := strconv.ParseUint(lo, 10, 32)
	b, err2 := strconv.ParseUint(hi, 10, 32)
	if !ok || err1 != nil || err2 != nil || a > b {
		c.fail("nodes=%q is not I..J", c.str("nodes"))
	}
	names, burn := c.list("names"), uint32(c.uint("burn", "0", 32))
	kept, rejected := 0, []string{}
	for node := uint32(b); node >= uint32(a); node-- {
		for _, from := range names {
			tr, err := protocol.GetTree(s.tree.Working(), s.trees[name])
			if err != nil {
				t.Fatal(err)
			}
			var left, right []uint32
			if node < tr.N/2 {
				for _, pf := range tr.Nodes[2*node-1].Proofs {
					left = append(left, pf.Seq)
				}
				for _, pf := range tr.Nodes[2*node].Proofs {
					right = append(right, pf.Seq)
				}
			}
			m := s.nodeProofMsg(t, c, tr, from, node, left, right, burn, "", false)
			res := s.send(t, from, &pb.Msg{Kind: &pb.Msg_SubmitNodeProof{SubmitNodeProof: m}})
			if strings.HasPrefix(res, "ok") {
				kept++
				continue
			}
			rejected = append(rejected, fmt.Sprintf("node %d %s: %s", node, from, res))
		}
	}
	return strings.Join(append([]string{fmt.Sprintf("submitted %d", kept)}, rejected...), "\n")
}

func (s *scenario) scores(t testing.TB, c *cmd) string {
	name := s.treeName(c, c.str("tree"))
	node, burn := uint32(c.uint("node", "", 32)), uint32(c.uint("burn", "0", 32))
	tr, err := protocol.GetTree(s.tree.Working(), s.trees[name])
	if err != nil {
		return "error: " + err.Error()
	}
	var out []string
	for _, from := range c.list("names") {
		pi, err := vrf.Prove(vrfSecret(from), wire.TreeVRFInput(tr.Seed, tr.Id, node, s.addr(t, from)))
		if err != nil {
			t.Fatal(err)
		}
		beta, err := vrf.ProofToHash(pi)
		if err != nil {
			t.Fatal(err)
		}
		v := wire.TreeVRFValue(beta)
		out = append(out, fmt.Sprintf("%s vrf=%d score=%d", from, v, wire.TreeScore(v, burn)))
	}
	return strings.Join(out, "\n")
}

func (s *scenario) showTree(t testing.TB, name string, summary bool) string {
	tr, err := protocol.GetTree(s.tree.Working(), s.trees[name])
	if err != nil {
		return "error: " + err.Error()
	}
	out := []string{fmt.Sprintf("%s state=%s n=%d reward=%d escrow=%d paid=%d burned=%d refunded=%d",
		name, protocol.TreeStateName(tr.State), tr.N, tr.Reward, tr.Escrow, tr.Paid, tr.Burned, tr.Refunded)}
	if tr.VoteEscrow > 0 {
		out[0] += fmt.Sprintf(" vote_escrow=%d", tr.VoteEscrow)
	}
	if summary {
		var kept, winning, paid int
		for _, nd := range tr.Nodes {
			for _, pf := range nd.Proofs {
				kept++
				if pf.InWinningTree {
					winning++
				}
				if pf.Paid > 0 {
					paid++
				}
			}
		}
		return out[0] + fmt.Sprintf("\nkept=%d winning=%d paid=%d", kept, winning, paid)
	}
	for _, nd := range tr.Nodes {
		line := fmt.Sprintf("node %d %s opened=%d until=%d", nd.Index, protocol.NodePhaseName(nd.Phase), nd.Opened, nd.PhaseEnd)
		if nd.Deciding {
			line += " deciding"
		}
		for _, pf := range nd.Proofs {
			line += fmt.Sprintf("\n  #%d %s burn=%d score=%d", pf.Seq, s.nameOrEmpty(pf.Prover), pf.FeeBurnBp, pf.Score)
			if len(pf.Left)+len(pf.Right) > 0 {
				line += fmt.Sprintf(" children=%v/%v", pf.Left, pf.Right)
			}
			for _, f := range []struct {
				on   bool
				text string
			}{{pf.StepIn, " step_in"}, {pf.Pinned, " pinned"}, {pf.InWinningTree, " winning"}, {pf.Paid > 0, fmt.Sprintf(" paid=%d", pf.Paid)}, {pf.Total > 0, fmt.Sprintf(" total=%d", pf.Total)}} {
				if f.on {
					line += f.text
				}
			}
		}
		for _, pf := range nd.Pending {
			line += fmt.Sprintf("\n  pending #%d %s score=%d ballot=%d round=%d vote_by=%d fee=%d committee=%s",
				pf.Seq, s.nameOrEmpty(pf.Prover), pf.Score, pf.Ballot, pf.Round, pf.VoteBy, pf.VoteFee, s.committeeNames(tr.Id, pf))
		}
		out = append(out, line)
	}
	return strings.Join(out, "\n")
}

// committeeNames names a pending proof's committee (from TreeView, as a
// query shows it).
func (s *scenario) committeeNames(id []byte, pf *pb.TreeProof) string {
	tv, err := protocol.TreeView(s.tree.Working(), id)
	if err != nil {
		return "error: " + err.Error()
	}
	var names []string
	for _, nd := range tv.Nodes {
		for _, p := range nd.Pending {
			if p.Seq != pf.Seq || p.Ballot != pf.Ballot {
				continue
			}
			for _, m := range p.Committee {
				names = append(names, s.nameOrEmpty(m))
			}
		}
	}
	return strings.Join(names, ",")
}

// roots builds a tree from its input lines, each "node=I NAME:SCORE" or,
// for a merge, "NAME:SCORE:L1+L2/R1+R2" naming child proofs by name, and
// prints each root's total and the winner (protocol.RootTotals, the
// function the chain uses).
func (s *scenario) roots(c *cmd) string {
	n := uint32(c.uint("n", "", 16))
	tr := &pb.Tree{N: n, ProofsPerNode: 3}
	for i := uint32(1); i < n; i++ {
		tr.Nodes = append(tr.Nodes, &pb.TreeNode{Index: i})
	}
	seqOf, nameOf := map[string]uint32{}, map[[2]uint32]string{}
	for _, line := range strings.Split(strings.TrimSpace(c.d.Input), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 || !strings.HasPrefix(f[0], "node=") {
			c.fail("roots: %q is not node=I NAME:SCORE...", line)
		}
		node, err := strconv.ParseUint(strings.TrimPrefix(f[0], "node="), 10, 32)
		if err != nil || node < 1 || uint32(node) >= n {
			c.fail("roots: bad node in %q", line)
		}
		nd := tr.Nodes[node-1]
		for _, spec := range f[1:] {
			parts := strings.Split(spec, ":")
			if len(parts) < 2 {
				c.fail("roots: %q is not NAME:SCORE", spec)
			}
			score, err := strconv.ParseUint(parts[1], 10, 64)
			if err != nil {
				c.fail("roots: %q is not NAME:SCORE", spec)
			}
			pf := &pb.TreeProof{Seq: nd.NextSeq, Score: score}
			if len(parts) == 3 {
				l, r, _ := strings.Cut(parts[2], "/")
				for _, x := range strings.Split(l, "+") {
					pf.Left = append(pf.Left, seqOf[x])
				}
				for _, x := range strings.Split(r, "+") {
					pf.Right = append(pf.Right, seqOf[x])
				}
			}
			seqOf[parts[0]], nameOf[[2]uint32{uint32(node), pf.Seq}] = pf.Seq, parts[0]
			nd.Proofs, nd.NextSeq = append(nd.Proofs, pf), nd.NextSeq+1
		}
	}
	c.d.Input = ""
	totals, win := protocol.RootTotals(tr)
	var out []string
	for _, rt := range totals {
		out = append(out, fmt.Sprintf("%s total=%d", nameOf[[2]uint32{1, rt.Seq}], rt.Total))
	}
	if win >= 0 {
		margin := totals[win].Total
		for i, rt := range totals {
			if i != win {
				margin = min(margin, totals[win].Total-rt.Total)
			}
		}
		out = append(out, fmt.Sprintf("winner %s by %d", nameOf[[2]uint32{1, totals[win].Seq}], margin))
	}
	return strings.Join(out, "\n")
}

// due prints each height's due work from the state now, with how much
// of it is tree timers, for heights that have some.
func (s *scenario) due(t testing.TB, c *cmd) string {
	var out []string
	for h := c.int("from", ""); h <= c.int("to", ""); h++ {
		w, err := protocol.DueWeight(s.tree.Working(), s.env.Params, h)
		if err != nil {
			t.Fatal(err)
		}
		if w > 0 {
			out = append(out, fmt.Sprintf("height %d due=%d trees=%d", h, w, w/wire.WeightTreeTimer))
		}
	}
	return strings.Join(out, "\n")
}
