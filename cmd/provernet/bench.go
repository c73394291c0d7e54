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
	cmd.AddCommand(chainCmd, newBenchSandboxCmd(g), newBenchAllocCmd(g), newBenchWorkloadsCmd(g), newBenchE2ECmd(g), newBenchAttackCmd(g))
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

func newBenchSandboxCmd(g *globals) *cobra.Command {
	o := bench.SandboxOptions{Logs: []int{14, 15}}
	cmd := &cobra.Command{
		Use:   "sandbox",
		Short: "Groth16 proving natively, in wasm, and in the metered sandbox; program start times",
		Long: `Proves groth16-mimc at 2^14 and 2^15 constraints natively on one thread, as
WebAssembly without metering, and in the network's metered sandbox, and
measures how long the prover module takes to compile from an empty and from
a warm compilation cache. Needs the output of make programs. Progress goes
to stderr.`,
		Example: "  make programs && provernet bench sandbox --output json",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o.Progress = g.stderr
			res, err := bench.Sandbox(cmd.Context(), o)
			if err != nil {
				return withHint(err, "run `make programs` first, or point --programs at its output")
			}
			return g.emit(res, func(w io.Writer) {
				fmt.Fprintf(w, "%-12s %9s %9s %9s %10s %9s %14s\n", "constraints", "native", "wasm", "metered", "wasm/nat", "metering", "cycles")
				for _, c := range res.Cases {
					fmt.Fprintf(w, "%-12d %8.2fs %8.2fs %8.2fs %9.2fx %8.1f%% %14d\n", c.Constraints, c.NativeS, c.WasmS, c.MeteredS, c.WasmVsNative, 100*c.MeteringOverhead, c.Cycles)
				}
				fmt.Fprintf(w, "prover module start: %.2fs cold, %.2fs cached\n", res.ColdStartS, res.CachedStartS)
			})
		},
	}
	cmd.Flags().StringVar(&o.Programs, "programs", "build/programs", "directory with the built example programs")
	cmd.Flags().IntVar(&o.Runs, "runs", 3, "runs per figure (the median is reported)")
	cmd.Flags().IntSliceVar(&o.Logs, "log-constraints", o.Logs, "circuit sizes as log2 of the constraint count")
	return cmd
}
