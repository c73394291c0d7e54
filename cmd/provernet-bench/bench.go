package main

import (
	"fmt"
	"io"
	"os"
	"runtime/pprof"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/provernet/provernet/internal/bench"
	"github.com/provernet/provernet/internal/cli"
	"github.com/provernet/provernet/internal/zkhost"
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
	cmd.AddCommand(chainCmd, newBenchSandboxCmd(g), newBenchAllocCmd(g), newBenchWorkloadsCmd(g), newBenchWeightCmd(g), newBenchE2ECmd(g), newBenchAttackCmd(g), newBenchAPICmd(g), newBenchTreeCmd(g), newBenchLoadCmd(g), newBenchStateSyncCmd(g))
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

// profileFile creates the file a benchmark that labels its own samples
// writes its CPU profile to; nil when path is empty (no --cpuprofile).
func profileFile(path string) (*os.File, error) {
	if path == "" {
		return nil, nil
	}
	return os.Create(path)
}

func newBenchSandboxCmd(g *globals) *cobra.Command {
	o := bench.SandboxOptions{PlonkLog: 16}
	logs, wasmLogs := "14,16,18", "14,15"
	var nativeWorker bool
	cmd := &cobra.Command{
		Use:   "sandbox",
		Short: "Proving in the metered sandbox against native gnark; verifier start times",
		Long: `Proves groth16-mimc through the sandbox's proof-system host (metered, in a
worker process, all cores) and natively with gnark on all cores at each size
of --logs (host_vs_native), and the PLONK example at --plonk-log; proves with
the pure-wasm reference prover natively on one core, as WebAssembly without
metering and metered at each size of --wasm-logs (wasm_vs_native,
metering_overhead); and times how long a fresh runner takes to become ready
to run each verifier from an empty and from a warm compilation cache.

Every path runs in a child process of this binary (provernet-bench),
timed whole; the paths of a size take turns for --runs rounds, and every
time is reported as the median and its range. The keys are made by the examples' development setups
(2^18 takes a minute). Needs the output of make programs. Progress goes to
stderr.`,
		Example: "  make programs && provernet bench sandbox --output json",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if nativeWorker {
				return bench.RunNativeWorker(cmd.Context(), cmd.InOrStdin(), g.stdout)
			}
			var err error
			if o.Logs, err = parseLogs(logs); err != nil {
				return cli.WithHint(err, "--logs takes sizes like 14,16,18 (or nothing)")
			}
			if o.WasmLogs, err = parseLogs(wasmLogs); err != nil {
				return cli.WithHint(err, "--wasm-logs takes sizes like 14,15 (or nothing)")
			}
			o.Progress, o.Hosts = g.stderr, zkhost.Hosts
			// This binary serves both workers (sandbox-worker and
			// --native-worker), so both sides start the same executable.
			if o.Exe, err = os.Executable(); err != nil {
				return fmt.Errorf("failed to find this executable: %w", err)
			}
			res, err := bench.Sandbox(cmd.Context(), o)
			if err != nil {
				return cli.WithHint(err, "run `make programs` first, or point --programs at its output")
			}
			return g.emit(res, func(w io.Writer) { printSandbox(w, res) })
		},
	}
	cmd.Flags().StringVar(&o.Programs, "programs", "build/programs", "directory with the built example programs")
	cmd.Flags().IntVar(&o.Runs, "runs", 3, "rounds per size; the paths of a size take turns (median and range reported)")
	cmd.Flags().StringVar(&logs, "logs", logs, "groth16-mimc sizes proved through the host, as log2 of the constraint count (\"\": none)")
	cmd.Flags().StringVar(&wasmLogs, "wasm-logs", wasmLogs, "sizes also proved by the pure-wasm reference prover (\"\": none)")
	cmd.Flags().IntVar(&o.PlonkLog, "plonk-log", o.PlonkLog, "size of the PLONK example's case (0: none)")
	cmd.Flags().BoolVar(&nativeWorker, "native-worker", false, "run one native proving job from stdin (used by the benchmark itself)")
	_ = cmd.Flags().MarkHidden("native-worker")
	return cmd
}

// parseLogs reads a comma-separated list of sizes; empty means none (an
// IntSlice flag cannot be emptied).
func parseLogs(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		n, err := strconv.Atoi(f)
		if err != nil || n < 1 || n > 26 {
			return nil, fmt.Errorf("size %q is not a log2 constraint count in [1, 26]", f)
		}
		out = append(out, n)
	}
	return out, nil
}

func printSandbox(w io.Writer, res *bench.SandboxResult) {
	for _, c := range res.Cases {
		fmt.Fprintf(w, "%s 2^%d (%d constraints)\n", c.Program, c.LogConstraints, c.Constraints)
		if f := c.Wasm; f != nil {
			fmt.Fprintf(w, "  pure wasm: native 1 core %.2fs, wasm %.2fs, metered %.2fs (%.2f-%.2f): wasm/native %.2fx, metering %+.1f%%, %d cycles\n",
				f.NativeS, f.WasmS, f.MeteredS, f.MeteredSRange[0], f.MeteredSRange[1], f.WasmVsNative, 100*f.MeteringOverhead, f.Cycles)
		}
		if f := c.Host; f != nil {
			fmt.Fprintf(w, "  host: native %.3fs (%.3f-%.3f), sandbox %.3fs (%.3f-%.3f): host/native %.3fx (cpu %.3fx); %d cycles (all runs %t), %d host (all runs %t); verify %.3fs\n",
				f.NativeS, f.NativeSRange[0], f.NativeSRange[1], f.SandboxS, f.SandboxSRange[0], f.SandboxSRange[1], f.HostVsNative, f.HostVsNativeCPU,
				f.Cycles, f.CyclesIdentical, f.HostCycles, f.HostCyclesIdentical, f.VerifyS)
		}
	}
	for _, v := range res.Verifiers {
		fmt.Fprintf(w, "%s %s (%d B): start cold %.1fms, warm %.1fms\n", v.Program, v.Module, v.WasmBytes, v.VerifyStartColdMs, v.VerifyStartWarmMs)
	}
	if v := res.WasmVerifier; v != nil {
		fmt.Fprintf(w, "reference %s (%d B): start cold %.1fms, warm %.1fms\n", v.Module, v.WasmBytes, v.StartColdMs, v.StartWarmMs)
	}
}
