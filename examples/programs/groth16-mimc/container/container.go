// Package container is what both provers and both verifiers of the
// groth16-mimc program (host-backed and pure-wasm) share without gnark:
// the proof container and the input file over BN254's scalar field
// (Spec). It imports neither gnark nor gnark-crypto, so the host-backed
// verifier stays small; the native MiMC chain the provers need is in
// package chain.
package container

import (
	"encoding/binary"
	"errors"
	"strconv"

	"github.com/provernet/provernet/examples/programs/internal/mimcchain"
	"github.com/provernet/provernet/sdk/zkabi"
)

// Magic starts every proof.
const Magic = "G16MIMC1"

// ProofSize is the length of gnark's compressed BN254 Groth16 proof
// without commitments (Proof.WriteTo): Ar (G1, 32) | Bs (G2, 64) |
// Krs (G1, 32) | len(Commitments)=0 (4) | CommitmentPok (G1, 32).
const ProofSize = 32 + 64 + 32 + 4 + 32

// Modulus is BN254's scalar field modulus r, in decimal (the tests check
// it against gnark-crypto's).
const Modulus = "21888242871839275222246405745257275088548364400416034343698204186575808495617"

// Spec is groth16-mimc: Groth16 over BN254. Its Chain is nil: provers use
// chain.Spec.
var Spec = &mimcchain.Spec{
	Name:       "groth16-mimc",
	System:     zkabi.Groth16,
	Curve:      zkabi.BN254,
	Magic:      Magic,
	Modulus:    mimcchain.MustElement(Modulus),
	CheckProof: checkProof,
}

// checkProof accepts exactly a proof without commitments: the circuit has
// none, and a fixed size keeps hostile lengths away from the decoder.
func checkProof(p []byte) error {
	if len(p) != ProofSize || binary.BigEndian.Uint32(p[128:132]) != 0 {
		return errors.New("not a compressed BN254 Groth16 proof without commitments (" + strconv.Itoa(len(p)) + " bytes)")
	}
	return nil
}
