package alloc

import (
	"crypto/sha256"
	"encoding/binary"
	"testing"
)

// TestChallengedRecomputable: the decision is a pure function of (seed,
// address, interval), reproduced here from its definition.
func TestChallengedRecomputable(t *testing.T) {
	seed := sha256.Sum256([]byte("seed"))
	for i := 0; i < 200; i++ {
		var a [20]byte
		binary.BigEndian.PutUint32(a[:], uint32(i))
		h := sha256.Sum256(append(append(append([]byte(challengeDomain), seed[:]...), a[:]...), make([]byte, 8)...))
		x := binary.BigEndian.Uint64(h[:8])
		const interval = 7
		want := x%interval == 0 // x < bound with overwhelming probability for interval 7
		if x >= (^uint64(0)/interval)*interval {
			continue
		}
		if got := Challenged(seed[:], a, interval); got != want {
			t.Fatalf("address %d: Challenged = %v, recomputed %v", i, got, want)
		}
		if Challenged(seed[:], a, interval) != Challenged(seed[:], a, interval) {
			t.Fatal("not deterministic")
		}
	}
}

// TestChallengeRate: over many (seed, prover) pairs the share challenged is
// 1/interval within a tolerance of five standard deviations.
func TestChallengeRate(t *testing.T) {
	const interval, n = 20, 100_000
	hits := 0
	for i := 0; i < n; i++ {
		var seed [8]byte
		binary.BigEndian.PutUint64(seed[:], uint64(i/100))
		var a [20]byte
		binary.BigEndian.PutUint32(a[:], uint32(i%100))
		if Challenged(seed[:], a, interval) {
			hits++
		}
	}
	// mean n/interval = 5000, sd = sqrt(n*p*(1-p)) ~ 68.9; 5 sd ~ 345.
	if hits < 5000-345 || hits > 5000+345 {
		t.Fatalf("%d of %d challenged, want about %d", hits, n, n/interval)
	}
	if got := ChallengedProvers([]byte("s"), [][20]byte{{1}, {2}}, 1); len(got) != 2 {
		t.Fatalf("interval 1 must challenge everyone, got %d", len(got))
	}
}
