// Package progio is the guest side of the provernet program contract, shared
// by the example programs (see examples/programs/README.md).
//
// A prover is started as `prove <input files...>`; it writes its proof to
// /out/proof (at most MaxProofSize bytes) and exits 0, or exits non-zero
// without a usable proof. A verifier is started as
// `verify <input files...> /in/proof` and exits ExitValid (0), ExitInvalid (1)
// or ExitMalformed (2).
//
// The contract itself is package progcore, which links neither fmt nor os
// (for small verifiers); progio adds fmt's conveniences on top of it, and
// errors made by either package are the same kinds.
//
// The package keeps the mains of the programs to a few lines: they hand a
// function that works on bytes to ProverMain or VerifierMain, and that
// function can be tested natively without any file system contract.
package progio

import (
	"fmt"

	"github.com/provernet/provernet/examples/programs/internal/progcore"
)

// Exit codes of the contract (progcore's).
const (
	ExitValid       = progcore.ExitValid
	ExitInvalid     = progcore.ExitInvalid
	ExitMalformed   = progcore.ExitMalformed
	ExitHostFailure = progcore.ExitHostFailure
)

const (
	// ModeProve and ModeVerify are the first argument of the program.
	ModeProve  = progcore.ModeProve
	ModeVerify = progcore.ModeVerify

	// ProofPath is where a prover writes its proof.
	ProofPath = progcore.ProofPath
	// VerifierProofPath is where the host mounts the proof for a verifier
	// (it is also passed as the verifier's last argument).
	VerifierProofPath = progcore.VerifierProofPath
	// InDir is the read-only directory holding the input files.
	InDir = progcore.InDir

	// MaxProofSize is the largest proof the host accepts (1 MiB).
	MaxProofSize = progcore.MaxProofSize
)

// Malformed wraps err so that the program exits with ExitMalformed.
func Malformed(err error) error { return progcore.Malformed(err) }

// HostFailure wraps err so that the program exits with ExitHostFailure.
func HostFailure(err error) error { return progcore.HostFailure(err) }

// Malformedf is Malformed(fmt.Errorf(format, args...)).
func Malformedf(format string, args ...any) error {
	return Malformed(fmt.Errorf(format, args...))
}

// IsMalformed reports whether err (or an error it wraps) was made by
// Malformed.
func IsMalformed(err error) bool { return progcore.IsMalformed(err) }

// ExitCode maps the result of a prover or verifier function to the exit code
// of the contract: nil -> 0, Malformed -> 2, HostFailure -> 3, anything
// else -> 1.
func ExitCode(err error) int { return progcore.ExitCode(err) }

// ReadFile reads a whole file of at most max bytes. A missing, unreadable or
// too large file is malformed input.
func ReadFile(path string, max int64) ([]byte, error) { return progcore.ReadFile(path, max) }

// ProverMain runs a prover: it checks that the first argument is "prove",
// calls prove with the input paths and writes the proof it returns to
// ProofPath. It never returns.
func ProverMain(prove func(inputs []string) ([]byte, error)) { progcore.ProverMain(prove) }

// VerifierMain runs a verifier: it checks that the first argument is
// "verify", reads the proof from the last argument and calls verify with the
// other input paths and the proof bytes. It never returns.
func VerifierMain(verify func(inputs []string, proof []byte) error) {
	progcore.VerifierMain(verify)
}

// ReadOnlyInput reads the one input file a program takes (at most max
// bytes); any other number of inputs is malformed.
func ReadOnlyInput(inputs []string, max int64) ([]byte, error) {
	if len(inputs) != 1 {
		return nil, Malformedf("want exactly one input file (input.json), got %d", len(inputs))
	}
	return ReadFile(inputs[0], max)
}
