package main

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/provernet/provernet/internal/bench"
)

func newBenchAllocCmd(g *globals) *cobra.Command {
	var o bench.AllocOptions
	cmd := &cobra.Command{
		Use:   "alloc",
		Short: "Allocator time per block and per workload, against the naive reference",
		Long: `Builds a seeded random population of provers in a few hardware classes and a
block of workloads (k in 1..5, a few distinct minimum hardware requirements),
and times one allocation of the block (PROTOCOL.md 5.2). Then times the
O(N)-per-workload reference on a smaller block (checking both agree), and
the per-workload cost at several population sizes, which should stay flat.
Figures are medians over --runs. Progress goes to stderr.`,
		Example: "  provernet bench alloc --provers 100000 --workloads 10000 --output json",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o.Progress = g.stderr
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
	return cmd
}
