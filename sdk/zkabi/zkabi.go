// Package zkabi is the wire format of provernet_zk_v1, the host module
// through which a program proves and verifies with native proof systems
// (docs/HOST_ABI.md). The host (internal/zkhost) and the guest SDK
// (sdk/guest) both use it; it has no dependencies, so it adds almost
// nothing to a program.
//
// A call passes one request, a byte string in the program's memory:
//
//	magic    "PZK1"           4 bytes
//	op       OpProve|OpVerify 1 byte
//	system   System           1 byte
//	curve    Curve            1 byte
//	flags    0                1 byte
//	three arguments, each:
//	  kind   KindBytes|KindFile   1 byte
//	  length uint32 little-endian 4 bytes
//	  data   length bytes: the argument itself, or the name of one of
//	         the job's input files (as listed under /in, without "/in/")
//
// and nothing after. The arguments of OpProve are the constraint system,
// the proving key and the full witness; those of OpVerify the verifying
// key, the proof and the public witness, all in gnark's binary formats.
//
// Invariant: Decode accepts exactly what Encode produces; it checks every
// length against the bytes present before anyone allocates by it.
package zkabi

import (
	"encoding/binary"
	"errors"
	"strconv"
)

// Module is the import module name of this version of the ABI. A new
// version (a changed format or charge table) gets a new name, so a program
// keeps the charges it was priced with.
const Module = "provernet_zk_v1"

// Function names in Module.
//
//	prove(req_ptr, req_len, out_ptr, out_cap u32) i64
//	    writes the proof at out_ptr and returns its length, or a negative
//	    Status.
//	verify(req_ptr, req_len u32) i32
//	    returns StatusValid, StatusInvalid, or a negative Status.
//	last_error(buf_ptr, buf_cap u32) i32
//	    copies the message of the run's last failed call (at most buf_cap
//	    bytes) and returns the number of bytes copied (0: none).
const (
	FuncProve     = "prove"
	FuncVerify    = "verify"
	FuncLastError = "last_error"
)

// Op is what a request asks.
type Op uint8

// Operations.
const (
	OpProve  Op = 1
	OpVerify Op = 2
)

// System is a proof system.
type System uint8

// Proof systems (gnark's backends).
const (
	Groth16 System = 1
	PLONK   System = 2
)

func (s System) String() string {
	switch s {
	case Groth16:
		return "groth16"
	case PLONK:
		return "plonk"
	}
	return "system(" + strconv.Itoa(int(s)) + ")"
}

// Curve is an elliptic curve (and so a scalar field).
type Curve uint8

// Curves.
const (
	BN254    Curve = 1
	BLS12381 Curve = 2
	BLS12377 Curve = 3
	BW6761   Curve = 4
)

func (c Curve) String() string {
	switch c {
	case BN254:
		return "bn254"
	case BLS12381:
		return "bls12-381"
	case BLS12377:
		return "bls12-377"
	case BW6761:
		return "bw6-761"
	}
	return "curve(" + strconv.Itoa(int(c)) + ")"
}

// Kind says how an argument is given.
type Kind uint8

// Argument kinds.
const (
	KindBytes Kind = 1 // the data itself
	KindFile  Kind = 2 // the name of one of the job's input files
)

// Status is the result of a call: 0 or 1 for success, negative for why a
// call could not be done.
type Status int32

// Statuses. Running out of cycles is not a status: the run ends as Fail.
const (
	StatusValid   Status = 0 // verify: the proof verifies (prove: success)
	StatusInvalid Status = 1 // verify: a well-formed proof that does not verify

	ErrRequest     Status = -1  // the request is malformed (encoding, op, system, curve, name)
	ErrNoInput     Status = -2  // a named file is not one of the job's inputs
	ErrSystem      Status = -3  // the constraint system is malformed or unsupported
	ErrKey         Status = -4  // a key is malformed or does not fit the constraint system
	ErrWitness     Status = -5  // the witness is malformed or has the wrong length
	ErrUnsatisfied Status = -6  // the witness does not satisfy the constraints
	ErrProof       Status = -7  // the proof or public witness is malformed
	ErrTooLarge    Status = -8  // the inputs exceed the host's limits (size, memory)
	ErrOutput      Status = -9  // the output buffer is too small
	ErrInternal    Status = -10 // the host failed; not the program's fault
)

var statusNames = map[Status]string{
	StatusValid: "valid", StatusInvalid: "invalid",
	ErrRequest: "bad request", ErrNoInput: "no such input", ErrSystem: "bad constraint system",
	ErrKey: "bad key", ErrWitness: "bad witness", ErrUnsatisfied: "unsatisfied constraints",
	ErrProof: "bad proof", ErrTooLarge: "too large", ErrOutput: "output buffer too small",
	ErrInternal: "host failure",
}

func (s Status) String() string {
	if n, ok := statusNames[s]; ok {
		return n
	}
	return "status " + strconv.Itoa(int(s))
}

// Limits of the encoding.
const (
	MaxNameLen = 255     // bytes of a file name
	MaxArgLen  = 1 << 31 // bytes of an inline argument (guest memory bounds it anyway)
	HeaderLen  = 8
	ArgHeader  = 5
	NumArgs    = 3
)

// Arg is one argument of a request.
type Arg struct {
	Kind Kind
	Data []byte // the bytes, or the file name
}

// Bytes is an inline argument.
func Bytes(b []byte) Arg { return Arg{Kind: KindBytes, Data: b} }

// File is an argument naming one of the job's input files.
func File(name string) Arg { return Arg{Kind: KindFile, Data: []byte(name)} }

// Request is a decoded request.
type Request struct {
	Op     Op
	System System
	Curve  Curve
	Args   [NumArgs]Arg
}

const magic = "PZK1"

// Encode appends the request's encoding to dst.
func (r *Request) Encode(dst []byte) []byte {
	dst = append(dst, magic...)
	dst = append(dst, byte(r.Op), byte(r.System), byte(r.Curve), 0)
	for _, a := range r.Args {
		dst = append(dst, byte(a.Kind))
		dst = binary.LittleEndian.AppendUint32(dst, uint32(len(a.Data)))
		dst = append(dst, a.Data...)
	}
	return dst
}

// ErrMalformed is wrapped by every Decode error.
var ErrMalformed = errors.New("malformed request")

// malformedError is a Decode error: one line, matching ErrMalformed.
type malformedError struct{ why string }

func (e *malformedError) Error() string        { return "malformed request: " + e.why }
func (e *malformedError) Is(target error) bool { return target == ErrMalformed }

func malformed(why string) error { return &malformedError{why} }

// Decode parses a request. The arguments' Data alias b. It checks the
// encoding, the op, that the system and curve are known, and that file
// names are plain names; whether a backend exists for them is the host's
// business.
func Decode(b []byte) (Request, error) {
	var r Request
	if len(b) < HeaderLen || string(b[:4]) != magic {
		return r, malformed("bad magic")
	}
	r.Op, r.System, r.Curve = Op(b[4]), System(b[5]), Curve(b[6])
	if r.Op != OpProve && r.Op != OpVerify {
		return r, malformed("unknown op " + strconv.Itoa(int(b[4])))
	}
	if r.System != Groth16 && r.System != PLONK {
		return r, malformed("unknown proof system " + strconv.Itoa(int(b[5])))
	}
	if r.Curve < BN254 || r.Curve > BW6761 {
		return r, malformed("unknown curve " + strconv.Itoa(int(b[6])))
	}
	if b[7] != 0 {
		return r, malformed("flags must be 0")
	}
	rest := b[HeaderLen:]
	for i := range r.Args {
		if len(rest) < ArgHeader {
			return r, malformed("argument " + strconv.Itoa(i) + " truncated")
		}
		kind, n := Kind(rest[0]), binary.LittleEndian.Uint32(rest[1:5])
		rest = rest[ArgHeader:]
		if uint64(n) > uint64(len(rest)) {
			return r, malformed("argument " + strconv.Itoa(i) + " length exceeds the request")
		}
		data := rest[:n]
		rest = rest[n:]
		switch kind {
		case KindBytes:
		case KindFile:
			if err := CheckName(string(data)); err != nil {
				return r, malformed("argument " + strconv.Itoa(i) + ": " + err.Error())
			}
		default:
			return r, malformed("argument " + strconv.Itoa(i) + ": unknown kind " + strconv.Itoa(int(kind)))
		}
		r.Args[i] = Arg{Kind: kind, Data: data}
	}
	if len(rest) != 0 {
		return r, malformed(strconv.Itoa(len(rest)) + " trailing bytes")
	}
	return r, nil
}

// CheckName accepts a plain file name: 1..MaxNameLen bytes, no '/', no
// NUL, not "." or "..".
func CheckName(name string) error {
	if name == "" || len(name) > MaxNameLen || name == "." || name == ".." {
		return errors.New("bad file name")
	}
	for i := 0; i < len(name); i++ {
		if name[i] == '/' || name[i] == 0 {
			return errors.New("bad file name")
		}
	}
	return nil
}
