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
	benchTreeTimer(b, tree, env, benchPendingTree(active, func(uint32, *pb.TreeProof) {}), h, "draws")
}
