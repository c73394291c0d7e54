package treepair

import (
	bn254 "github.com/consensys/gnark-crypto/ecc/bn254"
)

// Proof is a Groth16 proof over BN254 as gnark's Proof.WriteTo writes it:
// [Ar]1 [Bs]2 [Krs]1, uint32 c, c x [commitment]1, [PoK]1, compressed.
type Proof struct {
	Ar, Krs       bn254.G1Affine
	Bs            bn254.G2Affine
	Commitments   []bn254.G1Affine
	CommitmentPok bn254.G1Affine
}

// ParseProof decodes a proof, every point checked on the curve and in its
// subgroup.
func ParseProof(b []byte) (*Proof, error) {
	r := &reader{b: b}
	p := &Proof{}
	var err error
	if p.Ar, err = r.g1("Ar"); err != nil {
		return nil, err
	}
	if p.Bs, err = r.g2("Bs"); err != nil {
		return nil, err
	}
	if p.Krs, err = r.g1("Krs"); err != nil {
		return nil, err
	}
	c, err := r.count("commitments", bn254.SizeOfG1AffineCompressed, maxCommitments)
	if err != nil {
		return nil, err
	}
	p.Commitments = make([]bn254.G1Affine, c)
	for i := range p.Commitments {
		if p.Commitments[i], err = r.g1("commitment"); err != nil {
			return nil, err
		}
	}
	if p.CommitmentPok, err = r.g1("commitment proof"); err != nil {
		return nil, err
	}
	return p, r.end("proof")
}
