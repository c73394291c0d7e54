package main

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/provernet/provernet/client"
	"github.com/provernet/provernet/internal/cli"
	"github.com/provernet/provernet/wire"
)

// provernet tree: proof trees (issue 16, docs/TREES.md), of the hash
// test pair (which proves nothing) or of the chain's gnark pair (real
// recursive Groth16 proofs, keys from `provernet tree keys`).

func newTreeCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "tree", Short: "Proof trees: one proof of many inputs, made by many provers (docs/TREES.md)"}
	cmd.AddCommand(newTreeSubmitCmd(g), newTreeStatusCmd(g), newTreeRootCmd(g), newTreeKeysCmd(g))
	return cmd
}

type treeSubmitReport struct {
	Tree      string                `json:"tree"`
	Broadcast *wire.BroadcastResult `json:"broadcast"`
	Committed *wire.TxResult        `json:"committed,omitempty"`
}

func newTreeSubmitCmd(g *globals) *cobra.Command {
	var from, reward, fee, pair, base, merge string
	var inputs []string
	var deadline int64
	var wait bool
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "submit",
		Short: "Ask for a proof tree over input files (--pair hash proves nothing; --pair gnark is real)",
		Long: `submit sends a ProveTree over the input files, each one transaction of the
block (inline, at most max_inline_input bytes), escrowing the reward R; the
number of files must be a power of two (2..max_tree_inputs). --pair hash (the
default) is the hash test pair, which proves nothing; --pair gnark is the
chain's gnark pair, real Groth16 proofs whose merges verify their children
in-circuit (the chain's params must name its keys, and provers need them; a
merge takes minutes, so give it a --node-deadline of that many blocks).
--base and --merge name two deployed programs instead (ids or names; both
must declare a verifier budget): provers run them in the sandbox on the
tree file contract (examples/programs/README.md, "Tree programs") and a
committee judges each node proof before it counts. It prints the tree's
id; follow it with ` + "`provernet tree status ID`" + `.`,
		Example: `  provernet tree submit --from dev0 --input tx0 --input tx1 --input tx2 --input tx3 --reward 5prv --wait
  provernet tree submit --pair gnark --node-deadline 600 --from dev0 --input tx0 --input tx1 --input tx2 --input tx3 --reward 5prv
  provernet tree submit --base sha256-tree-base --merge sha256-tree-merge --node-deadline 30 --from dev0 --input tx0 --input tx1 --reward 5prv`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			key, err := g.loadKey(from)
			if err != nil {
				return err
			}
			r, err := parseAmount(reward)
			if err != nil {
				return err
			}
			var feeU uint64
			if fee != "" {
				if feeU, err = parseAmount(fee); err != nil {
					return err
				}
			}
			data, err := readTreeInputs(inputs)
			if err != nil {
				return err
			}
			m := client.ProveTreeMsg(data, r, deadline)
			switch {
			case base != "" || merge != "":
				if m, err = g.deployedTreeMsg(cmd, pair, base, merge, data, r, deadline); err != nil {
					return err
				}
			case pair == "hash":
			case pair == "gnark":
				p, err := g.client().Params(cmd.Context())
				if err != nil {
					return nodeErr(err)
				}
				if m, err = client.ProveTreeGnarkMsg(p, data, r, deadline); err != nil {
					return cli.WithHint(err, "make the keys with `provernet tree keys` and start the chain with them (devnet --tree-keys DIR)")
				}
			default:
				return cli.WithHint(fmt.Errorf("--pair %q", pair), "hash (proves nothing) or gnark; or --base and --merge for deployed programs")
			}
			return g.submitTree(cmd.Context(), key, feeU, m, wait, timeout)
		},
	}
	cmd.Flags().StringVar(&from, "from", "", "name of the submitting key, which pays R (required)")
	cmd.Flags().StringArrayVar(&inputs, "input", nil, "an input file, once per input, in order (required; a power of two of them)")
	cmd.Flags().StringVar(&reward, "reward", "", "R, escrowed and paid to the winning tree's provers, e.g. 5prv (required)")
	cmd.Flags().Int64Var(&deadline, "node-deadline", 10, "blocks each node's window (and each step-in window) lasts")
	cmd.Flags().StringVar(&fee, "fee", "", "transaction fee to offer (default: the chain's minimum)")
	cmd.Flags().StringVar(&pair, "pair", "hash", "the program pair: hash (the test pair, proves nothing) or gnark (the chain's recursive Groth16 pair)")
	cmd.Flags().StringVar(&base, "base", "", "a deployed base program (id or name), with --merge: a tree judged by committees")
	cmd.Flags().StringVar(&merge, "merge", "", "a deployed merge program (id or name), with --base")
	cmd.Flags().BoolVar(&wait, "wait", false, "wait until the transaction is committed")
	cmd.Flags().DurationVar(&timeout, "timeout", 30*time.Second, "how long --wait waits")
	for _, f := range []string{"from", "input", "reward"} {
		_ = cmd.MarkFlagRequired(f)
	}
	return cmd
}

// deployedTreeMsg is a ProveTree of two deployed programs, named by id or
// name.
func (g *globals) deployedTreeMsg(cmd *cobra.Command, pair, base, merge string, data [][]byte, reward uint64, deadline int64) (*client.Msg, error) {
	if base == "" || merge == "" {
		return nil, cli.WithHint(errors.New("--base and --merge go together"), "name both deployed programs, or neither for --pair")
	}
	if cmd.Flags().Changed("pair") {
		return nil, cli.WithHint(fmt.Errorf("--pair %s with --base and --merge", pair), "--pair names a built-in pair; drop it to prove deployed programs")
	}
	var ids [2][]byte
	for i, s := range []string{base, merge} {
		id, err := resolveProgram(cmd, g.client(), s)
		if err != nil {
			return nil, err
		}
		if ids[i], err = hex.DecodeString(id); err != nil {
			return nil, err
		}
	}
	return client.ProveTreeProgramsMsg(ids[0], ids[1], data, reward, deadline), nil
}

// readTreeInputs reads the input files; their count must be a power of
// two (the chain checks the rest).
func readTreeInputs(paths []string) ([][]byte, error) {
	if n := len(paths); n < 2 || n&(n-1) != 0 {
		return nil, cli.WithHint(fmt.Errorf("%d inputs; a tree needs a power of two of them, at least 2", n), "pass --input once per input file")
	}
	var out [][]byte
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, nil
}

func (g *globals) submitTree(ctx context.Context, key *client.Key, fee uint64, m *client.Msg, wait bool, timeout time.Duration) error {
	c := g.client()
	id, res, err := c.ProveTree(ctx, key, fee, m)
	if err != nil {
		return nodeErr(err)
	}
	rep := treeSubmitReport{Tree: id, Broadcast: res}
	if wait {
		wctx, cancel := context.WithTimeout(ctx, timeout)
		defer cancel()
		if rep.Committed, err = c.WaitTx(wctx, res.Hash); err != nil {
			return cli.WithHint(err, "the transaction may still commit; check with `provernet query tx "+res.Hash+"`")
		}
	}
	err = g.emit(rep, func(w io.Writer) {
		fmt.Fprintf(w, "tree %s\naccepted into the mempool: tx %s\n", id, res.Hash)
		if c := rep.Committed; c != nil {
			fmt.Fprintf(w, "committed at height %d: code %d (%s)\n", c.Height, c.Code, c.CodeName)
		}
	})
	if err != nil {
		return err
	}
	return nodeErr(client.TxError(rep.Committed))
}

func newTreeStatusCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:     "status ID",
		Short:   "Show a proof tree: its state, nodes, kept proofs, scores and pay",
		Example: `  provernet tree status 5f1c...`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			t, err := g.client().Tree(cmd.Context(), args[0])
			if err != nil {
				var se *client.StatusError
				if errors.As(err, &se) && se.Status == 404 {
					return cli.WithHint(err, "the tree id is printed by `provernet tree submit`; a tree not yet included is not found")
				}
				return nodeErr(err)
			}
			return g.emit(t, func(w io.Writer) { printTree(w, t) })
		},
	}
}

func printTree(w io.Writer, t *wire.Tree) {
	fmt.Fprintf(w, "tree %s: %s, %d inputs, %d nodes, %d proofs per node\n", t.ID, t.State, t.N, t.NumNodes, t.ProofsPerNode)
	fmt.Fprintf(w, "reward %d uprv: escrow %d, paid %d, burned %d, refunded %d\n", t.RewardUprv, t.Escrow, t.Paid, t.Burned, t.Refunded)
	if r, err := client.TreeRootOf(t); err == nil {
		fmt.Fprintf(w, "winning root: proof #%d by %s, total score %d; its tree: %d proofs, paid %d uprv\n", r.Seq, r.Prover, r.Total, r.Proofs, r.PaidUprv)
	}
	for _, nd := range t.Nodes {
		fmt.Fprintf(w, "node %d %s", nd.Node, nd.Phase)
		if nd.Until != 0 {
			fmt.Fprintf(w, " (window to height %d)", nd.Until-1)
		}
		if nd.Deciding {
			fmt.Fprint(w, " deciding: its window ended with proofs before committees")
		}
		fmt.Fprintln(w)
		for _, p := range nd.Proofs {
			var flags []string
			for _, f := range []struct {
				on   bool
				name string
			}{{p.StepIn, "step-in"}, {p.Pinned, "pinned"}, {p.InWinningTree, "winning"}} {
				if f.on {
					flags = append(flags, f.name)
				}
			}
			if nd.Node == 1 && p.Total != 0 {
				flags = append(flags, fmt.Sprintf("total %d", p.Total))
			}
			if len(p.Left)+len(p.Right) > 0 {
				flags = append(flags, fmt.Sprintf("names %v %v", p.Left, p.Right))
			}
			fmt.Fprintf(w, "  #%d %s fee_burn %d bp, score %d, paid %d uprv %s\n", p.Seq, p.Prover, p.FeeBurnBP, p.Score, p.PaidUprv, strings.Join(flags, " "))
		}
		for _, p := range nd.Pending {
			var valid, invalid int
			for _, v := range p.Votes {
				switch v {
				case "valid":
					valid++
				case "invalid", "copied":
					invalid++
				}
			}
			fmt.Fprintf(w, "  pending #%d %s score %d: ballot %d (round %d) until height %d, %d of %d members voted valid, %d invalid\n",
				p.Seq, p.Prover, p.Score, p.Ballot, p.Round, p.VoteBy, valid, len(p.Committee), invalid)
		}
	}
}
