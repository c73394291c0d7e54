package httpapi

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/provernet/provernet/wire/address"
	"github.com/provernet/provernet/wire/pb"
)

// TestTreeEndpoint: GET /v1/trees/{id} refuses a bad id, answers 404 for
// an unknown tree through the real app, and TreeOf shows a record's
// nodes and proofs (issue 16).
func TestTreeEndpoint(t *testing.T) {
	srv := httptest.NewServer(Handler(newAppBackend(t)))
	t.Cleanup(srv.Close)
	for path, status := range map[string]int{"/v1/trees/xyz": http.StatusBadRequest, "/v1/trees/" + strings.Repeat("ab", 32): http.StatusNotFound} {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != status {
			t.Errorf("GET %s: %d, want %d", path, resp.StatusCode, status)
		}
	}
	prover := address.Address{1, 2, 3}
	tr := &pb.Tree{Id: make([]byte, 32), Owner: prover[:], N: 2, Reward: 30, ProofsPerNode: 3,
		State: pb.TreeState_TREE_STATE_FINAL, Winner: 4, Paid: 10, Burned: 20,
		Nodes: []*pb.TreeNode{{Index: 1, Phase: pb.NodePhase_NODE_PHASE_CLOSED, Proofs: []*pb.TreeProof{
			{Seq: 4, Prover: prover[:], FeeBurnBp: 0, Score: 7, InWinningTree: true, Paid: 10}}}}}
	b, err := json.Marshal(TreeOf(tr))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"state":"final"`, `"winner":4`, `"phase":"closed"`, `"prover":"` + prover.String() + `"`, `"in_winning_tree":true`, `"paid_uprv":10`, `"num_nodes":1`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("TreeOf JSON %s lacks %s", b, want)
		}
	}
}

// TestTreeOfPending: a tree of deployed programs shows its pending
// proofs with their ballots, committees and votes so far, the deciding
// flag and the vote escrow (docs/TREES.md, "Verification").
func TestTreeOfPending(t *testing.T) {
	prover, m1, m2 := address.Address{1}, address.Address{2}, address.Address{3}
	tr := &pb.Tree{Id: make([]byte, 32), Owner: prover[:], N: 2, Reward: 30, ProofsPerNode: 3, VoteEscrow: 200,
		State: pb.TreeState_TREE_STATE_PROVING,
		Nodes: []*pb.TreeNode{{Index: 1, Phase: pb.NodePhase_NODE_PHASE_OPEN, Deciding: true, Pending: []*pb.TreeProof{
			{Seq: 2, Prover: prover[:], Score: 9, Ballot: 17, VoteBy: 40, Round: 1, VoteFee: 200,
				Committee: [][]byte{m1[:], m2[:]}, Votes: []byte{0, 2}}}}}}
	b, err := json.Marshal(TreeOf(tr))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"vote_escrow":200`, `"deciding":true`, `"pending":[{"seq":2`, `"ballot":17`, `"vote_by":40`, `"round":1`,
		`"vote_fee_uprv":200`, `"committee":["` + m1.String() + `","` + m2.String() + `"]`, `"votes":["","invalid"]`, `"proofs":[]`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("TreeOf JSON %s lacks %s", b, want)
		}
	}
}
