package main

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/provernet/provernet/internal/bench"
)

func newBenchWeightCmd(g *globals) *cobra.Command {
	var o bench.WeightOptions
	var profile string
	cmd := &cobra.Command{
		Use:   "weight",
		Short: "FinalizeBlock time of the heaviest block of each message kind at the weight limit",
		Long: `Runs the real application (on an on-disk IAVL store in a temporary directory)
and, for each message kind, builds the heaviest block of that kind the chain
accepts: the application's own PrepareProposal fills it to max_block_weight
(less the work due at its height) and its ProcessProposal accepts it. Every
transaction first goes through CheckTx, as in production; FinalizeBlock is
timed. The goal is that every block finishes within half the block time
(--block-time, the devnet's 500 ms by default). us_per_weight, the time per
unit of weight above an empty block's, calibrates the coefficients
(docs/CHAIN.md, "Block weight"): it must stay below 1. Progress goes to
stderr.

--cpuprofile labels each measured FinalizeBlock with its kind:
  go tool pprof -tagfocus=bench=vote_spread -top provernet cpu.prof`,
		Example: "  provernet bench weight --output json",
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
			res, err := bench.Weight(cmd.Context(), o)
			if err != nil {
				return err
			}
			return g.emit(res, func(w io.Writer) {
				fmt.Fprintf(w, "max_block_weight %d, %d provers, empty block %.1f ms; goal %.0f ms (half of %.0f ms)\n",
					res.MaxBlockWeight, res.Provers, res.EmptyFinalizeMs, res.GoalMs, res.BlockTimeMs)
				for _, k := range res.Kinds {
					fmt.Fprintf(w, "  %-18s %6d txs %8d weight %9d bytes  finalize %7.1f ms  %.3f us/weight  CheckTx %7.1f ms\n",
						k.Kind, k.Txs, k.Weight+k.DueWeight, k.Bytes, k.FinalizeMs, k.UsPerWeight, k.CheckTxMs)
				}
				fmt.Fprintf(w, "worst: %s, %.1f ms\n", res.WorstKind, res.WorstFinalizeMs)
			})
		},
	}
	cmd.Flags().IntVar(&o.Provers, "provers", 10000, "active provers on the main chain")
	cmd.Flags().IntVar(&o.Runs, "runs", 3, "whole runs on fresh chains; each kind reports its median block")
	cmd.Flags().DurationVar(&o.BlockTime, "block-time", 0, "the block time whose half is the goal (default: the devnet's, 500ms)")
	cmd.Flags().StringVar(&profile, "cpuprofile", "", "write a CPU profile to this file (FinalizeBlock samples labelled bench=<kind>)")
	cmd.Flags().Uint64Var(&o.MaxWeight, "max-weight", 0, "max_block_weight to fill (default: the chain's default)")
	return cmd
}
