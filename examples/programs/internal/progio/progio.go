// Package progio is the guest side of the provernet program contract, shared
// by the example programs (see examples/programs/README.md).
//
// A prover is started as `prove <input files...>`; it writes its proof to
// /out/proof (at most MaxProofSize bytes) and exits 0, or exits non-zero
// without a usable proof. A verifier is started as
// `verify <input files...> /in/proof` and exits ExitValid (0), ExitInvalid (1)
// or ExitMalformed (2).
//
// The package keeps the mains of the programs to a few lines: they hand a
// function that works on bytes to ProverMain or VerifierMain, and that
// function can be tested natively without any file system contract.
package progio

import (
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"
)

// Exit codes of the contract.
const (
	// ExitValid: the verifier accepts the proof; the prover wrote a proof.
	ExitValid = 0
	// ExitInvalid: the verifier rejects the proof (it is missing, too large,
	// does not decode, or does not verify); the prover could not prove (the
	// statement is false for these inputs, or it failed internally).
	ExitInvalid = 1
	// ExitMalformed: the arguments or an input file (not the proof) are
	// malformed: wrong mode, wrong number of files, unreadable or
	// unparsable input. Note that the Go runtime also exits with 2 on a
	// fatal error (out of memory, unrecovered panic in another goroutine).
	ExitMalformed = 2
	// ExitHostFailure: a host module the program called failed for a
	// reason that is not the program's or its inputs' fault (provernet_zk_v1's
	// ErrInternal). It is no verdict: the run ends as an error, so a node
	// whose host broke does not call a valid proof invalid.
	ExitHostFailure = 3
)

const (
	// ModeProve and ModeVerify are the first argument of the program.
	ModeProve  = "prove"
	ModeVerify = "verify"

	// ProofPath is where a prover writes its proof.
	ProofPath = "/out/proof"
	// VerifierProofPath is where the host mounts the proof for a verifier
	// (it is also passed as the verifier's last argument).
	VerifierProofPath = "/in/proof"
	// InDir is the read-only directory holding the input files.
	InDir = "/in"

	// MaxProofSize is the largest proof the host accepts (1 MiB).
	MaxProofSize = 1 << 20
)

// malformedError marks an error about the arguments or the input files.
type malformedError struct{ err error }

func (e *malformedError) Error() string { return e.err.Error() }
func (e *malformedError) Unwrap() error { return e.err }

// Malformed wraps err so that the program exits with ExitMalformed.
func Malformed(err error) error {
	if err == nil {
		return nil
	}
	return &malformedError{err}
}

// hostFailureError marks a failure of the host, not of the program.
type hostFailureError struct{ err error }

func (e *hostFailureError) Error() string { return e.err.Error() }
func (e *hostFailureError) Unwrap() error { return e.err }

// HostFailure wraps err so that the program exits with ExitHostFailure.
func HostFailure(err error) error {
	if err == nil {
		return nil
	}
	return &hostFailureError{err}
}

// Malformedf is Malformed(fmt.Errorf(format, args...)).
func Malformedf(format string, args ...any) error {
	return Malformed(fmt.Errorf(format, args...))
}

// IsMalformed reports whether err (or an error it wraps) was made by
// Malformed.
func IsMalformed(err error) bool {
	var m *malformedError
	return errors.As(err, &m)
}

// ExitCode maps the result of a prover or verifier function to the exit code
// of the contract: nil -> 0, Malformed -> 2, HostFailure -> 3, anything
// else -> 1.
func ExitCode(err error) int {
	var hf *hostFailureError
	switch {
	case err == nil:
		return ExitValid
	case errors.As(err, &hf):
		return ExitHostFailure
	case IsMalformed(err):
		return ExitMalformed
	default:
		return ExitInvalid
	}
}

// ReadFile reads a whole file of at most max bytes. A missing, unreadable or
// too large file is malformed input.
func ReadFile(path string, max int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, Malformed(err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, Malformed(fmt.Errorf("read %s: %w", path, err))
	}
	if int64(len(data)) > max {
		return nil, Malformedf("%s: larger than %d bytes", path, max)
	}
	return data, nil
}

// ProverMain runs a prover: it checks that the first argument is "prove",
// calls prove with the input paths and writes the proof it returns to
// ProofPath. It never returns.
func ProverMain(prove func(inputs []string) ([]byte, error)) {
	os.Exit(runProver(os.Args, ProofPath, prove))
}

// VerifierMain runs a verifier: it checks that the first argument is
// "verify", reads the proof from the last argument and calls verify with the
// other input paths and the proof bytes. It never returns.
func VerifierMain(verify func(inputs []string, proof []byte) error) {
	os.Exit(runVerifier(os.Args, verify))
}

func runProver(args []string, proofPath string, prove func([]string) ([]byte, error)) (code int) {
	if len(args) < 2 || args[1] != ModeProve {
		fmt.Fprintf(os.Stderr, "usage: %s prove <input files...>\n", progName(args))
		return ExitMalformed
	}
	proof, err := protect(func() ([]byte, error) { return prove(args[2:]) })
	if err == nil && len(proof) > MaxProofSize {
		err = fmt.Errorf("proof of %d bytes exceeds the %d-byte limit", len(proof), MaxProofSize)
	}
	if err == nil {
		if werr := os.WriteFile(proofPath, proof, 0o644); werr != nil {
			err = fmt.Errorf("write proof: %w", werr)
		}
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "prove: %v\n", err)
	}
	return ExitCode(err)
}

func runVerifier(args []string, verify func([]string, []byte) error) int {
	if len(args) < 3 || args[1] != ModeVerify {
		fmt.Fprintf(os.Stderr, "usage: %s verify <input files...> %s\n", progName(args), VerifierProofPath)
		return ExitMalformed
	}
	inputs, proofPath := args[2:len(args)-1], args[len(args)-1]
	_, err := protect(func() ([]byte, error) {
		proof, err := ReadFile(proofPath, MaxProofSize)
		if err != nil {
			// A missing or oversized proof is the prover's fault.
			return nil, fmt.Errorf("proof: %w", errors.Unwrap(err))
		}
		return nil, verify(inputs, proof)
	})
	if err != nil {
		fmt.Fprintf(os.Stderr, "verify: %v\n", err)
	}
	return ExitCode(err)
}

// protect turns a panic of f into an (invalid, not malformed) error, so that
// a verifier fed a hostile proof rejects it instead of crashing with the Go
// runtime's exit code 2.
func protect(f func() ([]byte, error)) (out []byte, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v\n%s", r, debug.Stack())
		}
	}()
	return f()
}

func progName(args []string) string {
	if len(args) > 0 {
		return args[0]
	}
	return "program"
}

// ReadOnlyInput reads the one input file a program takes (at most max
// bytes); any other number of inputs is malformed.
func ReadOnlyInput(inputs []string, max int64) ([]byte, error) {
	if len(inputs) != 1 {
		return nil, Malformedf("want exactly one input file (input.json), got %d", len(inputs))
	}
	return ReadFile(inputs[0], max)
}
