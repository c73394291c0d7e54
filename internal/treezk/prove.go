package treezk

import (
	"bytes"
	"fmt"
	"math/big"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark/backend/groth16"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/std/algebra/emulated/sw_bn254"
	"github.com/consensys/gnark/std/math/emulated"
	stdgroth16 "github.com/consensys/gnark/std/recursion/groth16"

	"github.com/provernet/provernet/internal/treepair"
)

// Every node proof is made with the hash-to-field its parent's in-circuit
// verifier uses for the proof's commitment (std/recursion's MiMC), and
// the chain verifies with the same (treepair.Verify).
var (
	field       = ecc.BN254.ScalarField()
	proverHash  = stdgroth16.GetNativeProverOptions(field, field)
	verifierOpt = stdgroth16.GetNativeVerifierOptions(field, field)
)

// Child is a child proof a merge aggregates: its proof bytes (gnark's
// WriteTo) and outputs (treepair.Outputs).
type Child struct {
	Proof   []byte `json:"proof"`
	Outputs []byte `json:"outputs"`
}

// ProveBase proves base node node of tree for prover over its inputs'
// hashes a and b; it returns the proof (gnark's WriteTo) and the outputs.
func ProveBase(k *Level, prover [treepair.AddressSize]byte, tree []byte, node uint32, a, b []byte) (proof, outputs []byte, err error) {
	if k.Level != 0 {
		return nil, nil, fmt.Errorf("keys of level %d for a base node", k.Level)
	}
	out, err := treepair.BaseOut(prover, tree, node, a, b)
	if err != nil {
		return nil, nil, err
	}
	pub, err := publicVars(prover, tree, node, out)
	if err != nil {
		return nil, nil, err
	}
	ah, al, _ := treepair.Halves(a)
	bh, bl, _ := treepair.Halves(b)
	c := &BaseCircuit{Prover: pub[0], TreeHi: pub[1], TreeLo: pub[2], Node: pub[3], Out: pub[4],
		A: [2]frontend.Variable{bigOf(ah), bigOf(al)}, B: [2]frontend.Variable{bigOf(bh), bigOf(bl)}}
	return prove(k, c, prover, out)
}

// ProveMerge proves merge node node of tree for prover over its left and
// right child proofs; k must be the keys of the node's level. Each child
// is checked first against the level below's key (childVK), so that a
// bad child is an error here, not an unsatisfied circuit.
func ProveMerge(k *Level, childVK []byte, prover [treepair.AddressSize]byte, tree []byte, node uint32, left, right Child) (proof, outputs []byte, err error) {
	if k.Level == 0 {
		return nil, nil, fmt.Errorf("base keys for a merge node")
	}
	vk, err := treepair.ParseVerifyingKey(childVK)
	if err != nil {
		return nil, nil, fmt.Errorf("the child level's verifying key: %w", err)
	}
	out, err := treepair.MergeOut(prover, tree, node, left.Outputs, right.Outputs)
	if err != nil {
		return nil, nil, err
	}
	pub, err := publicVars(prover, tree, node, out)
	if err != nil {
		return nil, nil, err
	}
	c := &MergeCircuit{Prover: pub[0], TreeHi: pub[1], TreeLo: pub[2], Node: pub[3], Out: pub[4]}
	for i, ch := range []Child{left, right} {
		p, w, err := childAssignment(vk, tree, 2*node+uint32(i), ch)
		if err != nil {
			return nil, nil, fmt.Errorf("%s child: %w", [2]string{"left", "right"}[i], err)
		}
		if i == 0 {
			c.Left, c.LeftWit = p, w
		} else {
			c.Right, c.RightWit = p, w
		}
	}
	return prove(k, c, prover, out)
}

// childAssignment checks a child proof natively and returns it and its
// public inputs as the merge circuit's witness.
func childAssignment(vk *treepair.VerifyingKey, tree []byte, node uint32, ch Child) (innerProof, innerWitness, error) {
	cp, out, err := treepair.ParseOutputs(ch.Outputs)
	if err != nil {
		return innerProof{}, innerWitness{}, err
	}
	pub, err := treepair.Public(cp, tree, node, out)
	if err != nil {
		return innerProof{}, innerWitness{}, err
	}
	parsed, err := treepair.ParseProof(ch.Proof)
	if err != nil {
		return innerProof{}, innerWitness{}, err
	}
	if err := treepair.Verify(vk, parsed, pub); err != nil {
		return innerProof{}, innerWitness{}, fmt.Errorf("node %d's proof: %w", node, err)
	}
	return assignChild(ch.Proof, pub)
}

// assignChild is a child proof and its public inputs as the merge
// circuit's witness, unchecked.
func assignChild(proof []byte, pub []treepair.Element) (innerProof, innerWitness, error) {
	gp := groth16.NewProof(ecc.BN254)
	if _, err := gp.ReadFrom(bytes.NewReader(proof)); err != nil {
		return innerProof{}, innerWitness{}, err
	}
	p, err := stdgroth16.ValueOfProof[sw_bn254.G1Affine, sw_bn254.G2Affine](gp)
	if err != nil {
		return innerProof{}, innerWitness{}, err
	}
	w := innerWitness{Public: make([]emulated.Element[fieldFr], len(pub))}
	for i := range pub {
		w.Public[i] = emulated.ValueOf[fieldFr](bigOf(pub[i]))
	}
	return p, w, nil
}

// prove proves assignment c with k, checks the proof as the chain will,
// and returns it with the outputs.
func prove(k *Level, c frontend.Circuit, prover [treepair.AddressSize]byte, out treepair.Element) ([]byte, []byte, error) {
	w, err := frontend.NewWitness(c, field)
	if err != nil {
		return nil, nil, fmt.Errorf("witness: %w", err)
	}
	p, err := groth16.Prove(k.CS, k.PK, w, proverHash)
	if err != nil {
		return nil, nil, fmt.Errorf("prove: %w", err)
	}
	var b bytes.Buffer
	if _, err := p.WriteTo(&b); err != nil {
		return nil, nil, err
	}
	pw, err := w.Public()
	if err != nil {
		return nil, nil, err
	}
	if err := groth16.Verify(p, k.VK, pw, verifierOpt); err != nil {
		return nil, nil, fmt.Errorf("the proof does not verify: %w", err)
	}
	return b.Bytes(), treepair.Outputs(prover, out), nil
}

func publicVars(prover [treepair.AddressSize]byte, tree []byte, node uint32, out treepair.Element) ([]frontend.Variable, error) {
	pub, err := treepair.Public(prover, tree, node, out)
	if err != nil {
		return nil, err
	}
	vars := make([]frontend.Variable, len(pub))
	for i := range pub {
		vars[i] = bigOf(pub[i])
	}
	return vars, nil
}

func bigOf(e treepair.Element) *big.Int { return e.BigInt(new(big.Int)) }
