package loadtest

import (
	"slices"
	"time"
)

// P99 is the 99th percentile of ds (0 if ds is empty).
func P99(ds []time.Duration) time.Duration {
	return rank(ds, func(n int) int { return min(n-1, n*99/100) })
}

// Median is the median of ds, the upper of two (0 if ds is empty).
func Median(ds []time.Duration) time.Duration {
	return rank(ds, func(n int) int { return n / 2 })
}

// rank is the element of ds at index at(len(ds)) once sorted; ds is left
// as it is.
func rank(ds []time.Duration, at func(n int) int) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[at(len(s))]
}
