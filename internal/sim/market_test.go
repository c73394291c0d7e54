package sim

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/provernet/provernet/internal/alloc"
)

// marketPopulation is a market population with ties in price (an
// undercutter and a cartel), both priorities, GPU Runs, and misbehaving
// provers whose misses move reputations.
func marketPopulation(seed uint64, mech, book string) Options {
	o := DefaultOptions()
	o.Provers, o.Workloads, o.Blocks, o.Seed = 300, 3000, 30, seed
	o.Mechanism, o.MarketBook = mech, book
	o.TimePriority, o.CartelShare, o.UndercutterShare, o.GPUShare = 0.3, 0.1, 0.15, 0.2
	o.FailRate, o.LazyShare, o.SilentShare = 0.05, 0.1, 0.05
	return o
}

// TestMarketMatchesNaive is the differential test of the simulator's
// market: every match it makes (alloc.Match on the candidates its read
// keeps) must be what the chain's reference matcher, alloc.MatchNaive,
// takes from the whole of what was read (the chain's bounded read; with
// BookAll every active prover's asks). Seeds are drawn afresh each run
// and printed.
func TestMarketMatchesNaive(t *testing.T) {
	base := uint64(time.Now().UnixNano())
	r := rand.New(rand.NewPCG(base, 17))
	for _, c := range []struct{ mech, book string }{
		{MechMarket, BookChain}, {MechCheapest, BookChain}, {MechMarket, BookRoom}, {MechMarket, BookAll}, {MechCheapest, BookAll},
	} {
		seed := r.Uint64() % 1_000_000
		o := marketPopulation(seed, c.mech, c.book)
		t.Logf("%s, book %s, seed %d: %s", c.mech, c.book, seed, o.Command())
		if err := o.Validate(); err != nil {
			t.Fatal(err)
		}
		e := newFastEngine(NewPopulation(o))
		var matches, empty, ties int
		e.onMatch = func(s []byte, ord alloc.MarketOrder, read, taken []alloc.Ask) {
			matches++
			if len(taken) == 0 {
				empty++
			}
			if want := alloc.MatchNaive(s, ord, read); !slices.Equal(taken, want) {
				t.Fatalf("%s book %s seed %d, order %x: the simulator took %v, MatchNaive on the %d asks read %v", c.mech, c.book, seed, ord.ID[:4], taken, len(read), want)
			}
			for i := 1; i < len(taken); i++ {
				if taken[i].Price == taken[i-1].Price && taken[i].Latency == taken[i-1].Latency {
					ties++
				}
			}
		}
		led, err := e.run()
		if err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
		if led.supplyErr != nil {
			t.Fatalf("%s book %s seed %d: %v", c.mech, c.book, seed, led.supplyErr)
		}
		t.Logf("%s book %s seed %d: %d matches, %d empty, %d ties in price and latency", c.mech, c.book, seed, matches, empty, ties)
		if matches < o.Workloads || matches == empty {
			t.Errorf("%s book %s seed %d: %d matches (%d empty) for %d Runs", c.mech, c.book, seed, matches, empty, o.Workloads)
		}
		if c.mech == MechMarket && ties == 0 {
			t.Errorf("%s book %s seed %d: no match took two asks of equal price and latency; the population should tie", c.mech, c.book, seed)
		}
	}
}

// cartelRun is the market with a cartel of share c (0: none) asking the
// users' max_price, on a population without a sybil operator or an
// undercutter, so the cartel's is the only coordinated price.
func cartelRun(t *testing.T, seed uint64, c float64) *Report {
	t.Helper()
	o := DefaultOptions()
	o.Provers, o.Workloads, o.Blocks, o.Seed = 400, 4000, 40, seed
	o.Mechanism, o.SybilShare, o.UndercutterShare, o.CartelShare = MechMarket, 0, 0, c
	r, err := Run(o)
	if err != nil {
		t.Fatalf("seed %d, cartel %v: %v", seed, c, err)
	}
	return r
}

// TestCartelRaisesPrice: a cartel holding most of the capacity raises what
// users pay per mega-cycle; one holding little does not.
func TestCartelRaisesPrice(t *testing.T) {
	for _, seed := range []uint64{1, 2} {
		none, little, most := cartelRun(t, seed, 0), cartelRun(t, seed, 0.1), cartelRun(t, seed, 0.85)
		t.Logf("seed %d: price per mega-cycle %.2f without a cartel, %.2f with 10%%, %.2f with 85%%", seed, none.PricePerMcycle, little.PricePerMcycle, most.PricePerMcycle)
		if most.PricePerMcycle < 1.5*none.PricePerMcycle {
			t.Errorf("seed %d: a cartel of 85%% left the price at %.2f per mega-cycle (%.2f without); want at least 1.5 times", seed, most.PricePerMcycle, none.PricePerMcycle)
		}
		if little.PricePerMcycle > 1.1*none.PricePerMcycle {
			t.Errorf("seed %d: a cartel of 10%% raised the price to %.2f per mega-cycle (%.2f without); want within 10%%", seed, little.PricePerMcycle, none.PricePerMcycle)
		}
		for _, r := range []*Report{none, little, most} {
			if !r.SupplyOK {
				t.Errorf("seed %d: supply broken", seed)
			}
		}
	}
}
