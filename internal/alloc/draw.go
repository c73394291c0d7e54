package alloc

import (
	"crypto/sha256"
	"encoding/binary"
	"math"
)

// DrawOutcome says what became of one counter value.
type DrawOutcome string

const (
	// DrawAccepted: the index was new and its prover was chosen.
	DrawAccepted DrawOutcome = "accepted"
	// DrawRejectedBias: the value was >= floor(2^64/n)*n and would have
	// biased x mod n towards small indices.
	DrawRejectedBias DrawOutcome = "rejected_bias"
	// DrawRejectedRepeat: the index had already been drawn for this workload.
	DrawRejectedRepeat DrawOutcome = "rejected_repeat"
)

// Draw is one step of a workload's selection.
type Draw struct {
	Counter uint64      `json:"counter"`
	Value   uint64      `json:"value"` // first 8 bytes, big-endian, of SHA-256(r || counter)
	Index   int         `json:"index"` // Value mod n, or -1 when rejected for bias
	Outcome DrawOutcome `json:"outcome"`
	Prover  [20]byte    `json:"prover"` // the chosen prover, when accepted
}

// workloadR returns r = SHA-256(seed || id). buf is scratch space.
func workloadR(buf []byte, seed []byte, id [32]byte) ([32]byte, []byte) {
	buf = append(append(buf[:0], seed...), id[:]...)
	return sha256.Sum256(buf), buf
}

// acceptBound returns the rejection bound for n > 0: a value x is accepted
// when all is true or x < bound, bound = floor(2^64/n)*n.
func acceptBound(n uint64) (bound uint64, all bool) {
	rem := (math.MaxUint64%n + 1) % n // 2^64 mod n
	if rem == 0 {
		return 0, true // n divides 2^64: floor(2^64/n)*n = 2^64
	}
	return -rem, false // 2^64 - rem, in uint64 arithmetic
}

// drawIndices draws min(want, n) distinct indices in [0, n) from r as the
// package documentation describes, in draw order. With trace non-nil, every
// counter value is appended to it (Prover left zero).
func drawIndices(r [32]byte, n uint64, want int, trace *[]Draw) []uint64 {
	if n == 0 || want <= 0 {
		return nil
	}
	if uint64(want) > n {
		want = int(n)
	}
	bound, all := acceptBound(n)
	var buf [40]byte
	copy(buf[:32], r[:])
	out := make([]uint64, 0, want)
	var seen map[uint64]struct{}
	if want > 128 { // below, a scan of out is cheaper than a map (the result is the same)
		seen = make(map[uint64]struct{}, want)
	}
	for c := uint64(0); len(out) < want; c++ {
		binary.BigEndian.PutUint64(buf[32:], c)
		h := sha256.Sum256(buf[:])
		x := binary.BigEndian.Uint64(h[:8])
		if !all && x >= bound {
			if trace != nil {
				*trace = append(*trace, Draw{Counter: c, Value: x, Index: -1, Outcome: DrawRejectedBias})
			}
			continue
		}
		idx := x % n
		repeat := false
		if seen != nil {
			_, repeat = seen[idx]
			seen[idx] = struct{}{}
		} else {
			for _, o := range out {
				if o == idx {
					repeat = true
					break
				}
			}
		}
		outcome := DrawAccepted
		if repeat {
			outcome = DrawRejectedRepeat
		} else {
			out = append(out, idx)
		}
		if trace != nil {
			*trace = append(*trace, Draw{Counter: c, Value: x, Index: int(idx), Outcome: outcome})
		}
	}
	return out
}

// fenwick is a binary indexed tree over 0/1 values: the number of ones
// (total), point updates and "position of the i-th one" in O(log n).
type fenwick struct {
	t     []int // 1-based partial sums
	total int
	top   int // highest power of two <= len(t)-1
}

func newFenwick(ones []bool) fenwick {
	n := len(ones)
	f := fenwick{t: make([]int, n+1), top: 1}
	for i, v := range ones {
		if v {
			f.t[i+1]++
			f.total++
		}
	}
	for i := 1; i <= n; i++ {
		if j := i + i&-i; j <= n {
			f.t[j] += f.t[i]
		}
	}
	for f.top*2 <= n {
		f.top *= 2
	}
	return f
}

// add adds d at 0-based position i.
func (f *fenwick) add(i, d int) {
	f.total += d
	for i++; i < len(f.t); i += i & -i {
		f.t[i] += d
	}
}

// find returns the 0-based position of the one of rank k (0-based);
// 0 <= k < total.
func (f *fenwick) find(k int) int {
	pos, rem := 0, k+1
	for step := f.top; step > 0; step >>= 1 {
		if next := pos + step; next < len(f.t) && f.t[next] < rem {
			pos = next
			rem -= f.t[next]
		}
	}
	return pos
}

// Sample draws min(want, n) distinct indices in [0, n) from
// r = SHA-256(seed || id), exactly as a workload's provers are drawn. The
// verification committee of PROTOCOL.md 5.5 is drawn this way when the
// active set is larger than committee_size.
func Sample(seed []byte, id [32]byte, n uint64, want int) []uint64 {
	r, _ := workloadR(nil, seed, id)
	return drawIndices(r, n, want, nil)
}
