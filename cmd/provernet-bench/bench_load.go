package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/provernet/provernet/internal/bench"
	"github.com/provernet/provernet/internal/cli"
)

func newBenchLoadCmd(g *globals) *cobra.Command {
	var o bench.LoadOptions
	cmd := &cobra.Command{
		Use:   "load",
		Short: "Tiny workloads through a localnet of separate processes: throughput, latency, nothing lost, one app hash",
		Long: `Creates a localnet (provernet localnet) in a temporary directory: --validators
validator processes and --provers full nodes with prover daemons, on loopback.
It deploys the sha256-chain example (from --programs, built by ` + "`make programs`" + `)
and sends --workloads tiny Runs from --senders users, each through its own
validator with at most --window in flight, following every one on the event
stream until it settles. Then it compares the app hash every node computed
at every height (CometBFT's block_results), stops the network and checks
each node's state against every protocol invariant (provernet debug
check-state).

A Run is lost when a node accepted it and it never settled. --duration sends
for a fixed time instead of a count, and --chaos kills a random node other
than node0 every interval and starts it again half an interval later (make
soak). Progress goes to stderr.`,
		Example: `  provernet bench load --output json
  provernet bench load --workloads 500 --validators 4 --provers 6
  provernet bench load --duration 1h --chaos 2m --output json   # make soak`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			self, err := os.Executable()
			if err != nil {
				return err
			}
			if o.Exe == "" {
				o.Exe = filepath.Join(filepath.Dir(self), "provernet")
			}
			if _, err := os.Stat(o.Exe); err != nil {
				return cli.WithHint(fmt.Errorf("no provernet binary at %s: %w", o.Exe, err), "build it beside provernet-bench (go build -o DIR/ ./cmd/...) or pass --provernet")
			}
			o.Progress = g.stderr
			res, err := bench.Load(cmd.Context(), o)
			if errors.Is(err, bench.ErrNoPrograms) {
				return cli.WithHint(err, "build the example programs first: make programs")
			}
			if err != nil {
				return err
			}
			return g.emit(res, func(w io.Writer) { printLoad(w, res) })
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.Programs, "programs", "build/programs", "built example programs")
	f.StringVar(&o.Exe, "provernet", "", "the provernet binary the nodes run (default: beside this one)")
	f.StringVar(&o.Dir, "dir", "", "keep the localnet in this new directory (default: a temporary one, removed)")
	f.IntVar(&o.Validators, "validators", 4, "validator processes")
	f.IntVar(&o.Provers, "provers", 6, "prover processes (full nodes with a prover daemon)")
	f.IntVar(&o.Capacity, "capacity", 8, "workloads each prover proves at once")
	f.IntVar(&o.Workloads, "workloads", 10_000, "tiny Runs to send")
	f.IntVar(&o.Senders, "senders", 8, "users sending them")
	f.IntVar(&o.Window, "window", 16, "Runs each user has in flight (sent, not yet final)")
	f.IntVar(&o.K, "k", 1, "provers per Run")
	f.DurationVar(&o.BlockTime, "block-time", 500*time.Millisecond, "the localnet's block time")
	f.DurationVar(&o.Duration, "duration", 0, "send for this long instead of --workloads Runs")
	f.DurationVar(&o.Chaos, "chaos", 0, "kill a random node (never node0) every interval and restart it half an interval later")
	f.DurationVar(&o.Drain, "drain", 5*time.Minute, "how long the last Runs may take to settle once all are sent")
	return cmd
}

func printLoad(w io.Writer, r *bench.LoadReport) {
	fmt.Fprintf(w, "%d validators, %d provers, k=%d, %d ms blocks: %d Runs accepted in %.0fs (%d refusals retried)\n",
		r.Validators, r.Provers, r.K, r.BlockTimeMS, r.Workloads, r.WallS, r.Rejected)
	fmt.Fprintf(w, "final %d, failed %d, lost %d: %.2f workloads/s\n", r.Final, r.Failed, r.Lost, r.WorkloadsPerS)
	fmt.Fprintf(w, "Run -> final: p50 %.0f blocks (%.1fs), p99 %.0f blocks (%.1fs)\n", r.FinalP50Blocks, r.FinalP50S, r.FinalP99Blocks, r.FinalP99S)
	fmt.Fprintf(w, "app hash mismatches: %d of %d heights; nodes breaking an invariant: %d\n", r.AppHashMismatches, r.HeightsCompared, r.InvariantFailures)
	for _, n := range r.Nodes {
		status := "ok"
		if n.Error != "" {
			status = n.Error
		}
		fmt.Fprintf(w, "  %-8s height %d  %s  %s\n", n.Name, n.Height, n.AppHash, status)
	}
	if r.Kills > 0 {
		fmt.Fprintf(w, "%d nodes killed and restarted along the way\n", r.Kills)
	}
}
