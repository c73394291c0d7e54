// Package stats holds the few order statistics the benchmarks and load
// tests report: one median and one percentile, with one convention, so
// that figures from different benchmarks mean the same thing.
//
// The convention: a statistic of n samples is the element at a rank of the
// sorted samples, never an interpolation, so it is always a value that was
// measured, and MedianIndex names the sample that Median returns. The
// median is the upper middle element (index n/2) for an even n. The
// inputs are never reordered; an empty input gives the zero value.
package stats

import (
	"cmp"
	"slices"
)

// Median is the median of xs: the element at index len(xs)/2 once sorted.
func Median[T cmp.Ordered](xs []T) T {
	return Rank(xs, len(xs)/2)
}

// P99 is the 99th percentile of xs: the element at index
// min(n-1, n*99/100) once sorted.
func P99[T cmp.Ordered](xs []T) T {
	return Rank(xs, min(len(xs)-1, len(xs)*99/100))
}

// Rank is the element of xs at index i once sorted (0 when xs is empty).
func Rank[T cmp.Ordered](xs []T, i int) T {
	var zero T
	if len(xs) == 0 || i < 0 || i >= len(xs) {
		return zero
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[i]
}

// MedianIndex is the index in xs of the sample Median returns (the first
// such index when values repeat), or -1 when xs is empty.
func MedianIndex[T cmp.Ordered](xs []T) int {
	if len(xs) == 0 {
		return -1
	}
	idx := make([]int, len(xs))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int { return cmp.Compare(xs[a], xs[b]) })
	return idx[len(idx)/2]
}
