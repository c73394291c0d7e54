//go:build treemeasure

package treezk

import (
	"os"
	"runtime"
	"testing"
	"time"

	"github.com/provernet/provernet/internal/treepair"
)

// TestMeasureLevel2 sets up merge level 2 over the level 1 keys in KEYS
// (made or kept), proves a tree of eight inputs to its root, a level-2
// merge of two level-1 merges of four base proofs, and verifies the root
// with the chain's verifier (treepair.Verify, its key checked as a
// genesis's is). The figures are docs/TREES.md's "merge, level 2" row:
//
//	KEYS=/tmp/treekeys GOMAXPROCS=2 go test -tags treemeasure -run TestMeasureLevel2 -timeout 3h ./internal/treezk
func TestMeasureLevel2(t *testing.T) {
	dir := os.Getenv("KEYS")
	if dir == "" {
		t.Skip("KEYS=DIR: the keys' directory (level 1's setup alone takes half an hour)")
	}
	t0, c0 := time.Now(), cpu()
	if _, err := Setup(dir, 2, os.Stderr); err != nil {
		t.Fatal(err)
	}
	logf("keys to level 2 (level 2 made or kept): %v (cpu %v), peak %d MiB", time.Since(t0), cpu()-c0, maxRSS())
	levels := make([]*Level, 3)
	for l := range levels {
		t0, c0 = time.Now(), cpu()
		k, err := LoadLevel(dir, l, nil)
		if err != nil {
			t.Fatal(err)
		}
		levels[l] = k
		logf("%s: %d constraints; keys loaded in %v (cpu %v)", LevelName(l), k.CS.GetNbConstraints(), time.Since(t0), cpu()-c0)
	}
	vk2, err := treepair.ParseVerifyingKey(levels[2].VKRaw)
	if err != nil {
		t.Fatal(err)
	}
	if err := vk2.CheckBinding(1); err != nil { // as InitChain checks a genesis's merge keys
		t.Fatalf("level 2's key: %v", err)
	}
	base := func(node uint32) Child {
		p, o, err := ProveBase(levels[0], alice, tree, node, sum("tx a"+string(rune('0'+node))), sum("tx b"+string(rune('0'+node))))
		if err != nil {
			t.Fatal(err)
		}
		return Child{Proof: p, Outputs: o}
	}
	merge := func(level int, node uint32, left, right Child) Child {
		runtime.GC()
		t0, c0 := time.Now(), cpu()
		p, o, err := ProveMerge(levels[level], levels[level-1].VKRaw, bob, tree, node, left, right)
		if err != nil {
			t.Fatalf("%s node %d: %v", LevelName(level), node, err)
		}
		logf("%s node %d: proof %d bytes in %v (cpu %v), peak %d MiB", LevelName(level), node, len(p), time.Since(t0), cpu()-c0, maxRSS())
		return Child{Proof: p, Outputs: o}
	}
	n2 := merge(1, 2, base(4), base(5))
	n3 := merge(1, 3, base(6), base(7))
	root := merge(2, 1, n2, n3)
	prover, out, err := treepair.ParseOutputs(root.Outputs)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := treepair.Public(prover, tree, 1, out)
	if err != nil {
		t.Fatal(err)
	}
	p, err := treepair.ParseProof(root.Proof)
	if err != nil {
		t.Fatal(err)
	}
	t0 = time.Now()
	if err := treepair.Verify(vk2, p, pub); err != nil {
		t.Fatalf("the level-2 root does not verify: %v", err)
	}
	logf("root verified by the chain's verifier in %v", time.Since(t0))
	pub[len(pub)-1].SetUint64(7) // another Out
	if err := treepair.Verify(vk2, p, pub); err == nil {
		t.Fatal("the level-2 root verified against another output")
	}
}
