package protocol

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"testing"

	"github.com/provernet/provernet/wire/pb"

	"github.com/provernet/provernet/internal/store"
)

// BenchmarkTreeTimerFromFull measures treeTimerFrom when the 64 heights
// it looks at are full (maxTreesDue slots each, none the tree's): what
// every committee-path timer of a tree off its reserved heights costs
// then (a draw, a ballot's end, a deciding node's close).
func BenchmarkTreeTimerFromFull(b *testing.B) {
	tree, env, _ := beginBlockWorld(b, 100, 0)
	kv := tree.Working()
	const from = 1000
	for h := int64(from); h < from+maxTimerSearch; h++ {
		for i := range maxTreesDue(env.Params) {
			id := sha256.Sum256(fmt.Appendf(nil, "filler %d %d", h, i))
			if err := reserveTreeSlots(kv, []int64{h}, id[:]); err != nil {
				b.Fatal(err)
			}
		}
	}
	if _, _, err := tree.Commit(); err != nil {
		b.Fatal(err)
	}
	id := bytes.Repeat([]byte{9}, 32)
	for b.Loop() {
		c := store.NewCache(tree.Working())
		h, err := treeTimerFrom(c, env.Params, from, id)
		if err != nil || h != from+maxTimerSearch-1 {
			b.Fatal(h, err)
		}
	}
}

// BenchmarkTreeDrawsFullSlots measures one tree timer that draws the
// committees of 288 pending proofs (a block of SubmitNodeProofs) while
// the 64 heights from their ballots' end on have no slot for the
// committee path: each ballot's end is a treeTimerFrom.
func BenchmarkTreeDrawsFullSlots(b *testing.B) {
	tree, env, _ := beginBlockWorld(b, 1000, 0)
	kv := tree.Working()
	active, err := activeAddresses(kv)
	if err != nil {
		b.Fatal(err)
	}
	const h = 50
	from := h + env.Params.VoteWindow + 1
	for x := from; x < from+maxTimerSearch; x++ {
		for i := range maxTreesDue(env.Params) {
			id := sha256.Sum256(fmt.Appendf(nil, "filler %d %d", x, i))
			if err := reserveTreeSlots(kv, []int64{x}, id[:]); err != nil {
				b.Fatal(err)
			}
		}
	}
	id := bytes.Repeat([]byte{7}, 32)
	t := &pb.Tree{Id: id, N: 64, ProofsPerNode: 3, State: pb.TreeState_TREE_STATE_PROVING, NodeDeadline: 1000,
		BaseProgram: bytes.Repeat([]byte{1}, 32), MergeProgram: bytes.Repeat([]byte{2}, 32), Reward: 1000, Escrow: 1000}
	for i := uint32(1); i <= 63; i++ {
		nd := &pb.TreeNode{Index: i, Phase: pb.NodePhase_NODE_PHASE_WAITING, NextSeq: 1}
		if i >= 32 {
			nd.Phase, nd.Opened, nd.PhaseEnd = pb.NodePhase_NODE_PHASE_OPEN, 2, 1002
			for j := range 9 {
				nd.Pending = append(nd.Pending, &pb.TreeProof{Seq: nd.NextSeq, Prover: active[(int(i)*13+j)%len(active)][:], Score: 1})
				nd.NextSeq++
			}
		}
		t.Nodes = append(t.Nodes, nd)
	}
	if err := setTree(kv, t); err != nil {
		b.Fatal(err)
	}
	if err := setTreeTimer(kv, h, id); err != nil {
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
			b.Fatalf("%d events; want 288 draws", len(evs))
		}
	}
}
