package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os/exec"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/provernet/provernet/internal/cli"
	"github.com/provernet/provernet/internal/sandbox"
)

// treeKeysReport is what provernet-sandbox tree-keys reports
// (treezk.KeysReport; the node binary does not link gnark).
type treeKeysReport struct {
	Dir          string   `json:"dir"`
	Levels       int      `json:"levels"`
	MaxInputs    int      `json:"max_inputs"`
	BaseVK       []byte   `json:"tree_gnark_base_vk"`
	MergeVKs     [][]byte `json:"tree_gnark_merge_vks"`
	BaseProgram  string   `json:"base_program"`
	MergeProgram string   `json:"merge_program"`
}

func newTreeKeysCmd(g *globals) *cobra.Command {
	var out string
	var levels int
	cmd := &cobra.Command{
		Use:   "keys",
		Short: "Make the gnark pair's keys: one Groth16 setup per level (a development setup)",
		Long: `keys compiles the gnark pair's circuits (docs/TREES.md, "The gnark pair"): the
base node's and one merge circuit per level, each verifying two proofs of the
level below in-circuit, and runs a Groth16 setup for each, writing NAME.ccs,
NAME.pk, NAME.vk (NAME: base, merge-1, ...) into --out. Keys already there and
consistent are kept. A merge level takes minutes and a few GB of memory, and
its proving key about a gigabyte of disk.

The toxic waste is drawn from the system's randomness and dropped, so these
keys are only as trustworthy as the machine that made them: a development
setup. The verifying keys it prints go into a genesis's params
(tree_gnark_base_vk, tree_gnark_merge_vks), which is how every validator knows
them; provers need the whole directory (start --prover --tree-keys DIR, or
devnet --tree-keys DIR, which does both).`,
		Example: `  provernet tree keys --out treekeys --levels 1`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			exe, err := sandbox.WorkerExecutable()
			if err != nil {
				return cli.WithHint(err, "the keys are made by provernet-sandbox (it links gnark): `make build` puts it beside provernet")
			}
			var stdout bytes.Buffer
			c := exec.CommandContext(cmd.Context(), exe, "tree-keys", "--out", out, "--levels", strconv.Itoa(levels))
			c.Stdout, c.Stderr = &stdout, g.stderr
			if err := c.Run(); err != nil {
				return fmt.Errorf("%s tree-keys: %w", exe, err)
			}
			var rep treeKeysReport
			if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
				return fmt.Errorf("%s tree-keys: %w", exe, err)
			}
			return g.emit(rep, func(w io.Writer) {
				fmt.Fprintf(w, "gnark pair keys in %s: base and %d merge level(s), trees of up to %d inputs\n", rep.Dir, rep.Levels, rep.MaxInputs)
				fmt.Fprintf(w, "programs: base %s merge %s\n", rep.BaseProgram, rep.MergeProgram)
				fmt.Fprintf(w, "the genesis params take tree_gnark_base_vk and tree_gnark_merge_vks (-o json prints them)\n")
			})
		},
	}
	cmd.Flags().StringVar(&out, "out", "treekeys", "the keys' directory")
	cmd.Flags().IntVar(&levels, "levels", 1, "merge levels: trees of up to 2^(levels+1) inputs (1..5)")
	return cmd
}
