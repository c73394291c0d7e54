// Package g16mimc is the logic of the groth16-mimc example program: a gnark
// Groth16 prover over BN254 proving knowledge of a preimage x such that
// MiMC^n(x) = y, where MiMC^n is a chain of n MiMC hashes
// (h_0 = x, h_{i+1} = MiMC(h_i), y = h_n) and y is public.
//
// The chain length n fixes the circuit, so the constraint system and the
// proving and verifying keys are made for one n by the development setup
// (see Setup and the setup command).
//
// The program has two implementations reading the same inputs and writing
// the same proofs: the host-backed prover and verifier (./prover,
// ./verifier: sdk/guest, gnark runs natively in the host) and the pure-wasm
// reference (./prover-wasm, ./verifier-wasm: this package, gnark compiled
// to WebAssembly). Input files, in this order, for all four:
//
//	cs.bin      the constraint system (gnark binary format; the reference ignores it)
//	pk.bin      the proving key (gnark binary format)
//	vk.bin      the verifying key (gnark binary format)
//	input.json  {"n": <chain length>, "x": "<preimage>", "y": "<image>"}
//
// The reference prover reads pk.bin, vk.bin and input.json (x, and y if
// given) and compiles the circuit itself; the reference verifier reads
// vk.bin and input.json (n and y; it ignores x). The proof is a container
// (see EncodeProof and package container) holding gnark's binary proof and
// the public witness (y) in gnark's binary format.
package g16mimc

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	mrand "math/rand/v2"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark/backend/groth16"
	groth16bn254 "github.com/consensys/gnark/backend/groth16/bn254"
	"github.com/consensys/gnark/backend/witness"
	"github.com/consensys/gnark/constraint"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"
	"github.com/consensys/gnark/logger"
	"github.com/consensys/gnark/std/hash/mimc"

	"github.com/provernet/provernet/examples/programs/groth16-mimc/chain"
	"github.com/provernet/provernet/examples/programs/groth16-mimc/container"
	"github.com/provernet/provernet/examples/programs/internal/mimcchain"
	"github.com/provernet/provernet/examples/programs/internal/progio"
)

func init() {
	// gnark logs compilation and proving to stdout by default.
	logger.Disable()
}

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

// Limits on the chain length (the circuit has about 330 constraints a link).
const (
	MinChainLength = mimcchain.MinChainLength
	MaxChainLength = mimcchain.MaxChainLength
)

// Compile builds the R1CS of the circuit for chain length n.
func Compile(n int) (constraint.ConstraintSystem, error) {
	if n < MinChainLength || n > MaxChainLength {
		return nil, fmt.Errorf("chain length %d out of range [%d, %d]", n, MinChainLength, MaxChainLength)
	}
	return frontend.Compile(ecc.BN254.ScalarField(), r1cs.NewBuilder, &Circuit{N: n})
}

// Chain computes MiMC^n(x) natively (gnark-crypto's MiMC, same as the circuit).
func Chain(x fr.Element, n int) fr.Element { return chain.Chain(x, n) }

// ChainLengthFor returns the largest chain length whose circuit has at most
// 2^logConstraints constraints (so its FFT domain is 2^logConstraints).
func ChainLengthFor(logConstraints int) (int, error) {
	limit := 1 << logConstraints
	per, err := constraintsPerLink()
	if err != nil {
		return 0, err
	}
	n := limit / per
	// The count is affine in n; walk to be exact.
	for n > MinChainLength {
		ccs, err := Compile(n)
		if err != nil {
			return 0, err
		}
		if ccs.GetNbConstraints() <= limit {
			break
		}
		n--
	}
	if n < MinChainLength {
		return 0, fmt.Errorf("no chain length fits 2^%d constraints", logConstraints)
	}
	return n, nil
}

func constraintsPerLink() (int, error) {
	a, err := Compile(1)
	if err != nil {
		return 0, err
	}
	b, err := Compile(2)
	if err != nil {
		return 0, err
	}
	return b.GetNbConstraints() - a.GetNbConstraints(), nil
}

// DevSeed is the fixed seed of the development setup run by `make programs`,
// so that the keys it writes are reproducible. Anyone can recompute the toxic
// waste from it: the keys are for development and tests only.
const DevSeed = "provernet groth16-mimc development setup v1 -- INSECURE, toxic waste is public"

// Setup runs gnark's Groth16 setup for chain length n. With a non-empty seed
// the toxic waste is drawn from a ChaCha8 stream keyed by SHA-256(seed), so
// the keys are reproducible (and insecure: the seed reveals the toxic waste);
// with an empty seed it comes from crypto/rand (still a single-party setup:
// whoever ran it could forge proofs).
//
// A seeded Setup temporarily replaces crypto/rand.Reader, which gnark's setup
// reads; it must not run concurrently with anything else using crypto/rand.
func Setup(n int, seed string) (constraint.ConstraintSystem, groth16.ProvingKey, groth16.VerifyingKey, error) {
	ccs, err := Compile(n)
	if err != nil {
		return nil, nil, nil, err
	}
	if seed != "" {
		key := sha256.Sum256([]byte(seed))
		saved := rand.Reader
		rand.Reader = mrand.NewChaCha8(key)
		defer func() { rand.Reader = saved }()
	}
	pk, vk, err := groth16.Setup(ccs)
	if err != nil {
		return nil, nil, nil, err
	}
	return ccs, pk, vk, nil
}

// WriteSystem writes the constraint system in gnark's binary format
// (cs.bin, the host-backed prover's first input).
func WriteSystem(ccs constraint.ConstraintSystem, out io.Writer) error {
	if _, err := ccs.WriteTo(out); err != nil {
		return fmt.Errorf("write constraint system: %w", err)
	}
	return nil
}

// WriteKeys writes pk in gnark's uncompressed binary format (WriteRawTo:
// larger, but much faster to load than compressed points) and vk in gnark's
// compressed binary format (WriteTo).
func WriteKeys(pk groth16.ProvingKey, vk groth16.VerifyingKey, pkOut, vkOut io.Writer) error {
	if _, err := pk.WriteRawTo(pkOut); err != nil {
		return fmt.Errorf("write proving key: %w", err)
	}
	if _, err := vk.WriteTo(vkOut); err != nil {
		return fmt.Errorf("write verifying key: %w", err)
	}
	return nil
}

// ---- input ----

// Input is the content of input.json. Field elements are decimal strings
// or 0x-prefixed hex, each less than the BN254 scalar field modulus.
type Input = mimcchain.InputJSON

// ParsedInput is a checked Input.
type ParsedInput struct {
	N    int
	X    *fr.Element // nil if absent
	Y    *fr.Element // nil if absent
	HasX bool
}

// MaxInputSize bounds input.json.
const MaxInputSize = mimcchain.MaxInputSize

// ParseInput decodes and checks input.json (as every groth16-mimc program
// does: container.Spec.ParseInput); errors are malformed input.
func ParseInput(data []byte) (ParsedInput, error) {
	in, err := container.Spec.ParseInput(data)
	if err != nil {
		return ParsedInput{}, err
	}
	out := ParsedInput{N: in.N, HasX: in.X != nil}
	if in.X != nil {
		out.X = new(fr.Element).SetBytes(in.X[:])
	}
	if in.Y != nil {
		out.Y = new(fr.Element).SetBytes(in.Y[:])
	}
	return out, nil
}

// ---- proof container ----

// Magic starts every proof.
const Magic = container.Magic

// EncodeProof builds the proof file (container.Spec.EncodeProof):
//
//	"G16MIMC1"                      8 bytes
//	uint32 big-endian len(P)        4 bytes
//	P: gnark proof, Proof.WriteTo   (compressed points; 164 bytes here)
//	uint32 big-endian len(W)        4 bytes
//	W: public witness, gnark's witness.MarshalBinary
//	   (uint32 nbPublic | uint32 nbSecret | uint32 len | 32-byte elements)
//
// and nothing after it.
func EncodeProof(proof groth16.Proof, public witness.Witness) ([]byte, error) {
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

// DecodeProof parses a proof file strictly (container.Spec.DecodeProof).
// The sizes are checked before gnark's decoders run, so a hostile proof
// cannot make them allocate.
func DecodeProof(data []byte) (groth16.Proof, witness.Witness, error) {
	c, err := container.Spec.DecodeProof(data)
	if err != nil {
		return nil, nil, err
	}
	proof := groth16.NewProof(ecc.BN254)
	if n, err := proof.ReadFrom(bytes.NewReader(c.Proof)); err != nil {
		return nil, nil, fmt.Errorf("proof: %w", err)
	} else if n != int64(len(c.Proof)) {
		return nil, nil, fmt.Errorf("proof: decoded %d of %d bytes", n, len(c.Proof))
	}
	pub, err := witness.New(ecc.BN254.ScalarField())
	if err != nil {
		return nil, nil, err
	}
	if err := pub.UnmarshalBinary(c.Public); err != nil {
		return nil, nil, fmt.Errorf("public witness: %w", err)
	}
	return proof, pub, nil
}

// PublicY returns the Y of a public witness decoded by DecodeProof.
func PublicY(pub witness.Witness) (fr.Element, error) {
	v, ok := pub.Vector().(fr.Vector)
	if !ok || len(v) != 1 {
		return fr.Element{}, errors.New("public witness: want one BN254 element")
	}
	return v[0], nil
}

// ---- prover and verifier ----

// Maximum sizes of the key files.
const (
	MaxProvingKeySize   = 512 << 20
	MaxVerifyingKeySize = 1 << 20
)

// split names the inputs by position: cs.bin (unused here: the reference
// compiles the circuit itself), pk.bin, vk.bin, input.json.
func split(inputs []string) (pkPath, vkPath, inPath string, err error) {
	if len(inputs) != 4 {
		return "", "", "", progio.Malformedf("want 4 input files (cs.bin pk.bin vk.bin input.json), got %d", len(inputs))
	}
	return inputs[1], inputs[2], inputs[3], nil
}

// Prove is the reference prover of the contract: inputs are cs.bin
// (unused), pk.bin, vk.bin, input.json.
func Prove(inputs []string) ([]byte, error) {
	pkPath, vkPath, inPath, err := split(inputs)
	if err != nil {
		return nil, err
	}
	in, err := progio.ReadFile(inPath, MaxInputSize)
	if err != nil {
		return nil, err
	}
	vk, err := progio.ReadFile(vkPath, MaxVerifyingKeySize)
	if err != nil {
		return nil, err
	}
	pk, err := progio.ReadFile(pkPath, MaxProvingKeySize)
	if err != nil {
		return nil, err
	}
	return ProveBytes(pk, vk, in)
}

// ProveBytes proves for the given key files and input.json. It checks its own
// proof with the verifying key before returning it.
func ProveBytes(pkData, vkData, input []byte) ([]byte, error) {
	in, err := ParseInput(input)
	if err != nil {
		return nil, err
	}
	if !in.HasX {
		return nil, progio.Malformedf("input.json: the prover needs x")
	}
	vk, err := ReadVerifyingKey(vkData)
	if err != nil {
		return nil, err
	}
	pk := groth16.NewProvingKey(ecc.BN254)
	if _, err := pk.UnsafeReadFrom(bytes.NewReader(pkData)); err != nil {
		return nil, progio.Malformedf("pk.bin: %v", err)
	}
	pkData = nil // let the GC drop the file once the key is decoded
	ccs, err := Compile(in.N)
	if err != nil {
		return nil, progio.Malformed(err)
	}
	if err := checkKeys(ccs, pk, vk); err != nil {
		return nil, progio.Malformedf("keys do not match n=%d: %v", in.N, err)
	}
	y := Chain(*in.X, in.N)
	if in.Y != nil && !in.Y.Equal(&y) {
		return nil, fmt.Errorf("MiMC^%d(x) != y: x is not a preimage of y", in.N)
	}
	full, err := frontend.NewWitness(&Circuit{N: in.N, X: *in.X, Y: y}, ecc.BN254.ScalarField())
	if err != nil {
		return nil, err
	}
	public, err := full.Public()
	if err != nil {
		return nil, err
	}
	proof, err := groth16.Prove(ccs, pk, full)
	if err != nil {
		return nil, fmt.Errorf("groth16 prove: %w", err)
	}
	if err := groth16.Verify(proof, vk, public); err != nil {
		return nil, fmt.Errorf("own proof does not verify (keys from different setups?): %w", err)
	}
	return EncodeProof(proof, public)
}

// checkKeys rejects keys made for another circuit before gnark's prover
// indexes out of range on them.
func checkKeys(ccs constraint.ConstraintSystem, pk groth16.ProvingKey, vk groth16.VerifyingKey) error {
	bpk, ok := pk.(*groth16bn254.ProvingKey)
	if !ok {
		return errors.New("not a BN254 proving key")
	}
	nbWires := ccs.GetNbInternalVariables() + ccs.GetNbPublicVariables() + ccs.GetNbSecretVariables()
	if got := len(bpk.G1.A) + int(bpk.NbInfinityA); got != nbWires {
		return fmt.Errorf("proving key has %d wires, circuit has %d", got, nbWires)
	}
	if len(bpk.InfinityA) != nbWires || len(bpk.InfinityB) != nbWires {
		return fmt.Errorf("proving key infinity tables have %d/%d entries, circuit has %d wires", len(bpk.InfinityA), len(bpk.InfinityB), nbWires)
	}
	if got := len(bpk.G1.B) + int(bpk.NbInfinityB); got != nbWires {
		return fmt.Errorf("proving key has %d B wires, circuit has %d", got, nbWires)
	}
	if got, want := bpk.Domain.Cardinality, ecc.NextPowerOfTwo(uint64(ccs.GetNbConstraints())); got != want {
		return fmt.Errorf("proving key domain %d, circuit needs %d", got, want)
	}
	if got := vk.NbPublicWitness(); got != 1 {
		return fmt.Errorf("verifying key has %d public inputs, want 1", got)
	}
	return nil
}

// ReadVerifyingKey decodes vk.bin (with gnark's subgroup checks).
func ReadVerifyingKey(data []byte) (groth16.VerifyingKey, error) {
	vk := groth16.NewVerifyingKey(ecc.BN254)
	n, err := vk.ReadFrom(bytes.NewReader(data))
	if err != nil {
		return nil, progio.Malformedf("vk.bin: %v", err)
	}
	if n != int64(len(data)) {
		return nil, progio.Malformedf("vk.bin: %d trailing bytes", int64(len(data))-n)
	}
	if vk.NbPublicWitness() != 1 {
		return nil, progio.Malformedf("vk.bin: %d public inputs, want 1", vk.NbPublicWitness())
	}
	return vk, nil
}

// Verify is the reference verifier of the contract: inputs are cs.bin and
// pk.bin (unused), vk.bin, input.json.
func Verify(inputs []string, proof []byte) error {
	_, vkPath, inPath, err := split(inputs)
	if err != nil {
		return err
	}
	in, err := progio.ReadFile(inPath, MaxInputSize)
	if err != nil {
		return err
	}
	vk, err := progio.ReadFile(vkPath, MaxVerifyingKeySize)
	if err != nil {
		return err
	}
	return VerifyBytes(vk, in, proof)
}

// VerifyBytes checks a proof file against vk.bin and input.json: the proof
// must decode, verify against vk for its public y, and, if input.json gives
// y, that y must be the proof's. Malformed vk.bin or input.json is a
// Malformed error; everything wrong with the proof is a plain error.
func VerifyBytes(vkData, input, proofData []byte) error {
	in, err := ParseInput(input)
	if err != nil {
		return err
	}
	vk, err := ReadVerifyingKey(vkData)
	if err != nil {
		return err
	}
	proof, public, err := DecodeProof(proofData)
	if err != nil {
		return err
	}
	if in.Y != nil {
		y, err := PublicY(public)
		if err != nil {
			return err
		}
		if !y.Equal(in.Y) {
			return fmt.Errorf("proof is for y=%s, input.json says y=%s", y.String(), in.Y.String())
		}
	}
	if err := groth16.Verify(proof, vk, public); err != nil {
		return fmt.Errorf("groth16 verify: %w", err)
	}
	return nil
}
