package store

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// walkPlan is one walk of TestCacheNestedIterationAgainstReference: its
// range, where it stops, and what it does at each key it visits.
type walkPlan struct {
	start, end []byte
	stop       int
	ops        []int
	keys       [][]byte
}

// TestCacheNestedIterationAgainstReference: walks that, as they go, start
// nested walks of the same cache and of the cache under it, write to both
// and flush the inner cache into the outer one, with keys ending in 0x00
// and more buffered writes than a cursor chunk, must see what the naive
// reference (which copies its range up front) sees. It catches what
// TestCacheAgainstReference does not: a nested Iterate that ends must not
// let the next write go into the tree an outer Iterate still reads.
func TestCacheNestedIterationAgainstReference(t *testing.T) {
	for seed := uint64(1); seed <= 25; seed++ {
		r := rand.New(rand.NewPCG(seed, 99))
		key := func() []byte {
			k := fmt.Sprintf("k%02d", r.IntN(50))
			if r.IntN(4) == 0 {
				k += "\x00"
			}
			return []byte(k)
		}
		baseA, baseB := mapKV{}, mapKV{}
		for range 40 {
			k, v := key(), []byte(fmt.Sprint(r.IntN(1000)))
			baseA[string(k)], baseB[string(k)] = v, v
		}
		outerA, outerB := NewCache(baseA), &naive{parent: baseB, writes: map[string][]byte{}}
		innerA, innerB := NewCache(outerA), &naive{parent: outerB, writes: map[string][]byte{}}
		for range 60 {
			k, v := key(), []byte(fmt.Sprint(r.IntN(1000)))
			_, _ = outerA.Set(k, v), outerB.Set(k, v)
			k = key()
			_, _ = innerA.Delete(k), innerB.Delete(k)
			k, v = key(), []byte(fmt.Sprint(r.IntN(1000)))
			_, _ = innerA.Set(k, v), innerB.Set(k, v)
		}
		var plans []walkPlan
		var walk func(inner, outer KV, flushInner func(), p walkPlan, depth int, sb *strings.Builder)
		walk = func(inner, outer KV, flushInner func(), p walkPlan, depth int, sb *strings.Builder) {
			n := 0
			_ = inner.Iterate(p.start, p.end, func(k, v []byte) bool {
				fmt.Fprintf(sb, "%d:%q=%s ", depth, k, v)
				i := n % len(p.ops)
				switch p.ops[i] {
				case 0:
					_ = inner.Set(p.keys[i], []byte("w"))
				case 1:
					_ = inner.Delete(p.keys[i])
				case 2:
					_ = outer.Set(p.keys[i], []byte("o"))
				case 3:
					_ = outer.Delete(p.keys[i])
				case 4, 5:
					if depth < 3 {
						walk(inner, outer, flushInner, plans[(n+depth)%len(plans)], depth+1, sb)
					}
				case 6:
					if depth < 3 {
						walk(outer, outer, func() {}, plans[(n+2*depth+1)%len(plans)], depth+1, sb)
					}
				case 7:
					flushInner()
				}
				n++
				return n != p.stop
			})
			fmt.Fprintf(sb, "|%d ", depth)
		}
		for op := range 30 {
			plans = plans[:0]
			for range 6 {
				s, e := rangeOf(r, key)
				p := walkPlan{start: s, end: e, stop: r.IntN(30)}
				for range 40 {
					p.ops, p.keys = append(p.ops, r.IntN(8)), append(p.keys, key())
				}
				plans = append(plans, p)
			}
			var sa, sb strings.Builder
			walk(innerA, outerA, func() { _ = innerA.Write(outerA) }, plans[0], 0, &sa)
			walk(innerB, outerB, func() { _ = innerB.flush(outerB) }, plans[0], 0, &sb)
			if sa.String() != sb.String() {
				t.Fatalf("seed %d op %d:\n cache     %s\n reference %s", seed, op, sa.String(), sb.String())
			}
		}
		_, _ = innerA.Write(outerA), innerB.flush(outerB)
		_, _ = outerA.Write(baseA), outerB.flush(baseB)
		if fmt.Sprint(baseA) != fmt.Sprint(baseB) {
			t.Fatalf("seed %d: the base stores differ after flushing", seed)
		}
	}
}
