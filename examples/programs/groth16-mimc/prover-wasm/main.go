// Command prover-wasm is the pure-WebAssembly reference prover of the
// groth16-mimc example program (GOOS=wasip1 GOARCH=wasm):
// `prove /in/cs.bin /in/pk.bin /in/vk.bin /in/input.json` runs gnark's
// Groth16 prover inside the module (it ignores cs.bin and compiles the
// circuit itself) and writes the same proof container as ./prover, which
// proves through the host instead.
package main

import (
	g16mimc "github.com/provernet/provernet/examples/programs/groth16-mimc"
	"github.com/provernet/provernet/examples/programs/internal/progio"
)

func main() { progio.ProverMain(g16mimc.Prove) }
