package main

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/provernet/provernet/internal/bench"
	"github.com/provernet/provernet/internal/cli"
)

func newBenchAttackCmd(g *globals) *cobra.Command {
	o := bench.DefaultAttackOptions()
	cmd := &cobra.Command{
		Use:   "attack",
		Short: "Each attack class's cost to the attacker and loss to the honest side; block times under floods",
		Long: `Measures the attack classes of docs/SECURITY.md on the real code:

  farming, griefing_minority, blocking_third, false_fail, holder:
      the simulator at full fidelity (protocol.Apply and BeginBlock, real
      sealed files and votes) on an honest population plus the adversary;
  copy_across, hostile_program, blocking_third_small_network:
      the scenario files' stories through protocol.DeliverTx;
  query_flood, blob_flood:
      a one-validator node on loopback; block intervals without and during
      a paced flood of queries or blob uploads.

For each: attacker_cost_uprv (what the attacker spends net; positive means
the attack loses money) and honest_loss_uprv (honest provers' slashed stake,
honest users' fees for Runs that ended without a final proof, and pay
withheld from honest provers' correct proofs); for floods block_time_ratio
(p99 gap between commits during the flood over the p99 without it).
docs/BENCHMARKS.md explains every field. Progress goes to stderr.`,
		Example: "  provernet bench attack --output json\n  provernet bench attack --only query_flood,blob_flood --flood 30s",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o.Progress = g.stderr
			res, err := bench.Attack(cmd.Context(), o)
			if err != nil {
				return cli.WithHint(err, "classes: "+fmt.Sprint(bench.AttackClassNames()))
			}
			return g.emit(res, func(w io.Writer) { writeAttackTable(w, res) })
		},
	}
	f := cmd.Flags()
	f.StringSliceVar(&o.Only, "only", nil, "run only these classes (comma-separated)")
	f.IntVar(&o.Provers, "provers", o.Provers, "simulated provers in the population classes")
	f.IntVar(&o.Workloads, "workloads", o.Workloads, "simulated Runs in the population classes")
	f.IntVar(&o.Blocks, "blocks", o.Blocks, "blocks over which the simulated Runs arrive")
	f.Uint64Var(&o.Seed, "seed", o.Seed, "the simulation's seed")
	f.StringVar(&o.Fidelity, "fidelity", o.Fidelity, "simulation fidelity: full (the state machine) or fast")
	f.DurationVar(&o.BlockTime, "block-time", o.BlockTime, "the flood node's block time")
	f.DurationVar(&o.Quiet, "quiet", o.Quiet, "block intervals measured without a flood, before each flood")
	f.DurationVar(&o.Flood, "flood", o.Flood, "block intervals measured during each flood")
	f.IntVar(&o.QueriesPerS, "query-rate", o.QueriesPerS, "queries a second in the query flood")
	f.IntVar(&o.UploadsPerS, "upload-rate", o.UploadsPerS, "256 KiB uploads a second in the blob flood")
	f.IntVar(&o.FloodAttempts, "flood-attempts", o.FloodAttempts, "measure each flood this many times (the median ratio is reported)")
	return cmd
}

func writeAttackTable(w io.Writer, res *bench.AttackReport) {
	fmt.Fprintf(w, "%-29s %-10s %16s %14s %8s %10s %10s\n", "class", "method", "attacker cost", "honest loss", "ratio", "base p99", "flood p99")
	for _, c := range res.Classes {
		ratio, base, flood := "-", "-", "-"
		if c.BlockTimeRatio != nil {
			ratio = fmt.Sprintf("%.3f", *c.BlockTimeRatio)
			base, flood = fmt.Sprintf("%.0f ms", *c.BaselineP99Ms), fmt.Sprintf("%.0f ms", *c.FloodP99Ms)
		}
		fmt.Fprintf(w, "%-29s %-10s %16d %14d %8s %10s %10s\n", c.Class, c.Method, c.AttackerCostUprv, c.HonestLossUprv, ratio, base, flood)
	}
	fmt.Fprintln(w, "uprv; attacker cost > 0: the attack loses money. --output json has each class's detail.")
	for _, c := range res.Classes {
		if f := c.Flood; f != nil {
			fmt.Fprintf(w, "%s: %.0f requests/s sent (target %d), answers %v, other processes' CPU %.0f%%\n",
				c.Class, f.RequestsPerS, f.TargetPerS, f.Statuses, 100*f.OtherCPUShare)
		}
	}
	fmt.Fprintf(w, "wall %.1fs\n", res.WallS)
}
