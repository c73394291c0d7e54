package bench

import (
	"context"
	"testing"
)

// TestAllocMarketSmall runs the market benchmark on a tiny book and checks
// that the report adds up: every ask set, every queued Run either matched
// or failed in the timed block, no more slots taken than asked for. It
// never checks a time.
func TestAllocMarketSmall(t *testing.T) {
	o := MarketAllocOptions{Provers: 20, Asks: 50, Workloads: 40, Runs: 2, Seed: 3, Dir: t.TempDir()}
	res, err := AllocMarket(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if res.Mechanism != "market" || res.Provers != o.Provers || res.Asks != o.Asks || res.Workloads != o.Workloads || len(res.BlocksMs) != o.Runs {
		t.Fatalf("report %+v", res)
	}
	if res.Matched+res.Unmatched != o.Workloads*o.Runs {
		t.Errorf("%d matched + %d failed, want %d Runs", res.Matched, res.Unmatched, o.Workloads*o.Runs)
	}
	if res.Matched == 0 || res.Unmatched == 0 {
		t.Errorf("want both matched and failed Runs in a mixed book: %+v", res)
	}
	if res.Taken < res.Matched || res.Taken > res.Slots || res.Slots < o.Workloads*o.Runs || res.Slots > 3*o.Workloads*o.Runs {
		t.Errorf("%d slots taken of %d for %d matched Runs", res.Taken, res.Slots, res.Matched)
	}
	misses := 0
	for _, n := range res.MissReasons {
		misses += n
	}
	if misses < res.Unmatched { // a failed Run names at least one miss when the book is not empty
		t.Errorf("%d misses named for %d failed Runs: %v", misses, res.Unmatched, res.MissReasons)
	}
	if res.MsPerBlock <= 0 || res.AcceptWindow != mktAcceptWindow {
		t.Errorf("report %+v", res)
	}
}

// TestAllocPoolSmall runs the benchmark with pool Runs: a pool is frozen
// at an epoch's first block, every queued Run is drawn or drawn on nobody
// (its slots open to the open market), and no
// more slots are taken than the pool's members have room for
// (max_concurrent 8 each). It never checks a time.
func TestAllocPoolSmall(t *testing.T) {
	o := MarketAllocOptions{Mechanism: "pool", Provers: 40, Asks: 80, Workloads: 40, Runs: 2, Seed: 5, Dir: t.TempDir()}
	res, err := AllocMarket(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if res.Mechanism != "pool" || res.PoolMembers["cpu"] == 0 || res.PoolMembers["cpu"] > 32 || res.FreezeMs <= 0 {
		t.Fatalf("report %+v", res)
	}
	if res.Matched+res.Unmatched != o.Workloads*o.Runs || res.Matched == 0 {
		t.Errorf("%d matched + %d unmatched, want %d Runs, some matched", res.Matched, res.Unmatched, o.Workloads*o.Runs)
	}
	if res.Taken < res.Matched || res.Taken > 8*res.PoolMembers["cpu"] {
		t.Errorf("%d slots taken for %d matched Runs, a pool of %d", res.Taken, res.Matched, res.PoolMembers["cpu"])
	}
}
