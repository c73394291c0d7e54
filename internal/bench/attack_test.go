package bench

import (
	"context"
	"testing"
	"time"

	"github.com/provernet/provernet/internal/sim"
)

// smallAttack is a population the full fidelity runs in a few seconds.
func smallAttack() AttackOptions {
	o := DefaultAttackOptions()
	o.Provers, o.Workloads, o.Blocks = 100, 300, 20 // the default committee of 64, drawn from 100
	return o
}

// TestAttackPopulationClasses runs the simulated classes at full fidelity
// on a small population and checks that every attacker pays, that the
// honest side loses nothing where the rules say so, and that the figures
// are the simulator's own accounting, recomputed here from its rows.
func TestAttackPopulationClasses(t *testing.T) {
	o := smallAttack()
	so := attackPopulation(o)
	base, err := sim.Run(so)
	if err != nil {
		t.Fatal(err)
	}
	if base.Honest != (sim.HonestLoss{IncomeUprv: base.Honest.IncomeUprv}) {
		t.Fatalf("the all-honest baseline lost something: %+v", base.Honest)
	}
	for _, c := range populationClasses {
		so := attackPopulation(o)
		c.set(&so, c.share)
		rep, err := sim.Run(so)
		if err != nil {
			t.Fatalf("%s: %v", c.class, err)
		}
		got, err := populationResult(c, rep, base)
		if err != nil {
			t.Fatalf("%s: %v", c.class, err)
		}
		t.Logf("%s: attacker cost %d, honest loss %d (%+v)", c.class, got.AttackerCostUprv, got.HonestLossUprv, rep.Honest)
		if got.AttackerCostUprv <= 0 {
			t.Errorf("%s: the attacker gains %d uprv", c.class, -got.AttackerCostUprv)
		}
		adv, _ := strategyRow(rep, c.strategy)
		if want := int64(adv.CostsUprv) - int64(adv.IncomeUprv); got.AttackerCostUprv != want {
			t.Errorf("%s: attacker cost %d, its row says costs %d - income %d = %d", c.class, got.AttackerCostUprv, adv.CostsUprv, adv.IncomeUprv, want)
		}
		h := rep.Honest
		if got.HonestLossUprv != h.SlashedUprv+h.UserLostUprv+h.DeniedPayUprv {
			t.Errorf("%s: honest loss %d is not the sum of its parts %+v", c.class, got.HonestLossUprv, h)
		}
		if c.class != "false_fail" && got.HonestLossUprv != 0 { // two false-failers can confirm a fail: docs/BENCHMARKS.md
			t.Errorf("%s: honest loss %d uprv: %+v", c.class, got.HonestLossUprv, h)
		}
	}
}

// TestAttackStories plays the scripted classes and checks their figures
// against the scenario files' own accounts of them.
func TestAttackStories(t *testing.T) {
	want := map[string][2]int64{ // attacker cost, honest loss
		"copy_across":                  {10, 0},   // carol's slash_no_reveal (1% of 1000); bob paid
		"hostile_program":              {1000, 0}, // mallory's whole fee burned; no honest prover slashed
		"blocking_third_small_network": {0, 850},  // bob's share less burn and vote pool, unpaid
	}
	for _, st := range stories {
		got, err := runStory(st)
		if err != nil {
			t.Fatalf("%s: %v", st.class, err)
		}
		w, ok := want[st.class]
		if !ok {
			t.Fatalf("%s: no expected figures", st.class)
		}
		if got.AttackerCostUprv != w[0] || int64(got.HonestLossUprv) != w[1] {
			t.Errorf("%s: attacker cost %d, honest loss %d; want %d, %d (%+v)", st.class, got.AttackerCostUprv, got.HonestLossUprv, w[0], w[1], got.Story)
		}
		if got.Story.HonestMisses != 0 || got.Story.HonestSlashed != 0 {
			t.Errorf("%s: honest provers slashed %d, missed %d", st.class, got.Story.HonestSlashed, got.Story.HonestMisses)
		}
	}
}

// TestAttackFloodTiny floods a node for a second and checks the report's
// shape (the ratio itself is only meaningful at the default size).
func TestAttackFloodTiny(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a node")
	}
	o := smallAttack()
	o.Only = []string{"query_flood", "blob_flood"}
	o.Quiet, o.Flood, o.QueriesPerS, o.UploadsPerS = 1500*time.Millisecond, 1500*time.Millisecond, 200, 20
	rep, err := Attack(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Classes) != 2 {
		t.Fatalf("%d classes", len(rep.Classes))
	}
	for _, c := range rep.Classes {
		if c.BlockTimeRatio == nil || *c.BlockTimeRatio <= 0 || *c.BaselineP99Ms <= 0 || c.Flood.RequestsPerS <= 0 {
			t.Errorf("%s: %+v %+v", c.Class, c, c.Flood)
		}
		t.Logf("%s: ratio %.3f (%v / %v ms), %.0f requests/s, %v", c.Class, *c.BlockTimeRatio, *c.BaselineP99Ms, *c.FloodP99Ms, c.Flood.RequestsPerS, c.Flood.Statuses)
	}
}
