// Command verifier is the verifier of the bench example program
// (GOOS=wasip1 GOARCH=wasm): `verify /in/input.json /in/proof` recomputes a
// Fiat-Shamir sample of the segments.
package main

import (
	"github.com/provernet/provernet/examples/programs/bench"
	"github.com/provernet/provernet/examples/programs/internal/progio"
)

func main() { progio.VerifierMain(bench.Verify) }
