//go:build gnark

package node

import (
	"encoding/hex"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/provernet/provernet/client"
	"github.com/provernet/provernet/internal/prover"
	"github.com/provernet/provernet/internal/treecheck"
	"github.com/provernet/provernet/internal/treepair"
	"github.com/provernet/provernet/internal/treezk"
	"github.com/provernet/provernet/wire"
)

// TestGnarkTreeOnDevnet (make test-long): a tree of real recursive proofs
// becomes final on a devnet. The gnark pair's keys (base and one merge
// level) are made once, in a directory its subtests share:
// $PROVERNET_TREE_KEYS if set (kept across runs: the merge level's setup
// takes many minutes), else a temporary one. A devnet whose genesis names
// the keys runs one prover daemon with them; a tree of four inputs of
// the pair gets two real base proofs and a real merge proof that
// verifies both in-circuit, and the winning root proof, read back through
// the API, verifies under merge level 1's key against the public inputs
// anyone can compute from the tree. PROVERNET_TREE_LEVELS=L (default 1)
// makes the keys of L merge levels and proves a tree of 2^(L+1) inputs
// instead (each level's setup takes a quarter to half an hour).
func TestGnarkTreeOnDevnet(t *testing.T) {
	dir := os.Getenv("PROVERNET_TREE_KEYS")
	if dir == "" {
		dir = t.TempDir()
	}
	levels := 1
	if l, err := strconv.Atoi(os.Getenv("PROVERNET_TREE_LEVELS")); err == nil && l > 1 {
		levels = l
	}
	start := time.Now()
	vks, err := treezk.Setup(dir, levels, testWriter{t})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("keys in %s (%s)", dir, time.Since(start).Round(time.Second))
	t.Run(fmt.Sprintf("tree of %d inputs becomes final", 2<<levels), func(t *testing.T) { gnarkTreeFinal(t, dir, vks) })
}

// gnarkNodeDeadline is each window's length in blocks (200 ms each): a
// merge proof must fit in one on a loaded two-core machine.
const gnarkNodeDeadline = 1500

func gnarkTreeFinal(t *testing.T, dir string, vks [][]byte) {
	levels := len(vks) - 1
	n := 2 << levels
	p := e2eParams()
	p.TreeGnarkBaseVK, p.TreeGnarkMergeVKs = vks[0], vks[1:]
	p.MaxNodeDeadline = gnarkNodeDeadline
	e := startE2EWith(t, 1, p, "")
	e.treeKeys = dir
	e.startProver(0, prover.FaultNone)
	e.waitActive(1)
	ctx := e.ctx(time.Duration(levels+2) * gnarkNodeDeadline * 200 * time.Millisecond)
	params, err := e.c.Params(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var inputs [][]byte
	for i := range n {
		inputs = append(inputs, fmt.Appendf(nil, "rollup transaction %d", i))
	}
	m, err := client.ProveTreeGnarkMsg(params, inputs, 3_000_000, gnarkNodeDeadline)
	if err != nil {
		t.Fatal(err)
	}
	id, res, err := e.c.ProveTree(ctx, e.d.Keys[1], 0, m)
	if err != nil {
		t.Fatal(err)
	}
	if tx, err := e.c.WaitTx(ctx, res.Hash); err != nil || tx.Code != 0 {
		t.Fatalf("ProveTree: %v %+v", err, tx)
	}
	start := time.Now()
	tr, err := e.c.WaitTree(ctx, id, time.Second, func(tr *wire.Tree) { t.Logf("%s: %s", time.Since(start).Round(time.Second), treeLine(tr)) }, client.TreeEnded)
	if err != nil {
		t.Fatalf("waiting for the tree: %v", err)
	}
	if tr.State != "final" {
		t.Fatalf("the tree ended %s", tr.State)
	}
	root, err := client.TreeRootOf(tr)
	if err != nil || root.Proofs != n-1 || root.ProofSha256 == "" {
		t.Fatalf("root %+v, %v; want %d real proofs in the winning tree", root, err, n-1)
	}
	want, _ := hex.DecodeString(root.ProofSha256)
	proof, err := e.c.TreeProof(ctx, id, 1, root.Seq, want)
	if err != nil {
		t.Fatal(err)
	}
	// Anyone can check the root: the key the genesis names for the root's
	// level, the tree id, node 1, and the outputs (the prover and Out).
	outputs, _ := hex.DecodeString(root.Outputs)
	rootProver, out, err := treepair.ParseOutputs(outputs)
	if err != nil {
		t.Fatal(err)
	}
	treeID, _ := hex.DecodeString(id)
	pub, _ := treepair.Public(rootProver, treeID, 1, out)
	vk, err := treepair.ParseVerifyingKey(vks[levels])
	if err != nil {
		t.Fatal(err)
	}
	pp, err := treepair.ParseProof(proof)
	if err != nil {
		t.Fatal(err)
	}
	if err := treepair.Verify(vk, pp, pub); err != nil {
		t.Fatalf("the root proof does not verify: %v", err)
	}
	// And as `tree root` checks it: every output recomputed from the
	// inputs, the root's proof under the genesis's keys; not against
	// other inputs.
	keys := &treecheck.Keys{Levels: vks, From: dir}
	if check, err := treecheck.Verify(tr, inputs, keys, proof); err != nil || check.Recomputed != n-1 || !check.Proof {
		t.Errorf("treecheck.Verify: %+v %v; want %d proofs recomputed and the root's proof verified", check, err, n-1)
	}
	if _, err := treecheck.Verify(tr, append([][]byte{[]byte("other")}, inputs[1:]...), keys, proof); err == nil {
		t.Error("treecheck.Verify accepted the gnark root against other inputs")
	}
	if err := CheckTreePay(tr); err != nil {
		t.Error(err)
	}
	t.Logf("final after %s: root proof %d bytes by %s", time.Since(start).Round(time.Second), len(proof), root.Prover)
}

func treeLine(tr *wire.Tree) string {
	s := tr.State
	for _, nd := range tr.Nodes {
		s += fmt.Sprintf(" %d:%s/%d", nd.Node, nd.Phase, len(nd.Proofs))
	}
	return s
}

// testWriter sends the keys' progress to the test log.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(string(p))
	return len(p), nil
}
