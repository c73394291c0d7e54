package protocol_test

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"math/big"
	"math/rand/v2"
	"testing"

	"github.com/cockroachdb/datadriven"

	"github.com/provernet/provernet/internal/protocol"
	"github.com/provernet/provernet/internal/store"
	"github.com/provernet/provernet/internal/vrf"
	"github.com/provernet/provernet/wire"
	"github.com/provernet/provernet/wire/pb"
)

// TestTreeShareReference checks TreeShare's 128-bit arithmetic against
// math/big on random and extreme amounts.
func TestTreeShareReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(16, 3))
	cases := [][3]uint64{{800_000_000, 4000, 93}, {^uint64(0), 0, 1}, {^uint64(0), 10000, 3}, {1, 0, 1}, {0, 0, 5}}
	for range 2000 {
		cases = append(cases, [3]uint64{rng.Uint64() >> rng.UintN(64), rng.Uint64N(10001), 1 + rng.Uint64N(3*1023)})
	}
	for _, c := range cases {
		want := new(big.Int).Mul(new(big.Int).SetUint64(c[0]), big.NewInt(int64(10000-c[1])))
		want.Quo(want, new(big.Int).Mul(big.NewInt(10000), new(big.Int).SetUint64(c[2])))
		if got := protocol.TreeShare(c[0], uint32(c[1]), c[2]); got != want.Uint64() {
			t.Fatalf("TreeShare(%d, %d, %d) = %d, want %d", c[0], c[1], c[2], got, want)
		}
	}
}

// TestTreeRootTotalsReference checks RootTotals on random trees against
// a naive reference: enumerate every path of names from each root proof
// and sum the score of each distinct proof met.
func TestTreeRootTotalsReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(16, 4))
	for trial := range 300 {
		n := uint32(1) << (1 + rng.UintN(4)) // 2..16 inputs
		tr := &pb.Tree{N: n, ProofsPerNode: 3}
		for i := uint32(1); i < n; i++ {
			nd := &pb.TreeNode{Index: i}
			for s := range uint32(1 + rng.UintN(3)) {
				nd.Proofs = append(nd.Proofs, &pb.TreeProof{Seq: s * 2, Score: rng.Uint64N(1 << 40)}) // seqs with gaps, as after evictions
			}
			tr.Nodes = append(tr.Nodes, nd)
		}
		for i := uint32(1); i < n/2; i++ { // merges name random subsets of their children
			for _, pf := range tr.Nodes[i-1].Proofs {
				for _, c := range tr.Nodes[2*i-1].Proofs {
					if rng.IntN(2) == 0 || len(pf.Left) == 0 {
						pf.Left = append(pf.Left, c.Seq)
					}
				}
				for _, c := range tr.Nodes[2*i].Proofs {
					if rng.IntN(2) == 0 || len(pf.Right) == 0 {
						pf.Right = append(pf.Right, c.Seq)
					}
				}
			}
		}
		totals, win := protocol.RootTotals(tr)
		best := -1
		for i, root := range tr.Nodes[0].Proofs {
			seen := map[string]bool{}
			var sum uint64
			stack := []struct {
				node uint32
				pf   *pb.TreeProof
			}{{1, root}}
			for len(stack) > 0 {
				top := stack[len(stack)-1]
				stack = stack[:len(stack)-1]
				key := fmt.Sprint(top.node, "/", top.pf.Seq)
				if seen[key] {
					continue
				}
				seen[key], sum = true, sum+top.pf.Score
				for side, seqs := range [][]uint32{top.pf.Left, top.pf.Right} {
					for _, s := range seqs {
						for _, c := range tr.Nodes[2*top.node+uint32(side)-1].Proofs {
							if c.Seq == s {
								stack = append(stack, struct {
									node uint32
									pf   *pb.TreeProof
								}{2*top.node + uint32(side), c})
							}
						}
					}
				}
			}
			if totals[i].Total != sum || totals[i].Seq != root.Seq {
				t.Fatalf("trial %d: root %d total %d, reference %d", trial, root.Seq, totals[i].Total, sum)
			}
			if best < 0 || sum > totals[best].Total {
				best = i
			}
		}
		if win != best {
			t.Fatalf("trial %d: winner %d, reference %d", trial, win, best)
		}
	}
}

// treeBench is a 64-input tree with three provers' proofs on every node
// below the root, open at height 2.
type treeBench struct {
	f      *fixture
	id     []byte
	seed   []byte
	secret [3][]byte
}

func newTreeBench(b *testing.B) *treeBench {
	p := protocol.DefaultParams()
	p.FeePerByte, p.FeePerMsg, p.FeePerWeight, p.RegistrationFee, p.MinProverStake = 0, 0, 0, 0, 1
	f := newFixture(b, p, 1<<40, 10, 10, 10)
	tb := &treeBench{f: f}
	for i := 1; i <= 3; i++ {
		sk := sha256.Sum256([]byte{byte(i)})
		tb.secret[i-1] = sk[:]
		pk, err := vrf.PublicKey(sk[:])
		if err != nil {
			b.Fatal(err)
		}
		tb.apply(b, i, uint64(i*10), &pb.Msg{Kind: &pb.Msg_RegisterProver{RegisterProver: &pb.RegisterProver{VrfPublicKey: pk,
			Hardware: &pb.Hardware{CpuCores: 8, MemoryMb: 16384}, MaxConcurrent: 2}}})
		tb.apply(b, i, uint64(i*10+1), &pb.Msg{Kind: &pb.Msg_Stake{Stake: &pb.Stake{Amount: 1}}})
	}
	m := &pb.ProveTree{BaseProgram: wire.TreeHashBaseProgram, MergeProgram: wire.TreeHashMergeProgram, Reward: 1 << 30, NodeDeadline: 10}
	for i := range 64 {
		m.Inputs = append(m.Inputs, &pb.Input{Name: fmt.Sprintf("tx%d", i), Data: make([]byte, 512)})
	}
	tb.apply(b, 0, 0, &pb.Msg{Kind: &pb.Msg_ProveTree{ProveTree: m}})
	tb.id = wire.TreeID(f.addrs[0], 0, 0)
	f.env.Height = 2
	next := sha256.Sum256([]byte("seed 2"))
	if _, err := protocol.ApplyBeacon(f.kv, &pb.BeaconEntry{Height: 2, PrevSeed: f.seed, Seed: next[:]}); err != nil {
		b.Fatal(err)
	}
	tb.seed = next[:]
	if _, _, err := protocol.BeginBlock(f.kv, f.env); err != nil {
		b.Fatal(err)
	}
	// level by level: a parent opens when its children's windows close
	for lo := uint32(32); lo >= 2; lo /= 2 {
		for node := 2*lo - 1; node >= lo; node-- {
			for i := 1; i <= 3; i++ {
				tb.apply(b, i, 100+uint64(node), tb.proof(b, f.kv, node, i))
			}
		}
		tr, err := protocol.GetTree(f.kv, tb.id)
		if err != nil {
			b.Fatal(err)
		}
		f.env.Height = tr.Nodes[lo-1].PhaseEnd
		if _, _, err := protocol.BeginBlock(f.kv, f.env); err != nil {
			b.Fatal(err)
		}
	}
	return tb
}

func (tb *treeBench) apply(b *testing.B, who int, nonce uint64, m *pb.Msg) {
	res, err := protocol.Apply(tb.f.kv, tb.f.env, tb.f.addrs[who], nonce, m)
	if err != nil || !res.OK() {
		b.Fatalf("%v %s: %s", err, res.Code, res.Log)
	}
}

// proof is prover who's proof of node, naming every kept child proof.
func (tb *treeBench) proof(b *testing.B, r store.Reader, node uint32, who int) *pb.Msg {
	tr, err := protocol.GetTree(r, tb.id)
	if err != nil {
		b.Fatal(err)
	}
	pi, err := vrf.Prove(tb.secret[who-1], wire.TreeVRFInput(tr.Seed, tr.Id, node, tb.f.addrs[who]))
	if err != nil {
		b.Fatal(err)
	}
	a := tb.f.addrs[who]
	m := &pb.SubmitNodeProof{Tree: tb.id, Node: node, VrfProof: pi}
	if node >= 32 {
		in := sha256.Sum256(make([]byte, 512)) // every input is 512 zero bytes
		m.Outputs = wire.TreeHashBaseOutputs(a, in[:], in[:])
	} else {
		var l, r [][]byte
		for _, pf := range tr.Nodes[2*node-1].Proofs {
			m.Left, l = append(m.Left, pf.Seq), append(l, pf.Outputs)
		}
		for _, pf := range tr.Nodes[2*node].Proofs {
			m.Right, r = append(m.Right, pf.Seq), append(r, pf.Outputs)
		}
		m.Outputs = wire.TreeHashMergeOutputs(a, l, r)
	}
	return &pb.Msg{Kind: &pb.Msg_SubmitNodeProof{SubmitNodeProof: m}}
}

// BenchmarkTreeNodeProof is one merge proof naming 3 + 3 child proofs
// (the root of a 64-input tree): what WeightSubmitNodeProof counts.
func BenchmarkTreeNodeProof(b *testing.B) {
	tb := newTreeBench(b)
	m := tb.proof(b, tb.f.kv, 1, 1)
	for b.Loop() {
		res, err := protocol.Apply(store.NewCache(tb.f.kv), tb.f.env, tb.f.addrs[1], 0, m)
		if err != nil || !res.OK() {
			b.Fatalf("%v %s", err, res.Log)
		}
	}
}

// BenchmarkTreeFinalize is the root's close of a 64-input tree with 189
// kept proofs (3 roots): what WeightTreeTimer counts.
func BenchmarkTreeFinalize(b *testing.B) {
	tb := newTreeBench(b)
	for i := 1; i <= 3; i++ {
		tb.apply(b, i, 1000, tb.proof(b, tb.f.kv, 1, i))
	}
	tr, err := protocol.GetTree(tb.f.kv, tb.id)
	if err != nil {
		b.Fatal(err)
	}
	env := tb.f.env
	env.Height = tr.Nodes[0].PhaseEnd
	for b.Loop() {
		kv := store.NewCache(tb.f.kv)
		if _, _, err := protocol.BeginBlock(kv, env); err != nil {
			b.Fatal(err)
		}
		if t2, _ := protocol.GetTree(kv, tb.id); t2.State != pb.TreeState_TREE_STATE_FINAL {
			b.Fatalf("tree is %s", protocol.TreeStateName(t2.State))
		}
	}
}

// TestTreeReplaySameHash runs each tree scenario twice from its genesis
// and requires the same app hash after every command: tree execution is
// deterministic (no map order, no clock), as replay needs.
func TestTreeReplaySameHash(t *testing.T) {
	for _, file := range []string{"tree_worked_example.txt", "tree_roots.txt", "tree_step_in.txt", "tree_rejections.txt",
		"tree_attack_vrf_copy.txt", "tree_attack_late_key.txt", "tree_attack_stale_pin.txt", "tree_attack_first_block.txt"} {
		var runs [2][][]byte
		for i := range runs {
			s := &scenario{}
			datadriven.RunTest(t, "testdata/scenarios/"+file, func(t *testing.T, d *datadriven.TestData) string {
				out := s.handle(t, d)
				runs[i] = append(runs[i], s.tree.WorkingHash())
				return out
			})
		}
		if len(runs[0]) != len(runs[1]) || len(runs[0]) == 0 {
			t.Fatalf("%s: %d and %d commands", file, len(runs[0]), len(runs[1]))
		}
		for j := range runs[0] {
			if !bytes.Equal(runs[0][j], runs[1][j]) {
				t.Fatalf("%s: command %d: app hash %x, then %x", file, j, runs[0][j], runs[1][j])
			}
		}
	}
}
