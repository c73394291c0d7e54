package treepair

import (
	"errors"
	"fmt"
	"math/big"

	bn254 "github.com/consensys/gnark-crypto/ecc/bn254"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr/pedersen"
)

// ErrInvalid is a well-formed proof that does not verify.
var ErrInvalid = errors.New("the proof does not verify")

// Verify checks a Groth16 proof against vk and its public inputs (without
// the one wire), as gnark v0.16's groth16.Verify does with
// GetNativeVerifierOptions(BN254, BN254): the BSB22 commitments' values
// are hashed from the commitment and its committed public inputs
// (commitmentHash), the commitments' Pedersen proof is checked, then
//
//	e(Ar, Bs) = e(α, β) · e(Σ xᵢKᵢ, γ) · e(Krs, δ)
//
// as one pairing product. A proof that fails is ErrInvalid (wrapped);
// other errors are malformed inputs.
func Verify(vk *VerifyingKey, p *Proof, public []fr.Element) error {
	if len(public) != vk.NumPublic() {
		return fmt.Errorf("%d public inputs, the key takes %d", len(public), vk.NumPublic())
	}
	if len(p.Commitments) != len(vk.CommitmentKeys) {
		return fmt.Errorf("the proof has %d commitments, the key %d", len(p.Commitments), len(vk.CommitmentKeys))
	}
	xs := append(make([]fr.Element, 0, len(public)+len(p.Commitments)), public...)
	serialized := make([]byte, 0, len(p.Commitments)*fr.Bytes)
	for i, committed := range vk.PublicAndCommitmentCommitted {
		pre := p.Commitments[i].Marshal()
		for _, w := range committed {
			if w < 1 || w > len(xs) {
				return fmt.Errorf("the key commits to wire %d, out of range", w)
			}
			pre = append(pre, xs[w-1].Marshal()...)
		}
		v := commitmentHash(pre)
		xs = append(xs, v)
		serialized = append(serialized, v.Marshal()...)
	}
	if len(p.Commitments) > 0 {
		ch, err := fr.Hash(serialized, []byte("G16-BSB22"), 1)
		if err != nil {
			return err
		}
		if err := pedersen.BatchVerifyMultiVk(vk.CommitmentKeys, p.Commitments, []bn254.G1Affine{p.CommitmentPok}, ch[0]); err != nil {
			return fmt.Errorf("%w: commitment: %w", ErrInvalid, err)
		}
	}
	sum := kSum(vk, xs, p.Commitments)
	var negAlpha bn254.G1Affine
	negAlpha.Neg(&vk.Alpha)
	ok, err := bn254.PairingCheck(
		[]bn254.G1Affine{sum, p.Krs, p.Ar, negAlpha},
		[]bn254.G2Affine{vk.GammaNeg, vk.DeltaNeg, p.Bs, vk.Beta})
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("%w: pairing check", ErrInvalid)
	}
	return nil
}

// kSum is K[0] + Σ xᵢ·K[i+1] + Σ commitments, one scalar multiplication
// at a time (a handful of points: no multi-exponentiation, no goroutines).
func kSum(vk *VerifyingKey, xs []fr.Element, commitments []bn254.G1Affine) bn254.G1Affine {
	var acc bn254.G1Jac
	acc.FromAffine(&vk.K[0])
	var s big.Int
	for i := range xs {
		var t bn254.G1Affine
		t.ScalarMultiplication(&vk.K[i+1], xs[i].BigInt(&s))
		acc.AddMixed(&t)
	}
	for i := range commitments {
		acc.AddMixed(&commitments[i])
	}
	var out bn254.G1Affine
	out.FromJacobian(&acc)
	return out
}
