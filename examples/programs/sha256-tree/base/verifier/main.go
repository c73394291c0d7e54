// Command verifier is the verifier of the sha256-tree base program
// (GOOS=wasip1 GOARCH=wasm; examples/programs/README.md, "Tree programs"):
// `verify <input paths...> /in/proof`, the inputs the prover's plus outputs.
package main

import (
	"github.com/provernet/provernet/examples/programs/internal/progcore"
	sha256tree "github.com/provernet/provernet/examples/programs/sha256-tree"
)

func main() { progcore.VerifierMain(sha256tree.BaseVerifier) }
