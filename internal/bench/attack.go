package bench

import (
	"context"
	"fmt"
	"io"
	"slices"
	"time"
)

// The attack benchmark (`provernet bench attack`): for every attack class
// of docs/SECURITY.md it can measure, what the attacker spends and what the
// honest side loses, and for the floods how much they slow blocks. Three
// kinds of measurement, each on the real code:
//
//   - population classes (attack_sim.go): the simulator at full fidelity
//     (protocol.Apply, ApplyBeacon and BeginBlock on an in-memory store,
//     real sealed files and votes) with an honest population plus one
//     adversary strategy;
//   - story classes (attack_story.go): a scripted attack through
//     protocol.DeliverTx with signed transactions, as the scenario files
//     tell it, with every party's holdings read before and after;
//   - flood classes (attack_flood.go): a one-validator node on loopback,
//     block intervals with and without a flood of requests.
//
// The units are uprv. attacker_cost_uprv is what the attacker spends net
// (fees, slashes and transaction fees, less all its income): positive
// means the attack loses money. honest_loss_uprv is what honest parties
// held or earned and did not keep: honest provers' slashed stake, fees
// honest users paid for Runs that ended without a final proof, and pay
// withheld from honest provers' correct proofs (left undecided or judged
// invalid). Pay an adversary earns for a slot an honest prover would
// otherwise have proved is a redistribution of work, not a loss; it
// shows in the income fields beside.

// AttackOptions size the attack benchmark.
type AttackOptions struct {
	Only []string // class names to run (nil: all)

	// Population classes.
	Provers, Workloads, Blocks int
	Seed                       uint64
	Fidelity                   string // sim.FidelityFull (default) or fast
	CommitteeSize              uint32 // 0: the protocol default (64)

	// Flood classes.
	BlockTime     time.Duration // the node's block time
	Quiet, Flood  time.Duration // measured without and during each flood
	QueriesPerS   int           // query flood rate
	UploadsPerS   int           // blob flood rate (256 KiB uploads)
	FloodAttempts int           // measure each flood this many times; the median ratio is reported

	Progress io.Writer
}

// DefaultAttackOptions is the benchmark's default size: a few minutes on
// two cores.
func DefaultAttackOptions() AttackOptions {
	return AttackOptions{Provers: 200, Workloads: 1000, Blocks: 50, Seed: 1, Fidelity: "full",
		BlockTime: 200 * time.Millisecond, Quiet: 15 * time.Second, Flood: 15 * time.Second,
		QueriesPerS: 2000, UploadsPerS: 200, FloodAttempts: 1}
}

// AttackReport is the benchmark's JSON report.
type AttackReport struct {
	Classes []AttackClass `json:"classes"`
	WallS   float64       `json:"wall_s"`
	Machine Machine       `json:"machine"`
}

// AttackClass is one attack class's figures. Population, Story and Flood
// hold the details of the kind of measurement that produced it.
type AttackClass struct {
	Class            string `json:"class"`
	Method           string `json:"method"` // "simulation", "story" or "node"
	AttackerCostUprv int64  `json:"attacker_cost_uprv"`
	HonestLossUprv   uint64 `json:"honest_loss_uprv"`

	// Floods only: the p99 gap between commits during the flood over the
	// p99 without it.
	BlockTimeRatio *float64 `json:"block_time_ratio,omitempty"`
	BaselineP99Ms  *float64 `json:"baseline_p99_ms,omitempty"`
	FloodP99Ms     *float64 `json:"flood_p99_ms,omitempty"`

	Population *PopulationAttack `json:"population,omitempty"`
	Story      *StoryAttack      `json:"story,omitempty"`
	Flood      *FloodAttack      `json:"flood,omitempty"`
	Note       string            `json:"note"`
}

// attackRunner measures one class.
type attackRunner struct {
	class string
	run   func(ctx context.Context, o AttackOptions) (AttackClass, error)
}

// attackClasses lists every class in report order.
func attackClasses() []attackRunner {
	var rs []attackRunner
	for _, c := range populationClasses {
		rs = append(rs, attackRunner{c.class, func(_ context.Context, o AttackOptions) (AttackClass, error) { return runPopulationClass(c, o) }})
	}
	for _, s := range stories {
		rs = append(rs, attackRunner{s.class, func(context.Context, AttackOptions) (AttackClass, error) { return runStory(s) }})
	}
	for _, f := range floods {
		rs = append(rs, attackRunner{f.class, func(ctx context.Context, o AttackOptions) (AttackClass, error) { return runFloodClass(ctx, f, o) }})
	}
	return rs
}

// AttackClassNames lists the classes the benchmark knows.
func AttackClassNames() []string {
	var names []string
	for _, r := range attackClasses() {
		names = append(names, r.class)
	}
	return names
}

// Attack measures every selected class.
func Attack(ctx context.Context, o AttackOptions) (*AttackReport, error) {
	if o.Progress == nil {
		o.Progress = io.Discard
	}
	known := AttackClassNames()
	for _, c := range o.Only {
		if !slices.Contains(known, c) {
			return nil, fmt.Errorf("unknown attack class %q (one of %v)", c, known)
		}
	}
	defer StopAttackNode()
	start := time.Now()
	rep := &AttackReport{Classes: []AttackClass{}, Machine: machine()}
	for _, r := range attackClasses() {
		if len(o.Only) > 0 && !slices.Contains(o.Only, r.class) {
			continue
		}
		t0 := time.Now()
		fmt.Fprintf(o.Progress, "%s: running\n", r.class)
		c, err := r.run(ctx, o)
		if err != nil {
			return nil, fmt.Errorf("failed to measure %s: %w", r.class, err)
		}
		fmt.Fprintf(o.Progress, "%s: attacker cost %d uprv, honest loss %d uprv (%.1fs)\n", r.class, c.AttackerCostUprv, c.HonestLossUprv, time.Since(t0).Seconds())
		rep.Classes = append(rep.Classes, c)
	}
	rep.WallS = round(time.Since(start).Seconds())
	return rep, nil
}
