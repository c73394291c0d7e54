package main

import (
	"encoding/json"
	"io"

	"github.com/spf13/cobra"

	"github.com/provernet/provernet/client"
	"github.com/provernet/provernet/internal/cli"
	"github.com/provernet/provernet/internal/sandbox"
	"github.com/provernet/provernet/internal/zkhost"
)

// globals are the flags every command shares; provernet's root flags, so
// that the command lines provernet forwards parse the same here.
type globals struct {
	output string
	home   string // accepted, unused: bench and sim work in temporary homes
	node   string // accepted, unused
	stdout io.Writer
	stderr io.Writer
}

// run executes the command line and returns the exit code.
func run(args []string, stdout, stderr io.Writer) int {
	g := &globals{stdout: stdout, stderr: stderr}
	root := newRoot(g)
	return cli.Execute(root, args, stdout, stderr, client.Hint)
}

func newRoot(g *globals) *cobra.Command {
	root := &cobra.Command{
		// Named as the user types it: `provernet bench ...` runs this
		// binary with the same arguments, and its help should read so.
		Use:   "provernet",
		Short: "provernet's benchmarks and simulator (the provernet-bench companion binary)",
		Long: `provernet-bench runs provernet's benchmarks and its simulator. provernet
runs it for ` + "`provernet bench`" + ` and ` + "`provernet sim`" + `, with the same command line,
so that a node does not link what they need (gnark, CometBFT's example
kvstore application, gonum/plot). ` + "`make build`" + ` writes it beside provernet.`,
		SilenceUsage:      true,
		SilenceErrors:     true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error { return cli.CheckOutput(g.output) },
	}
	root.PersistentFlags().StringVarP(&g.output, "output", "o", "text", "output format: text or json")
	// provernet's other root flags, so that `provernet --home DIR bench
	// ...` forwarded here still parses; the benchmarks use neither.
	root.PersistentFlags().StringVar(&g.home, "home", "", "unused (provernet's node home)")
	root.PersistentFlags().StringVar(&g.node, "node", "", "unused (provernet's node API URL)")
	_ = root.PersistentFlags().MarkHidden("home")
	_ = root.PersistentFlags().MarkHidden("node")
	root.AddCommand(newBenchCmd(g), newSimCmd(g), newWorkerCmd())
	return root
}

// newWorkerCmd is the hidden sandbox worker command, served here for
// `bench sandbox`, which starts its workers from this binary (see the
// package comment). Nodes use provernet-sandbox.
func newWorkerCmd() *cobra.Command {
	return &cobra.Command{
		Use:    sandbox.WorkerCommand,
		Hidden: true,
		Args:   cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return sandbox.RunWorker(cmd.Context(), cmd.InOrStdin(), cmd.OutOrStdout(), zkhost.Hosts)
		},
	}
}

// emit prints v as JSON with --output json, else calls text.
func (g *globals) emit(v any, text func(w io.Writer)) error {
	if g.output == "json" {
		enc := json.NewEncoder(g.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	}
	text(g.stdout)
	return nil
}
