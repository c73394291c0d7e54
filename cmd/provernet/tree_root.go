package main

import (
	"context"
	"encoding/hex"
	"encoding/json"
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

// provernet tree root: wait for a tree to be final and write its winning
// root proof (issue 16, docs/TREES.md).

// treeRootReport is what `tree root` prints.
type treeRootReport struct {
	File string           `json:"file"`
	Root *client.TreeRoot `json:"root"`
}

func newTreeRootCmd(g *globals) *cobra.Command {
	var out string
	var timeout, poll time.Duration
	cmd := &cobra.Command{
		Use:   "root ID",
		Short: "Wait until a proof tree is final and write its winning root proof",
		Long: `root follows the tree until it is final, showing its progress on stderr (each
node's phase and kept proofs), then writes the winning root proof to --out as
JSON: its prover, its public outputs (which commit to the whole tree, each proof
with its prover), the proof (empty for the hash test pair, which proves
nothing), its total score and what the winning tree was paid. A tree that
expires (a node got no proof through its step-in windows) is an error: its
reward went back to its submitter.`,
		Example: `  provernet tree root 5f1c... --out root.json`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id := strings.ToLower(args[0])
			if b, err := hex.DecodeString(id); err != nil || len(b) != 32 {
				return cli.WithHint(fmt.Errorf("%q is not a tree id", args[0]), "a tree id is 64 hex digits, printed by `provernet tree submit`")
			}
			if out == "" {
				out = "tree-" + id[:12] + "-root.json"
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), timeout)
			defer cancel()
			t, err := g.client().WaitTree(ctx, id, poll, func(t *wire.Tree) { printTreeProgress(g.stderr, t) }, client.TreeEnded)
			if err != nil {
				return cli.WithHint(nodeErr(err), "the tree goes on without you: `provernet tree status "+id+"` shows where it is")
			}
			root, err := client.TreeRootOf(t)
			if errors.Is(err, client.ErrTreeNotFinal) {
				return cli.WithHint(fmt.Errorf("tree %s expired: a node got no proof in time; %d uprv were refunded", id, t.Refunded), "submit it again with a longer --node-deadline, or when provers are active")
			}
			if err != nil {
				return err
			}
			if root.ProofSha256 != "" { // a real pair: the proof's bytes too
				want, _ := hex.DecodeString(root.ProofSha256)
				b, err := g.client().TreeProof(ctx, id, 1, root.Seq, want)
				if err != nil {
					return nodeErr(err)
				}
				root.Proof = hex.EncodeToString(b)
			}
			if err := writeJSONFile(out, root); err != nil {
				return err
			}
			rep := treeRootReport{File: out, Root: root}
			return g.emit(rep, func(w io.Writer) {
				fmt.Fprintf(w, "tree %s final: winning root proof #%d by %s, total score %d, %d proofs paid %d uprv\n",
					id, root.Seq, root.Prover, root.Total, root.Proofs, root.PaidUprv)
				fmt.Fprintf(w, "root outputs %s\nwritten to %s\n", root.Outputs, out)
			})
		},
	}
	cmd.Flags().StringVar(&out, "out", "", "where to write the root proof (default tree-<id prefix>-root.json)")
	cmd.Flags().DurationVar(&timeout, "timeout", 10*time.Minute, "how long to wait for the tree to be final")
	cmd.Flags().DurationVar(&poll, "poll", 500*time.Millisecond, "how often to look")
	return cmd
}

// printTreeProgress is one line of a tree's progress: its state and each
// node's phase and kept proofs.
func printTreeProgress(w io.Writer, t *wire.Tree) {
	var parts []string
	for _, nd := range t.Nodes {
		parts = append(parts, fmt.Sprintf("%d:%s/%d", nd.Node, nd.Phase, len(nd.Proofs)))
	}
	fmt.Fprintf(w, "tree %s %s  nodes %s\n", t.ID[:12], t.State, strings.Join(parts, " "))
}

// writeJSONFile writes v as indented JSON, atomically.
func writeJSONFile(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(b, '\n'), 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
