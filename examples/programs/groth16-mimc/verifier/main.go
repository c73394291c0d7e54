// Command verifier is the verifier of the groth16-mimc example program
// (GOOS=wasip1 GOARCH=wasm): `verify /in/cs.bin /in/pk.bin /in/vk.bin
// /in/input.json /in/proof`. It checks the proof container and has the
// host (provernet_zk_v1, sdk/guest) run the Groth16 pairing check against
// vk.bin; it links no gnark. ../verifier-wasm is the pure-wasm reference.
package main

import (
	"github.com/provernet/provernet/examples/programs/groth16-mimc/container"
	"github.com/provernet/provernet/examples/programs/internal/hostprog"
)

func main() { hostprog.VerifierMain(container.Spec) }
