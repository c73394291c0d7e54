package protocol

import (
	"bytes"
	"testing"

	"github.com/provernet/provernet/wire/pb"
)

// TestDecidedProofRanksBySeq: a proof decided valid by its committee may
// be older than one kept while it waited. Keeping ranks by score, then by
// seq, earlier first (tree_keep.go), so at equal score the older proof
// ranks above the later kept one and replaces it; it used to be dropped,
// as if it had come last (keepSlot's strict score is right only for a
// proof whose seq is the largest).
func TestDecidedProofRanksBySeq(t *testing.T) {
	a, b := bytes.Repeat([]byte{1}, 20), bytes.Repeat([]byte{2}, 20)
	kept := &pb.TreeProof{Seq: 2, Prover: b, Score: 500}
	pf := &pb.TreeProof{Seq: 1, Prover: a, Score: 500}
	nd := &pb.TreeNode{Index: 1, Phase: pb.NodePhase_NODE_PHASE_OPEN, NextSeq: 3, Proofs: []*pb.TreeProof{kept}}
	if replace, ok := decidedSlot(nd, 1, pf); !ok || replace != 0 {
		t.Fatalf("decidedSlot(#1 at 500 against kept #2 at 500) = %d, %v; want it to replace #2, which it ranks above", replace, ok)
	}
	// a later proof at equal score still ranks below
	nd.Proofs = []*pb.TreeProof{pf}
	later := &pb.TreeProof{Seq: 3, Prover: b, Score: 500}
	if replace, ok := decidedSlot(nd, 1, later); ok {
		t.Fatalf("decidedSlot(#3 at 500 against kept #1 at 500) replaces %d; want it refused: it ties and came later", replace)
	}
	// a pinned proof is never replaced, whatever the rank
	pf.Pinned = true
	if _, ok := decidedSlot(nd, 1, &pb.TreeProof{Seq: 0, Prover: b, Score: 900}); ok {
		t.Fatal("decidedSlot replaced a pinned proof")
	}
}
