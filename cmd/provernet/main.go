// Command provernet is the one binary of the provernet proving network: it
// runs nodes and devnets, manages keys, sends transactions, queries the
// chain and runs the benchmarks. Every command takes --output json.
package main

import (
	"os"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}
