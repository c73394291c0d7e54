package main

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/provernet/provernet/internal/bench"
)

func newBenchWorkloadsCmd(g *globals) *cobra.Command {
	var o bench.WorkloadsOptions
	var profile string
	cmd := &cobra.Command{
		Use:   "workloads",
		Short: "FinalizeBlock time of a block carrying Runs and the results, reveals and votes of earlier workloads",
		Long: `Runs the real application (on an on-disk IAVL store in a temporary directory)
with --provers active provers and a pipeline of workloads in steady state:
each block carries the Runs of a new cohort and, for earlier cohorts, the
Accepts, SubmitResults (real age files), RevealKeys and Votes, one phase per
block, so that the cohort voted on settles final in the block. BeginBlock
allocates the previous block's Runs. Measures FinalizeBlock and Commit on
--blocks blocks whose transactions first went through CheckTx (as in
production) and on --blocks blocks they did not (cold: signatures checked in
FinalizeBlock). docs/BENCHMARKS.md describes the block. Progress goes to
stderr.

--cpuprofile covers the measured blocks only; FinalizeBlock samples carry the
label bench=finalize_warm or bench=finalize_cold:
  go tool pprof -tagfocus=bench=finalize_warm -top provernet cpu.prof`,
		Example: "  provernet bench workloads --output json",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o.Progress = g.stderr
			f, err := profileFile(profile)
			if err != nil {
				return err
			}
			if f != nil {
				defer f.Close()
				o.CPUProfile = f
			}
			res, err := bench.Workloads(cmd.Context(), o)
			if err != nil {
				return err
			}
			return g.emit(res, func(w io.Writer) {
				fmt.Fprintf(w, "finalize %.1f ms (cold %.1f ms), commit %.1f ms, CheckTx of the block %.1f ms\n",
					res.FinalizeMs, res.FinalizeColdMs, res.CommitMs, res.CheckTxMs)
				fmt.Fprintf(w, "%d provers; block of %d txs, %.2f MB: %d runs, %d allocated, %d accepts, %d results (%d txs), %d reveals, %d vote txs (%d entries, %d counted), %d settled\n",
					res.Provers, res.BlockTxs, float64(res.BlockBytes)/1e6, res.Runs, res.Allocated, res.Accepts, res.Results, res.ResultTxs,
					res.Reveals, res.VoteTxs, res.VoteEntries, res.VotesApplied, res.Settled)
				for _, b := range res.Blocks {
					kind := "cold"
					if b.Warm {
						kind = "warm"
					}
					fmt.Fprintf(w, "  height %d %s: finalize %.1f ms, commit %.1f ms\n", b.Height, kind, b.FinalizeMs, b.CommitMs)
				}
			})
		},
	}
	cmd.Flags().IntVar(&o.Provers, "provers", 10000, "active provers")
	cmd.Flags().IntVar(&o.Runs, "runs", 1000, "Runs in each measured block")
	cmd.Flags().IntVar(&o.Results, "results", 1000, "workloads per earlier cohort whose results, reveals and votes a block carries")
	cmd.Flags().IntVar(&o.Blocks, "blocks", 3, "measured blocks of each kind, warm and cold (the median is reported)")
	cmd.Flags().StringVar(&o.Votes, "votes", "all", "\"all\" committee members vote, or only a \"quorum\" (2/3)")
	cmd.Flags().StringVar(&profile, "cpuprofile", "", "write a CPU profile of the measured blocks to this file")
	return cmd
}
