package stats

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

func TestMedianAndP99(t *testing.T) {
	for _, c := range []struct {
		xs          []int
		median, p99 int
	}{
		{nil, 0, 0},
		{[]int{7}, 7, 7},
		{[]int{3, 1}, 3, 3},
		{[]int{5, 1, 3}, 3, 5},
		{[]int{4, 1, 3, 2}, 3, 4},
	} {
		in := slices.Clone(c.xs)
		if got := Median(c.xs); got != c.median {
			t.Errorf("Median(%v) = %d, want %d", c.xs, got, c.median)
		}
		if got := P99(c.xs); got != c.p99 {
			t.Errorf("P99(%v) = %d, want %d", c.xs, got, c.p99)
		}
		if !slices.Equal(in, c.xs) {
			t.Errorf("the input was reordered: %v", c.xs)
		}
	}
	ds := make([]time.Duration, 100)
	for i := range ds {
		ds[i] = time.Duration(100 - i)
	}
	if got := P99(ds); got != 100 {
		t.Errorf("P99 of 1..100 = %d, want 100", got)
	}
	if got := P99(ds[1:]); got != 99 {
		t.Errorf("P99 of 1..99 = %d, want 99", got)
	}
}

// TestMedianIndexNamesTheMedian checks, on seeded random samples, that
// MedianIndex points at a sample equal to Median, and that at most half of
// the samples are below it and at most half above.
func TestMedianIndexNamesTheMedian(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	r := rand.New(rand.NewPCG(seed, 1))
	for range 200 {
		xs := make([]float64, 1+r.IntN(12))
		for i := range xs {
			xs[i] = float64(r.IntN(5))
		}
		i, m := MedianIndex(xs), Median(xs)
		if xs[i] != m {
			t.Fatalf("MedianIndex(%v) = %d (%v), Median %v", xs, i, xs[i], m)
		}
		below, above := 0, 0
		for _, x := range xs {
			if x < m {
				below++
			} else if x > m {
				above++
			}
		}
		if below > len(xs)/2 || above > len(xs)/2 {
			t.Fatalf("%v: median %v has %d below and %d above", xs, m, below, above)
		}
	}
	if MedianIndex([]int(nil)) != -1 {
		t.Error("MedianIndex of nothing is not -1")
	}
}
