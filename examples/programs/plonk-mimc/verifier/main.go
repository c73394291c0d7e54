// Command verifier is the verifier of the plonk-mimc example program
// (GOOS=wasip1 GOARCH=wasm): `verify /in/cs.bin /in/pk.bin /in/vk.bin
// /in/input.json /in/proof`. It checks the proof container and has the
// host (provernet_zk_v1, sdk/guest) run PLONK's verifier against vk.bin.
package main

import (
	"github.com/provernet/provernet/examples/programs/internal/hostprog"
	"github.com/provernet/provernet/examples/programs/plonk-mimc/container"
)

func main() { hostprog.VerifierMain(container.Spec) }
