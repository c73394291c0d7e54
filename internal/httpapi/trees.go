package httpapi

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"net/http"
	"strconv"

	"github.com/provernet/provernet/internal/chain"
	"github.com/provernet/provernet/internal/protocol"
	"github.com/provernet/provernet/wire"
	"github.com/provernet/provernet/wire/address"
	"github.com/provernet/provernet/wire/pb"
)

// Proof trees (issue 16, docs/TREES.md): GET /v1/trees/{id}, and GET
// /v1/trees/{id}/nodes/{node}/proofs/{seq}, a kept proof's bytes (the
// tree names them by SHA-256 only): what a merge prover aggregates and
// what `provernet tree root` writes.

func (s *server) tree(w http.ResponseWriter, r *http.Request) {
	id, err := hex.DecodeString(r.PathValue("id"))
	if err != nil || len(id) != 32 {
		fail(w, http.StatusBadRequest, fmt.Sprintf("%q is not a tree id", r.PathValue("id")), "a tree id is 64 hex digits, from the ProveTree's tree event")
		return
	}
	t, _, ok := queryAs[pb.Tree](s, w, r, chain.PathTree, id)
	if !ok {
		return
	}
	reply(w, TreeOf(t))
}

func (s *server) treeProof(w http.ResponseWriter, r *http.Request) {
	id, err := hex.DecodeString(r.PathValue("id"))
	if err != nil || len(id) != 32 {
		fail(w, http.StatusBadRequest, fmt.Sprintf("%q is not a tree id", r.PathValue("id")), "a tree id is 64 hex digits, from the ProveTree's tree event")
		return
	}
	node, err1 := strconv.ParseUint(r.PathValue("node"), 10, 32)
	seq, err2 := strconv.ParseUint(r.PathValue("seq"), 10, 32)
	if err1 != nil || err2 != nil {
		fail(w, http.StatusBadRequest, "node and seq must be numbers", "GET /v1/trees/{id} lists each node's kept proofs by seq")
		return
	}
	key := binary.BigEndian.AppendUint32(binary.BigEndian.AppendUint32(append([]byte{}, id...), uint32(node)), uint32(seq))
	resp, ok := s.query(w, r.Context(), chain.PathTreeProof, key)
	if !ok {
		return
	}
	sum := sha256.Sum256(resp.Value)
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Length", strconv.Itoa(len(resp.Value)))
	w.Header().Set("X-Proof-Sha256", hex.EncodeToString(sum[:]))
	_, _ = w.Write(resp.Value)
}

// TreeOf converts a tree record for the API.
func TreeOf(t *pb.Tree) wire.Tree {
	out := wire.Tree{
		ID: hex.EncodeToString(t.Id), Owner: bech32(t.Owner), BaseProgram: hex.EncodeToString(t.BaseProgram),
		MergeProgram: hex.EncodeToString(t.MergeProgram), N: t.N, NumNodes: uint32(len(t.Nodes)),
		ProofsPerNode: t.ProofsPerNode, RewardUprv: t.Reward, NodeDeadline: t.NodeDeadline, Height: t.Height,
		EndHeight: t.EndHeight, State: protocol.TreeStateName(t.State), Escrow: t.Escrow, Paid: t.Paid, Burned: t.Burned,
		Refunded: t.Refunded, VoteEscrow: t.VoteEscrow, Nodes: []wire.TreeNode{},
	}
	if t.State == pb.TreeState_TREE_STATE_FINAL {
		winner := t.Winner
		out.Winner = &winner
	}
	for _, nd := range t.Nodes {
		n := wire.TreeNode{Node: nd.Index, Phase: protocol.NodePhaseName(nd.Phase), Opened: nd.Opened, Until: nd.PhaseEnd,
			Proofs: []wire.TreeProof{}, Deciding: nd.Deciding}
		for _, pf := range nd.Proofs {
			n.Proofs = append(n.Proofs, treeProofOf(pf))
		}
		for _, pf := range nd.Pending {
			v := treeProofOf(pf)
			v.Ballot, v.VoteBy, v.Round, v.VoteFeeUprv = pf.Ballot, pf.VoteBy, pf.Round, pf.VoteFee
			for i, m := range pf.Committee {
				v.Committee = append(v.Committee, bech32(m))
				vote := ""
				if i < len(pf.Votes) {
					vote = [...]string{"", "valid", "invalid", "copied"}[min(int(pf.Votes[i]), 3)]
				}
				v.Votes = append(v.Votes, vote)
			}
			n.Pending = append(n.Pending, v)
		}
		out.Nodes = append(out.Nodes, n)
	}
	return out
}

// treeProofOf converts a kept or pending proof.
func treeProofOf(pf *pb.TreeProof) wire.TreeProof {
	return wire.TreeProof{
		Seq: pf.Seq, Prover: bech32(pf.Prover), FeeBurnBP: pf.FeeBurnBp, Score: pf.Score, Left: pf.Left, Right: pf.Right,
		Outputs: hex.EncodeToString(pf.Outputs), ProofSha256: hex.EncodeToString(pf.ProofSha256), Height: pf.Height,
		StepIn: pf.StepIn, Pinned: pf.Pinned, InWinningTree: pf.InWinningTree, PaidUprv: pf.Paid, Total: pf.Total,
	}
}

func bech32(b []byte) string {
	a, err := address.FromBytes(b)
	if err != nil {
		return hex.EncodeToString(b)
	}
	return a.String()
}
