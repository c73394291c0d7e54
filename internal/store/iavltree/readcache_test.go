package iavltree

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"
)

// TestReadCacheMatchesVersions: with the read cache, every snapshot reads
// what its version holds. A seeded random run sets and deletes keys over
// many versions, discards some working sets, and reads every key through
// the latest snapshot (twice: filling the cache, then from it) and through
// older ones, against a map kept per version; readers of the newest and
// the previous version run during every commit.
func TestReadCacheMatchesVersions(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 7))
	tree := OpenMemory()
	const keys = 40
	key := func(i int) []byte { return fmt.Appendf(nil, "k%02d", i) }
	versions := map[int64]map[string]string{}
	cur := map[string]string{}
	check := func(version int64) {
		snap, err := tree.At(version)
		if err != nil {
			t.Fatal(err)
		}
		want := versions[version]
		for round := range 2 {
			for i := range keys {
				got, err := snap.Get(key(i))
				if err != nil {
					t.Fatal(err)
				}
				w, ok := want[string(key(i))]
				if (got == nil) == ok || string(got) != w {
					t.Fatalf("seed %d: version %d (latest %d) round %d: key %s = %q, want %q (present %v)", seed, version, tree.Version(), round, key(i), got, w, ok)
				}
			}
		}
	}
	for v := 1; v <= 60; v++ {
		w := tree.Working()
		next := map[string]string{}
		for k, val := range cur {
			next[k] = val
		}
		for range rng.IntN(8) {
			i := rng.IntN(keys)
			if rng.IntN(3) == 0 {
				if err := w.Delete(key(i)); err != nil {
					t.Fatal(err)
				}
				delete(next, string(key(i)))
				continue
			}
			val := fmt.Sprintf("v%d-%d", v, rng.IntN(1000))
			if err := w.Set(key(i), []byte(val)); err != nil {
				t.Fatal(err)
			}
			next[string(key(i))] = val
		}
		if rng.IntN(6) == 0 { // a block that never commits
			tree.Discard()
			v--
			continue
		}
		// Readers of the versions before this commit, while it happens.
		var wg sync.WaitGroup
		for _, old := range []int64{tree.Version(), tree.Version() - 1} {
			if old < 1 {
				continue
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				snap, err := tree.At(old)
				if err != nil {
					t.Error(err)
					return
				}
				for i := range keys {
					got, _ := snap.Get(key(i))
					w, ok := versions[old][string(key(i))]
					if (got == nil) == ok || !bytes.Equal(got, []byte(w)) {
						t.Errorf("seed %d: concurrent read of version %d: key %s = %q, want %q", seed, old, key(i), got, w)
					}
				}
			}()
		}
		if _, version, err := tree.Commit(); err != nil || version != int64(v) {
			t.Fatalf("commit %d: version %d, %v", v, version, err)
		}
		wg.Wait()
		versions[int64(v)], cur = next, next
		check(int64(v))
		if v > 1 {
			check(int64(rng.IntN(v-1) + 1))
		}
	}
}
