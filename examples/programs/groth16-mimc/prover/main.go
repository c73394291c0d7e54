// Command prover is the prover of the groth16-mimc example program
// (GOOS=wasip1 GOARCH=wasm): `prove /in/pk.bin /in/vk.bin /in/input.json`
// writes a Groth16 proof of knowledge of x with MiMC^n(x) = y to /out/proof.
package main

import (
	g16mimc "github.com/provernet/provernet/examples/programs/groth16-mimc"
	"github.com/provernet/provernet/examples/programs/internal/progio"
)

func main() { progio.ProverMain(g16mimc.Prove) }
