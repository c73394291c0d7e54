package prover

import (
	"testing"
	"time"
)

func TestPromise(t *testing.T) {
	var p pace
	if by := promise(100, 1000, 1e9, 0, 1, p); by != 0 {
		t.Fatalf("no measurements: promised %d, want 0 (the deadline)", by)
	}
	t0 := time.Unix(1000, 0)
	p.sawHeight(10, t0)
	p.sawHeight(12, t0.Add(time.Second)) // 0.5 s per block
	p.proved(5e8, time.Minute)           // too small to count
	if by := promise(100, 1000, 4e9, 0, 1, p); by != 0 {
		t.Fatalf("only a tiny job measured: promised %d, want 0", by)
	}
	p.proved(2e10, time.Second) // 2e10 cycles per second
	if p.blockSec != 0.5 || p.cyclesPerSec != 2e10 {
		t.Fatalf("pace %+v", p)
	}
	// 4e11 cycles: 20 s, times 3 is 60 s, 120 blocks, plus 10: by tip + 1 + 130.
	if by := promise(100, 1000, 4e11, 0, 2, p); by != 231 {
		t.Fatalf("promise %d, want 231", by)
	}
	// Two jobs ahead of a capacity of 2: a second round, 240 + 10.
	if by := promise(100, 1000, 4e11, 2, 2, p); by != 351 {
		t.Fatalf("promise behind a full round %d, want 351", by)
	}
	// A small budget still gets the floor: 30 s, 60 blocks, plus 10.
	if by := promise(100, 1000, 1e9, 0, 2, p); by != 171 {
		t.Fatalf("promise for a small Run %d, want 171", by)
	}
	// A promise that would reach the deadline is the deadline.
	if by := promise(100, 200, 4e11, 0, 2, p); by != 0 {
		t.Fatalf("promise past the deadline %d, want 0", by)
	}
	// A slow job lowers the speed, and the promise grows.
	p.proved(1e10, 2*time.Second)
	if by := promise(100, 1000, 4e11, 0, 2, p); by <= 231 {
		t.Fatalf("after a slow job: promise %d, want more than 231", by)
	}
	// Heights seen out of order or twice change nothing.
	before := p.blockSec
	p.sawHeight(11, t0.Add(3*time.Second))
	p.sawHeight(12, t0.Add(4*time.Second))
	if p.blockSec != before {
		t.Fatalf("block time moved on a stale height: %v -> %v", before, p.blockSec)
	}
}
