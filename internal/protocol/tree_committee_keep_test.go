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

// TestTreeBallotCopiedIsInvalid: on a tree ballot a copied vote counts
// as invalid (the chain checked that the outputs name the prover), so
// two copied votes and an invalid one decide invalid together, and the
// invalid voter is not slashed as against a copied decision; a Run's
// ballot keeps copied apart.
func TestTreeBallotCopiedIsInvalid(t *testing.T) {
	m1, m2, m3 := bytes.Repeat([]byte{1}, 20), bytes.Repeat([]byte{2}, 20), bytes.Repeat([]byte{3}, 20)
	members := append(append(append([]byte{}, m1...), m2...), m3...)
	for _, tc := range []struct {
		tree bool
		want byte
	}{{true, voteInvalid}, {false, voteNone}} {
		b := &pb.Ballot{Members: members, Votes: make([]byte, 3), VoteBy: 10}
		if tc.tree {
			b.Tree = bytes.Repeat([]byte{9}, 32)
		}
		tl, votes := &ballotTally{number: 1, b: b}, &tallies{}
		tl.cast(votes, 5, [20]byte(m1), voteCopied)
		tl.cast(votes, 5, [20]byte(m2), voteInvalid)
		if tl.reached != tc.want {
			t.Errorf("tree ballot %t: a copied and an invalid vote of 3 reached %d; want %d", tc.tree, tl.reached, tc.want)
		}
		if tc.tree && (b.Votes[0] != voteInvalid || b.Copied != 0 || b.Invalid != 2) {
			t.Errorf("tree ballot: votes %v, copied %d, invalid %d; want the copied vote recorded as invalid", b.Votes, b.Copied, b.Invalid)
		}
	}
}
