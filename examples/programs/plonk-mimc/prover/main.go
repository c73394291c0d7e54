// Command prover is the prover of the plonk-mimc example program
// (GOOS=wasip1 GOARCH=wasm): `prove /in/cs.bin /in/pk.bin /in/vk.bin
// /in/input.json` writes a PLONK (BLS12-381) proof of knowledge of x with
// MiMC^n(x) = y to /out/proof. It computes y and the witness itself and
// proves through the host (provernet_zk_v1, sdk/guest).
package main

import (
	"github.com/provernet/provernet/examples/programs/internal/hostprog"
	"github.com/provernet/provernet/examples/programs/plonk-mimc/chain"
)

func main() { hostprog.ProverMain(chain.Spec) }
