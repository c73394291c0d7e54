// Command prover is the prover of the groth16-mimc example program
// (GOOS=wasip1 GOARCH=wasm): `prove /in/cs.bin /in/pk.bin /in/vk.bin
// /in/input.json` writes a Groth16 proof of knowledge of x with
// MiMC^n(x) = y to /out/proof. It computes y and the witness itself and
// proves through the host (provernet_zk_v1, sdk/guest): gnark runs
// natively, not in this module. ../prover-wasm is the pure-wasm reference.
package main

import (
	"github.com/provernet/provernet/examples/programs/groth16-mimc/chain"
	"github.com/provernet/provernet/examples/programs/internal/hostprog"
)

func main() { hostprog.ProverMain(chain.Spec) }
