package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/provernet/provernet/client"
	"github.com/provernet/provernet/wire"
	"github.com/provernet/provernet/wire/address"
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
	stdout, stderr, code := provernet(t, "--node", srv.URL, "tree", "root", id, "--out", out, "--poll", "10ms", "-o", "json", "--no-verify")
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

// TestTreeRootVerifies: `tree root` recomputes the winning tree's outputs
// (the hash pair's) rather than trusting the node: from the user's input
// files it writes the root; a wrong input file, a record whose kept
// proof's outputs were altered, or too few input files are errors and
// nothing is written; without input files it checks the merges only and
// says so.
func TestTreeRootVerifies(t *testing.T) {
	id := strings.Repeat("cd", 32)
	dir := t.TempDir()
	var inputs [][]byte
	var paths []string
	for i := range 4 {
		inputs = append(inputs, fmt.Appendf(nil, `{"tx": %d}`, i))
		paths = append(paths, filepath.Join(dir, fmt.Sprintf("tx%d.json", i)))
		if err := os.WriteFile(paths[i], inputs[i], 0o600); err != nil {
			t.Fatal(err)
		}
	}
	sum := func(b []byte) []byte { h := sha256.Sum256(b); return h[:] }
	pa, pb, pc := address.Address{1}, address.Address{2}, address.Address{3}
	o2 := wire.TreeHashBaseOutputs(pa, sum(inputs[0]), sum(inputs[1]))
	o3a := wire.TreeHashBaseOutputs(pb, sum(inputs[2]), sum(inputs[3]))
	o3b := wire.TreeHashBaseOutputs(pc, sum(inputs[2]), sum(inputs[3]))
	root := wire.TreeHashMergeOutputs(pc, [][]byte{o2}, [][]byte{o3a, o3b})
	winner := uint32(0)
	tree := func() wire.Tree {
		return wire.Tree{ID: id, State: "final", N: 4, NumNodes: 3, ProofsPerNode: 3, Winner: &winner,
			BaseProgram: hex.EncodeToString(wire.TreeHashBaseProgram), MergeProgram: hex.EncodeToString(wire.TreeHashMergeProgram),
			Nodes: []wire.TreeNode{
				{Node: 1, Phase: "closed", Proofs: []wire.TreeProof{{Seq: 0, Prover: pc.String(), Left: []uint32{0}, Right: []uint32{0, 1},
					Outputs: hex.EncodeToString(root), InWinningTree: true}}},
				{Node: 2, Phase: "closed", Proofs: []wire.TreeProof{{Seq: 0, Prover: pa.String(), Outputs: hex.EncodeToString(o2), InWinningTree: true}}},
				{Node: 3, Phase: "closed", Proofs: []wire.TreeProof{
					{Seq: 0, Prover: pb.String(), Outputs: hex.EncodeToString(o3a), InWinningTree: true},
					{Seq: 1, Prover: pc.String(), Outputs: hex.EncodeToString(o3b), InWinningTree: true}}},
			}}
	}
	var mu sync.Mutex
	serve := tree()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		_ = json.NewEncoder(w).Encode(serve)
	}))
	defer srv.Close()
	run := func(args ...string) (string, string, int, string) {
		out := filepath.Join(t.TempDir(), "root.json")
		stdout, stderr, code := provernet(t, append([]string{"--node", srv.URL, "tree", "root", id, "--out", out, "--poll", "10ms"}, args...)...)
		return stdout, stderr, code, out
	}
	withInputs := func(ps []string) []string {
		var a []string
		for _, p := range ps {
			a = append(a, "--input", p)
		}
		return a
	}

	stdout, stderr, code, out := run(append(withInputs(paths), "-o", "json")...)
	var rep treeRootReport
	if code != 0 || json.Unmarshal([]byte(stdout), &rep) != nil || rep.Verified == nil {
		t.Fatalf("tree root with the inputs: exit %d, %s %s", code, stdout, stderr)
	}
	if v := rep.Verified; v.Pair != "hash" || v.Recomputed != 4 || !v.Inputs || v.Proof {
		t.Errorf("verified %+v, want the hash pair, 4 proofs recomputed from the inputs", v)
	}
	if _, err := os.Stat(out); err != nil {
		t.Errorf("verified root not written: %v", err)
	}

	stdout, _, code, _ = run()
	if code != 0 || !strings.Contains(stdout, "1 proofs of the winning tree recomputed as the node recorded the base proofs'") {
		t.Errorf("without inputs: exit %d, %s", code, stdout)
	}

	wrong := filepath.Join(dir, "wrong.json")
	if err := os.WriteFile(wrong, []byte(`{"tx": 99}`), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name  string
		args  []string
		alter func(*wire.Tree)
		want  string
	}{
		{"a wrong input file", withInputs([]string{paths[0], paths[1], paths[2], wrong}), nil, "node 3 proof 0"},
		{"too few input files", withInputs(paths[:2]), nil, "2 input files for a tree of 4 inputs"},
		{"a kept proof's outputs altered", nil, func(tr *wire.Tree) { tr.Nodes[2].Proofs[1].Outputs = hex.EncodeToString(o3a) }, "node 1 proof 0"},
		{"the root's prover renamed", nil, func(tr *wire.Tree) { tr.Nodes[0].Proofs[0].Prover = pa.String() }, "node 1 proof 0"},
	} {
		mu.Lock()
		serve = tree()
		if c.alter != nil {
			c.alter(&serve)
		}
		mu.Unlock()
		_, stderr, code, out := run(c.args...)
		if code == 0 || !strings.Contains(stderr, c.want) || !strings.Contains(stderr, "nothing written") {
			t.Errorf("%s: exit %d, %q; want a failure naming %q", c.name, code, stderr, c.want)
		}
		if _, err := os.Stat(out); err == nil {
			t.Errorf("%s: a root that does not check out was written", c.name)
		}
	}
}
