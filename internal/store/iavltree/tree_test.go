package iavltree

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/provernet/provernet/internal/store"
)

func collect(t *testing.T, r store.Reader, start, end []byte) []string {
	t.Helper()
	var out []string
	if err := r.Iterate(start, end, func(k, v []byte) bool {
		out = append(out, string(k)+"="+string(v))
		return true
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestCacheMergesAndWritesInOrder(t *testing.T) {
	tree := OpenMemory()
	w := tree.Working()
	for _, k := range []string{"a", "b", "c"} {
		if err := w.Set([]byte(k), []byte("tree")); err != nil {
			t.Fatal(err)
		}
	}
	c := store.NewCache(w)
	_ = c.Set([]byte("b"), []byte("cache"))
	_ = c.Delete([]byte("c"))
	_ = c.Set([]byte("d"), []byte("cache"))
	got := fmt.Sprint(collect(t, c, []byte("a"), nil))
	if want := "[a=tree b=cache d=cache]"; got != want {
		t.Fatalf("merged iteration = %s, want %s", got, want)
	}
	if v, _ := w.Get([]byte("b")); string(v) != "tree" {
		t.Fatal("cache wrote through before Write")
	}
	if err := c.Write(w); err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(collect(t, w, nil, nil)); got != "[a=tree b=cache d=cache]" {
		t.Fatalf("after Write the tree holds %s", got)
	}
}

// TestHashIndependentOfBufferOrder is the determinism the chain relies on:
// the same writes buffered in any order give the same app hash.
func TestHashIndependentOfBufferOrder(t *testing.T) {
	hashes := map[string]bool{}
	for seed := uint64(0); seed < 5; seed++ {
		tree := OpenMemory()
		c := store.NewCache(tree.Working())
		r := rand.New(rand.NewPCG(seed, seed))
		for _, i := range r.Perm(200) {
			_ = c.Set([]byte(fmt.Sprintf("k%03d", i)), []byte{byte(i)})
		}
		if err := c.Write(tree.Working()); err != nil {
			t.Fatal(err)
		}
		hashes[fmt.Sprintf("%x", tree.WorkingHash())] = true
	}
	if len(hashes) != 1 {
		t.Fatalf("%d different hashes for the same writes", len(hashes))
	}
}

func TestDiskCommitSurvivesReopen(t *testing.T) {
	dir := t.TempDir()
	tree, err := OpenDisk(dir, 0)
	if err != nil {
		t.Fatal(err)
	}
	_ = tree.Working().Set([]byte("k"), []byte("v1"))
	h1, v1, err := tree.Commit()
	if err != nil || v1 != 1 {
		t.Fatalf("commit: version %d, %v", v1, err)
	}
	_ = tree.Working().Set([]byte("k"), []byte("uncommitted"))
	if err := tree.Close(); err != nil {
		t.Fatal(err)
	}
	tree, err = OpenDisk(dir, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer tree.Close()
	if tree.Version() != 1 || !bytes.Equal(tree.Hash(), h1) {
		t.Fatalf("reopened at version %d hash %x, want 1 %x", tree.Version(), tree.Hash(), h1)
	}
	snap, err := tree.At(1)
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := snap.Get([]byte("k")); string(v) != "v1" {
		t.Fatalf("reopened value %q, want v1 (uncommitted write must be lost)", v)
	}
	proof, err := snap.Prove([]byte("k"))
	if err != nil || proof.GetExist() == nil {
		t.Fatalf("no existence proof: %v", err)
	}
}

func TestPrefixEnd(t *testing.T) {
	for _, c := range []struct{ in, want []byte }{
		{[]byte("a"), []byte("b")},
		{[]byte{1, 0xff}, []byte{2}},
		{[]byte{0xff}, nil},
	} {
		if got := store.PrefixEnd(c.in); !bytes.Equal(got, c.want) {
			t.Errorf("store.PrefixEnd(%x) = %x, want %x", c.in, got, c.want)
		}
	}
}

// TestCacheIterateKeysAreCopies: a node loaded from disk keeps its key and
// value in one buffer, so a callback that appends to the key Cache.Iterate
// hands it (as code deriving a key from another does) must not reach the
// tree's value. Cache gives fn its own copy of every key.
func TestCacheIterateKeysAreCopies(t *testing.T) {
	dir := t.TempDir()
	tree, err := OpenDisk(dir, 0)
	if err != nil {
		t.Fatal(err)
	}
	_ = tree.Working().Set([]byte("acct/alice"), []byte("balance=100"))
	if _, _, err := tree.Commit(); err != nil {
		t.Fatal(err)
	}
	_ = tree.Close()
	if tree, err = OpenDisk(dir, 0); err != nil { // nodes now decoded from disk buffers
		t.Fatal(err)
	}
	defer tree.Close()
	_ = store.NewCache(tree.Working()).Iterate([]byte("acct/"), store.PrefixEnd([]byte("acct/")), func(k, v []byte) bool {
		_ = append(k, "/suffix/xx"...)
		return true
	})
	if v, _ := tree.Working().Get([]byte("acct/alice")); string(v) != "balance=100" {
		t.Fatalf("the tree's value was overwritten through a key Iterate handed out: %q", v)
	}
}
