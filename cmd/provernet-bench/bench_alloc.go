package main

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/provernet/provernet/internal/bench"
)

func newBenchAllocCmd(g *globals) *cobra.Command {
	var o bench.AllocOptions
	var mechanism string
	var asks int
	cmd := &cobra.Command{
		Use:   "alloc",
		Short: "Allocator time per block and per workload, against the naive reference",
		Long: `Builds a seeded random population of provers in a few hardware classes and a
block of workloads (k in 1..5, a few distinct minimum hardware requirements),
and times one allocation of the block (PROTOCOL.md 5.2). Then times the
O(N)-per-workload reference on a smaller block (checking both agree), and
the per-workload cost at several population sizes, which should stay flat.
Figures are medians over --runs. Progress goes to stderr.

With --mechanism market (issue 17, docs/MARKET.md) it times the chain's own
matching instead: a chain.App on an on-disk store with --provers active
provers holding --asks asks (cpu class or the bench program, random prices
and latencies), --workloads market Runs queued in one block, and the
FinalizeBlock of the next block, which matches them; median over --runs
such blocks. The naive and scaling flags do not apply.

With --mechanism pool the same chain's Runs are pool Runs, drawn in the cpu
pool of pool_size members frozen at an epoch's first block (epoch_length is
set to 3 * --runs + 2 so that the timed blocks fall in one epoch); the
freeze's block is timed apart (freeze_ms).`,
		Example: `  provernet bench alloc --provers 100000 --workloads 10000 --output json
  provernet bench alloc --mechanism market --provers 100000 --asks 300000 --workloads 10000 --output json
  provernet bench alloc --mechanism pool --provers 100000 --asks 300000 --workloads 10000 --output json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o.Progress = g.stderr
			switch mechanism {
			case "lottery":
			case "market", "pool":
				return benchAllocMarket(cmd, g, o, asks, mechanism)
			default:
				return fmt.Errorf("unknown mechanism %q (lottery, market or pool)", mechanism)
			}
			res, err := bench.Alloc(o)
			if err != nil {
				return err
			}
			return g.emit(res, func(w io.Writer) {
				fmt.Fprintf(w, "%d provers x %d workloads: %.2f ms/block, %.3f us/workload (setup %.2f ms, then %.3f us/workload; %d of %d slots assigned)\n",
					res.Provers, res.Workloads, res.MsPerBlock, res.UsPerWorkload, res.SetupMs, res.MarginalUsPerWorkload, res.Assigned, res.Slots)
				fmt.Fprintf(w, "naive reference, %d x %d: %.2f ms/block (allocate %.2f ms, %.1fx faster)\n",
					res.NaiveProvers, res.NaiveWorkloads, res.NaiveMsPerBlock, res.FastMsNaiveCase, res.Speedup)
				fmt.Fprintf(w, "%-10s %-10s %12s %10s %14s %14s\n", "provers", "workloads", "ms/block", "setup ms", "us/workload", "marginal us")
				for _, c := range res.Scaling {
					fmt.Fprintf(w, "%-10d %-10d %12.3f %10.3f %14.3f %14.3f\n", c.Provers, c.Workloads, c.MsPerBlock, c.SetupMs, c.UsPerWorkload, c.MarginalUsPerWorkload)
				}
			})
		},
	}
	cmd.Flags().IntVar(&o.Provers, "provers", 100000, "provers in the main case")
	cmd.Flags().IntVar(&o.Workloads, "workloads", 10000, "workloads in the main case's block")
	cmd.Flags().IntVar(&o.NaiveProvers, "naive-provers", 1000, "provers in the case timed with the naive reference")
	cmd.Flags().IntVar(&o.NaiveWorkloads, "naive-workloads", 1000, "workloads in the case timed with the naive reference")
	cmd.Flags().IntSliceVar(&o.Scaling, "scaling", []int{1000, 10000, 100000}, "population sizes for the scaling figures")
	cmd.Flags().IntVar(&o.ScalingWorkloads, "scaling-workloads", 1000, "workloads per block in the scaling figures")
	cmd.Flags().IntVar(&o.Runs, "runs", 5, "runs per figure (the median is reported)")
	cmd.Flags().Uint64Var(&o.Seed, "seed", 1, "seed of the random population")
	cmd.Flags().StringVar(&mechanism, "mechanism", "lottery", "lottery, market or pool")
	cmd.Flags().IntVar(&asks, "asks", 300000, "asks in the book (market, pool)")
	return cmd
}

// benchAllocMarket runs the market or the pool mechanism's benchmark.
func benchAllocMarket(cmd *cobra.Command, g *globals, o bench.AllocOptions, asks int, mechanism string) error {
	runs := o.Runs
	if !cmd.Flags().Changed("runs") {
		runs = 3 // each run is a block of setup and a timed one
	}
	res, err := bench.AllocMarket(cmd.Context(), bench.MarketAllocOptions{Mechanism: mechanism, Provers: o.Provers, Asks: asks,
		Workloads: o.Workloads, Runs: runs, Seed: o.Seed, Progress: o.Progress})
	if err != nil {
		return err
	}
	return g.emit(res, func(w io.Writer) {
		fmt.Fprintf(w, "%s: %d provers, %d asks, %d Runs per block: %.2f ms/block (empty block %.2f ms), %.3f us/Run\n",
			res.Mechanism, res.Provers, res.Asks, res.Workloads, res.MsPerBlock, res.EmptyMs, res.UsPerWorkload)
		if res.Mechanism == "pool" {
			fmt.Fprintf(w, "pool frozen in %.2f ms: %v members\n", res.FreezeMs, res.PoolMembers)
		}
		failed := "failed"
		if res.Mechanism == "pool" {
			failed = "drew nobody (their slots opened to the open market)"
		}
		fmt.Fprintf(w, "%d Runs matched, %d %s; %d of %d slots taken; setup %.1f s\n", res.Matched, res.Unmatched, failed, res.Taken, res.Slots, res.SetupS)
	})
}
