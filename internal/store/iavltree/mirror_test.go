package iavltree

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/provernet/provernet/internal/store"
)

// TestMirrorMatchesTree is the mirror's differential test: two trees get
// the same random writes, commits, discards and a restore; one mirrors
// two prefixes, the other does not. Every walk (of the working set and of
// the latest version, within a prefix, across prefixes, from inside one)
// must see the same keys and values, and the hashes must agree. Seeded;
// the seed is printed.
func TestMirrorMatchesTree(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 7))
	plain, mirrored := OpenMemory(), OpenMemory()
	prefixes := [][]byte{[]byte("b/"), []byte("d/")}
	if err := mirrored.Mirror(prefixes...); err != nil {
		t.Fatal(err)
	}
	key := func() []byte { return fmt.Appendf(nil, "%c/%02d", "abcde"[rng.IntN(5)], rng.IntN(40)) }
	ranges := [][2][]byte{{[]byte("b/"), []byte("b0")}, {[]byte("d/"), []byte("d0")}, {[]byte("b/1"), []byte("b/3")},
		{[]byte("d/05"), []byte("d0")}, {[]byte("a"), []byte("e")}, {[]byte("b/"), nil}, {nil, nil}}
	same := func(step int, what string, x, y store.Reader) {
		t.Helper()
		for _, r := range ranges {
			if a, b := collect(t, x, r[0], r[1]), collect(t, y, r[0], r[1]); !slices.Equal(a, b) {
				t.Fatalf("seed %d step %d %s [%q, %q): tree %v, mirror %v", seed, step, what, r[0], r[1], a, b)
			}
		}
	}
	for step := range 2000 {
		k := key()
		switch op := rng.IntN(20); {
		case op < 12:
			v := fmt.Appendf(nil, "%d", rng.IntN(1000))
			must(t, plain.Working().Set(k, v))
			must(t, mirrored.Working().Set(k, v))
		case op < 16:
			must(t, plain.Working().Delete(k))
			must(t, mirrored.Working().Delete(k))
		case op < 18:
			h1, _, err1 := plain.Commit()
			h2, _, err2 := mirrored.Commit()
			must(t, err1)
			must(t, err2)
			if string(h1) != string(h2) {
				t.Fatalf("seed %d step %d: hashes differ", seed, step)
			}
		default:
			plain.Discard()
			mirrored.Discard()
		}
		same(step, "working", plain.Working(), mirrored.Working())
		if v := mirrored.Version(); v > 0 {
			s1, err1 := plain.At(v)
			s2, err2 := mirrored.At(v)
			must(t, err1)
			must(t, err2)
			same(step, "latest version", s1, s2)
		}
	}
	mirrored.Discard() // the restore has the latest version only
	restored := restore(t, mirrored, prefixes)
	same(-1, "restored", mirrored.Working(), restored.Working())
}

// TestMirrorSnapshotStable: a snapshot of the latest version taken
// before a later block's writes and commit still walks its own version.
func TestMirrorSnapshotStable(t *testing.T) {
	tree := OpenMemory()
	must(t, tree.Mirror([]byte("p/")))
	must(t, tree.Working().Set([]byte("p/1"), []byte("one")))
	_, v, err := tree.Commit()
	must(t, err)
	snap, err := tree.At(v)
	must(t, err)
	must(t, tree.Working().Set([]byte("p/2"), []byte("two")))
	must(t, tree.Working().Delete([]byte("p/1")))
	if got := fmt.Sprint(collect(t, snap, []byte("p/"), []byte("p0"))); got != "[p/1=one]" {
		t.Fatalf("snapshot during the next block's writes walks %s", got)
	}
	_, _, err = tree.Commit()
	must(t, err)
	if got := fmt.Sprint(collect(t, snap, []byte("p/"), []byte("p0"))); got != "[p/1=one]" {
		t.Fatalf("snapshot after the next commit walks %s", got)
	}
	if got := fmt.Sprint(collect(t, tree.Working(), []byte("p/"), []byte("p0"))); got != "[p/2=two]" {
		t.Fatalf("working set walks %s", got)
	}
}

// restore exports from's latest version into a fresh tree that mirrors
// prefixes from before the import (the import must reload the mirror).
func restore(t *testing.T, from *Tree, prefixes [][]byte) *Tree {
	t.Helper()
	snap, err := from.At(from.Version())
	must(t, err)
	to := OpenMemory()
	must(t, to.Mirror(prefixes...))
	imp, err := to.Import(from.Version())
	must(t, err)
	defer imp.Close()
	must(t, snap.Export(imp.Add))
	must(t, imp.Commit())
	return to
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestMirrorRefusesPendingWrites: Mirror loads by walking the working
// set, so with a write pending it would put that write in the copy of the
// latest version (and keep it after a Discard); it refuses instead, and
// loads once the write is committed or discarded.
func TestMirrorRefusesPendingWrites(t *testing.T) {
	tree := OpenMemory()
	must(t, tree.Working().Set([]byte("p/1"), []byte("one")))
	_, v, err := tree.Commit()
	must(t, err)
	must(t, tree.Working().Set([]byte("p/2"), []byte("pending")))
	if err := tree.Mirror([]byte("p/")); err == nil {
		t.Fatal("Mirror loaded a tree with an uncommitted write")
	}
	tree.Discard()
	must(t, tree.Mirror([]byte("p/")))
	snap, err := tree.At(v)
	must(t, err)
	if got := fmt.Sprint(collect(t, snap, []byte("p/"), []byte("p0"))); got != "[p/1=one]" {
		t.Errorf("the latest version walks %s, want [p/1=one]", got)
	}
	if got := fmt.Sprint(collect(t, tree.Working(), []byte("p/"), []byte("p0"))); got != "[p/1=one]" {
		t.Errorf("the working set walks %s, want [p/1=one]", got)
	}
}

// TestMirrorConcurrentReadersRace: readers of the committed copy (as a
// query's snapshot of the latest version reads it) while a block writes
// the working copy and commits: run with -race.
func TestMirrorConcurrentReadersRace(t *testing.T) {
	tree := OpenMemory()
	must(t, tree.Mirror([]byte("p/")))
	for i := range 500 {
		must(t, tree.Working().Set(fmt.Appendf(nil, "p/%04d", i), []byte("v")))
	}
	_, _, err := tree.Commit()
	must(t, err)
	m := &tree.mirror
	done := make(chan struct{})
	for range 2 {
		go func() {
			defer func() { done <- struct{}{} }()
			for range 300 {
				m.mu.Lock()
				v := m.at
				m.mu.Unlock()
				if bt := m.versionTree(v, []byte("p/"), []byte("p0")); bt != nil {
					n := 0
					walkMirror(bt, []byte("p/"), []byte("p0"), func(k, v []byte) bool { n += len(k) + len(v); return true })
				}
			}
		}()
	}
	for b := range 200 {
		for i := range 20 {
			m.set(fmt.Appendf(nil, "p/%04d", (b*37+i*11)%600), fmt.Appendf(nil, "%d", b))
			m.set(fmt.Appendf(nil, "p/%04d", (b*13+i*7)%600), nil)
		}
		m.committedAs(int64(b + 2))
	}
	<-done
	<-done
}
