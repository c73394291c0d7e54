package treezk

import (
	"fmt"

	"github.com/consensys/gnark/backend/groth16"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/std/algebra/emulated/sw_bn254"
	"github.com/consensys/gnark/std/commitments/pedersen"
	"github.com/consensys/gnark/std/hash/mimc"
	"github.com/consensys/gnark/std/math/emulated"
	stdgroth16 "github.com/consensys/gnark/std/recursion/groth16"

	"github.com/provernet/provernet/internal/treepair"
)

// Types of the in-circuit verifier: BN254 proofs verified in a BN254
// circuit, the inner curve's arithmetic emulated.
type (
	fieldFr      = sw_bn254.ScalarField
	innerProof   = stdgroth16.Proof[sw_bn254.G1Affine, sw_bn254.G2Affine]
	innerVK      = stdgroth16.VerifyingKey[sw_bn254.G1Affine, sw_bn254.G2Affine, sw_bn254.GTEl]
	innerWitness = stdgroth16.Witness[fieldFr]
)

// MergeCircuit is a merge node. It verifies its two children's proofs
// under ChildVK, a constant of the circuit (the verifying key of the
// level below: the base circuit's for level 1, level L-1's for level L),
// with the children's public inputs as witnesses, and asserts:
//
//   - both children are of this tree (TreeHi, TreeLo);
//   - the left child is node 2·Node and the right 2·Node+1;
//   - Out = MiMC(TagMerge, Prover, TreeHi, TreeLo, Node, left prover,
//     left Out, right prover, right Out) (treepair.MergeOut).
//
// The children's provers are free: anyone's kept proof may be a child.
type MergeCircuit struct {
	Prover frontend.Variable `gnark:",public"`
	TreeHi frontend.Variable `gnark:",public"`
	TreeLo frontend.Variable `gnark:",public"`
	Node   frontend.Variable `gnark:",public"`
	Out    frontend.Variable `gnark:",public"`

	Left, Right       innerProof
	LeftWit, RightWit innerWitness

	ChildVK innerVK `gnark:"-"`
}

// NewMergeCircuit is the circuit (its shape and constant key) of a merge
// level whose children were proved under child.
func NewMergeCircuit(child groth16.VerifyingKey) (*MergeCircuit, error) {
	vk, err := stdgroth16.ValueOfVerifyingKeyFixed[sw_bn254.G1Affine, sw_bn254.G2Affine, sw_bn254.GTEl](child)
	if err != nil {
		return nil, fmt.Errorf("child verifying key: %w", err)
	}
	c := &MergeCircuit{ChildVK: vk}
	for _, w := range []*innerWitness{&c.LeftWit, &c.RightWit} {
		w.Public = make([]emulated.Element[fieldFr], treepair.NumPublic)
	}
	for _, p := range []*innerProof{&c.Left, &c.Right} {
		p.Commitments = make([]pedersen.Commitment[sw_bn254.G1Affine], len(vk.CommitmentKeys))
	}
	return c, nil
}

// Define implements frontend.Circuit.
func (c *MergeCircuit) Define(api frontend.API) error {
	v, err := stdgroth16.NewVerifier[fieldFr, sw_bn254.G1Affine, sw_bn254.G2Affine, sw_bn254.GTEl](api)
	if err != nil {
		return fmt.Errorf("verifier: %w", err)
	}
	f, err := emulated.NewField[fieldFr](api)
	if err != nil {
		return fmt.Errorf("scalar field: %w", err)
	}
	// The children's public inputs as native variables: the emulated
	// field is the native one, and the canonical bits make the value
	// unique.
	native := func(w innerWitness) []frontend.Variable {
		out := make([]frontend.Variable, len(w.Public))
		for i := range w.Public {
			out[i] = api.FromBinary(f.ToBitsCanonical(&w.Public[i])...)
		}
		return out
	}
	l, r := native(c.LeftWit), native(c.RightWit)
	for _, w := range [][]frontend.Variable{l, r} {
		api.AssertIsEqual(w[1], c.TreeHi)
		api.AssertIsEqual(w[2], c.TreeLo)
	}
	api.AssertIsEqual(l[3], api.Mul(c.Node, 2))
	api.AssertIsEqual(r[3], api.Add(api.Mul(c.Node, 2), 1))
	if err := v.AssertProof(c.ChildVK, c.Left, c.LeftWit, stdgroth16.WithSubgroupCheck()); err != nil {
		return fmt.Errorf("left child: %w", err)
	}
	if err := v.AssertProof(c.ChildVK, c.Right, c.RightWit, stdgroth16.WithSubgroupCheck()); err != nil {
		return fmt.Errorf("right child: %w", err)
	}
	h, err := mimc.NewMiMC(api)
	if err != nil {
		return fmt.Errorf("mimc: %w", err)
	}
	h.Write(treepair.TagMerge, c.Prover, c.TreeHi, c.TreeLo, c.Node, l[0], l[4], r[0], r[4])
	api.AssertIsEqual(h.Sum(), c.Out)
	return nil
}
