// Command provernet-bench is the companion binary that runs `provernet
// bench` and `provernet sim`: provernet executes it with its own command
// line, as git runs its subcommands, so that the benchmarks (gnark,
// CometBFT's example kvstore application) and the simulator's charts
// (gonum/plot) stay out of what a node links. Run directly, it takes the
// same command lines (provernet-bench bench chain, provernet-bench sim).
//
// It also serves the sandbox worker command, because `bench sandbox`
// starts its sandbox and native workers from this one binary (both sides
// of each comparison then pay the same process start).
package main

import (
	"os"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}
