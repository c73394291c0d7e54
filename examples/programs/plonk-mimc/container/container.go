// Package container is what the plonk-mimc prover and verifier share
// without gnark: the proof container and the input file over BLS12-381's
// scalar field (Spec). It imports neither gnark nor gnark-crypto, so the
// verifier stays small; the native MiMC chain the prover needs is in
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
const Magic = "PLKMIMC1"

// Sizes of gnark's compressed BLS12-381 PLONK proof (Proof.WriteTo): the
// circuit has no BSB22 commitments, so its shape is fixed.
const (
	g1     = 48 // compressed G1 point
	frSize = 32 // scalar

	// LRO (3 G1) | Z (G1) | H (3 G1) | BatchedProof.H (G1) |
	// len(ClaimedValues)=6 (4) | 6 scalars (the linearised polynomial, l, r, o, s1, s2) | ZShiftedOpening.H (G1) |
	// ZShiftedOpening.ClaimedValue (scalar) | len(Bsb22Commitments)=0 (4).
	claimsAt      = 8 * g1
	numClaims     = 6
	commitmentsAt = claimsAt + 4 + numClaims*frSize + g1 + frSize

	// ProofSize is the length of every plonk-mimc proof.
	ProofSize = commitmentsAt + 4
)

// Modulus is BLS12-381's scalar field modulus r, in decimal (the tests
// check it against gnark-crypto's).
const Modulus = "52435875175126190479447740508185965837690552500527637822603658699938581184513"

// Spec is plonk-mimc: PLONK over BLS12-381. Its Chain is nil: the prover
// uses chain.Spec.
var Spec = &mimcchain.Spec{
	Name:       "plonk-mimc",
	System:     zkabi.PLONK,
	Curve:      zkabi.BLS12381,
	Magic:      Magic,
	Modulus:    mimcchain.MustElement(Modulus),
	CheckProof: checkProof,
}

// checkProof accepts exactly the proof shape of this circuit: no
// commitments and the fixed number of claimed values, so hostile lengths
// never reach the decoder.
func checkProof(p []byte) error {
	if len(p) != ProofSize ||
		binary.BigEndian.Uint32(p[commitmentsAt:]) != 0 ||
		binary.BigEndian.Uint32(p[claimsAt:]) != numClaims {
		return errors.New("not a compressed BLS12-381 PLONK proof without commitments (" + strconv.Itoa(len(p)) + " bytes)")
	}
	return nil
}
