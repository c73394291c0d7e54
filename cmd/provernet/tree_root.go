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
	"github.com/provernet/provernet/internal/treecheck"
	"github.com/provernet/provernet/internal/treepair"
	"github.com/provernet/provernet/wire"
)

// provernet tree root: wait for a tree to be final and write its winning
// root proof (issue 16, docs/TREES.md).

// treeRootReport is what `tree root` prints.
type treeRootReport struct {
	File     string           `json:"file"`
	Root     *client.TreeRoot `json:"root"`
	Verified *treecheck.Check `json:"verified,omitempty"` // nil with --no-verify
}

func newTreeRootCmd(g *globals) *cobra.Command {
	var out, keysDir string
	var inputPaths []string
	var noVerify bool
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
reward went back to its submitter.

Before it writes anything it verifies the root rather than trusting the
node: it recomputes the outputs of every proof of the winning tree from
the children each names, and the base proofs' from your own input files
when you give them (--input, as to tree submit), and for the gnark pair
verifies the root's Groth16 proof under the chain's keys (as the node
gives its params, or your own with --keys). A root that does not check
out is an error and nothing is written.`,
		Example: `  provernet tree root 5f1c... --out root.json
  provernet tree root 5f1c... --input tx0.json --input tx1.json --input tx2.json --input tx3.json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id := strings.ToLower(args[0])
			if b, err := hex.DecodeString(id); err != nil || len(b) != 32 {
				return cli.WithHint(fmt.Errorf("%q is not a tree id", args[0]), "a tree id is 64 hex digits, printed by `provernet tree submit`")
			}
			var inputs [][]byte
			if len(inputPaths) > 0 {
				var err error
				if inputs, err = readTreeInputs(inputPaths); err != nil {
					return err
				}
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
			rep := treeRootReport{File: out, Root: root}
			if !noVerify {
				if rep.Verified, err = g.verifyRoot(ctx, t, inputs, keysDir, root); err != nil {
					return cli.WithHint(fmt.Errorf("tree %s's root does not check out, nothing written: %w", id, err),
						"the node's record is not what the inputs give: ask another node (--node), or check the --input files are the tree's, in order")
				}
			}
			if err := writeJSONFile(out, root); err != nil {
				return err
			}
			return g.emit(rep, func(w io.Writer) {
				fmt.Fprintf(w, "tree %s final: winning root proof #%d by %s, total score %d, %d proofs paid %d uprv\n",
					id, root.Seq, root.Prover, root.Total, root.Proofs, root.PaidUprv)
				fmt.Fprintf(w, "root outputs %s\nwritten to %s\n", root.Outputs, out)
				if v := rep.Verified; v != nil {
					from := "as the node recorded the base proofs' (give --input to check them against your inputs)"
					if v.Inputs {
						from = "from your input files"
					}
					fmt.Fprintf(w, "verified (%s pair): %d proofs of the winning tree recomputed %s", v.Pair, v.Recomputed, from)
					if v.Proof {
						fmt.Fprintf(w, "; the root's Groth16 proof verifies under the keys from %s", v.Keys)
					}
					fmt.Fprintln(w)
				}
			})
		},
	}
	cmd.Flags().StringVar(&out, "out", "", "where to write the root proof (default tree-<id prefix>-root.json)")
	cmd.Flags().StringArrayVar(&inputPaths, "input", nil, "the tree's input files, once per input, in order, to check the root against")
	cmd.Flags().StringVar(&keysDir, "keys", "", "the gnark pair's verifying keys (a `tree keys` directory) instead of the node's params")
	cmd.Flags().BoolVar(&noVerify, "no-verify", false, "write the root as the node gives it, unchecked")
	cmd.Flags().DurationVar(&timeout, "timeout", 10*time.Minute, "how long to wait for the tree to be final")
	cmd.Flags().DurationVar(&poll, "poll", 500*time.Millisecond, "how often to look")
	return cmd
}

// verifyRoot checks t's winning root (treecheck.Verify) with the gnark
// keys from keysDir, or else from the node's params when the tree is not
// of the hash pair.
func (g *globals) verifyRoot(ctx context.Context, t *wire.Tree, inputs [][]byte, keysDir string, root *client.TreeRoot) (*treecheck.Check, error) {
	var keys *treecheck.Keys
	switch {
	case keysDir != "":
		base, merges, err := treepair.ReadVerifyingKeys(keysDir)
		if err != nil {
			return nil, err
		}
		keys = &treecheck.Keys{Levels: append([][]byte{base}, merges...), From: keysDir}
	case t.BaseProgram != hex.EncodeToString(wire.TreeHashBaseProgram):
		p, err := g.client().Params(ctx)
		if err != nil {
			return nil, nodeErr(err)
		}
		if len(p.TreeGnarkBaseVK) > 0 {
			keys = &treecheck.Keys{Levels: append([][]byte{p.TreeGnarkBaseVK}, p.TreeGnarkMergeVKs...), From: "the node's params"}
		}
	}
	proof, err := hex.DecodeString(root.Proof)
	if err != nil {
		return nil, err
	}
	return treecheck.Verify(t, inputs, keys, proof)
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
