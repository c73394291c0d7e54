package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/provernet/provernet/client"
	"github.com/provernet/provernet/internal/cli"
	"github.com/provernet/provernet/wire"
)

func newQueryCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "query", Aliases: []string{"q"}, Short: "Read the chain's state through a node's API"}
	cmd.AddCommand(
		&cobra.Command{
			Use: "status", Short: "The node's chain id and latest block", Args: cobra.NoArgs,
			RunE: func(cmd *cobra.Command, _ []string) error {
				st, err := g.client().Status(cmd.Context())
				if err != nil {
					return cli.WithHint(err, "is the node running? --node sets its API URL")
				}
				return g.emit(st, func(w io.Writer) {
					fmt.Fprintf(w, "chain %s, height %d (%s)\nblock %s\napp hash %s\nnode %s (%s)\n",
						st.ChainID, st.Height, st.BlockTime.Format("2006-01-02 15:04:05Z07:00"), st.BlockHash, st.AppHash, st.Moniker, st.NodeID)
				})
			},
		},
		&cobra.Command{
			Use: "account ADDRESS|KEY", Short: "An account's balance and next nonce", Args: cobra.ExactArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				addr, err := g.resolveAddress(args[0])
				if err != nil {
					return err
				}
				a, err := g.client().Account(cmd.Context(), addr)
				if err != nil {
					return err
				}
				return g.emit(a, func(w io.Writer) {
					fmt.Fprintf(w, "%s\n  balance  %s (%d uprv)\n  nonce    %d\n  at height %d\n", a.Address, formatAmount(a.Balance), a.Balance, a.Nonce, a.Height)
				})
			},
		},
		&cobra.Command{
			Use: "block [HEIGHT]", Short: "A block (the latest without HEIGHT)", Args: cobra.MaximumNArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				h, err := heightArg(args)
				if err != nil {
					return err
				}
				b, err := g.client().Block(cmd.Context(), h)
				if err != nil {
					return err
				}
				return g.emit(b, func(w io.Writer) {
					fmt.Fprintf(w, "block %d  %s\n  time      %s\n  proposer  %s\n  app hash  %s\n  txs       %d (the first is the beacon entry)\n",
						b.Height, b.Hash, b.Time.Format("2006-01-02 15:04:05.000Z07:00"), b.Proposer, b.AppHash, b.NumTxs)
					for _, t := range b.TxHashes {
						fmt.Fprintf(w, "    %s\n", t)
					}
				})
			},
		},
		&cobra.Command{
			Use: "beacon [HEIGHT]", Short: "The randomness beacon entry of a block (the latest without HEIGHT)", Args: cobra.MaximumNArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				h, err := heightArg(args)
				if err != nil {
					return err
				}
				b, err := g.client().Beacon(cmd.Context(), h)
				if err != nil {
					return err
				}
				return g.emit(b, func(w io.Writer) {
					fmt.Fprintf(w, "beacon at height %d (proposer %s)\n  seed       %s\n  prev seed  %s\n  beta       %s\n  pi         %s\n",
						b.Height, b.Proposer, b.Seed, b.PrevSeed, b.Beta, b.Pi)
				})
			},
		},
		&cobra.Command{
			Use: "tx HASH", Short: "A committed transaction's result", Args: cobra.ExactArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				r, err := g.client().Tx(cmd.Context(), args[0])
				if err != nil {
					return err
				}
				return g.emit(r, func(w io.Writer) {
					fmt.Fprintf(w, "tx %s\n  height %d index %d\n  code   %d (%s)\n", r.Hash, r.Height, r.Index, r.Code, r.CodeName)
					if r.Log != "" {
						fmt.Fprintf(w, "  log    %s\n", r.Log)
					}
					for _, e := range r.Events {
						fmt.Fprintf(w, "  event  %s %v\n", e.Type, e.Attrs)
					}
				})
			},
		},
		&cobra.Command{
			Use: "program ID", Short: "A deployed program", Args: cobra.ExactArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				p, err := g.client().Program(cmd.Context(), args[0])
				if err != nil {
					return err
				}
				return g.emit(p, func(w io.Writer) { printProgram(w, *p) })
			},
		},
		&cobra.Command{
			Use: "prover ADDRESS|KEY", Short: "A registered prover", Args: cobra.ExactArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				addr, err := g.resolveAddress(args[0])
				if err != nil {
					return err
				}
				p, err := g.client().Prover(cmd.Context(), addr)
				if err != nil {
					return err
				}
				return g.emit(p, func(w io.Writer) { printProver(w, *p) })
			},
		},
		newQueryProversCmd(g),
		newQueryValidatorsCmd(g), // issue 19
		newQueryProgramsCmd(g),
		&cobra.Command{
			Use: "params", Short: "The chain parameters", Args: cobra.NoArgs,
			RunE: func(cmd *cobra.Command, _ []string) error {
				p, err := g.client().Params(cmd.Context())
				if err != nil {
					return nodeErr(err)
				}
				return g.emit(p, func(w io.Writer) {
					b, _ := json.MarshalIndent(p, "", "  ")
					fmt.Fprintln(w, string(b))
				})
			},
		},
		&cobra.Command{
			Use: "supply", Short: "Genesis, minted and burned totals", Args: cobra.NoArgs,
			RunE: func(cmd *cobra.Command, _ []string) error {
				s, err := g.client().Supply(cmd.Context())
				if err != nil {
					return err
				}
				return g.emit(s, func(w io.Writer) {
					fmt.Fprintf(w, "at height %d\n  genesis  %s\n  minted   %s\n  burned   %s\n", s.Height, formatAmount(s.Genesis), formatAmount(s.Minted), formatAmount(s.Burned))
				})
			},
		},
	)
	cmd.AddCommand(newQueryWorkloadCmds(g)...)
	addVerify(g, cmd) // --verify on account, prover and workload
	cmd.AddCommand(newQueryTimelineCmd(g), newQueryHistoryCmd(g))
	cmd.AddCommand(newQueryAsksCmd(g), newQueryMarketCmd(g), newQueryPoolCmd(g)) // issue 17
	return cmd
}

func heightArg(args []string) (int64, error) {
	if len(args) == 0 {
		return 0, nil
	}
	h, err := strconv.ParseInt(args[0], 10, 64)
	if err != nil || h < 1 {
		return 0, fmt.Errorf("invalid height %q: want a positive integer", args[0])
	}
	return h, nil
}

// newQueryProversCmd lists every registered prover, or one page of them
// with --limit/--cursor.
func newQueryProversCmd(g *globals) *cobra.Command {
	var filter client.ListOptions
	cmd := newListCmd(g, "provers", "Every registered prover (or a page with --limit/--cursor), filtered by state, hardware and label", "no provers registered",
		func(cmd *cobra.Command, o client.ListOptions) ([]wire.Prover, string, any, error) {
			o.State, o.Hardware, o.Label = filter.State, filter.Hardware, filter.Label
			p, err := g.client().ProversPage(cmd.Context(), o)
			if err != nil {
				return nil, "", nil, err
			}
			return p.Provers, p.Next, p, nil
		}, func(cmd *cobra.Command) ([]wire.Prover, error) { return g.client().ProversWhere(cmd.Context(), filter) }, printProver)
	cmd.Flags().StringVar(&filter.State, "state", "", "only the provers in this state (pending, active, suspended, leaving, exited, removed)")
	cmd.Flags().StringVar(&filter.Hardware, "hardware", "", "only the provers of this hardware class: cpu or gpu (declares a GPU)")
	cmd.Flags().StringVar(&filter.Label, "label", "", "only the provers registered with this label")
	return cmd
}

// newQueryProgramsCmd lists every deployed program, or one page of them
// with --limit/--cursor.
func newQueryProgramsCmd(g *globals) *cobra.Command {
	return newListCmd(g, "programs", "Every deployed program (or a page with --limit/--cursor)", "no programs deployed",
		func(cmd *cobra.Command, o client.ListOptions) ([]wire.Program, string, any, error) {
			p, err := g.client().ProgramsPage(cmd.Context(), o)
			if err != nil {
				return nil, "", nil, err
			}
			return p.Programs, p.Next, p, nil
		}, func(cmd *cobra.Command) ([]wire.Program, error) { return g.client().Programs(cmd.Context()) }, printProgram)
}

// newListCmd is a list query: every record by default, or one page with
// --limit/--cursor (whose JSON is the page, with its next cursor).
func newListCmd[T any](g *globals, use, short, empty string,
	page func(*cobra.Command, client.ListOptions) ([]T, string, any, error),
	all func(*cobra.Command) ([]T, error), print func(io.Writer, T)) *cobra.Command {
	var o client.ListOptions
	cmd := &cobra.Command{
		Use: use, Short: short, Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var items []T
			var v any
			var next string
			var err error
			if cmd.Flags().Changed("limit") || cmd.Flags().Changed("cursor") {
				items, next, v, err = page(cmd, o)
			} else {
				items, err = all(cmd)
				v = items
			}
			if err != nil {
				return err
			}
			return g.emit(v, func(w io.Writer) {
				if len(items) == 0 {
					fmt.Fprintln(w, empty)
				}
				for _, it := range items {
					print(w, it)
				}
				printNext(w, next)
			})
		},
	}
	addPageFlags(cmd, &o)
	return cmd
}
