package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/provernet/provernet/client"
	"github.com/provernet/provernet/wire"
)

// TestTreeRootWaitsAndWrites: `tree root` follows a tree through its
// progress (shown on stderr) until it is final, then writes the winning
// root proof, not a losing one, to --out; an expired tree fails with a
// hint. The node is a fake serving GET /v1/trees/{id}.
func TestTreeRootWaitsAndWrites(t *testing.T) {
	id := strings.Repeat("ab", 32)
	winner := uint32(1)
	proving := wire.Tree{ID: id, State: "proving", N: 4, NumNodes: 3, ProofsPerNode: 3, Nodes: []wire.TreeNode{
		{Node: 1, Phase: "waiting", Proofs: []wire.TreeProof{}},
		{Node: 2, Phase: "open", Proofs: []wire.TreeProof{{Seq: 0, Prover: "p0", Score: 5}}},
		{Node: 3, Phase: "open", Proofs: []wire.TreeProof{}},
	}}
	final := wire.Tree{ID: id, State: "final", N: 4, NumNodes: 3, ProofsPerNode: 3, Winner: &winner, Paid: 30, Nodes: []wire.TreeNode{
		{Node: 1, Phase: "closed", Proofs: []wire.TreeProof{
			{Seq: 0, Prover: "loser", Outputs: "00", Total: 7},
			{Seq: 1, Prover: "winner", Outputs: "beef", Total: 9, InWinningTree: true, PaidUprv: 10},
		}},
		{Node: 2, Phase: "closed", Proofs: []wire.TreeProof{{Seq: 0, Prover: "p0", InWinningTree: true, PaidUprv: 10}}},
		{Node: 3, Phase: "closed", Proofs: []wire.TreeProof{{Seq: 0, Prover: "p1", InWinningTree: true, PaidUprv: 10}}},
	}}
	expired := wire.Tree{ID: id, State: "expired", Refunded: 99, Nodes: []wire.TreeNode{}}
	var mu sync.Mutex
	calls, answers := 0, []wire.Tree{proving, proving, final}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1/trees/"+id {
			http.NotFound(w, r)
			return
		}
		mu.Lock()
		a := answers[min(calls, len(answers)-1)]
		calls++
		mu.Unlock()
		_ = json.NewEncoder(w).Encode(a)
	}))
	defer srv.Close()
	out := filepath.Join(t.TempDir(), "root.json")
	stdout, stderr, code := provernet(t, "--node", srv.URL, "tree", "root", id, "--out", out, "--poll", "10ms", "-o", "json")
	if code != 0 {
		t.Fatalf("tree root: exit %d, %s", code, stderr)
	}
	if !strings.Contains(stderr, "proving  nodes 1:waiting/0 2:open/1 3:open/0") || !strings.Contains(stderr, "final") {
		t.Errorf("progress on stderr: %q", stderr)
	}
	var rep treeRootReport
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil || rep.File != out {
		t.Fatalf("report %q: %v", stdout, err)
	}
	var root client.TreeRoot
	raw, err := os.ReadFile(out)
	if err != nil || json.Unmarshal(raw, &root) != nil {
		t.Fatalf("root file: %v %q", err, raw)
	}
	if root.Tree != id || root.Seq != 1 || root.Prover != "winner" || root.Outputs != "beef" || root.Total != 9 || root.Proofs != 3 || root.PaidUprv != 30 {
		t.Errorf("root %+v", root)
	}
	mu.Lock()
	calls, answers = 0, []wire.Tree{expired}
	mu.Unlock()
	_, stderr, code = provernet(t, "--node", srv.URL, "tree", "root", id, "--out", out, "--poll", "10ms")
	if code == 0 || !strings.Contains(stderr, "expired") || !strings.Contains(stderr, "hint:") {
		t.Errorf("expired tree: exit %d, %q", code, stderr)
	}
}
