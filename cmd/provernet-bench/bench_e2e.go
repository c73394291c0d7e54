package main

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/provernet/provernet/internal/bench"
	"github.com/provernet/provernet/internal/cli"
)

func newBenchE2ECmd(g *globals) *cobra.Command {
	var o bench.E2EOptions
	var logPath string
	cmd := &cobra.Command{
		Use:   "e2e",
		Short: "Blocks from a prover's result to the user's opened proof, and from Run to final",
		Long: `Starts a devnet in a temporary home with prover daemons, deploys the
sha256-chain example (from --programs, built by ` + "`make programs`" + `), and sends
--workloads tiny workloads from --lanes users, one in flight each. For every
workload it records when the first prover finished proving (its daemon
reports it), when the user held the opened proof, and when the workload
became final; it reports percentiles in blocks and seconds. Progress goes to
stderr.`,
		Example: "  provernet bench e2e --output json",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o.Progress = g.stderr
			if logPath != "" {
				f, err := os.Create(logPath)
				if err != nil {
					return err
				}
				defer f.Close()
				o.Log = f
			}
			res, err := bench.E2E(cmd.Context(), o)
			if err != nil {
				return cli.WithHint(err, "build the example programs first: make programs")
			}
			return g.emit(res, func(w io.Writer) {
				fmt.Fprintf(w, "%d workloads (k=%d, %d provers, %d ms blocks), %d final, %.1fs\n", res.Workloads, res.K, res.Provers, res.BlockTimeMS, res.Final, res.WallS)
				fmt.Fprintf(w, "result -> user holds the proof: p50 %.2f blocks (%.2fs), p99 %.2f blocks (%.2fs)\n",
					res.SealedAfterResultBlocksP50, res.SealedAfterResultSP50, res.SealedAfterResultBlocksP99, res.SealedAfterResultSP99)
				fmt.Fprintf(w, "Run -> final beyond proving: p50 %.2f blocks (%.2fs), p99 %.2f blocks (%.2fs)\n",
					res.FinalBeyondProvingBlocksP50, res.FinalBeyondProvingSP50, res.FinalBeyondProvingBlocksP99, res.FinalBeyondProvingSP99)
			})
		},
	}
	cmd.Flags().StringVar(&o.Programs, "programs", "build/programs", "built example programs")
	cmd.Flags().IntVar(&o.Workloads, "workloads", 200, "tiny workloads to run")
	cmd.Flags().IntVar(&o.K, "k", 3, "provers per workload")
	cmd.Flags().IntVar(&o.Provers, "provers", 3, "prover daemons")
	cmd.Flags().IntVar(&o.Lanes, "lanes", 2, "workloads in flight at once")
	cmd.Flags().StringVar(&logPath, "log", "", "write the node's and provers' logs to this file")
	cmd.Flags().DurationVar(&o.BlockTime, "block-time", 500*time.Millisecond, "the devnet's block time")
	return cmd
}
