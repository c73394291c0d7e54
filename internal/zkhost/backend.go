package zkhost

import (
	"errors"
	"fmt"

	"github.com/provernet/provernet/sdk/zkabi"
)

// Backend proves and verifies for one proof system over one curve. The
// gnark backends (gnark.go and the files it names) are the only ones
// today; a GPU backend (gnark's ICICLE integration, behind a build tag)
// would implement the same interface and be chosen by Register at init.
//
// Every method is called with bytes that came from an untrusted program or
// user. A method must return an error (made by Errorf, carrying a Status)
// for anything malformed, and must never panic, allocate more than a small
// multiple of its input, or start a goroutine that could panic, before the
// input is validated. The host calls the Parse methods and the Shape
// methods under recover on its own goroutine.
type Backend interface {
	System() zkabi.System
	Curve() zkabi.Curve

	// ParseSystem decodes a constraint system (gnark's WriteTo format).
	ParseSystem(data []byte) (Parsed, error)
	// ParseProvingKey decodes a proving key (gnark's WriteRawTo format).
	ParseProvingKey(data []byte) (Parsed, error)
	// ParseVerifyingKey decodes a verifying key (gnark's WriteTo format).
	ParseVerifyingKey(data []byte) (Parsed, error)

	// ProveShape checks that cs, pk and the full witness (gnark's
	// witness.MarshalBinary format) fit together and returns the sizes the
	// charge is computed from.
	ProveShape(cs, pk Parsed, witness []byte) (Shape, error)
	// Prove proves; cores bounds the threads it may use. It runs only
	// after ProveShape accepted the same arguments.
	Prove(cs, pk Parsed, witness []byte, cores int) ([]byte, error)

	// VerifyShape checks the proof (gnark's WriteTo format) and public
	// witness decode and fit the key, and returns the sizes the charge is
	// computed from.
	VerifyShape(vk Parsed, proof, public []byte) (Shape, error)
	// Verify returns nil if the proof verifies, an error with status
	// StatusInvalid if it does not.
	Verify(vk Parsed, proof, public []byte) error
}

// Parsed is a decoded system or key, as kept in the cache.
type Parsed interface {
	// MemSize is about how many bytes the object holds in memory.
	MemSize() int64
}

// Shape is what a call's charge is computed from: only sizes, read from
// validated inputs, never timings.
type Shape struct {
	Constraints int // constraints in the system
	Domain      int // FFT domain size (a power of two)
	Wires       int // wires (variables) of the system
	Public      int // public inputs
	G1Points    int // G1 points the prover's MSMs read
	G2Points    int // G2 points the prover's MSMs read
	// What the solver walks, beside the constraints: a system can have
	// few constraints and still make the solver work hard through long
	// linear expressions, many hint calls or many hint outputs.
	Instructions int // instructions of the system (constraints and hint calls)
	Calldata     int // words of the system's calldata (terms, hint arguments)
}

// Error is a failed call: a status for the program and a message for
// last_error.
type Error struct {
	Status zkabi.Status
	Err    error
}

func (e *Error) Error() string { return e.Status.String() + ": " + e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

// Errorf makes an Error with the given status.
func Errorf(status zkabi.Status, format string, args ...any) error {
	return &Error{Status: status, Err: fmt.Errorf(format, args...)}
}

// StatusOf returns the status an error carries (ErrInternal if none).
func StatusOf(err error) zkabi.Status {
	if err == nil {
		return zkabi.StatusValid
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Status
	}
	return zkabi.ErrInternal
}

// backendKey names a backend: a proof system over a curve.
type backendKey struct {
	system zkabi.System
	curve  zkabi.Curve
}
