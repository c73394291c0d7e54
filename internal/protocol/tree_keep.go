package protocol

import "github.com/provernet/provernet/wire/pb"

// Keeping (docs/TREES.md, "Keeping"). A node keeps at most
// proofs_per_node proofs, ranked by score (higher first) and, at equal
// score, by seq (earlier first). A new proof is kept while there is room;
// when the node is full it replaces the lowest-ranked kept proof that no
// proof of the parent names (is pinned), and only if it ranks above it
// (a new proof's seq is the largest, so its score must be strictly
// higher). A pinned proof is never evicted: a merge proof built on it,
// and every proof above that, would be orphaned.

// keepSlot returns where a new proof of score goes: -1 to append, else
// the index in nd.Proofs it replaces; ok is false when it is not kept.
func keepSlot(nd *pb.TreeNode, perNode uint32, score uint64) (replace int, ok bool) {
	if uint32(len(nd.Proofs)) < perNode {
		return -1, true
	}
	low := -1
	for i, pf := range nd.Proofs {
		if pf.Pinned {
			continue
		}
		if low < 0 || ranksBelow(pf, nd.Proofs[low]) {
			low = i
		}
	}
	if low < 0 || score <= nd.Proofs[low].Score {
		return 0, false
	}
	return low, true
}

// decidedSlot is keepSlot for pf, a proof its committee found valid:
// it may be older (a smaller seq) than proofs kept while it waited, so at
// equal score it ranks above a later one and replaces it, as the rule
// says (a new proof's seq being the largest is what makes keepSlot's
// strict score enough).
func decidedSlot(nd *pb.TreeNode, perNode uint32, pf *pb.TreeProof) (replace int, ok bool) {
	if replace, ok = keepSlot(nd, perNode, pf.Score); ok || uint32(len(nd.Proofs)) < perNode {
		return replace, ok
	}
	low := -1
	for i, k := range nd.Proofs {
		if !k.Pinned && (low < 0 || ranksBelow(k, nd.Proofs[low])) {
			low = i
		}
	}
	if low < 0 || !ranksBelow(nd.Proofs[low], pf) {
		return 0, false
	}
	return low, true
}

// ranksBelow reports whether a ranks below b.
func ranksBelow(a, b *pb.TreeProof) bool {
	if a.Score != b.Score {
		return a.Score < b.Score
	}
	return a.Seq > b.Seq
}

// keptProof returns nd's kept proof with seq, or nil.
func keptProof(nd *pb.TreeNode, seq uint32) *pb.TreeProof {
	for _, pf := range nd.Proofs {
		if pf.Seq == seq {
			return pf
		}
	}
	return nil
}
