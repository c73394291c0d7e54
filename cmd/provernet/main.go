// Command provernet is the node and user binary of the provernet proving
// network: it runs nodes, devnets and prover daemons, manages keys, sends
// transactions and queries the chain. Every command takes --output json.
//
// Two companion binaries keep what a node does not need out of it, and
// `make build` writes them beside it: provernet-sandbox runs the sandbox
// jobs of a prover (with the native proving backends, gnark), and
// provernet-bench runs `provernet bench` and `provernet sim`, which
// provernet executes with the command line as typed. links_test.go checks
// that this binary links none of them.
package main

import (
	"os"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}
