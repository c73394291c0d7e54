package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/provernet/provernet/wire"
)

// TestTreeThroughCLI submits a proof tree of four inputs to a devnet with
// `provernet tree submit --wait` and reads it back with `tree status`, in
// JSON and text; a count of inputs that is no power of two and an unknown
// tree fail with hints (issue 16).
func TestTreeThroughCLI(t *testing.T) {
	home, api := cliDevnet(t)
	dir := t.TempDir()
	var inputs []string
	for i := range 4 {
		p := filepath.Join(dir, "tx"+strconv.Itoa(i))
		if err := os.WriteFile(p, []byte("transaction "+strconv.Itoa(i)), 0o600); err != nil {
			t.Fatal(err)
		}
		inputs = append(inputs, "--input", p)
	}
	args := append([]string{"--home", home, "--node", api, "tree", "submit", "--from", "dev0", "--reward", "1prv", "--node-deadline", "5", "--wait", "-o", "json"}, inputs...)
	out, stderr, code := provernet(t, args...)
	var rep treeSubmitReport
	if err := json.Unmarshal([]byte(out), &rep); code != 0 || err != nil || rep.Committed == nil || rep.Committed.Code != 0 || len(rep.Tree) != 64 {
		t.Fatalf("tree submit: exit %d, %q (%v), %s", code, out, err, stderr)
	}
	out, stderr, code = provernet(t, "--node", api, "tree", "status", rep.Tree, "-o", "json")
	var tr wire.Tree
	if err := json.Unmarshal([]byte(out), &tr); code != 0 || err != nil {
		t.Fatalf("tree status: exit %d, %q (%v), %s", code, out, err, stderr)
	}
	if tr.ID != rep.Tree || tr.N != 4 || tr.NumNodes != 3 || tr.RewardUprv != 1_000_000 || tr.Escrow != 1_000_000 ||
		(tr.State != "pending" && tr.State != "proving") || len(tr.Nodes) != 3 {
		t.Fatalf("tree status %+v", tr)
	}
	out, _, code = provernet(t, "--node", api, "tree", "status", rep.Tree)
	if code != 0 || !strings.Contains(out, "tree "+rep.Tree) || !strings.Contains(out, "node 3 ") {
		t.Fatalf("tree status text: exit %d, %q", code, out)
	}
	_, stderr, code = provernet(t, "--node", api, "tree", "status", strings.Repeat("ab", 32))
	if code == 0 || !strings.Contains(stderr, "hint:") {
		t.Fatalf("unknown tree: exit %d, %q", code, stderr)
	}
	_, stderr, code = provernet(t, append([]string{"--home", home, "--node", api, "tree", "submit", "--from", "dev0", "--reward", "1prv"}, inputs[:6]...)...)
	if code == 0 || !strings.Contains(stderr, "power of two") {
		t.Fatalf("three inputs: exit %d, %q", code, stderr)
	}
	// The gnark pair on a chain whose genesis names no keys for it.
	_, stderr, code = provernet(t, append([]string{"--home", home, "--node", api, "tree", "submit", "--pair", "gnark", "--from", "dev0", "--reward", "1prv"}, inputs...)...)
	if code == 0 || !strings.Contains(stderr, "no gnark pair") || !strings.Contains(stderr, "provernet tree keys") {
		t.Fatalf("--pair gnark without keys: exit %d, %q", code, stderr)
	}
	_, stderr, code = provernet(t, append([]string{"--home", home, "--node", api, "tree", "submit", "--pair", "plonk", "--from", "dev0", "--reward", "1prv"}, inputs...)...)
	if code == 0 || !strings.Contains(stderr, "--pair") {
		t.Fatalf("--pair plonk: exit %d, %q", code, stderr)
	}
}
