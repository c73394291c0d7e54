// Package sha256chain is the logic of the sha256-chain example program: a tiny,
// fast program for tests of the proving network.
//
// Input (one JSON file): {"seed": "<hex>", "iterations": N}.
// The prover computes h_0 = seed, h_{i+1} = SHA-256(h_i) and writes h_N
// (32 raw bytes) as its "proof". The verifier recomputes h_N and compares.
// It proves nothing cryptographically; it only exercises the contract.
package sha256chain

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/provernet/provernet/examples/programs/internal/progio"
)

const (
	// MaxIterations bounds the work (about a second natively for 10^7).
	MaxIterations = 1 << 30
	// MaxSeedBytes bounds the seed.
	MaxSeedBytes = 1024
	// MaxInputSize bounds the input file.
	MaxInputSize = 64 << 10
	// ProofSize is the size of the proof: one SHA-256 digest.
	ProofSize = sha256.Size
)

// Input is the content of the input file.
type Input struct {
	Seed       string `json:"seed"`       // hex, 1..MaxSeedBytes bytes
	Iterations uint64 `json:"iterations"` // 1..MaxIterations
}

// ParseInput decodes and checks an input file. Errors are malformed input.
func ParseInput(data []byte) (seed []byte, iterations uint64, err error) {
	var in Input
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		return nil, 0, progio.Malformedf("input: %v", err)
	}
	if dec.More() {
		return nil, 0, progio.Malformedf("input: trailing data")
	}
	seed, err = hex.DecodeString(in.Seed)
	if err != nil {
		return nil, 0, progio.Malformedf("input: seed: %v", err)
	}
	if len(seed) == 0 || len(seed) > MaxSeedBytes {
		return nil, 0, progio.Malformedf("input: seed must be 1..%d bytes, got %d", MaxSeedBytes, len(seed))
	}
	if in.Iterations < 1 || in.Iterations > MaxIterations {
		return nil, 0, progio.Malformedf("input: iterations must be 1..%d, got %d", MaxIterations, in.Iterations)
	}
	return seed, in.Iterations, nil
}

// Chain returns SHA-256 applied iterations times to seed.
func Chain(seed []byte, iterations uint64) [ProofSize]byte {
	h := sha256.Sum256(seed)
	for i := uint64(1); i < iterations; i++ {
		h = sha256.Sum256(h[:])
	}
	return h
}

// ErrMismatch is returned by Verify for a proof that is not the right digest.
var ErrMismatch = errors.New("proof does not match the recomputed digest")

// Prove is the prover: it reads the single input file and returns the proof.
func Prove(inputs []string) ([]byte, error) {
	data, err := progio.ReadOnlyInput(inputs, MaxInputSize)
	if err != nil {
		return nil, err
	}
	return ProveBytes(data)
}

// ProveBytes computes the proof for the content of an input file.
func ProveBytes(input []byte) ([]byte, error) {
	seed, n, err := ParseInput(input)
	if err != nil {
		return nil, err
	}
	h := Chain(seed, n)
	return h[:], nil
}

// Verify is the verifier: nil if proof is the digest for the input file.
func Verify(inputs []string, proof []byte) error {
	data, err := progio.ReadOnlyInput(inputs, MaxInputSize)
	if err != nil {
		return err
	}
	return VerifyBytes(data, proof)
}

// VerifyBytes checks proof against the content of an input file.
func VerifyBytes(input, proof []byte) error {
	seed, n, err := ParseInput(input)
	if err != nil {
		return err
	}
	if len(proof) != ProofSize {
		return fmt.Errorf("proof is %d bytes, want %d", len(proof), ProofSize)
	}
	h := Chain(seed, n)
	if !bytes.Equal(h[:], proof) {
		return ErrMismatch
	}
	return nil
}
