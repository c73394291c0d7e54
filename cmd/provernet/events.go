package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/provernet/provernet/client"
	"github.com/provernet/provernet/internal/cli"
	"github.com/provernet/provernet/wire"
)

// newEventsCmd follows the node's event stream (GET /v1/events).
func newEventsCmd(g *globals) *cobra.Command {
	var f client.EventFilter
	var owner, prover string
	var count int
	cmd := &cobra.Command{
		Use:   "events",
		Short: "Follow the chain's events as blocks commit",
		Long: `Prints the chain's events as blocks commit: each block's own (beacon,
allocation, timers, what its votes decided), then each transaction's, one per
line as HEIGHT:INDEX TYPE key=value... (--output json: one JSON object per
line). A dropped connection is dialled again and resumes after the last event
printed. Ctrl-C stops it; --count stops after that many events.`,
		Example: `  provernet events --workload ID          # one workload's story as it happens
  provernet events --prover dev2 --from 1 # everything about a prover since height 1
  provernet events --output json | jq 'select(.type == "slash")'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var err error
			if owner != "" {
				if f.Owner, err = g.resolveAddress(owner); err != nil {
					return err
				}
			}
			if prover != "" {
				if f.Prover, err = g.resolveAddress(prover); err != nil {
					return err
				}
			}
			if count < 0 {
				return cli.WithHint(fmt.Errorf("--count must be 0 or more, got %d", count), "0 follows until Ctrl-C")
			}
			printed := 0
			enc := json.NewEncoder(g.stdout)
			err = g.client().Events(cmd.Context(), f, func(e wire.StreamEvent) bool {
				if g.json() {
					_ = enc.Encode(e)
				} else {
					fmt.Fprintln(g.stdout, eventLine(e))
				}
				printed++
				return count == 0 || printed < count
			})
			if errors.Is(err, cmd.Context().Err()) && cmd.Context().Err() != nil {
				return nil // Ctrl-C
			}
			if err != nil {
				return cli.WithHint(err, "is the node running? --node sets its API URL; `provernet events --help` lists the filters")
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&f.Workload, "workload", "", "only this workload's events (its id)")
	cmd.Flags().StringVar(&owner, "owner", "", "only the events of this owner's workloads (address or key name)")
	cmd.Flags().StringVar(&prover, "prover", "", "only events naming this address as prover, voter or sender (address or key name)")
	cmd.Flags().Int64Var(&f.From, "from", 0, "the first height (default: the next block)")
	cmd.Flags().IntVar(&count, "count", 0, "stop after this many events (0: follow until Ctrl-C)")
	return cmd
}

// eventLine is an event as the text output prints it, attributes in key
// order.
func eventLine(e wire.StreamEvent) string {
	keys := make([]string, 0, len(e.Attrs))
	for k := range e.Attrs {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var b strings.Builder
	fmt.Fprintf(&b, "%d:%d %s", e.Height, e.Index, e.Type)
	for _, k := range keys {
		fmt.Fprintf(&b, " %s=%s", k, e.Attrs[k])
	}
	return b.String()
}
