package bench

import (
	"fmt"

	"github.com/provernet/provernet/internal/sim"
)

// Population classes: an honest population (no crashes, no lazy, silent,
// copying, sybil or undercutting provers, so that every honest loss is the
// adversary's doing) plus one adversary strategy of the simulator, run
// through the real state machine at full fidelity. A run of the same
// population without the adversary gives the baseline.

// populationClass is one adversary and its share of the provers.
type populationClass struct {
	class    string
	strategy string // the simulator's strategy row
	share    float64
	set      func(o *sim.Options, share float64)
	note     string
}

var populationClasses = []populationClass{
	{"farming", "farmer", 0.05, func(o *sim.Options, s float64) { o.FarmerShare = s },
		"5% of the provers are a farming user's sybils (hardware only they declare) proving its own 1-cycle, k = 5, accept-all Runs; cost includes those Runs' fees"},
	{"griefing_minority", "griefing-minority", 0.10, func(o *sim.Options, s float64) { o.GriefingShare = s },
		"10% of the provers vote invalid on every proof they judge (and prove honestly)"},
	{"blocking_third", "griefing-minority", 0.34, func(o *sim.Options, s float64) { o.GriefingShare = s },
		"a coalition of 34% of the provers votes invalid on every proof, to hold more than a third of committees and leave honest proofs undecided"},
	{"false_fail", "false-fail", 0.05, func(o *sim.Options, s float64) { o.FalseFailShare = s },
		"5% of the provers accept and answer fail at once, without working"},
	{"holder", "holder", 0.05, func(o *sim.Options, s float64) { o.HolderShare = s },
		"5% of the provers accept, promise the deadline and never deliver"},
}

// PopulationAttack is a population class's detail.
type PopulationAttack struct {
	Provers       int     `json:"provers"`
	Adversaries   int     `json:"adversaries"`
	AdversaryRole string  `json:"adversary_strategy"`
	Workloads     int     `json:"workloads"`
	Fidelity      string  `json:"fidelity"`
	Command       string  `json:"command"` // replays the run with `provernet sim`
	IncomeUprv    uint64  `json:"attacker_income_uprv"`
	CostsUprv     uint64  `json:"attacker_costs_uprv"`
	SlashedUprv   uint64  `json:"attacker_slashed_uprv"`
	Suspended     int     `json:"attacker_suspended"`
	Liveness      float64 `json:"liveness"`
	BaseLiveness  float64 `json:"baseline_liveness"`
	// The honest side, with the adversary and in the baseline.
	Honest     sim.HonestLoss `json:"honest"`
	BaseHonest sim.HonestLoss `json:"baseline_honest"`
	// Honest provers' mean income, with the adversary and in the baseline
	// (where every prover is honest): shows what the adversary took or
	// left to them.
	HonestIncomePerProver     float64 `json:"honest_income_per_prover_uprv"`
	BaseHonestIncomePerProver float64 `json:"baseline_income_per_prover_uprv"`
}

// attackPopulation is the honest population the classes start from.
func attackPopulation(o AttackOptions) sim.Options {
	so := sim.DefaultOptions()
	so.Provers, so.Workloads, so.Blocks, so.Seed = o.Provers, o.Workloads, o.Blocks, o.Seed
	so.Fidelity = o.Fidelity
	if so.Fidelity == "" {
		so.Fidelity = sim.FidelityFull
	}
	so.FailRate, so.LazyShare, so.SilentShare, so.CopierShare, so.SybilShare, so.UndercutterShare = 0, 0, 0, 0, 0, 0
	if o.CommitteeSize > 0 {
		so.Params.CommitteeSize = o.CommitteeSize
	}
	return so
}

// baselines caches the adversary-free run per population.
var baselines = map[string]*sim.Report{}

func baseline(so sim.Options) (*sim.Report, error) {
	key := fmt.Sprintf("%d/%d/%d/%d/%s/%d", so.Provers, so.Workloads, so.Blocks, so.Seed, so.Fidelity, so.Params.CommitteeSize)
	if r, ok := baselines[key]; ok {
		return r, nil
	}
	r, err := sim.Run(so)
	if err != nil {
		return nil, fmt.Errorf("baseline: %w", err)
	}
	baselines[key] = r
	return r, nil
}

func runPopulationClass(c populationClass, o AttackOptions) (AttackClass, error) {
	so := attackPopulation(o)
	base, err := baseline(so)
	if err != nil {
		return AttackClass{}, err
	}
	c.set(&so, c.share)
	rep, err := sim.Run(so)
	if err != nil {
		return AttackClass{}, err
	}
	return populationResult(c, rep, base)
}

// populationResult turns a run and its baseline into the class's figures.
func populationResult(c populationClass, rep, base *sim.Report) (AttackClass, error) {
	adv, ok := strategyRow(rep, c.strategy)
	if !ok {
		return AttackClass{}, fmt.Errorf("no %s provers in the run (too few provers for a %.0f%% share?)", c.strategy, 100*c.share)
	}
	hon, _ := strategyRow(rep, "honest")
	baseHon, _ := strategyRow(base, "honest")
	d := &PopulationAttack{Provers: rep.Provers, Adversaries: adv.Provers, AdversaryRole: c.strategy, Workloads: rep.Workloads,
		Fidelity: rep.Fidelity, Command: rep.Command, IncomeUprv: adv.IncomeUprv, CostsUprv: adv.CostsUprv,
		SlashedUprv: adv.Slashed, Suspended: adv.Suspended, Liveness: rep.Liveness, BaseLiveness: base.Liveness,
		Honest: rep.Honest, BaseHonest: base.Honest,
		HonestIncomePerProver: perProver(hon), BaseHonestIncomePerProver: perProver(baseHon)}
	return AttackClass{Class: c.class, Method: "simulation", AttackerCostUprv: -adv.NetUprv, HonestLossUprv: rep.Honest.TotalUprv,
		Population: d, Note: c.note}, nil
}

func strategyRow(r *sim.Report, name string) (sim.StrategyRow, bool) {
	for _, row := range r.Strategies {
		if row.Strategy == name {
			return row, true
		}
	}
	return sim.StrategyRow{}, false
}

func perProver(row sim.StrategyRow) float64 {
	if row.Provers == 0 {
		return 0
	}
	return round(float64(row.IncomeUprv) / float64(row.Provers))
}
