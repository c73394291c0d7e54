package sim

import (
	"slices"
	"testing"
)

// TestBidsServeHighestFirst: under overload Scroll's bids serve the Runs
// that bid most, and a block that turns Runs away charges more than the
// reserve; the lottery serves without regard to value.
func TestBidsServeHighestFirst(t *testing.T) {
	for _, seed := range []uint64{1, 2} {
		o := DefaultOptions()
		o.Provers, o.Workloads, o.Blocks, o.Seed, o.Mechanism = 60, 6000, 60, seed, MechBids
		t.Logf("seed %d: %s", seed, o.Command())
		pop, led := runLedger(t, o)
		bids := make([]uint64, 0, len(pop.Workloads))
		for i := range pop.Workloads {
			if !Programs[pop.Workloads[i].Program].GPU {
				bids = append(bids, pop.Workloads[i].Bid)
			}
		}
		slices.Sort(bids)
		median := bids[len(bids)/2]
		var high, low, highFinal, lowFinal int
		for i := range pop.Workloads {
			w := &pop.Workloads[i]
			if Programs[w.Program].GPU {
				continue
			}
			final := led.out[i].state == outFinal
			switch {
			case w.Bid > median:
				high++
				if final {
					highFinal++
				}
			case w.Bid < median:
				low++
				if final {
					lowFinal++
				}
			}
		}
		hi, lo := float64(highFinal)/float64(high), float64(lowFinal)/float64(low)
		price := float64(led.priced) / float64(led.pricedMcycles)
		reserve := float64(o.Params.PricePerMcycle) / 2
		t.Logf("seed %d: %.1f%% of Runs bidding above the median final, %.1f%% below; %.2f uprv per mega-cycle paid (reserve %.1f)", seed, 100*hi, 100*lo, price, reserve)
		if hi < lo+0.2 {
			t.Errorf("seed %d: Runs above the median bid final %.3f, below %.3f; want the higher bids served clearly more", seed, hi, lo)
		}
		if price < 1.2*reserve {
			t.Errorf("seed %d: overload cleared at %.2f per mega-cycle, the reserve is %.1f; want the price to rise", seed, price, reserve)
		}
	}
}

// TestVotesFollowReputation: under B52's votes the builder takes the
// best-drawn voters by reputation, so provers that miss (lazy decliners,
// crashes) get far less work than their share of the provers. (Who is
// chosen feeds back into reputation, so income is skewed: a group's share
// varies by tens of percent between seeds, and the sybil operator's is
// only logged.)
func TestVotesFollowReputation(t *testing.T) {
	for _, seed := range []uint64{1, 2} {
		o := DefaultOptions()
		o.Provers, o.Workloads, o.Blocks, o.Seed, o.Mechanism = 400, 8000, 100, seed, MechVotes
		o.LazyShare, o.LazyDeclineRate = 0.2, 0.5
		t.Logf("seed %d: %s", seed, o.Command())
		r, err := Run(o)
		if err != nil {
			t.Fatal(err)
		}
		rows := map[string]StrategyRow{}
		for _, row := range r.Strategies {
			rows[row.Strategy] = row
		}
		lazy, sybil, honest := rows["lazy"], rows["sybil"], rows["honest"]
		t.Logf("seed %d: of the stake and of the proofs: lazy provers %.1f%% and %.1f%%, sybil %.1f%% and %.1f%%, honest %.1f%% and %.1f%%",
			seed, 100*lazy.StakeShare, 100*lazy.ProofShare, 100*sybil.StakeShare, 100*sybil.ProofShare, 100*honest.StakeShare, 100*honest.ProofShare)
		if lazy.ProofShare > 0.5*lazy.StakeShare {
			t.Errorf("seed %d: lazy provers proved %.3f of the proofs with %.3f of the stake; want reputation to keep them well below", seed, lazy.ProofShare, lazy.StakeShare)
		}
	}
}
