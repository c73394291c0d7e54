package store

import (
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"
)

var cacheSeed = flag.Uint64("cache.seed", 0, "replay TestCacheAgainstReference with this seed")

// naive is the reference: a map over a parent, whose Iterate copies the
// parent's range and its own writes, sorts the keys and walks the copy.
// It is the obviously correct implementation Cache must agree with.
type naive struct {
	parent Reader
	writes map[string][]byte // nil value: deleted
}

func (n *naive) Get(key []byte) ([]byte, error) {
	if v, ok := n.writes[string(key)]; ok {
		return v, nil
	}
	return n.parent.Get(key)
}

func (n *naive) Set(key, value []byte) error {
	n.writes[string(key)] = append([]byte{}, value...)
	return nil
}

func (n *naive) Delete(key []byte) error {
	n.writes[string(key)] = nil
	return nil
}

func (n *naive) Iterate(start, end []byte, fn func(k, v []byte) bool) error {
	merged := map[string][]byte{}
	if err := n.parent.Iterate(start, end, func(k, v []byte) bool {
		merged[string(k)] = v
		return true
	}); err != nil {
		return err
	}
	for k, v := range n.writes {
		if k >= string(start) && (end == nil || k < string(end)) {
			merged[k] = v
		}
	}
	keys := make([]string, 0, len(merged))
	for k := range merged {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if v := merged[k]; v != nil && !fn([]byte(k), v) {
			return nil
		}
	}
	return nil
}

// mapKV is a sorted-on-demand map, the base store of both sides.
type mapKV map[string][]byte

func (m mapKV) Get(key []byte) ([]byte, error) { return m[string(key)], nil }
func (m mapKV) Set(key, value []byte) error    { m[string(key)] = value; return nil }
func (m mapKV) Delete(key []byte) error        { delete(m, string(key)); return nil }
func (m mapKV) Iterate(start, end []byte, fn func(k, v []byte) bool) error {
	keys := make([]string, 0, len(m))
	for k := range m {
		if k >= string(start) && (end == nil || k < string(end)) {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		if !fn([]byte(k), m[k]) {
			return nil
		}
	}
	return nil
}

// TestCacheAgainstReference runs the same random operations (sets,
// deletes, reads, range walks that stop early or write as they go, nested
// caches, flushes) on Cache and on the naive reference, and requires every
// observation and the final base store to agree. The seed is printed; a
// failure replays with -cache.seed.
func TestCacheAgainstReference(t *testing.T) {
	seeds := []uint64{1, 2, 3, 4, 5}
	if *cacheSeed != 0 {
		seeds = []uint64{*cacheSeed}
	} else {
		seeds = append(seeds, uint64(time.Now().UnixNano()))
	}
	for _, seed := range seeds {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			t.Logf("seed %d (replay: go test ./internal/store -run TestCacheAgainstReference -cache.seed %d)", seed, seed)
			runCacheOps(t, rand.New(rand.NewPCG(seed, seed^0x5eed)))
		})
	}
}

func runCacheOps(t *testing.T, r *rand.Rand) {
	key := func() []byte { return []byte(fmt.Sprintf("k%02d", r.IntN(60))) }
	baseA, baseB := mapKV{}, mapKV{}
	for range 30 {
		k, v := key(), []byte(fmt.Sprint(r.IntN(1000)))
		baseA[string(k)], baseB[string(k)] = v, v
	}
	// Two levels, like a transaction's cache over a block's.
	outerA, outerB := NewCache(baseA), &naive{parent: baseB, writes: map[string][]byte{}}
	innerA, innerB := NewCache(outerA), &naive{parent: outerB, writes: map[string][]byte{}}
	pick := func() (KV, KV, string) {
		if r.IntN(2) == 0 {
			return outerA, outerB, "outer"
		}
		return innerA, innerB, "inner"
	}
	for op := range 2000 {
		a, b, level := pick()
		switch r.IntN(7) {
		case 0, 1:
			k, v := key(), []byte(fmt.Sprint(r.IntN(1000)))
			_, _ = a.Set(k, v), b.Set(k, v)
		case 2:
			k := key()
			_, _ = a.Delete(k), b.Delete(k)
		case 3:
			k := key()
			va, _ := a.Get(k)
			vb, _ := b.Get(k)
			if string(va) != string(vb) || (va == nil) != (vb == nil) {
				t.Fatalf("op %d: %s Get(%s) = %q, reference %q", op, level, k, va, vb)
			}
		case 4, 5:
			start, end := rangeOf(r, key)
			stopAt, writeEvery := r.IntN(40), r.IntN(4)
			walk := func(kv KV) string {
				var sb strings.Builder
				n := 0
				_ = kv.Iterate(start, end, func(k, v []byte) bool {
					fmt.Fprintf(&sb, "%s=%s ", k, v)
					n++
					if writeEvery > 0 && n%writeEvery == 0 { // write as it goes, into the range
						_ = kv.Set([]byte(string(k)+"x"), []byte("w"))
						_ = kv.Delete([]byte(fmt.Sprintf("k%02d", (n*7)%60)))
					}
					return n != stopAt
				})
				return sb.String()
			}
			if ga, gb := walk(a), walk(b); ga != gb {
				t.Fatalf("op %d: %s Iterate(%q, %q) stop %d write %d:\n cache     %s\n reference %s", op, level, start, end, stopAt, writeEvery, ga, gb)
			}
		case 6:
			if r.IntN(4) == 0 { // flush the inner cache into the outer one, or the outer into the base
				_, _ = innerA.Write(outerA), innerB.flush(outerB)
			} else if r.IntN(8) == 0 {
				_, _ = innerA.Write(outerA), innerB.flush(outerB)
				_, _ = outerA.Write(baseA), outerB.flush(baseB)
			}
		}
	}
	_, _ = innerA.Write(outerA), innerB.flush(outerB)
	_, _ = outerA.Write(baseA), outerB.flush(baseB)
	if fmt.Sprint(baseA) != fmt.Sprint(baseB) {
		t.Fatalf("base stores differ after flushing:\n cache     %v\n reference %v", baseA, baseB)
	}
}

func (n *naive) flush(dst KV) error {
	for k, v := range n.writes {
		if v == nil {
			_ = dst.Delete([]byte(k))
		} else {
			_ = dst.Set([]byte(k), v)
		}
	}
	clear(n.writes)
	return nil
}

func rangeOf(r *rand.Rand, key func() []byte) (start, end []byte) {
	switch r.IntN(4) {
	case 0:
		return nil, nil
	case 1:
		return key(), nil
	}
	a, b := key(), key()
	if string(a) > string(b) {
		a, b = b, a
	}
	return a, b
}

// TestCacheWritesInKeyOrder pins the order Write flushes in: the tree's
// hash depends on it.
func TestCacheWritesInKeyOrder(t *testing.T) {
	c := NewCache(mapKV{})
	for _, k := range []string{"c", "a", "d", "b"} {
		_ = c.Set([]byte(k), []byte("v"))
	}
	_ = c.Delete([]byte("d"))
	var got []string
	if err := c.Write(recorder{&got}); err != nil {
		t.Fatal(err)
	}
	if want := "[set a set b set c del d]"; fmt.Sprint(got) != want {
		t.Fatalf("Write order %v, want %s", got, want)
	}
	if c.Len() != 0 {
		t.Fatalf("Write left %d buffered writes", c.Len())
	}
}

type recorder struct{ ops *[]string }

func (r recorder) Get([]byte) ([]byte, error)                           { return nil, nil }
func (r recorder) Iterate([]byte, []byte, func(k, v []byte) bool) error { return nil }
func (r recorder) Set(k, _ []byte) error                                { *r.ops = append(*r.ops, "set "+string(k)); return nil }
func (r recorder) Delete(k []byte) error                                { *r.ops = append(*r.ops, "del "+string(k)); return nil }

// failing is a parent whose walk fails after its first key.
type failing struct{ mapKV }

var errWalk = errors.New("disk read failed")

func (f failing) Iterate(start, end []byte, fn func(k, v []byte) bool) error {
	n := 0
	err := f.mapKV.Iterate(start, end, func(k, v []byte) bool {
		if n++; n > 1 {
			return false
		}
		return fn(k, v)
	})
	if err == nil && n > 1 {
		return errWalk
	}
	return err
}

// TestCacheIteratePassesParentErrors: a parent's failure part way through
// a walk is Iterate's error (the Reader contract allows fn to have seen
// the keys before it), never a silently short walk.
func TestCacheIteratePassesParentErrors(t *testing.T) {
	c := NewCache(failing{mapKV{"a": []byte("1"), "b": []byte("2"), "c": []byte("3")}})
	_ = c.Set([]byte("bb"), []byte("buffered"))
	var seen []string
	err := c.Iterate(nil, nil, func(k, v []byte) bool {
		seen = append(seen, string(k))
		return true
	})
	if !errors.Is(err, errWalk) {
		t.Fatalf("Iterate = %v after seeing %v, want the parent's error", err, seen)
	}
}
