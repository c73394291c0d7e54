package sim

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// testPopulation is small and misbehaves often, so that a short run goes
// through declines, silences, crashes, copies, the open market, k = 1
// decay, false fails, held slots, griefing votes and their slashes,
// suspensions and reinstatements.
func testPopulation(seed uint64) Options {
	o := DefaultOptions()
	o.Provers, o.Workloads, o.Blocks, o.Seed = 40, 300, 30, seed
	o.FailRate, o.LazyShare, o.SilentShare, o.CopierShare = 0.05, 0.15, 0.05, 0.05
	o.GriefingShare, o.FalseFailShare, o.HolderShare = 0.15, 0.05, 0.05
	o.Params.CommitteeSize = 9
	return o
}

func runLedger(t *testing.T, o Options) (*Population, *ledger) {
	t.Helper()
	if err := o.Validate(); err != nil {
		t.Fatal(err)
	}
	pop := NewPopulation(o)
	var led *ledger
	var err error
	switch {
	case o.Fidelity == FidelityFull:
		led, err = newFullEngine(pop).run()
	case ownEngine(o.Mechanism):
		led, err = newMarketEngine(pop).run()
	default:
		led, err = newFastEngine(pop).run()
	}
	if err != nil {
		t.Fatalf("seed %d: %v", o.Seed, err)
	}
	if led.supplyErr != nil {
		t.Fatalf("seed %d: %v", o.Seed, led.supplyErr)
	}
	return pop, led
}

// TestFastMatchesFull runs the same seeded population through the fast
// fidelity (the simulator's event loop around alloc.Allocate, TiersFor
// and DecayBP) and the full one (protocol.Apply and BeginBlock with real
// sealed results and votes, the section 9 invariants checked after every
// block) and requires the same payout to every prover, the same end for
// every workload and the same supply totals.
func TestFastMatchesFull(t *testing.T) {
	for _, c := range []struct {
		seed uint64
		k    int
	}{{1, 0}, {2, 0}, {3, 1}, {4, 3}} {
		o := testPopulation(c.seed)
		o.K = c.k
		compareFastFull(t, o)
	}
}

// TestFastMatchesFullMarket is TestFastMatchesFull for the chain's market
// (mechanisms market and cheapest): the fast fidelity reads its own book
// and calls alloc.Match; the full one sends SetAsk and market Runs through
// protocol.Apply and lets BeginBlock match them. Both priorities, a cartel
// and an undercutter (ties in price, broken by reputation and the beacon),
// and a demand above the GPU provers' room (Runs that match nothing).
func TestFastMatchesFullMarket(t *testing.T) {
	for _, c := range []struct {
		mech string
		seed uint64
		k    int
	}{{MechMarket, 1, 0}, {MechMarket, 2, 3}, {MechCheapest, 3, 0}, {MechCheapest, 4, 0}} {
		o := testPopulation(c.seed)
		o.Mechanism, o.K = c.mech, c.k
		o.TimePriority, o.CartelShare, o.UndercutterShare, o.GPUShare = 0.4, 0.1, 0.1, 0.3
		led := compareFastFull(t, o)
		if led.unmatched == 0 || led.unmatched == o.Workloads {
			t.Errorf("%s seed %d: %d of %d Runs unmatched; the population should leave some, not all, unmatched", c.mech, c.seed, led.unmatched, o.Workloads)
		}
	}
}

// TestFastMatchesFullPool is TestFastMatchesFull for the chain's pool:
// the fast fidelity freezes its own pools (protocol.PoolScore, the
// index's bounded read, alloc.PoolRank) and draws with alloc.PoolDraw;
// the full one lets BeginBlock freeze and draw. A short epoch (so that
// several freezes see stakes slashed and provers suspended), a pool
// smaller than the population, undercutters whose cheap asks tie for the
// pool's places (seed 4: a cartel of one price, the cheapest, more of it tied at
// the last place than the freeze reads, wire.PoolTieFactor * pool_size),
// silent and holding members slashed slash_miss_bp, and more demand than
// the members' room (Runs that draw nobody: none fails, every slot of
// theirs opens at once to the open market at max_price).
// Each seed is printed (compareFastFull logs its command).
func TestFastMatchesFullPool(t *testing.T) {
	for _, c := range []struct {
		seed   uint64
		k      int
		size   string
		cartel float64
	}{{1, 0, "pool_size=16", 0.1}, {2, 1, "pool_size=12", 0.1}, {3, 3, "pool_size=10", 0.1}, {4, 0, "pool_size=3", 0.5}} {
		o := testPopulation(c.seed)
		o.Mechanism, o.K = MechPool, c.k
		o.CartelShare, o.CartelPrice, o.UndercutterShare, o.GPUShare = c.cartel, 0.3, 0.1, 0.3
		o.SilentShare, o.HolderShare, o.GriefingShare = 0.1, 0.1, 0.1
		if c.cartel > 0.1 { // the cartel's asks the cheapest, and more of them than the freeze reads
			o.SybilShare, o.LazyShare, o.UndercutterShare = 0, 0.05, 0
		}
		for _, a := range []string{c.size, "epoch_length=8"} {
			if err := o.SetParam(a); err != nil {
				t.Fatal(err)
			}
		}
		pop, full := runLedger(t, withFull(o))
		led := compareFastFull(t, o)
		poolSlashes := 0
		for i := range full.slashed {
			if s := pop.Provers[i].Strategy; (s == Silent || s == Holder) && full.slashed[i] > 0 {
				poolSlashes++
			}
		}
		if led.unmatched != 0 || led.drawnNone == 0 || led.drawnNone == o.Workloads || poolSlashes == 0 {
			t.Errorf("pool seed %d: %d of %d Runs failed unmatched, %d drawn on nobody, %d silent or holding provers slashed; no pool Run should fail unmatched, some but not all should draw nobody, and some members should be slashed",
				c.seed, led.unmatched, o.Workloads, led.drawnNone, poolSlashes)
		}
	}
}

func withFull(o Options) Options {
	o.Fidelity = FidelityFull
	return o
}

// compareFastFull runs o at both fidelities and requires the same payout
// to every prover, the same end for every workload and the same supply
// totals; it returns the full fidelity's ledger.
func compareFastFull(t *testing.T, o Options) *ledger {
	t.Helper()
	seed := o.Seed
	t.Logf("%s seed %d: %s", o.Mechanism, seed, o.Command())
	_, fast := runLedger(t, o)
	o.Fidelity, o.CheckEveryBlock = FidelityFull, true
	_, full := runLedger(t, o)
	for i := range fast.reward {
		if fast.reward[i] != full.reward[i] || fast.fees[i] != full.fees[i] || fast.slashed[i] != full.slashed[i] ||
			fast.removed[i] != full.removed[i] || fast.suspended[i] != full.suspended[i] || fast.proofs[i] != full.proofs[i] ||
			fast.msgs[i] != full.msgs[i] || fast.votes[i] != full.votes[i] || fast.denied[i] != full.denied[i] {
			t.Errorf("%s seed %d prover %d: fast reward %d fees %d slashed %d removed %v proofs %d; full reward %d fees %d slashed %d removed %v proofs %d",
				o.Mechanism, seed, i, fast.reward[i], fast.fees[i], fast.slashed[i], fast.removed[i], fast.proofs[i],
				full.reward[i], full.fees[i], full.slashed[i], full.removed[i], full.proofs[i])
		}
	}
	for i := range fast.out {
		if fast.out[i] != full.out[i] {
			t.Errorf("%s seed %d workload %d: fast %+v, full %+v", o.Mechanism, seed, i, fast.out[i], full.out[i])
		}
	}
	totals := func(l *ledger) []uint64 {
		return []uint64{l.genesis, l.minted, l.burned, l.balances, l.escrow, l.stake, l.refunded,
			l.computed, l.paid, l.work, l.paidWork, uint64(l.height), l.priced, l.pricedMcycles, uint64(l.unmatched), uint64(l.drawnNone)}
	}
	if f, g := totals(fast), totals(full); !slices.Equal(f, g) {
		t.Errorf("%s seed %d: totals (genesis minted burned balances escrow stake refunded computed paid work paid_work height priced priced_mcycles unmatched drawn_none)\nfast %v\nfull %v", o.Mechanism, seed, f, g)
	}
	// The run must have gone through the paths it claims to check. A
	// copier's repeated file is refused without a slash (the chain
	// cannot tell copy from original), so its slot times out like a
	// crash; griefing voters are slashed, and misses suspend.
	var slashed, suspended uint64
	for i := range full.slashed {
		slashed += full.slashed[i]
		if full.suspended[i] {
			suspended++
		}
	}
	if slashed == 0 || suspended == 0 || full.computed == full.paid || full.refunded == 0 || full.minted != 0 {
		t.Errorf("%s seed %d: the test population did not exercise slashing (%d), suspension (%d), wasted proofs (%d of %d) and refunds (%d), or it minted (%d)",
			o.Mechanism, seed, slashed, suspended, full.computed-full.paid, full.computed, full.refunded, full.minted)
	}
	return full
}

func stripWall(r *Report) *Report {
	c := *r
	c.WallS, c.EventsPerS = 0, 0
	return &c
}

func TestSameSeedSameReport(t *testing.T) {
	for _, m := range Mechanisms {
		o := DefaultOptions()
		o.Provers, o.Workloads, o.Blocks, o.Mechanism, o.Seed = 300, 3000, 60, m, 42
		a, err := Run(o)
		if err != nil {
			t.Fatal(err)
		}
		b, err := Run(o)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(stripWall(a), stripWall(b)) {
			t.Errorf("%s: two runs of seed 42 differ:\n%+v\n%+v", m, a, b)
		}
		o.Seed = 43
		c, err := Run(o)
		if err != nil {
			t.Fatal(err)
		}
		if reflect.DeepEqual(stripWall(a), stripWall(c)) {
			t.Errorf("%s: seeds 42 and 43 gave the same report", m)
		}
		if !a.SupplyOK || a.Final == 0 {
			t.Errorf("%s: supply ok %v, final %v", m, a.SupplyOK, a.Final)
		}
	}
}

// honestOptions is a population with no failures of any kind.
func honestOptions() Options {
	o := DefaultOptions()
	o.Provers, o.Workloads, o.Blocks = 200, 2000, 100
	o.FailRate, o.LazyShare, o.SilentShare, o.CopierShare, o.SybilShare, o.UndercutterShare = 0, 0, 0, 0, 0, 0
	return o
}

func TestNoFailuresFullLiveness(t *testing.T) {
	o := honestOptions()
	for _, seed := range []uint64{1, 2, 3} {
		o.Seed = seed
		r, err := Run(o)
		if err != nil {
			t.Fatal(err)
		}
		if r.Liveness != 1 || r.Delivered != 1 || r.Final != 1 || r.Slashed != 0 {
			t.Errorf("seed %d: liveness %v delivered %v final %v slashed %d; want 1, 1, 1, 0", seed, r.Liveness, r.Delivered, r.Final, r.Slashed)
		}
	}
}

// TestRaceConcentratesOnFastProver shows the failure the seeds fear: in a
// proof race one much faster prover wins most of what it enters, and
// takes many times the share it gets under the protocol's allocation.
func TestRaceConcentratesOnFastProver(t *testing.T) {
	o := honestOptions()
	o.Provers, o.Workloads, o.Blocks, o.FastProver = 50, 2000, 200, 10
	shares := map[string]float64{}
	ginis := map[string]float64{}
	for _, m := range []string{MechVRF, MechRace} {
		o.Mechanism = m
		r, err := Run(o)
		if err != nil {
			t.Fatal(err)
		}
		if r.TopOperator == "fast-prover" {
			shares[m] = r.TopOperatorRewardShare
		}
		ginis[m] = r.RewardGini
		t.Logf("%s: top %s with %.1f%% of income (stake %.1f%%), Gini %.3f", m, r.TopOperator, 100*r.TopOperatorRewardShare, 100*r.TopOperatorStakeShare, r.RewardGini)
	}
	if shares[MechRace] < 0.3 || shares[MechRace] < 3*shares[MechVRF] || ginis[MechRace] <= ginis[MechVRF] {
		t.Errorf("race: fast prover share %.3f (vrf %.3f), Gini %.3f (vrf %.3f); want it on top with >= 30%% and >= 3x its vrf share",
			shares[MechRace], shares[MechVRF], ginis[MechRace], ginis[MechVRF])
	}
}

func TestGiniNakamotoPercentile(t *testing.T) {
	if g, _ := gini([]uint64{5, 5, 5, 5}); g != 0 {
		t.Errorf("gini of equal incomes = %v", g)
	}
	if g, _ := gini([]uint64{0, 0, 0, 8}); g != 0.75 {
		t.Errorf("gini of one holding all of 4 = %v, want 0.75", g)
	}
	if n := nakamoto([]uint64{1, 1, 1, 1}); n != 3 {
		t.Errorf("nakamoto of 4 equal = %d, want 3", n)
	}
	if n := nakamoto([]uint64{10, 1, 1}); n != 1 {
		t.Errorf("nakamoto with a majority holder = %d, want 1", n)
	}
	xs := []int64{5, 1, 4, 2, 3}
	if p := percentile(xs, 50); p != 3 {
		t.Errorf("p50 = %d", p)
	}
	if p := percentile(xs, 99); p != 5 {
		t.Errorf("p99 = %d", p)
	}
}

func TestValidate(t *testing.T) {
	o := DefaultOptions()
	o.Mechanism, o.Fidelity = MechRace, FidelityFull
	if err := o.Validate(); err == nil {
		t.Error("race at fidelity full validated")
	}
	o = DefaultOptions()
	o.LazyShare, o.SybilShare = 0.7, 0.7
	if err := o.Validate(); err == nil {
		t.Error("strategy shares above 1 validated")
	}
	o = DefaultOptions()
	o.Provers = 1
	if err := o.Validate(); err == nil {
		t.Error("one prover validated")
	}
	o = DefaultOptions()
	o.Mechanism = "auction"
	if err := o.Validate(); err == nil || !strings.Contains(err.Error(), "cheapest") {
		t.Errorf("the retired auction: %v; want an error naming cheapest", err)
	}
	o = DefaultOptions()
	o.Mechanism, o.Fidelity, o.MarketBook = MechMarket, FidelityFull, BookAll
	if err := o.Validate(); err == nil {
		t.Error("a what-if book at fidelity full validated")
	}
}

func TestPlots(t *testing.T) {
	o := DefaultOptions()
	o.Provers, o.Workloads, o.Blocks = 50, 300, 20
	var rs []*Report
	for _, m := range Mechanisms {
		o.Mechanism = m
		r, err := Run(o)
		if err != nil {
			t.Fatal(err)
		}
		rs = append(rs, r)
	}
	files, err := WritePlots(t.TempDir(), rs)
	if err != nil || len(files) != 2 {
		t.Fatalf("plots: %v %v", files, err)
	}
	_ = fmt.Sprint(files)
}

// TestMemKV checks the full fidelity's store against a sorted map.
func TestMemKV(t *testing.T) {
	kv := newMemKV()
	want := map[string]string{}
	keys := []string{"acct/b", "acct/a", "prover/x", "timer/\x00\x01/w", "timer/\x00\x02/w", "seq", "supply", "wl/1", "wl/2"}
	for i, k := range keys {
		_ = kv.Set([]byte(k), []byte{byte(i)})
		want[k] = string([]byte{byte(i)})
	}
	_ = kv.Delete([]byte("wl/1"))
	delete(want, "wl/1")
	_ = kv.Set([]byte("acct/c"), []byte("c"))
	want["acct/c"] = "c"
	collect := func(start, end []byte) []string {
		var out []string
		_ = kv.Iterate(start, end, func(k, v []byte) bool {
			if want[string(k)] != string(v) {
				t.Errorf("%q = %q, want %q", k, v, want[string(k)])
			}
			out = append(out, string(k))
			return true
		})
		return out
	}
	if got := collect([]byte("acct/"), []byte("acct0")); !slices.Equal(got, []string{"acct/a", "acct/b", "acct/c"}) {
		t.Errorf("acct/ = %q", got)
	}
	all := make([]string, 0, len(want))
	for k := range want {
		all = append(all, k)
	}
	slices.Sort(all)
	if got := collect(nil, nil); !slices.Equal(got, all) {
		t.Errorf("everything = %q, want %q", got, all)
	}
	if v, _ := kv.Get([]byte("wl/1")); v != nil {
		t.Errorf("deleted key reads %q", v)
	}
}

// TestFastMatchesFullBusyBook drives the chain's bounded read to its
// limits: 300 provers, 90% of them undercutters whose cheap asks fill the
// front of the book, and more demand than their room, so that Runs read
// past wire.MarketScan candidates and wire.MarketSkip full provers (and
// fail unmatched with room left behind the front, docs/MARKET.md's busy
// book) at both fidelities alike.
func TestFastMatchesFullBusyBook(t *testing.T) {
	if testing.Short() {
		t.Skip("full fidelity with 300 provers")
	}
	o := DefaultOptions()
	o.Provers, o.Workloads, o.Blocks, o.Seed, o.K = 300, 1500, 10, 5, 3
	o.Mechanism, o.UndercutterShare, o.SybilShare, o.GriefingShare = MechMarket, 0.85, 0, 0.05
	led := compareFastFull(t, o)
	if led.unmatched == 0 {
		t.Errorf("seed %d: no Run failed unmatched: the book never filled", o.Seed)
	}
}
