package main

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/provernet/provernet/internal/bench"
)

func newBenchTreeCmd(g *globals) *cobra.Command {
	o := bench.TreeOptions{FeeBurn: bench.TreeFeeBurns}
	var logPath string
	cmd := &cobra.Command{
		Use:   "tree",
		Short: "Blocks from a ProveTree to its final root, and kept proofs the winning tree left out",
		Long: `Starts a devnet in a temporary home with --provers prover daemons (prover i
offers a fee burn of (i mod 3) x 1000 bp), submits one ProveTree of --n inputs
of the hash pair with the chain's min_node_deadline, and waits for it to be
final. It reports root_final_blocks (the ProveTree's block to the block that
finalized it; the hash pair proves nothing, so no proving time is in it),
the same per level, the figure the collection windows give by design, each
level's proof heights, proofs kept, in the winning tree and paid, the wasted
kept proofs per node (proofs_per_node), and the reward paid and burned, in
all and by prover. Progress goes to stderr. docs/BENCHMARKS.md discusses it.`,
		Example: "  provernet bench tree --n 32 --output json",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o.Progress = g.stderr
			if logPath != "" {
				f, err := os.Create(logPath)
				if err != nil {
					return err
				}
				defer f.Close()
				o.Log = f
			}
			res, err := bench.Tree(cmd.Context(), o)
			if err != nil {
				return err
			}
			return g.emit(res, func(w io.Writer) { printTree(w, res) })
		},
	}
	cmd.Flags().IntVar(&o.N, "n", 32, "the tree's inputs (a power of two, 2..max_tree_inputs)")
	cmd.Flags().IntVar(&o.Provers, "provers", 6, "prover daemons")
	cmd.Flags().IntVar(&o.Capacity, "capacity", 8, "each daemon's concurrent jobs (tree nodes per pass)")
	cmd.Flags().Uint64Var(&o.Reward, "reward", 93_000_000, "the tree's reward R in uprv (at least one per proof)")
	cmd.Flags().DurationVar(&o.BlockTime, "block-time", 500*time.Millisecond, "the devnet's block time")
	cmd.Flags().Int64Var(&o.MinNodeDeadline, "min-node-deadline", 0, "override the devnet's min_node_deadline parameter (0: the chain's default, 5)")
	cmd.Flags().DurationVar(&o.Timeout, "timeout", 10*time.Minute, "how long to wait for the tree to end")
	cmd.Flags().StringVar(&logPath, "log", "", "write the node's and provers' logs to this file")
	return cmd
}

func printTree(w io.Writer, r *bench.TreeReport) {
	fmt.Fprintf(w, "tree of %d inputs (%d nodes, %d levels, node_deadline %d, %d provers, %d ms blocks): %s\n",
		r.N, r.NumNodes, r.Levels, r.NodeDeadline, r.Provers, r.BlockTimeMS, r.State)
	fmt.Fprintf(w, "ProveTree -> final: %d blocks, %.2f per level (design: %d)\n", r.RootFinalBlocks, r.RootFinalBlocksPerLevel, r.DesignBlocks)
	for _, l := range r.PerLevel {
		fmt.Fprintf(w, "  level %d: %d nodes, opened +%d, proofs +%d..+%d, %d kept, %d in the winning tree\n",
			l.Level, l.Nodes, l.OpenedBlocks, l.FirstProofBlock, l.LastProofBlock, l.Kept, l.InWinning)
	}
	fmt.Fprintf(w, "proofs: %d kept, %d in the winning tree, %d paid, %d step-ins; wasted %.2f per node\n",
		r.ProofsKept, r.ProofsInWinning, r.ProofsPaid, r.StepIns, r.WastedProofsPerNode)
	fmt.Fprintf(w, "node proofs landed %d, evicted %d (%.2f per node), failed transactions %v\n", r.Txs.Accepted, r.Txs.Evicted, r.EvictedPerNode, r.Txs.Failed)
	fmt.Fprintf(w, "reward %d uprv: paid %d, burned %d, refunded %d\n", r.RewardUprv, r.PaidUprv, r.BurnedUprv, r.RefundedUprv)
}
