package main

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/provernet/provernet/internal/bench"
)

func newBenchStateSyncCmd(g *globals) *cobra.Command {
	o := bench.StateSyncOptions{Blocks: 10_000, Interval: 1_000, Accounts: 10_000}
	cmd := &cobra.Command{
		Use:   "statesync",
		Short: "How soon a new node joins a chain of --blocks blocks by state sync (join_s)",
		Long: `Runs one validator in a temporary home as fast as CometBFT commits (1 ms
between blocks), snapshotting every --interval heights, with --accounts funded
genesis accounts as the bulk of the state. Once it has made --blocks blocks a
full node starts, configured to state sync from the validator's header 5 blocks
back, and join_s is the time from its start until its app holds the
validator's state of that moment (same app hash). CometBFT spends its
discovery time (discovery_s) listening for snapshots first. Progress goes to
stderr.`,
		Example: "  provernet bench statesync --blocks 100000 --output json",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o.Progress = g.stderr
			res, err := bench.StateSync(cmd.Context(), o)
			if err != nil {
				return err
			}
			return g.emit(res, func(w io.Writer) {
				fmt.Fprintf(w, "joined a chain of %d blocks in %.1f s (discovery %.0f s of it): snapshot of height %d, %d bytes in %d chunks; its first block %d\n",
					res.Blocks, res.JoinS, res.DiscoveryS, res.SnapshotHeight, res.SnapshotBytes, res.Chunks, res.EarliestBlock)
				fmt.Fprintf(w, "the chain took %.0f s to make\n", res.ChainS)
			})
		},
	}
	f := cmd.Flags()
	f.Int64Var(&o.Blocks, "blocks", o.Blocks, "the chain's length when the node joins")
	f.Int64Var(&o.Interval, "interval", o.Interval, "snapshot every this many heights")
	f.IntVar(&o.Accounts, "accounts", o.Accounts, "funded genesis accounts (the state's bulk)")
	return cmd
}
