// Package chain computes the plonk-mimc statement natively: MiMC^n(x)
// over BLS12-381's scalar field with gnark-crypto's MiMC, the hash gnark's
// std/hash/mimc constrains. Only the prover needs it.
package chain

import (
	"math/big"

	"github.com/consensys/gnark-crypto/ecc/bls12-381/fr"
	"github.com/consensys/gnark-crypto/ecc/bls12-381/fr/mimc"

	"github.com/provernet/provernet/examples/programs/internal/mimcchain"
	"github.com/provernet/provernet/examples/programs/plonk-mimc/container"
)

// Spec is container.Spec with its Chain: the prover's view.
var Spec = withChain(container.Spec)

func withChain(s *mimcchain.Spec) *mimcchain.Spec {
	c := *s
	c.Chain = Elem
	return &c
}

// Chain computes MiMC^n(x): h_0 = x, h_{i+1} = MiMC(h_i).
func Chain(x fr.Element, n int) fr.Element {
	h := mimc.NewFieldHasher()
	for i := 0; i < n; i++ {
		h.Reset()
		h.WriteElement(x)
		x = h.SumElement()
	}
	return x
}

// Big is Chain on integers below the modulus.
func Big(x *big.Int, n int) *big.Int {
	var e fr.Element
	e.SetBigInt(x)
	e = Chain(e, n)
	return e.BigInt(new(big.Int))
}

// Elem is Chain on mimcchain's elements (big-endian, below the modulus).
func Elem(x mimcchain.Element, n int) mimcchain.Element {
	var e fr.Element
	e.SetBytes(x[:])
	e = Chain(e, n)
	return e.Bytes()
}
