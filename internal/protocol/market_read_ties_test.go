package protocol

import (
	"fmt"
	"reflect"
	"testing"

	"github.com/provernet/provernet/wire/address"
	"github.com/provernet/provernet/wire/pb"
)

// askBoth sets an ask serving the program, the cpu class, or both.
func (w *readWorld) askBoth(a address.Address, id uint32, price uint64, latency, height int64, which int) {
	m := &pb.SetAsk{Id: id, Price: price, Latency: latency}
	switch which {
	case 0:
		m.Classes = []string{ClassCPU}
	case 1:
		m.Programs = [][]byte{w.prog.Id}
	default:
		m.Programs, m.Classes = [][]byte{w.prog.Id}, []string{ClassCPU}
	}
	env := w.env
	env.Height = height
	if _, err := setAsk(w.kv, env, a, m); err != nil {
		w.t.Fatal(err)
	}
}

// TestReadBookCutMatchesNaiveTies is TestReadBookMatchesNaive with many
// ties of price and latency, asks serving both targets (one ask read
// twice), several asks per prover and k up to 8.
func TestReadBookCutMatchesNaiveTies(t *testing.T) {
	for seed := range uint64(1500) {
		w := newReadWorld(t, seed+10_000)
		n := 1 + w.rng.IntN(25)
		for range n {
			a := w.prover(uint32(1+w.rng.IntN(4)), uint32(w.rng.IntN(3)))
			for id := range uint32(1 + w.rng.IntN(5)) {
				w.askBoth(a, id, uint64(1+w.rng.IntN(4)), int64(3+w.rng.IntN(4)), int64(1+w.rng.IntN(6)), w.rng.IntN(3))
			}
		}
		o := &pb.MarketOrder{Mechanism: pb.Mechanism_MECHANISM_MARKET, MaxPrice: uint64(1 + w.rng.IntN(4)), MaxLatency: int64(3 + w.rng.IntN(4))}
		if w.rng.IntN(2) == 0 {
			o.Priority = pb.Priority_PRIORITY_TIME
		}
		for _, a := range w.all {
			switch w.rng.IntN(10) {
			case 0:
				o.Allow = append(o.Allow, a[:])
			case 1:
				o.Deny = append(o.Deny, a[:])
			}
		}
		wl := w.workload(int64(2+w.rng.IntN(5)), uint32(1+w.rng.IntN(8)), o)
		beacon := fmt.Appendf(nil, "seed %d", seed)
		if got, want := w.read(wl, beacon), w.naive(wl, beacon); !reflect.DeepEqual(got, want) {
			t.Fatalf("seed %d: readBook then Match took %v; MatchNaive over every ask took %v", seed, got, want)
		}
	}
}

// TestReadBookResidualHardware pins the bounded read's residual that the
// level skip does not close (docs/MARKET.md): an ask whose prover fails
// the program's hardware (or one set in the Run's block, or denied) still
// costs one skip each, not one a level: 16 provers of too little
// hardware (the cpu class admits them), 16 asks each at one price and a
// fast latency, hide an honest ask.
func TestReadBookResidualHardware(t *testing.T) {
	w := newReadWorld(t, 1)
	honest := w.prover(4, 2)
	w.ask(honest, 0, 5, 3, 1, false)
	for range 16 {
		a := w.prover(0, 2) // the program needs at least one core
		for id := range uint32(16) {
			w.ask(a, id, 1, 3, 1, false)
		}
	}
	wl := w.workload(5, 1, &pb.MarketOrder{Mechanism: pb.Mechanism_MECHANISM_MARKET, MaxPrice: 10, MaxLatency: 10})
	if got := w.read(wl, []byte("seed")); len(got) != 0 {
		t.Fatalf("took %v: the residual is closed; update docs/MARKET.md and this test", got)
	}
}
