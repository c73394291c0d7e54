package main

import (
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/provernet/provernet/client"
	"github.com/provernet/provernet/wire"
)

// newQueryTimelineCmd prints a workload's timeline from the node's indexes.
func newQueryTimelineCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use: "timeline ID", Short: "What happened to a workload, block by block (from the node's indexes)", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			t, err := g.client().Timeline(cmd.Context(), args[0])
			if err != nil {
				return workloadErr(err)
			}
			return g.emit(t, func(w io.Writer) { printTimeline(w, t) })
		},
	}
}

func printTimeline(out io.Writer, t *wire.Timeline) {
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "HEIGHT\tKIND\tSLOT\tPROVER\tDETAIL")
	for _, e := range t.Entries {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\n", e.Height, e.Kind, slotText(e.Slot), dash(e.Prover), e.Detail)
	}
	_ = tw.Flush()
	if !t.Complete {
		fmt.Fprintln(out, "(incomplete: the node stopped reading before the workload's last event)")
	}
}

// newQueryHistoryCmd prints a page of a prover's history.
func newQueryHistoryCmd(g *globals) *cobra.Command {
	var o client.HistoryOptions
	cmd := &cobra.Command{
		Use: "prover-history ADDRESS|KEY", Short: "What happened to a prover, newest first (a page; from the node's indexes)", Args: cobra.ExactArgs(1),
		Example: "  provernet query prover-history prover0\n  provernet query prover-history prv1... --limit 20 --cursor NEXT",
		RunE: func(cmd *cobra.Command, args []string) error {
			addr, err := g.resolveAddress(args[0])
			if err != nil {
				return err
			}
			h, err := g.client().ProverHistory(cmd.Context(), addr, o)
			if err != nil {
				return nodeErr(err)
			}
			return g.emit(h, func(w io.Writer) { printHistory(w, h) })
		},
	}
	cmd.Flags().IntVar(&o.Limit, "limit", 0, "entries in one page, 1..100 (default 50)")
	cmd.Flags().StringVar(&o.Cursor, "cursor", "", "the page after this cursor (the next value a page printed)")
	return cmd
}

func printHistory(out io.Writer, h *wire.ProverHistory) {
	if len(h.Entries) == 0 {
		fmt.Fprintln(out, "no events in this page")
	}
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	if len(h.Entries) > 0 {
		fmt.Fprintln(tw, "HEIGHT\tKIND\tWORKLOAD\tSLOT\tAMOUNT\tDETAIL")
	}
	for _, e := range h.Entries {
		amount := "-"
		if e.AmountUprv != 0 {
			amount = formatAmount(e.AmountUprv)
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\n", e.Height, e.Kind, dash(short(e.Workload)), slotText(e.Slot), amount, e.Detail)
	}
	_ = tw.Flush()
	printNext(out, h.Next)
}

func slotText(s int64) string {
	if s < 0 {
		return "-"
	}
	return strconv.FormatInt(s, 10)
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// short is the first 16 hex digits of an id, enough to tell workloads apart
// in a table (--output json has them whole).
func short(id string) string {
	if len(id) > 16 {
		return id[:16]
	}
	return id
}
