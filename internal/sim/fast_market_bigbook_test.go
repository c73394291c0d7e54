package sim

import "testing"

// TestFastMatchesFullMarketBigBook: the fast fidelity's market read must
// end every Run as the chain's does on a population whose books hold
// more than wire.MarketSkip slow asks below the fast ones and more than
// MarketScan provers at one price, where the book's order (price, then
// latency), the cut and the level skip decide who is read.
// TestFastMatchesFullMarket's 40 provers never reach those bounds. (A
// review wrote it: with the fast read left in the old order, 14 of 60
// Runs ended differently.)
func TestFastMatchesFullMarketBigBook(t *testing.T) {
	o := testPopulation(1)
	o.Provers, o.Workloads, o.Blocks = 2000, 60, 8
	o.UndercutterShare = 0.4
	o.Mechanism = MechMarket
	_, fast := runLedger(t, o)
	o.Fidelity = FidelityFull
	_, full := runLedger(t, o)
	t.Logf("unmatched: fast %d, full %d", fast.unmatched, full.unmatched)
	diff := 0
	for i := range fast.out {
		if fast.out[i] != full.out[i] {
			diff++
			if diff <= 5 {
				t.Errorf("workload %d: fast %+v, full %+v", i, fast.out[i], full.out[i])
			}
		}
	}
	if diff > 0 || fast.unmatched != full.unmatched {
		t.Errorf("%d of %d workloads end differently; unmatched fast %d full %d", diff, len(fast.out), fast.unmatched, full.unmatched)
	}
}
