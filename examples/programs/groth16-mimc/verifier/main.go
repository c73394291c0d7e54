// Command verifier is the verifier of the groth16-mimc example program
// (GOOS=wasip1 GOARCH=wasm):
// `verify /in/pk.bin /in/vk.bin /in/input.json /in/proof`.
package main

import (
	g16mimc "github.com/provernet/provernet/examples/programs/groth16-mimc"
	"github.com/provernet/provernet/examples/programs/internal/progio"
)

func main() { progio.VerifierMain(g16mimc.Verify) }
