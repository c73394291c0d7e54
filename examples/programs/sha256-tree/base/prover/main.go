// Command prover is the prover of the sha256-tree base program
// (GOOS=wasip1 GOARCH=wasm; examples/programs/README.md, "Tree programs"):
// `prove <input paths...>` writes the node result to /out/proof.
package main

import (
	"github.com/provernet/provernet/examples/programs/internal/progcore"
	sha256tree "github.com/provernet/provernet/examples/programs/sha256-tree"
)

func main() { progcore.ProverMain(sha256tree.BaseProver) }
