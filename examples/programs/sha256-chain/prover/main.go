// Command prover is the prover of the sha256-chain example program
// (GOOS=wasip1 GOARCH=wasm): `prove /in/input.json` writes /out/proof.
package main

import (
	"github.com/provernet/provernet/examples/programs/internal/progio"
	sha256chain "github.com/provernet/provernet/examples/programs/sha256-chain"
)

func main() { progio.ProverMain(sha256chain.Prove) }
