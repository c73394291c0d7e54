// Package plkmimc is the gnark side of the plonk-mimc example program: the
// circuit, the development setup and a native verifier for tests. The
// program proves knowledge of a preimage x such that MiMC^n(x) = y over
// BLS12-381's scalar field, with gnark's PLONK over BLS12-381, y public.
//
// Its prover and verifier (./prover, ./verifier) prove through the host
// (provernet_zk_v1) and do not import this package. Input files, in this
// order:
//
//	cs.bin      the constraint system (SparseR1CS, gnark's WriteTo)
//	pk.bin      the proving key (gnark's WriteRawTo)
//	vk.bin      the verifying key (gnark's WriteTo)
//	input.json  {"n": <chain length>, "x": "<preimage>", "y": "<image>"}
//
// The proof is a container (package container, magic "PLKMIMC1") holding
// gnark's binary PLONK proof and the public witness (y).
package plkmimc

import (
	"bytes"
	"fmt"
	"io"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark/backend/plonk"
	"github.com/consensys/gnark/backend/witness"
	"github.com/consensys/gnark/constraint"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/scs"
	"github.com/consensys/gnark/logger"
	"github.com/consensys/gnark/std/hash/mimc"
	"github.com/consensys/gnark/test/unsafekzg"

	"github.com/provernet/provernet/examples/programs/internal/mimcchain"
	"github.com/provernet/provernet/examples/programs/plonk-mimc/container"
)

func init() {
	// gnark logs compilation and proving to stdout by default.
	logger.Disable()
}

// Curve is the curve of the program's proofs.
const Curve = ecc.BLS12_381

// Circuit is MiMC^N(X) == Y with X secret and Y public.
type Circuit struct {
	N int               `gnark:"-"`
	X frontend.Variable `gnark:",secret"`
	Y frontend.Variable `gnark:",public"`
}

// Define implements frontend.Circuit.
func (c *Circuit) Define(api frontend.API) error {
	h := c.X
	for i := 0; i < c.N; i++ {
		m, err := mimc.NewMiMC(api)
		if err != nil {
			return err
		}
		m.Write(h)
		h = m.Sum()
	}
	api.AssertIsEqual(h, c.Y)
	return nil
}

// Compile builds the PLONK constraint system of the circuit for chain
// length n.
func Compile(n int) (constraint.ConstraintSystem, error) {
	if n < mimcchain.MinChainLength || n > mimcchain.MaxChainLength {
		return nil, fmt.Errorf("chain length %d out of range [%d, %d]", n, mimcchain.MinChainLength, mimcchain.MaxChainLength)
	}
	return frontend.Compile(Curve.ScalarField(), scs.NewBuilder, &Circuit{N: n})
}

// ChainLengthFor returns the largest chain length whose constraint system
// has at most 2^logSize constraints plus public inputs (so its FFT domain
// is 2^logSize).
func ChainLengthFor(logSize int) (int, error) {
	size := func(n int) (int, error) {
		ccs, err := Compile(n)
		if err != nil {
			return 0, err
		}
		return ccs.GetNbConstraints() + ccs.GetNbPublicVariables(), nil
	}
	one, err := size(1)
	if err != nil {
		return 0, err
	}
	two, err := size(2)
	if err != nil {
		return 0, err
	}
	limit := 1 << logSize
	n := min(max((limit-one)/(two-one)+1, mimcchain.MinChainLength), mimcchain.MaxChainLength)
	// The size is affine in n; walk to be exact.
	for ; n >= mimcchain.MinChainLength; n-- {
		s, err := size(n)
		if err != nil {
			return 0, err
		}
		if s <= limit {
			return n, nil
		}
	}
	return 0, fmt.Errorf("no chain length fits 2^%d constraints", logSize)
}

// DevSeed is the fixed seed of the development setup run by `make
// programs`: the KZG toxic value τ is SHA-256 of it, so the SRS and keys
// are reproducible and anyone can forge proofs for them.
const DevSeed = "provernet plonk-mimc development SRS v1 -- INSECURE, toxic waste is public"

// Setup compiles the circuit for chain length n and runs gnark's PLONK
// setup on a KZG SRS made by gnark's test/unsafekzg: from τ = SHA-256(seed)
// when seed is not empty (reproducible, insecure), else from crypto/rand
// (still a single-party SRS: whoever ran it could forge proofs).
// Production keys need an SRS from a ceremony (e.g. Ethereum's KZG one).
func Setup(n int, seed string) (constraint.ConstraintSystem, plonk.ProvingKey, plonk.VerifyingKey, error) {
	ccs, err := Compile(n)
	if err != nil {
		return nil, nil, nil, err
	}
	var opts []unsafekzg.Option
	if seed != "" {
		opts = append(opts, unsafekzg.WithToxicSeed([]byte(seed)))
	}
	srs, lagrange, err := unsafekzg.NewSRS(ccs, opts...)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("srs: %w", err)
	}
	pk, vk, err := plonk.Setup(ccs, srs, lagrange)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("plonk setup: %w", err)
	}
	return ccs, pk, vk, nil
}

// WriteFiles writes the constraint system (WriteTo), the proving key
// (WriteRawTo: uncompressed, fast to load; the host reads it so) and the
// verifying key (WriteTo, compressed).
func WriteFiles(ccs constraint.ConstraintSystem, pk plonk.ProvingKey, vk plonk.VerifyingKey, csOut, pkOut, vkOut io.Writer) error {
	if _, err := ccs.WriteTo(csOut); err != nil {
		return fmt.Errorf("write constraint system: %w", err)
	}
	if _, err := pk.WriteRawTo(pkOut); err != nil {
		return fmt.Errorf("write proving key: %w", err)
	}
	if _, err := vk.WriteTo(vkOut); err != nil {
		return fmt.Errorf("write verifying key: %w", err)
	}
	return nil
}

// EncodeProof builds the proof file from gnark's proof and public witness
// (what the host-backed prover writes).
func EncodeProof(proof plonk.Proof, public witness.Witness) ([]byte, error) {
	var p bytes.Buffer
	if _, err := proof.WriteTo(&p); err != nil {
		return nil, err
	}
	w, err := public.MarshalBinary()
	if err != nil {
		return nil, err
	}
	return container.Spec.EncodeProof(p.Bytes(), w), nil
}

// DecodeProof parses a proof file strictly into gnark's proof and public
// witness.
func DecodeProof(data []byte) (plonk.Proof, witness.Witness, error) {
	c, err := container.Spec.DecodeProof(data)
	if err != nil {
		return nil, nil, err
	}
	proof := plonk.NewProof(Curve)
	if n, err := proof.ReadFrom(bytes.NewReader(c.Proof)); err != nil {
		return nil, nil, fmt.Errorf("proof: %w", err)
	} else if n != int64(len(c.Proof)) {
		return nil, nil, fmt.Errorf("proof: decoded %d of %d bytes", n, len(c.Proof))
	}
	pub, err := witness.New(Curve.ScalarField())
	if err != nil {
		return nil, nil, err
	}
	if err := pub.UnmarshalBinary(c.Public); err != nil {
		return nil, nil, fmt.Errorf("public witness: %w", err)
	}
	return proof, pub, nil
}

// VerifyNative checks a proof file with gnark's native PLONK verifier
// against the verifying key's bytes (for tests and tools).
func VerifyNative(vkData, proofFile []byte) error {
	vk := plonk.NewVerifyingKey(Curve)
	if _, err := vk.ReadFrom(bytes.NewReader(vkData)); err != nil {
		return fmt.Errorf("vk.bin: %w", err)
	}
	proof, public, err := DecodeProof(proofFile)
	if err != nil {
		return err
	}
	return plonk.Verify(proof, vk, public)
}
