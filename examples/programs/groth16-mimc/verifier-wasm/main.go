// Command verifier-wasm is the pure-WebAssembly reference verifier of the
// groth16-mimc example program (GOOS=wasip1 GOARCH=wasm):
// `verify /in/cs.bin /in/pk.bin /in/vk.bin /in/input.json /in/proof` runs
// gnark's Groth16 verifier inside the module. It accepts exactly the
// proofs ./verifier accepts.
package main

import (
	g16mimc "github.com/provernet/provernet/examples/programs/groth16-mimc"
	"github.com/provernet/provernet/examples/programs/internal/progio"
)

func main() { progio.VerifierMain(g16mimc.Verify) }
