package treepair

import (
	"errors"
	"fmt"

	bn254 "github.com/consensys/gnark-crypto/ecc/bn254"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr/pedersen"
)

// VerifyingKey is a Groth16 verifying key over BN254, as gnark's
// VerifyingKey.WriteTo writes it:
//
//	[α]1 [β]1 [β]2 [γ]2 [δ]1 [δ]2, uint32 n, n x [K]1,
//	uint32 c, c x (uint32 m, m x uint64 index), uint32 c, c x ([G]2 [Gσ⁻]2)
//
// (the committed public wires and the Pedersen keys of its BSB22
// commitments), with γ and δ negated for the pairing check.
type VerifyingKey struct {
	Alpha                        bn254.G1Affine
	Beta, GammaNeg, DeltaNeg     bn254.G2Affine
	K                            []bn254.G1Affine
	PublicAndCommitmentCommitted [][]int
	CommitmentKeys               []pedersen.VerifyingKey
}

// Bounds on what a key may hold: node circuits have NumPublic public
// inputs and at most one commitment.
const (
	maxK           = 64
	maxCommitments = 1
	maxCommitted   = 64
)

// ParseVerifyingKey decodes a key written by gnark's WriteTo (compressed
// points), every point checked.
func ParseVerifyingKey(b []byte) (*VerifyingKey, error) {
	r := &reader{b: b}
	vk := &VerifyingKey{}
	var err error
	if vk.Alpha, err = r.g1("alpha"); err != nil {
		return nil, err
	}
	if _, err = r.g1("beta (G1)"); err != nil {
		return nil, err
	}
	if vk.Beta, err = r.g2("beta"); err != nil {
		return nil, err
	}
	gamma, err := r.g2("gamma")
	if err != nil {
		return nil, err
	}
	if _, err = r.g1("delta (G1)"); err != nil {
		return nil, err
	}
	delta, err := r.g2("delta")
	if err != nil {
		return nil, err
	}
	vk.GammaNeg.Neg(&gamma)
	vk.DeltaNeg.Neg(&delta)
	n, err := r.count("K", bn254.SizeOfG1AffineCompressed, maxK)
	if err != nil {
		return nil, err
	}
	vk.K = make([]bn254.G1Affine, n)
	for i := range vk.K {
		if vk.K[i], err = r.g1(fmt.Sprintf("K[%d]", i)); err != nil {
			return nil, err
		}
	}
	if err := vk.readCommitted(r); err != nil {
		return nil, err
	}
	c, err := r.count("commitment keys", 2*bn254.SizeOfG2AffineCompressed, maxCommitments)
	if err != nil {
		return nil, err
	}
	vk.CommitmentKeys = make([]pedersen.VerifyingKey, c)
	for i := range vk.CommitmentKeys {
		if vk.CommitmentKeys[i].G, err = r.g2("commitment key G"); err != nil {
			return nil, err
		}
		if vk.CommitmentKeys[i].GSigmaNeg, err = r.g2("commitment key G sigma"); err != nil {
			return nil, err
		}
	}
	if err := r.end("verifying key"); err != nil {
		return nil, err
	}
	return vk, vk.check()
}

func (vk *VerifyingKey) readCommitted(r *reader) error {
	c, err := r.count("committed wires", 4, maxCommitments)
	if err != nil {
		return err
	}
	vk.PublicAndCommitmentCommitted = make([][]int, c)
	for i := range vk.PublicAndCommitmentCommitted {
		m, err := r.count("committed wires", 8, maxCommitted)
		if err != nil {
			return err
		}
		s := make([]int, m)
		for j := range s {
			v, err := r.u64("committed wire")
			if err != nil {
				return err
			}
			if v > maxK {
				return fmt.Errorf("committed wire %d is out of range", v)
			}
			s[j] = int(v)
		}
		vk.PublicAndCommitmentCommitted[i] = s
	}
	return nil
}

// check holds the counts to one another: a commitment key per commitment,
// a K point per public input, the one wire and each commitment.
func (vk *VerifyingKey) check() error {
	c := len(vk.PublicAndCommitmentCommitted)
	if len(vk.CommitmentKeys) != c {
		return fmt.Errorf("verifying key: %d commitment keys for %d commitments", len(vk.CommitmentKeys), c)
	}
	if len(vk.K) < 1+c {
		return fmt.Errorf("verifying key: %d K points for %d commitments", len(vk.K), c)
	}
	return nil
}

// NumPublic is how many public inputs the key takes (the one wire and the
// commitments' values excluded).
func (vk *VerifyingKey) NumPublic() int {
	return len(vk.K) - 1 - len(vk.PublicAndCommitmentCommitted)
}

// CheckBinding checks what a node circuit's key must be for its public
// inputs to bind a proof to them (the gnark review, L2): gamma and delta
// differ (with gamma = delta, as a ceremony whose delta phase got no
// contribution leaves them, anyone turns a proof for one statement into
// one for another from public data alone: C' = C + L(x) - L(x')); the
// public inputs' points K[1..] are not the point at infinity and are
// distinct (an input whose point vanishes is not bound at all); and it
// has commitments commitments. A trusted genesis should never fail it;
// it is defence in depth.
func (vk *VerifyingKey) CheckBinding(commitments int) error {
	if vk.GammaNeg.Equal(&vk.DeltaNeg) {
		return errors.New("gamma equals delta: proofs would not bind their public inputs")
	}
	if len(vk.CommitmentKeys) != commitments {
		return fmt.Errorf("the key has %d commitments; this level's circuit has %d", len(vk.CommitmentKeys), commitments)
	}
	n := vk.NumPublic()
	for i := 1; i <= n && i < len(vk.K); i++ {
		if vk.K[i].IsInfinity() {
			return fmt.Errorf("public input %d's point is the point at infinity: that input is not bound", i)
		}
		for j := 1; j < i; j++ {
			if vk.K[i].Equal(&vk.K[j]) {
				return fmt.Errorf("public inputs %d and %d share a point: they are bound only together", j, i)
			}
		}
	}
	return nil
}
