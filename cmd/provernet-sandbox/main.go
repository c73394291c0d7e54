// Command provernet-sandbox runs provernet's sandbox jobs. A prover daemon,
// `provernet program run|verify` and `provernet run`'s local check start it
// as `provernet-sandbox sandbox-worker` (sandbox.WorkerExecutable finds it
// beside provernet, else on PATH, or at $PROVERNET_SANDBOX), send it a job
// (or, from a pool, jobs) as JSON on stdin and read the results on stdout.
//
// It is the one binary of a node's install that links the native proving
// backends the sandbox hosts (internal/zkhost, gnark), so the node binary
// does not; for the same reason it proves the gnark tree pair's nodes
// (tree-node) and makes its keys (tree-keys), internal/treezk. A node without provers does not need it; a prover does, from
// the same build as its provernet (the job format is theirs alone).
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"syscall"

	"github.com/provernet/provernet/internal/cli"
	"github.com/provernet/provernet/internal/sandbox"
	"github.com/provernet/provernet/internal/treepair"
	"github.com/provernet/provernet/internal/treezk"
	"github.com/provernet/provernet/internal/zkhost"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

const usage = `provernet-sandbox runs provernet's sandbox jobs; provernet starts it, you do not.

Usage:
  provernet-sandbox ` + sandbox.WorkerCommand + `   run the jobs read from stdin (JSON), one result each on stdout
  provernet-sandbox tree-node        prove one node of the gnark tree pair (JSON on stdin and stdout)
  provernet-sandbox tree-keys --out DIR --levels L
                                     make the gnark tree pair's keys (provernet tree keys runs it)
  provernet-sandbox version          print the build of this binary

Install it beside provernet (make build writes both into build/), or set
` + sandbox.WorkerEnv + ` to its path.
`

// run executes the command line and returns the exit code.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	switch {
	case len(args) == 1 && args[0] == sandbox.WorkerCommand:
		// As the node's worker command did: an interrupt stops the job
		// in progress, which is then reported, instead of killing the
		// worker mid-write.
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		if err := sandbox.RunWorker(ctx, stdin, stdout, zkhost.Hosts); err != nil {
			fmt.Fprintf(stderr, "error: %v\n", err)
			return 1
		}
		return 0
	case len(args) == 1 && args[0] == treepair.NodeCommand:
		// A prover daemon's gnark tree node (docs/TREES.md): the result,
		// or the error, is JSON on stdout.
		if err := treezk.RunNode(stdin, stdout); err != nil {
			fmt.Fprintf(stderr, "error: %v\n", err)
			return 1
		}
		return 0
	case len(args) >= 1 && args[0] == treezk.KeysCommand:
		if err := treezk.RunKeys(args[1:], stdout, stderr); err != nil {
			fmt.Fprintf(stderr, "error: %v\n", err)
			return 1
		}
		return 0
	case len(args) == 1 && args[0] == "version":
		fmt.Fprintf(stdout, "provernet-sandbox %s (%s)\n", cli.BuildVersion(), runtime.Version())
		return 0
	case len(args) == 1 && (args[0] == "help" || args[0] == "--help" || args[0] == "-h"):
		fmt.Fprint(stdout, usage)
		return 0
	}
	fmt.Fprintf(stderr, "error: unknown command line %q\n", args)
	fmt.Fprint(stderr, usage)
	return 2
}
