package protocol_test

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"math/big"
	"strings"
	"sync"
	"testing"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark/backend/groth16"
	"github.com/consensys/gnark/constraint"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"
	"github.com/consensys/gnark/std/hash/mimc"
	stdgroth16 "github.com/consensys/gnark/std/recursion/groth16"

	"github.com/provernet/provernet/internal/protocol"
	"github.com/provernet/provernet/internal/treepair"
	"github.com/provernet/provernet/internal/treezk"
	"github.com/provernet/provernet/internal/vrf"
	"github.com/provernet/provernet/wire"
	"github.com/provernet/provernet/wire/pb"
)

// The chain's native verifier of the gnark pair (tree_gnark.go), with
// real Groth16 proofs: the base level is the real base circuit
// (internal/treezk); merge level 1 is a STAND-IN with the merge node's
// statement and a commitment (the shape of a real merge proof), but no
// recursion inside, so that its setup takes a second rather than many
// minutes. The chain cannot tell the difference: it knows a level by its
// verifying key and checks the statement it computes itself. The
// recursion is tested in internal/treezk (TestMergeCircuit) and end to
// end in internal/node (TestE2EGnarkTree, make test-long).

// standInMerge: Out = MiMC(TagMerge, Prover, TreeHi, TreeLo, Node, LP,
// LO, RP, RO), the children's provers and Outs private, and a BSB22
// commitment as the real merge circuit's range checks make one.
type standInMerge struct {
	Prover, TreeHi, TreeLo, Node, Out frontend.Variable `gnark:",public"`
	LP, LO, RP, RO                    frontend.Variable
}

func (c *standInMerge) Define(api frontend.API) error {
	h, err := mimc.NewMiMC(api)
	if err != nil {
		return err
	}
	h.Write(treepair.TagMerge, c.Prover, c.TreeHi, c.TreeLo, c.Node, c.LP, c.LO, c.RP, c.RO)
	api.AssertIsEqual(h.Sum(), c.Out)
	v, err := api.(frontend.Committer).Commit(c.LP, c.Node)
	if err != nil {
		return err
	}
	api.AssertIsDifferent(v, 0)
	return nil
}

type gnarkKeys struct {
	base       *treezk.Level
	mergeCS    constraint.ConstraintSystem
	mergePK    groth16.ProvingKey
	mergeVKRaw []byte
}

// gnarkTestKeys: the real base level's keys and the stand-in merge
// level's, made once per test binary (a few seconds).
var gnarkTestKeys = sync.OnceValues(func() (*gnarkKeys, error) {
	cs, err := treezk.Compile(0, nil)
	if err != nil {
		return nil, err
	}
	pk, vk, err := groth16.Setup(cs)
	if err != nil {
		return nil, err
	}
	var raw bytes.Buffer
	_, _ = vk.WriteTo(&raw)
	k := &gnarkKeys{base: &treezk.Level{CS: cs, PK: pk, VK: vk, VKRaw: raw.Bytes()}}
	if k.mergeCS, err = frontend.Compile(ecc.BN254.ScalarField(), r1cs.NewBuilder, &standInMerge{}); err != nil {
		return nil, err
	}
	mpk, mvk, err := groth16.Setup(k.mergeCS)
	if err != nil {
		return nil, err
	}
	var mraw bytes.Buffer
	_, _ = mvk.WriteTo(&mraw)
	k.mergePK, k.mergeVKRaw = mpk, mraw.Bytes()
	return k, nil
})

// standInMergeProof proves the stand-in merge of node for prover over its
// children's outputs.
func standInMergeProof(t *testing.T, k *gnarkKeys, prover [20]byte, tree []byte, node uint32, left, right []byte) (proof, outputs []byte) {
	t.Helper()
	out, err := treepair.MergeOut(prover, tree, node, left, right)
	if err != nil {
		t.Fatal(err)
	}
	pub, _ := treepair.Public(prover, tree, node, out)
	lp, lo, _ := treepair.ParseOutputs(left)
	rp, ro, _ := treepair.ParseOutputs(right)
	b := func(e treepair.Element) *big.Int { return e.BigInt(new(big.Int)) }
	a := &standInMerge{Prover: b(pub[0]), TreeHi: b(pub[1]), TreeLo: b(pub[2]), Node: b(pub[3]), Out: b(pub[4]),
		LP: b(treepair.FromAddress(lp)), LO: b(lo), RP: b(treepair.FromAddress(rp)), RO: b(ro)}
	field := ecc.BN254.ScalarField()
	w, err := frontend.NewWitness(a, field)
	if err != nil {
		t.Fatal(err)
	}
	p, err := groth16.Prove(k.mergeCS, k.mergePK, w, stdgroth16.GetNativeProverOptions(field, field))
	if err != nil {
		t.Fatal(err)
	}
	var raw bytes.Buffer
	_, _ = p.WriteTo(&raw)
	return raw.Bytes(), treepair.Outputs(prover, out)
}

// gnarkTree is a chain with the gnark pair's keys in its params, two
// provers with VRF keys, and a tree of n = 4 inputs of the pair open at
// height 2.
type gnarkTree struct {
	f      *fixture
	k      *gnarkKeys
	id     []byte
	secret [3][]byte
	inputs []*pb.Input
	nonce  map[int]uint64
}

func newGnarkTree(t *testing.T) *gnarkTree {
	t.Helper()
	k, err := gnarkTestKeys()
	if err != nil {
		t.Fatal(err)
	}
	p := protocol.DefaultParams()
	p.FeePerByte, p.FeePerMsg, p.FeePerWeight, p.RegistrationFee, p.MinProverStake = 0, 0, 0, 0, 1
	p.TreeGnarkBaseVK, p.TreeGnarkMergeVKs = k.base.VKRaw, [][]byte{k.mergeVKRaw}
	if err := p.Validate(); err != nil {
		t.Fatalf("params with the gnark pair's keys: %v", err)
	}
	g := &gnarkTree{f: newFixture(t, p, 1<<40, 10, 10), k: k, nonce: map[int]uint64{}}
	for i := 1; i <= 2; i++ {
		sk := sha256.Sum256([]byte{byte(i)})
		g.secret[i] = sk[:]
		pk, err := vrf.PublicKey(sk[:])
		if err != nil {
			t.Fatal(err)
		}
		g.mustApply(t, i, &pb.Msg{Kind: &pb.Msg_RegisterProver{RegisterProver: &pb.RegisterProver{VrfPublicKey: pk,
			Hardware: &pb.Hardware{CpuCores: 8, MemoryMb: 16384}, MaxConcurrent: 2}}})
		g.mustApply(t, i, &pb.Msg{Kind: &pb.Msg_Stake{Stake: &pb.Stake{Amount: 1}}})
	}
	base, merge := wire.TreeGnarkPrograms(p.TreeGnarkBaseVK, p.TreeGnarkMergeVKs)
	m := &pb.ProveTree{BaseProgram: base, MergeProgram: merge, Reward: 1 << 20, NodeDeadline: 5}
	for i := range 4 {
		g.inputs = append(g.inputs, &pb.Input{Name: fmt.Sprintf("tx%d", i), Data: fmt.Appendf(nil, "rollup transaction %d", i)})
	}
	m.Inputs = g.inputs
	g.id = wire.TreeID(g.f.addrs[0], g.nonce[0], 0)
	g.mustApply(t, 0, &pb.Msg{Kind: &pb.Msg_ProveTree{ProveTree: m}})
	g.begin(t, 2)
	return g
}

func (g *gnarkTree) apply(t *testing.T, who int, m *pb.Msg) protocol.Result {
	t.Helper()
	res, err := protocol.Apply(g.f.kv, g.f.env, g.f.addrs[who], g.nonce[who], m)
	if err != nil {
		t.Fatal(err)
	}
	if res.OK() {
		g.nonce[who]++
	}
	return res
}

func (g *gnarkTree) mustApply(t *testing.T, who int, m *pb.Msg) {
	t.Helper()
	if res := g.apply(t, who, m); !res.OK() {
		t.Fatalf("%s: %s", res.Code, res.Log)
	}
}

func (g *gnarkTree) begin(t *testing.T, h int64) {
	t.Helper()
	g.f.env.Height = h
	if _, _, err := protocol.BeginBlock(g.f.kv, g.f.env); err != nil {
		t.Fatal(err)
	}
}

func (g *gnarkTree) tree(t *testing.T) *pb.Tree {
	t.Helper()
	tr, err := protocol.GetTree(g.f.kv, g.id)
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

// msg is who's SubmitNodeProof of node with proof and outputs.
func (g *gnarkTree) msg(t *testing.T, who int, node uint32, left, right []uint32, proof, outputs []byte) *pb.Msg {
	t.Helper()
	tr := g.tree(t)
	pi, err := vrf.Prove(g.secret[who], wire.TreeVRFInput(tr.Seed, tr.Id, node, g.f.addrs[who]))
	if err != nil {
		t.Fatal(err)
	}
	return &pb.Msg{Kind: &pb.Msg_SubmitNodeProof{SubmitNodeProof: &pb.SubmitNodeProof{Tree: g.id, Node: node, Left: left, Right: right,
		VrfProof: pi, Proof: proof, Outputs: outputs}}}
}

// baseProof is who's real proof of base node node.
func (g *gnarkTree) baseProof(t *testing.T, who int, node uint32) (proof, outputs []byte) {
	t.Helper()
	i := 2 * (node - 2)
	proof, outputs, err := treezk.ProveBase(g.k.base, g.f.addrs[who], g.id, node, sha(g.inputs[i].Data), sha(g.inputs[i+1].Data))
	if err != nil {
		t.Fatal(err)
	}
	return proof, outputs
}

func wantRejected(t *testing.T, name string, res protocol.Result, code wire.Code, log string) {
	t.Helper()
	if res.Code != code || !strings.Contains(res.Log, log) {
		t.Errorf("%s: %s %q; want %s with %q", name, res.Code, res.Log, code, log)
	}
}

// TestGnarkPairNative: the chain verifies real node proofs of the gnark
// pair natively against the public inputs it computes, keeps the honest
// ones, and refuses a proof under another prover's address, of another
// node, with tampered outputs or bytes, or a merge of the wrong shape;
// the tree then becomes final.
func TestGnarkPairNative(t *testing.T) {
	g := newGnarkTree(t)
	p1, o1 := g.baseProof(t, 1, 2)
	p2, o2 := g.baseProof(t, 2, 2)
	p3, o3 := g.baseProof(t, 2, 3)
	bob := g.f.addrs[2]
	_, out1, _ := treepair.ParseOutputs(o1)
	relabelled := treepair.Outputs(bob, out1) // prover 1's Out claimed by prover 2
	bobOwn, _ := treepair.BaseOut(bob, g.id, 2, sha(g.inputs[0].Data), sha(g.inputs[1].Data))
	flipped := append([]byte{}, p1...)
	flipped[len(flipped)-1] ^= 1
	for _, c := range []struct {
		name           string
		who            int
		node           uint32
		proof, outputs []byte
		log            string
	}{
		{"prover 1's proof and outputs sent by prover 2", 2, 2, p1, o1, "do not begin with the sender's address"},
		{"prover 1's proof, its Out under prover 2's address", 2, 2, p1, relabelled, "are not the node's commitment"},
		{"prover 1's proof with prover 2's own commitment", 2, 2, p1, treepair.Outputs(bob, bobOwn), "does not verify"},
		{"prover 2's proof of node 2 sent for node 3", 2, 3, p2, o2, "are not the node's commitment"},
		{"a tampered proof", 1, 2, flipped, o1, "proof"},
		{"no proof (the hash pair's)", 1, 2, nil, o1, "proof"},
	} {
		res := g.apply(t, c.who, g.msg(t, c.who, c.node, nil, nil, c.proof, c.outputs))
		wantRejected(t, c.name, res, wire.CodeProofRejected, c.log)
	}
	g.mustApply(t, 1, g.msg(t, 1, 2, nil, nil, p1, o1))
	g.mustApply(t, 2, g.msg(t, 2, 2, nil, nil, p2, o2))
	g.mustApply(t, 2, g.msg(t, 2, 3, nil, nil, p3, o3))
	tr := g.tree(t)
	g.begin(t, tr.Nodes[1].PhaseEnd) // the base nodes close, the root opens
	if tr = g.tree(t); tr.Nodes[0].Phase != pb.NodePhase_NODE_PHASE_OPEN {
		t.Fatalf("the root is %s", protocol.NodePhaseName(tr.Nodes[0].Phase))
	}
	left, right := tr.Nodes[1].Proofs, tr.Nodes[2].Proofs
	mp, mo := standInMergeProof(t, g.k, g.f.addrs[1], g.id, 1, left[0].Outputs, right[0].Outputs)
	res := g.apply(t, 1, g.msg(t, 1, 1, []uint32{left[0].Seq, left[1].Seq}, []uint32{right[0].Seq}, mp, mo))
	wantRejected(t, "a merge naming two proofs of a child", res, wire.CodeProofRejected, "one proof of each child")
	res = g.apply(t, 1, g.msg(t, 1, 1, []uint32{left[1].Seq}, []uint32{right[0].Seq}, mp, mo))
	wantRejected(t, "a merge naming another left child than it proves", res, wire.CodeProofRejected, "are not the node's commitment")
	g.mustApply(t, 1, g.msg(t, 1, 1, []uint32{left[0].Seq}, []uint32{right[0].Seq}, mp, mo))
	g.begin(t, g.tree(t).Nodes[0].PhaseEnd)
	if tr = g.tree(t); tr.State != pb.TreeState_TREE_STATE_FINAL || tr.Paid == 0 {
		t.Fatalf("the tree is %s, paid %d", protocol.TreeStateName(tr.State), tr.Paid)
	}
}

// TestGnarkPairTreeSize: keys of one merge level prove trees of at most
// four inputs; a larger tree, or a pair of other keys, is refused when
// asked for; a node proof with proof bytes weighs its verification.
func TestGnarkPairTreeSize(t *testing.T) {
	g := newGnarkTree(t)
	tp, _ := g.f.env.Params.Trees()
	base, merge := wire.TreeGnarkPrograms(tp.TreeGnarkBaseVK, tp.TreeGnarkMergeVKs)
	m := &pb.ProveTree{BaseProgram: base, MergeProgram: merge, Reward: 1 << 20, NodeDeadline: 5}
	for i := range 8 {
		m.Inputs = append(m.Inputs, &pb.Input{Name: fmt.Sprintf("tx%d", i), Data: []byte{byte(i)}})
	}
	res := g.apply(t, 0, &pb.Msg{Kind: &pb.Msg_ProveTree{ProveTree: m}})
	wantRejected(t, "a tree of 8 inputs", res, wire.CodeInvalidMessage, "trees of at most 4 inputs")
	other, _ := wire.TreeGnarkPrograms(tp.TreeGnarkMergeVKs[0], tp.TreeGnarkMergeVKs)
	m.BaseProgram, m.Inputs = other, m.Inputs[:4]
	res = g.apply(t, 0, &pb.Msg{Kind: &pb.Msg_ProveTree{ProveTree: m}})
	wantRejected(t, "a pair of other keys", res, wire.CodeNotFound, "neither deployed nor one of the chain's built-in pairs")
	w := wire.MsgWeight(g.msg(t, 1, 2, nil, nil, []byte{1}, nil), 0)
	if w != wire.WeightSubmitNodeProof+wire.WeightGnarkNodeProof {
		t.Errorf("a node proof with proof bytes weighs %d; want its verification counted", w)
	}
}

func sha(b []byte) []byte { s := sha256.Sum256(b); return s[:] }
