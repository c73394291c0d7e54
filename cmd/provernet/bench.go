package main

import (
	"fmt"
	"io"
	"os"
	"runtime/pprof"
	"time"

	"github.com/spf13/cobra"

	"github.com/provernet/provernet/internal/bench"
)

func newBenchCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "bench", Short: "Measure the network's components on this machine"}
	var o bench.ChainOptions
	var profile string
	chainCmd := &cobra.Command{
		Use:   "chain",
		Short: "Committed transfers per second, against CometBFT's kvstore baseline",
		Long: `Starts a one-validator provernet node in a temporary home, broadcasts signed
transfers over CometBFT's RPC on 127.0.0.1 from concurrent senders and counts
those committed per second; then does the same with CometBFT's example kvstore
application and transactions of the same size. Progress goes to stderr.`,
		Example: "  provernet bench chain --output json",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o.Progress = g.stderr
			if profile != "" {
				stop, err := startCPUProfile(profile)
				if err != nil {
					return err
				}
				defer stop()
			}
			res, err := bench.Chain(cmd.Context(), o)
			if err != nil {
				return err
			}
			return g.emit(res, func(w io.Writer) {
				fmt.Fprintf(w, "provernet  %8.0f tx/s  (%d txs in %.2fs, %d blocks, %d B/tx)\n", res.AppTxPerS, res.App.Committed, res.App.Seconds, res.App.Blocks, res.App.TxBytes)
				fmt.Fprintf(w, "kvstore    %8.0f tx/s  (%d txs in %.2fs, %d blocks, %d B/tx)\n", res.KVStoreTxPerS, res.KVStore.Committed, res.KVStore.Seconds, res.KVStore.Blocks, res.KVStore.TxBytes)
				fmt.Fprintf(w, "ratio      %8.3f\n", res.Ratio)
			})
		},
	}
	chainCmd.Flags().IntVar(&o.Txs, "txs", 40000, "transactions per application")
	chainCmd.Flags().IntVar(&o.Senders, "senders", 32, "concurrent senders (one account each)")
	chainCmd.Flags().DurationVar(&o.BlockTime, "block-time", 200*time.Millisecond, "CometBFT timeout_commit for both runs")
	chainCmd.Flags().StringVar(&profile, "cpuprofile", "", "write a CPU profile of the whole run to this file")
	chainCmd.Flags().StringVar(&o.Only, "only", "", "run only \"app\" or \"kvstore\" (for profiling)")
	cmd.AddCommand(chainCmd)
	return cmd
}

func startCPUProfile(path string) (func(), error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}
