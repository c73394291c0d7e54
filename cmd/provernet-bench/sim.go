package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/provernet/provernet/internal/cli"
	"github.com/provernet/provernet/internal/sim"
)

func newSimCmd(g *globals) *cobra.Command {
	o := sim.DefaultOptions()
	var plotDir string
	var params []string
	var treeBurns []uint
	cmd := &cobra.Command{
		Use:   "sim",
		Short: "Simulate a population of provers under an allocation mechanism",
		Long: `Runs a seeded, deterministic simulation of provers (hardware classes, failures,
declines, silent, copying, sybil and undercutting provers) serving workloads
that arrive over --blocks blocks, and reports liveness, latency, how rewards
concentrate, wasted proofs and what users pay.

Mechanisms: vrf (the protocol: VRF allocation with previous-round exclusion),
vrf-noexcl (the same without exclusion), race (first valid proof takes all),
market and cheapest (the chain's market, issue 17: every Run a market Run
matched against the provers' asks by the chain's own matcher; cheapest is
k = 1 at the lowest ask, as Mina's snarketplace), pool (the chain's pool,
Taiko's: per epoch the top pool_size provers by stake and ask, a beacon draw
among them, a missed slot slashed slash_miss_bp and open to anyone; its Runs
start at epoch_length, the genesis epoch having no pool), bids (Scroll: users bid,
highest first at a clearing price, provers drawn by VRF), votes (B52:
VRF-weighted prover votes, chosen by reputation), or all (each of them on
the same population). --cartel makes a share of the provers one cartel
asking --cartel-price of the protocol's price; --market-book room reads the
book as if full provers were out of it, and all reads every ask (what-ifs,
not the chain). tree simulates proof trees instead (issue 16):
--trees trees of --tree-n inputs, the provers offering --tree-fee-burns in
turn, failing (--fail-rate) or silent (--silent), on the chain's own keeping,
root and reward functions; it reports liveness, blocks per tree, wasted
proofs per node and the reward's spread by fee burn. vrf drives the real allocator and reward code;
--fidelity full drives the whole state machine (small populations only).
The same flags and seed always give the same report (wall_s aside); the
report carries the command that replays it. See docs/ECONOMICS.md.`,
		Example: `  provernet sim --mechanism all --output table
  provernet sim --provers 100000 --workloads 1000000 --blocks 100 --output json
  provernet sim --mechanism race --fast-prover 10 --plot charts/`,
		Args: cobra.NoArgs,
		// The root accepts --output text|json; sim also takes table (the
		// same as text).
		PersistentPreRunE: func(*cobra.Command, []string) error {
			switch g.output {
			case "text", "table", "json":
				return nil
			}
			return cli.WithHint(fmt.Errorf("unknown output format %q", g.output), "use --output table (or text) or --output json")
		},
		RunE: func(cmd *cobra.Command, _ []string) error {
			for _, a := range params {
				if err := o.SetParam(a); err != nil {
					return cli.WithHint(err, "--param takes a chain parameter by its genesis name, e.g. --param result_lag=20")
				}
			}
			if o.Mechanism == sim.MechTree {
				return runTreeSim(g, o, treeBurns)
			}
			mechs := []string{o.Mechanism}
			if o.Mechanism == "all" {
				mechs = sim.Mechanisms
			}
			var reports []*sim.Report
			for _, m := range mechs {
				run := o
				run.Mechanism = m
				if err := run.Validate(); err != nil {
					return cli.WithHint(err, "--mechanism takes "+strings.Join(sim.Mechanisms, ", ")+", all or tree; see provernet sim --help for the other flags")
				}
				fmt.Fprintf(g.stderr, "sim: %s, seed %d: %s\n", m, run.Seed, run.Command())
				r, err := sim.Run(run)
				if err != nil {
					return err
				}
				reports = append(reports, r)
			}
			var plots []string
			if plotDir != "" {
				var err error
				if plots, err = sim.WritePlots(plotDir, reports); err != nil {
					return err
				}
			}
			var out any = reports[0]
			if len(reports) > 1 {
				out = reports
			}
			return g.emit(out, func(w io.Writer) {
				fmt.Fprintf(w, "seed %d: %d provers, %d workloads over %d blocks\n\n", o.Seed, o.Provers, o.Workloads, o.Blocks)
				sim.WriteTable(w, reports)
				for _, p := range plots {
					fmt.Fprintf(w, "wrote %s\n", p)
				}
			})
		},
	}
	f := cmd.Flags()
	f.IntVar(&o.Provers, "provers", o.Provers, "provers in the population")
	f.IntVar(&o.Workloads, "workloads", o.Workloads, "workloads (Runs), arriving evenly over --blocks")
	f.IntVar(&o.Blocks, "blocks", o.Blocks, "blocks over which the workloads arrive (the run goes on until every workload settles)")
	f.StringVar(&o.Mechanism, "mechanism", o.Mechanism, strings.Join(sim.Mechanisms, ", ")+", all, or tree")
	f.Uint64Var(&o.Seed, "seed", o.Seed, "seed of the population and of every decision")
	f.StringVar(&o.Fidelity, "fidelity", o.Fidelity, "fast (the simulator's event loop around the real allocator and reward code) or full (the whole state machine; small runs, mechanism vrf)")
	f.StringVar(&plotDir, "plot", "", "write PNG charts (lorenz.png, latency.png) into this directory")
	f.Float64Var(&o.FailRate, "fail-rate", o.FailRate, "probability that a prover crashes on a job it took")
	f.Float64Var(&o.LazyShare, "lazy", o.LazyShare, "share of lazy decliners")
	f.Float64Var(&o.LazyDeclineRate, "lazy-decline-rate", o.LazyDeclineRate, "how often a lazy decliner declines")
	f.Float64Var(&o.SilentShare, "silent", o.SilentShare, "share of provers that never answer")
	f.Float64Var(&o.CopierShare, "copiers", o.CopierShare, "share of provers that copy others' results")
	f.Float64Var(&o.SybilShare, "sybil", o.SybilShare, "share of provers run by one (sybil) operator")
	f.Float64Var(&o.UndercutterShare, "undercutter", o.UndercutterShare, "share of provers run by one operator asking --undercut-factor of an honest ask")
	f.Float64Var(&o.UndercutFactor, "undercut-factor", o.UndercutFactor, "the undercutter's ask as a share of an honest ask")
	f.Float64Var(&o.CartelShare, "cartel", o.CartelShare, "share of provers run by one cartel, all asking --cartel-price")
	f.Float64Var(&o.CartelPrice, "cartel-price", o.CartelPrice, "the cartel's ask as a share of the protocol's price (1: users' max_price)")
	f.Float64Var(&o.TimePriority, "time-priority", o.TimePriority, "share of market Runs that sort asks by latency first (the rest by price)")
	f.StringVar(&o.MarketBook, "market-book", o.MarketBook, "chain (the chain's bounded read, as built), room (what-if: provers without room out of the book) or all (what-if: every active prover's asks, no bound)")
	f.Float64Var(&o.GriefingShare, "griefing-minority", o.GriefingShare, "share of provers that vote invalid on every proof they judge")
	f.Float64Var(&o.FalseFailShare, "false-fail", o.FalseFailShare, "share of provers that answer fail at once without proving")
	f.Float64Var(&o.HolderShare, "holder", o.HolderShare, "share of provers that accept and never deliver, holding slots until the deadline")
	f.Float64Var(&o.FarmerShare, "farmer", o.FarmerShare, "share of provers that are a farming user's sybils proving its own 1-cycle, accept-all Runs")
	f.Float64Var(&o.FastProver, "fast-prover", o.FastProver, "if > 1, prover 0 is this many times faster than the fastest hardware class")
	f.Float64Var(&o.GPUShare, "gpu-share", o.GPUShare, "share of workloads whose program needs a GPU")
	f.IntVar(&o.K, "k", o.K, "provers per workload (0: a mix of 1, 2 and 3)")
	f.IntVar(&o.OpenRacers, "open-racers", o.OpenRacers, "provers racing for each open slot (the open market)")
	f.IntVar(&o.RaceWidth, "race-width", o.RaceWidth, "most entrants per workload in the race (0: no limit)")
	f.IntVar(&o.Trees, "trees", o.Trees, "mechanism tree: trees to simulate")
	f.IntVar(&o.TreeN, "tree-n", o.TreeN, "mechanism tree: each tree's inputs (a power of two)")
	f.Uint64Var(&o.TreeReward, "tree-reward", o.TreeReward, "mechanism tree: each tree's reward R in uprv")
	f.UintSliceVar(&treeBurns, "tree-fee-burns", []uint{0, 1000, 2000, 4000}, "mechanism tree: the fee burns (bp) the provers offer, prover i the (i mod len)-th")
	f.StringArrayVar(&params, "param", nil, "override a chain parameter, name=value by its genesis name (repeatable), e.g. --param result_lag=20")
	return cmd
}

// runTreeSim runs mechanism tree and writes its report.
func runTreeSim(g *globals, o sim.Options, burns []uint) error {
	o.TreeFeeBurns = nil
	for _, b := range burns {
		o.TreeFeeBurns = append(o.TreeFeeBurns, uint32(min(b, 1<<31)))
	}
	if err := o.Validate(); err != nil {
		return cli.WithHint(err, "see provernet sim --help for the tree flags (--trees, --tree-n, --tree-reward, --tree-fee-burns)")
	}
	fmt.Fprintf(g.stderr, "sim: tree, seed %d: %s\n", o.Seed, o.Command())
	r, err := sim.RunTree(o)
	if err != nil {
		return err
	}
	return g.emit(r, func(w io.Writer) { sim.WriteTreeTable(w, r) })
}
