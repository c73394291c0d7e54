package main

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/provernet/provernet/internal/bench"
)

func newBenchAPICmd(g *globals) *cobra.Command {
	var o bench.APIOptions
	var profile string
	cmd := &cobra.Command{
		Use:   "api",
		Short: "Latency of the workload list and detail endpoints with 100,000 workloads in state, and the event stream's fan-out",
		Long: `Starts a devnet in a temporary home (its API on loopback) and measures its
HTTP API as a client would see it:

  - sse: --subscribers event streams (GET /v1/events) open at once; for each
    of --blocks blocks, the time from the node's commit of the block to each
    subscriber reading its first event (goal: p99 <= 100 ms);
  - list and detail: after --workloads Runs are in state, --clients
    concurrent clients ask for random pages of GET /v1/workloads (100 a
    page, cursors from a walk of every page) and random GET
    /v1/workloads/{id}, --duration each (goal: p99 <= 20 ms).

The benchmark's clients run on the same machine as the node. Progress goes
to stderr.

--cpuprofile covers the endpoints' measurement, node and clients alike:
  go tool pprof -top provernet-bench cpu.prof`,
		Example: "  provernet bench api --output json\n  provernet bench api --workloads 10000 --subscribers 100 --duration 3s",
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
			res, err := bench.API(cmd.Context(), o)
			if err != nil {
				return err
			}
			return g.emit(res, func(w io.Writer) {
				fmt.Fprintf(w, "event streams: %d subscribers, %d blocks: commit -> read p50 %.1f ms, p99 %.1f ms, max %.1f ms (%d missed)\n",
					res.SSE.Subscribers, res.SSE.Blocks, res.SSE.P50Ms, res.SSE.P99Ms, res.SSE.MaxMs, res.SSE.Missed)
				fmt.Fprintf(w, "%d workloads in state (filled in %.1fs), %d clients:\n", res.Workloads, res.FillS, res.Clients)
				for _, e := range []bench.APIEndpoint{res.List, res.Detail} {
					fmt.Fprintf(w, "  %-36s %8.0f req/s  p50 %6.2f ms  p99 %6.2f ms  max %6.1f ms  (%d errors)\n", e.Path, e.RPS, e.P50Ms, e.P99Ms, e.MaxMs, e.Errors)
				}
			})
		},
	}
	cmd.Flags().IntVar(&o.Workloads, "workloads", 100_000, "Runs to put in state before measuring the endpoints")
	cmd.Flags().IntVar(&o.Subscribers, "subscribers", 1000, "event streams open at once")
	cmd.Flags().IntVar(&o.Blocks, "blocks", 20, "blocks whose events the subscribers time")
	cmd.Flags().IntVar(&o.Clients, "clients", 4, "concurrent clients per endpoint")
	cmd.Flags().DurationVar(&o.Duration, "duration", 10_000_000_000, "how long each endpoint is measured")
	cmd.Flags().IntVar(&o.Senders, "senders", 50, "accounts sending the Runs")
	cmd.Flags().StringVar(&profile, "cpuprofile", "", "write a CPU profile of the endpoints' measurement to this file")
	cmd.Flags().Uint64Var(&o.Seed, "seed", 0, "picks the pages and workloads asked for (0: from the clock; the report names it)")
	return cmd
}
