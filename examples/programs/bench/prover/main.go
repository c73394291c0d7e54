// Command prover is the prover of the bench example program
// (GOOS=wasip1 GOARCH=wasm): `prove /in/input.json` writes the segment
// digests to /out/proof.
package main

import (
	"github.com/provernet/provernet/examples/programs/bench"
	"github.com/provernet/provernet/examples/programs/internal/progio"
)

func main() { progio.ProverMain(bench.Prove) }
