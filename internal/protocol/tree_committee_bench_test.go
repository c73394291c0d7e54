package protocol

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"slices"
	"testing"

	"github.com/provernet/provernet/internal/store"
	"github.com/provernet/provernet/internal/store/iavltree"
	"github.com/provernet/provernet/wire/pb"
)

// BenchmarkTreeCommitteeExpiry measures one tree timer at which pending
// node proofs' silent committees expire and are redrawn: a 64-input tree
// of deployed programs with 9 pending proofs on each of its 32 base nodes
// (288, what one block of SubmitNodeProofs carries: 180,000 / 622), 16
// members each, 10,000 active provers. DueWeight counts the tree once,
// WeightTreeTimer (1,700, about 1.7 ms): 2.1 s when each redraw read
// the active provers, 53 ms with one read per BeginBlock. Run: go test
// ./internal/protocol -run '^$' -bench TreeCommitteeExpiry -benchtime 5x.
func BenchmarkTreeCommitteeExpiry(b *testing.B) {
	tree, env, _ := beginBlockWorld(b, 10_000, 0)
	kv := tree.Working()
	active, err := activeAddresses(kv)
	if err != nil {
		b.Fatal(err)
	}
	const h = 50
	var number uint64 = 1
	t := benchPendingTree(active, func(i uint32, pf *pb.TreeProof) {
		members := make([]byte, 0, 16*20)
		for m := range 16 {
			a := active[(int(i)*97+int(pf.Seq)*31+m*601)%len(active)]
			members = append(members, a[:]...)
		}
		sortMembers(members)
		pf.Ballot, pf.VoteBy = number, h-1
		bl := &pb.Ballot{Members: members, Votes: make([]byte, 16), VoteBy: h - 1, Tree: benchTreeID, Node: i, Seq: pf.Seq}
		if err := setProto(kv, ballotKey(number), bl); err != nil {
			b.Fatal(err)
		}
		number++
	})
	if err := kv.Set(keyBallotSeq, binary.BigEndian.AppendUint64(nil, number)); err != nil {
		b.Fatal(err)
	}
	benchTreeTimer(b, tree, env, t, h, "redraws")
}

// benchTreeID is the benchmarks' tree.
var benchTreeID = bytes.Repeat([]byte{7}, 32)

// benchPendingTree is a 64-input tree of deployed programs with 9 pending
// proofs on each of its 32 base nodes (288, a block of SubmitNodeProofs),
// their provers taken from active; each is passed to with (node, proof)
// once made.
func benchPendingTree(active [][20]byte, with func(uint32, *pb.TreeProof)) *pb.Tree {
	t := &pb.Tree{Id: benchTreeID, N: 64, ProofsPerNode: 3, State: pb.TreeState_TREE_STATE_PROVING, NodeDeadline: 1000,
		BaseProgram: bytes.Repeat([]byte{1}, 32), MergeProgram: bytes.Repeat([]byte{2}, 32), Reward: 1000, Escrow: 1000}
	for i := uint32(1); i <= 63; i++ {
		nd := &pb.TreeNode{Index: i, Phase: pb.NodePhase_NODE_PHASE_WAITING, NextSeq: 1}
		if i >= 32 {
			nd.Phase, nd.Opened, nd.PhaseEnd = pb.NodePhase_NODE_PHASE_OPEN, 2, 1002
			for j := range 9 {
				pf := &pb.TreeProof{Seq: nd.NextSeq, Prover: active[(int(i)*13+j)%len(active)][:], Score: 1}
				nd.NextSeq++
				with(i, pf)
				nd.Pending = append(nd.Pending, pf)
			}
		}
		t.Nodes = append(t.Nodes, nd)
	}
	return t
}

// benchTreeTimer stores t with a timer at h and a seed, commits, and
// times the tree timers of height h, which must emit 288 events (what).
func benchTreeTimer(b *testing.B, tree *iavltree.Tree, env Env, t *pb.Tree, h int64, what string) {
	b.Helper()
	kv := tree.Working()
	if err := setTree(kv, t); err != nil {
		b.Fatal(err)
	}
	if err := setTreeTimer(kv, h, t.Id); err != nil {
		b.Fatal(err)
	}
	seed := sha256.Sum256([]byte("seed"))
	if err := kv.Set(keySeed, seed[:]); err != nil {
		b.Fatal(err)
	}
	if _, _, err := tree.Commit(); err != nil {
		b.Fatal(err)
	}
	env.Height = h
	for b.Loop() {
		c := store.NewCache(tree.Working())
		evs, err := treeTimers(c, env)
		if err != nil {
			b.Fatal(err)
		}
		if len(evs) != 288 {
			b.Fatalf("%d events; want 288 %s", len(evs), what)
		}
	}
}

func sortMembers(m []byte) {
	var as [][20]byte
	for i := 0; i+20 <= len(m); i += 20 {
		as = append(as, [20]byte(m[i:i+20]))
	}
	slices.SortFunc(as, func(a, b [20]byte) int { return bytes.Compare(a[:], b[:]) })
	as = slices.CompactFunc(as, func(a, b [20]byte) bool { return a == b })
	if len(as) != len(m)/20 {
		panic(fmt.Sprintf("duplicate members: %d of %d", len(as), len(m)/20))
	}
	for i, a := range as {
		copy(m[i*20:], a[:])
	}
}
