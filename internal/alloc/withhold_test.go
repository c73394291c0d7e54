package alloc

import (
	"crypto/sha256"
	"encoding/binary"
	"math"
	"testing"
)

// TestWithholdingGainsOneRerollAtMost measures beacon withholding
// (docs/SECURITY.md, "Beacon steering"): the proposer of the allocating
// height knows the allocation before it proposes and may withhold its block
// to let the next round's proposer draw a fresh seed. A coalition holding a
// share f of the eligible provers, proposing a share v of the blocks and
// withholding whenever none of its provers is drawn, wins a k = 1 slot
// with probability f + v·(1-f)·f instead of f: at most (1+v) times its
// fair share, never more, because the draw is uniform and one withheld
// round buys exactly one fresh draw. The test measures both rates over
// many seeds and checks them against the formula.
func TestWithholdingGainsOneRerollAtMost(t *testing.T) {
	const (
		n      = 60
		own    = 12 // f = 0.2
		trials = 20000
		v      = 3 // the coalition proposes one block in v
	)
	provers := make([]Prover, n)
	mine := map[[20]byte]bool{}
	for i := range provers {
		provers[i] = Prover{Address: [20]byte{byte(i), 1}, Hardware: Hardware{CPUCores: 8, MemoryMB: 16384}, MaxConcurrent: 4}
		if i < own {
			mine[provers[i].Address] = true
		}
	}
	wins := func(seed []byte, id [32]byte) bool {
		out := Allocate(seed, 10, provers, []Workload{{ID: id, K: 1}})
		return len(out[0].Provers) == 1 && mine[out[0].Provers[0]]
	}
	seedOf := func(i, round int) []byte {
		s := sha256.Sum256(binary.BigEndian.AppendUint64(binary.BigEndian.AppendUint64(nil, uint64(i)), uint64(round)))
		return s[:]
	}
	honest, steered := 0, 0
	for i := range trials {
		id := sha256.Sum256(binary.BigEndian.AppendUint64(nil, uint64(i)))
		won := wins(seedOf(i, 0), id)
		if won {
			honest++
		}
		if !won && i%v == 0 { // its own proposal, withheld: the next round's seed
			won = wins(seedOf(i, 1), id)
		}
		if won {
			steered++
		}
	}
	f := float64(own) / n
	want := f + f*(1-f)/v
	sigma := math.Sqrt(want * (1 - want) / trials)
	gotHonest, gotSteered := float64(honest)/trials, float64(steered)/trials
	t.Logf("f=%.3f v=1/%d: fair %.4f (want %.4f), withholding %.4f (want %.4f, bound (1+v)f = %.4f)",
		f, v, gotHonest, f, gotSteered, want, f*(1+1.0/v))
	if math.Abs(gotHonest-f) > 4*sigma {
		t.Fatalf("without withholding the coalition wins %.4f of slots, want its share %.4f", gotHonest, f)
	}
	if math.Abs(gotSteered-want) > 4*sigma || gotSteered > f*(1+1.0/v)+4*sigma {
		t.Fatalf("withholding wins %.4f of slots, want %.4f (one re-roll per own proposal)", gotSteered, want)
	}
}
