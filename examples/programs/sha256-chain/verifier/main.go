// Command verifier is the verifier of the sha256-chain example program
// (GOOS=wasip1 GOARCH=wasm): `verify /in/input.json /in/proof`.
package main

import (
	"github.com/provernet/provernet/examples/programs/internal/progio"
	sha256chain "github.com/provernet/provernet/examples/programs/sha256-chain"
)

func main() { progio.VerifierMain(sha256chain.Verify) }
