//go:build treemeasure

package treezk

import (
	"fmt"
	"os"
	"runtime"
	"testing"
	"time"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark/backend/groth16"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"
	"github.com/consensys/gnark/std/algebra/native/sw_bls12377"
	stdgroth16 "github.com/consensys/gnark/std/recursion/groth16"
)

type twoChainMerge struct {
	Left, Right       stdgroth16.Proof[sw_bls12377.G1Affine, sw_bls12377.G2Affine]
	LeftWit, RightWit stdgroth16.Witness[sw_bls12377.ScalarField]
	VK                stdgroth16.VerifyingKey[sw_bls12377.G1Affine, sw_bls12377.G2Affine, sw_bls12377.GT] `gnark:"-"`
}

func (c *twoChainMerge) Define(api frontend.API) error {
	v, err := stdgroth16.NewVerifier[sw_bls12377.ScalarField, sw_bls12377.G1Affine, sw_bls12377.G2Affine, sw_bls12377.GT](api)
	if err != nil {
		return err
	}
	if err := v.AssertProof(c.VK, c.Left, c.LeftWit); err != nil {
		return err
	}
	return v.AssertProof(c.VK, c.Right, c.RightWit)
}

// TestMeasure2Chain: a merge of two BLS12-377 proofs in a BW6-761 circuit
// (the 2-chain), its constraints and, with FULL set, setup and proving.
func TestMeasure2Chain(t *testing.T) {
	logf := func(format string, a ...any) { fmt.Fprintf(os.Stderr, format+"\n", a...) }
	inner, err := frontend.Compile(ecc.BLS12_377.ScalarField(), r1cs.NewBuilder, &BaseCircuit{})
	if err != nil {
		t.Fatal(err)
	}
	_, ivk, err := groth16.Setup(inner)
	if err != nil {
		t.Fatal(err)
	}
	vk, err := stdgroth16.ValueOfVerifyingKeyFixed[sw_bls12377.G1Affine, sw_bls12377.G2Affine, sw_bls12377.GT](ivk)
	if err != nil {
		t.Fatal(err)
	}
	c := &twoChainMerge{VK: vk,
		LeftWit: stdgroth16.PlaceholderWitness[sw_bls12377.ScalarField](inner), RightWit: stdgroth16.PlaceholderWitness[sw_bls12377.ScalarField](inner),
		Left: stdgroth16.PlaceholderProof[sw_bls12377.G1Affine, sw_bls12377.G2Affine](inner), Right: stdgroth16.PlaceholderProof[sw_bls12377.G1Affine, sw_bls12377.G2Affine](inner)}
	t0 := time.Now()
	cs, err := frontend.Compile(ecc.BW6_761.ScalarField(), r1cs.NewBuilder, c)
	if err != nil {
		t.Fatal(err)
	}
	logf("2-chain merge (BLS12-377 in BW6-761): %d constraints, compile %v", cs.GetNbConstraints(), time.Since(t0))
	if os.Getenv("FULL") == "" {
		return
	}
	t0 = time.Now()
	_, _, err = groth16.Setup(cs)
	if err != nil {
		t.Fatal(err)
	}
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	logf("2-chain setup %v, sys %d MiB", time.Since(t0), m.Sys>>20)
}
