package main

import (
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/provernet/provernet/client"
	"github.com/provernet/provernet/internal/cli"
	"github.com/provernet/provernet/internal/node"
	"github.com/provernet/provernet/internal/sandbox"
)

// globals are the flags every command shares.
type globals struct {
	home   string
	output string
	node   string
	stdout io.Writer
	stderr io.Writer
	// args is the whole command line, for the commands a companion
	// binary runs (bench, sim), which get it as typed.
	args []string
}

// run executes the command line and returns the exit code.
func run(args []string, stdout, stderr io.Writer) int {
	g := &globals{stdout: stdout, stderr: stderr, args: args}
	root := newRoot(g)
	return cli.Execute(root, args, stdout, stderr, hintFor)
}

func hintFor(err error) string {
	if hint := client.Hint(err); hint != "" {
		return hint
	}
	if errors.Is(err, sandbox.ErrWorkerMismatch) {
		return "install provernet and " + sandbox.WorkerBinary + " from one build: `make build` writes both into build/"
	}
	if errors.Is(err, sandbox.ErrNoWorker) {
		return "sandbox jobs run in the companion binary " + sandbox.WorkerBinary + ": `make build` writes it beside provernet (or go install ./cmd/" + sandbox.WorkerBinary + ")"
	}
	return ""
}

func newRoot(g *globals) *cobra.Command {
	root := &cobra.Command{
		Use:   "provernet",
		Short: "A decentralized proving network on CometBFT",
		Long: `provernet runs the nodes of a decentralized proving network and talks to them.

Quick start:
  provernet devnet                         start a one-validator devnet
  provernet --home DIR keys list           the devnet's funded dev accounts
  provernet --home DIR tx transfer --from dev0 --to dev1 --amount 5prv --wait`,
		SilenceUsage:      true,
		SilenceErrors:     true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error { return cli.CheckOutput(g.output) },
	}
	root.PersistentFlags().StringVar(&g.home, "home", defaultHome(), "node home directory (config, data, keys); env PROVERNET_HOME")
	root.PersistentFlags().StringVarP(&g.output, "output", "o", "text", "output format: text or json")
	root.PersistentFlags().StringVar(&g.node, "node", os.Getenv("PROVERNET_NODE"), "node API URL (default: from the home's config, else http://127.0.0.1:1317); env PROVERNET_NODE")
	root.AddCommand(newInitCmd(g), newStartCmd(g), newDevnetCmd(g), newKeysCmd(g), newTxCmd(g),
		newQueryCmd(g), newDebugCmd(g), newBenchCmd(g), newTestnetCmd(g), newProgramCmd(g), newVersionCmd(g), newSimCmd(g))
	root.AddCommand(newRunCmd(g), newProofCmd(g), newBlobCmd(g), newEventsCmd(g))
	root.AddCommand(newTreeCmd(g))     // issue 16
	root.AddCommand(newLocalnetCmd(g)) // issue 19
	root.AddCommand(newProverCmd(g))   // issue 19: calibrate
	return root
}

func defaultHome() string {
	if h := os.Getenv("PROVERNET_HOME"); h != "" {
		return h
	}
	if d, err := os.UserHomeDir(); err == nil {
		return filepath.Join(d, ".provernet")
	}
	return ".provernet"
}

// client returns a client of the node the flags point at.
func (g *globals) client() *client.Client { return client.New(g.nodeURL()) }

// nodeURL is the API of the node the flags point at: --node, else the
// home's config, else the default.
func (g *globals) nodeURL() string {
	if g.node != "" {
		return g.node
	}
	if cfg, err := node.LoadConfig(g.home); err == nil {
		return cfg.API.Listen
	}
	return "http://127.0.0.1:1317"
}

func (g *globals) json() bool { return g.output == "json" }

// emit prints v as JSON with --output json, else calls text.
func (g *globals) emit(v any, text func(w io.Writer)) error {
	if g.json() {
		enc := json.NewEncoder(g.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	}
	text(g.stdout)
	return nil
}
