// Package progcore is the guest side of the provernet program contract
// (see examples/programs/README.md and package progio) without fmt, os or
// reflection: exit codes, the error kinds that choose them, reading input
// files and running a prover's or verifier's main.
//
// It exists for size: a module that imports os pays for its package
// initialisation (the poller, GODEBUG settings, ...) and one that calls
// fmt pays for fmt and reflect, several hundred kilobytes each, which
// wazero validates again every time it compiles the module. The
// host-backed verifiers import nothing that imports os; progio adds the
// fmt conveniences (Malformedf) on top of this package for the programs
// that link fmt anyway.
package progcore

import (
	"errors"
	"runtime"
	"strconv"
	"syscall"
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

// MalformedMsg is Malformed(errors.New(msg)).
func MalformedMsg(msg string) error { return Malformed(errors.New(msg)) }

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

// wrapError is fmt.Errorf("%s: %w", msg, err) without fmt.
type wrapError struct {
	msg string
	err error
}

func (e *wrapError) Error() string { return e.msg + ": " + e.err.Error() }
func (e *wrapError) Unwrap() error { return e.err }

// Wrap returns an error reading "msg: err" that wraps err, as
// fmt.Errorf("%s: %w", msg, err) does. Wrap(msg, nil) is nil.
func Wrap(msg string, err error) error {
	if err == nil {
		return nil
	}
	return &wrapError{msg, err}
}

// IsMalformed reports whether err (or an error it wraps) was made by
// Malformed.
func IsMalformed(err error) bool {
	_, ok := errors.AsType[*malformedError](err)
	return ok
}

// ExitCode maps the result of a prover or verifier function to the exit code
// of the contract: nil -> 0, Malformed -> 2, HostFailure -> 3, anything
// else -> 1.
func ExitCode(err error) int {
	switch {
	case err == nil:
		return ExitValid
	case isHostFailure(err):
		return ExitHostFailure
	case IsMalformed(err):
		return ExitMalformed
	default:
		return ExitInvalid
	}
}

func isHostFailure(err error) bool {
	_, ok := errors.AsType[*hostFailureError](err)
	return ok
}

// ReadFile reads a whole file of at most max bytes. A missing, unreadable or
// too large file is malformed input.
func ReadFile(path string, max int64) ([]byte, error) {
	fd, err := open(path, syscall.O_RDONLY, 0)
	if err != nil {
		return nil, Malformed(Wrap("open "+path, err))
	}
	defer syscall.Close(fd)
	data := make([]byte, 0, min(max+1, 4<<10))
	for int64(len(data)) <= max {
		if len(data) == cap(data) {
			data = append(data, 0)[:len(data)]
		}
		buf := data[len(data):cap(data)]
		if room := max + 1 - int64(len(data)); int64(len(buf)) > room {
			buf = buf[:room]
		}
		n, err := read(fd, buf)
		if err != nil {
			return nil, Malformed(Wrap("read "+path, err))
		}
		if n == 0 {
			break
		}
		data = data[:len(data)+n]
	}
	if int64(len(data)) > max {
		return nil, MalformedMsg(path + ": larger than " + strconv.FormatInt(max, 10) + " bytes")
	}
	return data, nil
}

// WriteFile creates or truncates path (mode 0644) and writes data to it.
func WriteFile(path string, data []byte) error {
	fd, err := open(path, syscall.O_WRONLY|syscall.O_CREAT|syscall.O_TRUNC, 0o644)
	if err != nil {
		return Wrap("open "+path, err)
	}
	for len(data) > 0 {
		n, err := write(fd, data)
		if err != nil {
			syscall.Close(fd)
			return Wrap("write "+path, err)
		}
		data = data[n:]
	}
	if err := syscall.Close(fd); err != nil {
		return Wrap("close "+path, err)
	}
	return nil
}

func open(path string, mode int, perm uint32) (int, error) {
	for {
		fd, err := syscall.Open(path, mode|syscall.O_CLOEXEC, perm)
		if err != syscall.EINTR {
			return fd, err
		}
	}
}

func read(fd int, b []byte) (int, error) {
	for {
		n, err := syscall.Read(fd, b)
		if err != syscall.EINTR {
			return n, err
		}
	}
}

func write(fd int, b []byte) (int, error) {
	for {
		n, err := syscall.Write(fd, b)
		if err == syscall.EINTR {
			continue
		}
		if err == nil && n == 0 {
			return 0, syscall.EIO
		}
		return n, err
	}
}

// Stderr writes s to the standard error, ignoring errors.
func Stderr(s string) {
	b := []byte(s)
	for len(b) > 0 {
		n, err := write(2, b)
		if err != nil {
			return
		}
		b = b[n:]
	}
}

// ProverMain runs a prover: it checks that the first argument is "prove",
// calls prove with the input paths and writes the proof it returns to
// ProofPath. It never returns.
func ProverMain(prove func(inputs []string) ([]byte, error)) {
	exit(RunProver(Args(), ProofPath, prove))
}

// VerifierMain runs a verifier: it checks that the first argument is
// "verify", reads the proof from the last argument and calls verify with the
// other input paths and the proof bytes. It never returns.
func VerifierMain(verify func(inputs []string, proof []byte) error) {
	exit(RunVerifier(Args(), verify))
}

// RunProver is ProverMain on the arguments args (args[0] the program's
// name), writing the proof to proofPath; it returns the exit code.
func RunProver(args []string, proofPath string, prove func([]string) ([]byte, error)) int {
	if len(args) < 2 || args[1] != ModeProve {
		Stderr("usage: " + progName(args) + " prove <input files...>\n")
		return ExitMalformed
	}
	proof, err := Protect(func() ([]byte, error) { return prove(args[2:]) })
	if err == nil && len(proof) > MaxProofSize {
		err = errors.New("proof of " + strconv.Itoa(len(proof)) + " bytes exceeds the " + strconv.Itoa(MaxProofSize) + "-byte limit")
	}
	if err == nil {
		err = Wrap("write proof", WriteFile(proofPath, proof))
	}
	if err != nil {
		Stderr("prove: " + err.Error() + "\n")
	}
	return ExitCode(err)
}

// RunVerifier is VerifierMain on the arguments args; it returns the exit
// code.
func RunVerifier(args []string, verify func([]string, []byte) error) int {
	if len(args) < 3 || args[1] != ModeVerify {
		Stderr("usage: " + progName(args) + " verify <input files...> " + VerifierProofPath + "\n")
		return ExitMalformed
	}
	inputs, proofPath := args[2:len(args)-1], args[len(args)-1]
	_, err := Protect(func() ([]byte, error) {
		proof, err := ReadFile(proofPath, MaxProofSize)
		if err != nil {
			// A missing or oversized proof is the prover's fault.
			return nil, Wrap("proof", errors.Unwrap(err))
		}
		return nil, verify(inputs, proof)
	})
	if err != nil {
		Stderr("verify: " + err.Error() + "\n")
	}
	return ExitCode(err)
}

// Protect turns a panic of f into an (invalid, not malformed) error, so that
// a verifier fed a hostile proof rejects it instead of crashing with the Go
// runtime's exit code 2.
func Protect(f func() ([]byte, error)) (out []byte, err error) {
	defer func() {
		if r := recover(); r != nil {
			stack := make([]byte, 16<<10)
			stack = stack[:runtime.Stack(stack, false)]
			err = errors.New("panic: " + panicString(r) + "\n" + string(stack))
		}
	}()
	return f()
}

// panicString is what fmt's %v says of the usual panic values.
func panicString(r any) string {
	switch v := r.(type) {
	case error:
		return v.Error()
	case interface{ String() string }:
		return v.String()
	case string:
		return v
	case int:
		return strconv.Itoa(v)
	}
	return "(panic value of an unprintable type)"
}

func progName(args []string) string {
	if len(args) > 0 {
		return args[0]
	}
	return "program"
}
