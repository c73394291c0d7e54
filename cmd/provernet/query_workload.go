package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/provernet/provernet/client"
	"github.com/provernet/provernet/internal/cli"
	"github.com/provernet/provernet/internal/sandbox"
	"github.com/provernet/provernet/wire"
)

// newQueryWorkloadCmds are the query subcommands about Runs: workloads,
// their allocation and what a Run would cost.
func newQueryWorkloadCmds(g *globals) []*cobra.Command {
	workload := &cobra.Command{
		Use: "workload ID", Short: "A workload (a Run) and its slots", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			w, err := g.client().Workload(cmd.Context(), args[0])
			if err != nil {
				return workloadErr(err)
			}
			return g.emit(w, func(out io.Writer) { printWorkload(out, w) })
		},
	}

	var owner, ofProgram string
	var page client.ListOptions
	workloads := &cobra.Command{
		Use: "workloads", Short: "The newest workloads (at most 1000, or a page with --limit/--cursor), of one owner with --owner, filtered by program, state and height", Args: cobra.NoArgs,
		Example: "  provernet query workloads --owner dev0\n  provernet query workloads --limit 50 --cursor NEXT\n  provernet query workloads --program sha256-chain --state final --from-height 100",
		RunE: func(cmd *cobra.Command, _ []string) error {
			if owner != "" {
				addr, err := g.resolveAddress(owner)
				if err != nil {
					return err
				}
				owner = addr
			}
			if ofProgram != "" {
				id, err := resolveProgram(cmd, g.client(), ofProgram)
				if err != nil {
					return err
				}
				page.Program = id
			}
			paged := cmd.Flags().Changed("limit") || cmd.Flags().Changed("cursor")
			page.Owner = owner
			p := &wire.WorkloadPage{}
			var err error
			if paged {
				p, err = g.client().WorkloadsPage(cmd.Context(), page)
			} else { // a filtered page may stop short: follow it to 1000
				p.Workloads, p.Next, err = g.client().WorkloadsWhere(cmd.Context(), page, client.MaxPageLimit)
			}
			if err != nil {
				return err
			}
			ws := p.Workloads
			var v any = ws
			if paged {
				v = p // with paging flags, JSON carries the next cursor
			}
			return g.emit(v, func(out io.Writer) {
				defer printNext(out, p.Next)
				if len(ws) == 0 {
					fmt.Fprintln(out, "no workloads")
				}
				for _, w := range ws {
					fmt.Fprintf(out, "%s  %-10s k=%d  %d cycles  fee %s  included at %d", w.ID, w.State, w.K, w.Cycles, formatAmount(w.Fee), w.Height)
					switch {
					case w.Owner != "":
						fmt.Fprintf(out, "  owner %s", w.Owner)
					case w.Challenge:
						fmt.Fprint(out, "  (challenge)")
					}
					fmt.Fprintln(out)
				}
			})
		},
	}
	workloads.Flags().StringVar(&owner, "owner", "", "only the workloads of this address or local key")
	workloads.Flags().StringVar(&ofProgram, "program", "", "only the workloads of this program (id or name)")
	workloads.Flags().StringVar(&page.State, "state", "", "only the workloads in this state (pending, allocated, running, sealed, revealing, verifying, final, failed, rejected, expired)")
	workloads.Flags().Int64Var(&page.FromHeight, "from-height", 0, "only the workloads included at this height or later")
	workloads.Flags().Int64Var(&page.ToHeight, "to-height", 0, "only the workloads included at this height or earlier")
	addPageFlags(workloads, &page)

	var program, measured string
	var cycles uint64
	var provers uint32
	var feeMarket marketOpts
	var feeDeadline int64
	fee := &cobra.Command{
		Use:   "fee",
		Short: "What a Run would cost: provers x ceil(cycles/10^6) x price_per_mcycle x class multiplier",
		Long: `Quotes a Run. The cycles are the budget each prover gets; they count the
program's metered instructions and the charges of its native proof-system calls
(host_cycles, docs/HOST_ABI.md) alike. --measured takes them from a
"provernet program run --output json" report and shows the split.

With --mechanism market, cheapest or pool (and --max-price) it quotes a
market Run as provernet run would send it: the escrow at the max price and
the asks it would match now, slot by slot (nothing is sent).`,
		Example: `  provernet query fee --program sha256-chain --cycles 2500000 --provers 3
  provernet query fee --program sha256-chain --cycles 2500000 --provers 2 --mechanism market --max-price 10
  provernet program run --program prover.wasm --input ... --output json > run.json
  provernet query fee --program groth16-mimc --measured run.json --provers 3`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			id, err := resolveProgram(cmd, g.client(), program)
			if err != nil {
				return err
			}
			var m *localRun
			if measured != "" {
				if m, err = readMeasured(measured); err != nil {
					return err
				}
				cycles = m.Cycles
			}
			if cycles == 0 {
				return cli.WithHint(errors.New("no cycle budget"), "give --cycles N, or --measured with a program run report")
			}
			mo, err := feeMarket.request(g)
			if err != nil {
				return err
			}
			var q *wire.FeeQuote
			if mo != nil {
				q, err = g.client().MarketFee(cmd.Context(), id, cycles, provers, feeDeadline, *mo)
			} else {
				q, err = g.client().Fee(cmd.Context(), id, cycles, provers)
			}
			if err != nil {
				return err
			}
			rep := feeReport{FeeQuote: q}
			if mo != nil {
				return g.emit(rep, func(out io.Writer) { printMarketFee(out, q, mo) })
			}
			if m != nil {
				rep.HostCycles, rep.WasmCycles = &m.HostCycles, ptr(m.Cycles-m.HostCycles)
			}
			return g.emit(rep, func(out io.Writer) {
				fmt.Fprintf(out, "fee %s (%d uprv) for %d provers x %d cycles\n", formatAmount(q.Fee), q.Fee, q.Provers, q.Cycles)
				fmt.Fprintf(out, "  = %d provers x %d Mcycles x %d uprv/Mcycle x %d (class multiplier)", q.Provers, q.Mcycles, q.PricePerMcycle, q.ClassMultiplier)
				if q.PerSlot == q.MinSlotFee && q.Mcycles*q.PricePerMcycle*q.ClassMultiplier < q.MinSlotFee {
					fmt.Fprintf(out, ", raised to min_slot_fee %d uprv per prover", q.MinSlotFee)
				}
				fmt.Fprintln(out)
				fmt.Fprintf(out, "  per prover    %d uprv\n  min deadline  %d blocks\n  program       %s\n", q.PerSlot, q.MinDeadline, q.Program)
				if m != nil {
					fmt.Fprintf(out, "  measured      %d cycles in wasm + %d in native proof-system calls (%s)\n", *rep.WasmCycles, m.HostCycles, measured)
					fmt.Fprintln(out, "hint: a prover's wasm count can vary a little between runs (its blinding is random); give --cycles with headroom to be safe")
				}
			})
		},
	}
	fee.Flags().StringVar(&program, "program", "", "program id (64 hex digits) or name (required)")
	fee.Flags().Uint64Var(&cycles, "cycles", 0, "cycle budget per prover (or --measured)")
	fee.Flags().StringVar(&measured, "measured", "", "take the cycles from this `provernet program run --output json` report")
	fee.Flags().Uint32Var(&provers, "provers", 1, "number of provers k")
	addMarketFlags(fee.Flags(), &feeMarket)
	fee.Flags().Int64Var(&feeDeadline, "deadline", 0, "market/cheapest/pool: the Run's deadline in blocks, which bounds --max-latency (0: the chain's max_deadline)")
	_ = fee.MarkFlagRequired("program")
	fee.MarkFlagsMutuallyExclusive("cycles", "measured")

	allocation := &cobra.Command{
		Use:   "allocation ID",
		Short: "How a workload's provers were drawn, recomputed from the chain's state",
		Long: `Recomputes the allocation of a workload from the state the chain allocated it
from and the beacon seed of that height: every counter of the draw and every
prover's eligibility, beside the slots the chain recorded. It exits 1 if the
two disagree. docs/ALLOCATION.md describes the rules.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			a, err := g.client().Allocation(cmd.Context(), args[0])
			if err != nil {
				return workloadErr(err)
			}
			if err := g.emit(a, func(out io.Writer) { printAllocation(out, a) }); err != nil {
				return err
			}
			if !a.Agrees {
				return &cli.ExitError{Code: 1}
			}
			return nil
		},
	}
	return []*cobra.Command{workload, workloads, fee, allocation}
}

// workloadErr words a failed workload lookup.
func workloadErr(err error) error {
	if errors.Is(err, client.ErrNotFound) {
		return cli.WithHint(err,
			"`provernet query workloads` lists the workloads; a Run's workload exists once its transaction is committed, and is allocated at the next block")
	}
	return nodeErr(err)
}

// resolveProgram accepts a program id or the name of a deployed program.
func resolveProgram(cmd *cobra.Command, c *client.Client, s string) (string, error) {
	p, err := c.ResolveProgram(cmd.Context(), s)
	var ambiguous *client.AmbiguousNameError
	switch {
	case errors.Is(err, client.ErrNotFound):
		return "", cli.WithHint(err, "`provernet query programs` lists the programs; --program takes an id or a name")
	case errors.As(err, &ambiguous):
		return "", cli.WithHint(err, "pass the program id instead")
	case err != nil:
		return "", nodeErr(err)
	}
	return p.ID, nil
}

func printWorkload(w io.Writer, wl *wire.Workload) {
	fmt.Fprintf(w, "workload %s  %s", wl.ID, wl.State)
	if wl.Reason != "" {
		fmt.Fprintf(w, " (%s)", wl.Reason)
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "  program   %s\n", wl.Program)
	switch {
	case wl.Owner != "":
		fmt.Fprintf(w, "  owner     %s\n", wl.Owner)
	case wl.Challenge:
		fmt.Fprintf(w, "  challenge made by the chain (admission: %t)\n", wl.Admission)
	}
	fmt.Fprintf(w, "  k %d x %d cycles; included at %d", wl.K, wl.Cycles, wl.Height)
	if wl.AllocatedHeight > 0 {
		fmt.Fprintf(w, ", allocated at %d", wl.AllocatedHeight)
	}
	fmt.Fprintf(w, ", deadline %d\n", wl.Deadline)
	fmt.Fprintf(w, "  fee       %s (%d uprv), escrow %d uprv\n", formatAmount(wl.Fee), wl.Fee, wl.Escrow)
	if wl.Settled {
		fmt.Fprintf(w, "  settled   at %d: minted %d, burned %d, refunded %d uprv\n", wl.SettledHeight, wl.Minted, wl.Burned, wl.Refunded)
	}
	for _, in := range wl.Inputs {
		kind := "blob"
		if in.Inline {
			kind = "inline"
		}
		fmt.Fprintf(w, "  input     %s  %d bytes %s, sha256 %s\n", in.Name, in.Size, kind, in.SHA256)
	}
	if len(wl.Slots) == 0 {
		fmt.Fprintf(w, "  no slots yet: it is allocated at height %d\n", wl.Height+1)
	}
	for _, s := range wl.Slots {
		fmt.Fprintf(w, "  slot %d  %s\n", s.Index, slotLine(s))
		if s.Identity != "" {
			fmt.Fprintf(w, "          identity %s\n", s.Identity)
		}
	}
}

// slotLine summarises a slot on one line: its state, who holds it, and
// whatever has happened to it.
func slotLine(s wire.Slot) string {
	prover := s.Prover
	if prover == "" {
		prover = "-"
	}
	parts := []string{fmt.Sprintf("%-10s %s", s.State, prover)}
	add := func(format string, a ...any) { parts = append(parts, fmt.Sprintf(format, a...)) }
	switch {
	case s.AllocatedTo == "":
		add("no prover was eligible")
	case s.AllocatedTo != s.Prover:
		add("allocated to %s", s.AllocatedTo)
	}
	if s.Released != "" {
		add("released: %s", s.Released)
	}
	if s.Filled {
		add("filled from the open market")
	}
	switch s.State {
	case wire.SlotAssigned:
		add("accept by %d", s.AcceptBy)
	case wire.SlotOpen:
		add("open until %d", s.OpenUntil)
	}
	if s.SubmitHeight > 0 {
		add("%s, %d cycles, submitted at %d", s.Outcome, s.CyclesUsed, s.SubmitHeight)
	}
	if s.RevealBy > 0 && s.Identity == "" {
		add("reveal by %d", s.RevealBy)
	}
	if s.CommitteeSize > 0 {
		add("votes %d valid / %d invalid of %d", s.ValidVotes, s.InvalidVotes, s.CommitteeSize)
		if s.DecidedHeight == 0 && s.VoteBy > 0 {
			add("vote by %d", s.VoteBy)
		}
	}
	if s.Tier > 0 {
		add("tier %d", s.Tier)
	}
	if s.Reward > 0 || s.FeePaid > 0 {
		add("paid %d uprv fee + %d uprv reward", s.FeePaid, s.Reward)
	}
	return strings.Join(parts, "; ")
}

func printAllocation(w io.Writer, a *wire.Allocation) {
	if a.Market != nil { // issue 17: a market Run's match
		printMatch(w, a)
		return
	}
	fmt.Fprintf(w, "workload %s allocated at height %d (Run %d of that block), k %d\n", a.Workload, a.Height, a.Position, a.K)
	fmt.Fprintf(w, "  seed  %s\n  r     %s  = SHA-256(seed || workload id)\n", a.Seed, a.R)
	fmt.Fprintf(w, "  eligible n = %d", a.Eligible)
	if a.Excluded > 0 {
		fmt.Fprintf(w, "; %d allocated at the previous height", a.Excluded)
		if a.AddedBack {
			fmt.Fprint(w, " (added back: fewer than k otherwise)")
		} else {
			fmt.Fprint(w, " (excluded)")
		}
	}
	switch {
	case a.Eligible == 0:
		fmt.Fprintln(w, "; nothing to draw")
	case a.AcceptAll:
		fmt.Fprintln(w, "; every value is accepted (n is a power of two)")
	default:
		fmt.Fprintf(w, "; values at or above %d are rejected for bias\n", a.AcceptBelow)
	}
	if len(a.Draws) > 0 {
		fmt.Fprintf(w, "draws (index = value mod n):\n  %-8s %-20s %-6s %-16s %s\n", "counter", "value", "index", "outcome", "prover")
		for _, d := range a.Draws {
			fmt.Fprintf(w, "  %-8d %-20d %-6d %-16s %s\n", d.Counter, d.Value, d.Index, d.Outcome, d.Prover)
		}
	}
	fmt.Fprintln(w, "provers:")
	if len(a.Provers) == 0 {
		fmt.Fprintln(w, "  no active provers")
	}
	for _, p := range a.Provers {
		line := fmt.Sprintf("  %s  %-14s", p.Address, p.Reason)
		if p.Index >= 0 {
			line += fmt.Sprintf(" index %d,", p.Index)
		}
		line += fmt.Sprintf(" holds %d of %d", p.Held, p.MaxConcurrent)
		if p.Detail != "" {
			line += "; " + p.Detail
		}
		fmt.Fprintln(w, line)
	}
	fmt.Fprintln(w, "slots (the chain's record):")
	for _, s := range a.Slots {
		to := s.AllocatedTo
		if to == "" {
			to = "nobody (opened to the market)"
		}
		fmt.Fprintf(w, "  slot %d  allocated to %s; now %s", s.Index, to, s.State)
		if s.Prover != "" && s.Prover != s.AllocatedTo {
			fmt.Fprintf(w, " (%s)", s.Prover)
		}
		fmt.Fprintln(w)
	}
	if a.Agrees {
		fmt.Fprintln(w, "the recomputed draw agrees with the chain's slots")
	} else {
		fmt.Fprintf(w, "MISMATCH: the recomputed draw names %v; the chain's slots differ\n", a.Drawn)
	}
}

// addPageFlags adds --limit and --cursor to a list command.
func addPageFlags(cmd *cobra.Command, o *client.ListOptions) {
	cmd.Flags().IntVar(&o.Limit, "limit", 0, fmt.Sprintf("records in one page, 1..%d (default %d; without --limit or --cursor, the whole list or the newest %d)",
		client.MaxPageLimit, client.DefaultPageLimit, client.MaxPageLimit))
	cmd.Flags().StringVar(&o.Cursor, "cursor", "", "the page after this cursor (the next value a page printed)")
}

// printNext tells how to read the page after this one.
func printNext(w io.Writer, next string) {
	if next != "" {
		fmt.Fprintf(w, "more: --cursor %s\n", next)
	}
}

// feeReport is a fee quote, with the split of a measured run's cycles.
type feeReport struct {
	*wire.FeeQuote
	WasmCycles *uint64 `json:"wasm_cycles,omitempty"`
	HostCycles *uint64 `json:"host_cycles,omitempty"`
}

func ptr[T any](v T) *T { return &v }

// readMeasured reads a program run report (at most 1 MiB).
func readMeasured(path string) (*localRun, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var m localRun
	dec := json.NewDecoder(io.LimitReader(f, 1<<20))
	if err := dec.Decode(&m); err != nil {
		return nil, cli.WithHint(fmt.Errorf("%s: %w", path, err), "make it with `provernet program run ... --output json`")
	}
	if m.HostCycles > m.Cycles {
		return nil, fmt.Errorf("%s: host_cycles %d exceed cycles %d: not a program run report", path, m.HostCycles, m.Cycles)
	}
	if m.Outcome != sandbox.OutcomeProof {
		return nil, cli.WithHint(fmt.Errorf("%s: the measured run ended %q, not with a proof", path, m.Outcome), "a Run needs the cycles of a run that proved")
	}
	return &m, nil
}
