// Package guest lets a provernet program prove and verify with the
// network's native proof systems (the host module provernet_zk_v1,
// docs/HOST_ABI.md) instead of running a prover inside WebAssembly.
//
// A gnark program changes one line: where it called groth16.Prove on a
// constraint system and proving key it had decoded, it hands the host the
// input files those came from and its witness:
//
//	// before: proof, err := groth16.Prove(ccs, pk, fullWitness)
//	proof, err := guest.Prove(zkabi.Groth16, zkabi.BN254,
//		guest.File("cs.bin"), guest.File("pk.bin"), fullWitness)
//
// The host runs gnark natively, on all the cores the job may use, and
// charges the call a fixed number of cycles computed from the sizes of the
// system and keys, so a run costs the same on every node. The program
// neither links gnark's prover nor decodes the keys: it is smaller, starts
// faster and proves several times faster.
//
// A complete prover and verifier (GOOS=wasip1 GOARCH=wasm; the job's
// inputs are cs.bin, pk.bin, vk.bin and the program's own input):
//
//	package main
//
//	import (
//		"errors"
//		"os"
//
//		"github.com/consensys/gnark-crypto/ecc"
//		"github.com/consensys/gnark/frontend"
//
//		"github.com/provernet/provernet/sdk/guest"
//		"github.com/provernet/provernet/sdk/zkabi"
//	)
//
//	func prove(assignment frontend.Circuit) error {
//		full, err := frontend.NewWitness(assignment, ecc.BN254.ScalarField())
//		if err != nil {
//			return err
//		}
//		proof, err := guest.Prove(zkabi.Groth16, zkabi.BN254,
//			guest.File("cs.bin"), guest.File("pk.bin"), full)
//		if err != nil {
//			return err // a *guest.HostError says why
//		}
//		return os.WriteFile("/out/proof", proof, 0o644)
//	}
//
//	func verify(proof []byte, public frontend.Circuit) int {
//		pub, err := frontend.NewWitness(public, ecc.BN254.ScalarField(), frontend.PublicOnly())
//		if err != nil {
//			return 2
//		}
//		err = guest.Verify(zkabi.Groth16, zkabi.BN254, guest.File("vk.bin"), proof, pub)
//		switch {
//		case err == nil:
//			return 0 // valid
//		case errors.Is(err, guest.ErrInvalid):
//			return 1 // a well-formed proof that does not verify
//		default:
//			return 1 // or 2 for a bad vk.bin: see HostError.Status
//		}
//	}
//
// Arguments are input files of the job (File: the host reads them, nothing
// is copied through the program's memory, and the host keeps what it
// parsed by hash for the rest of the job) or bytes the program computed (Bytes). Witnesses are
// anything with gnark's MarshalBinary; a program that builds the witness
// bytes itself passes them with ProveArgs and VerifyArgs and needs no gnark
// at all (examples/programs/groth16-mimc does).
//
// The package imports only sdk/zkabi and the standard library, so it adds
// little to a module. Outside GOOS=wasip1 every call returns ErrNoHost.
package guest

import (
	"encoding"
	"errors"
	"strconv"
	"strings"

	"github.com/provernet/provernet/sdk/zkabi"
)

// Arg is one argument of a call: an input file of the job or bytes.
type Arg = zkabi.Arg

// File names one of the job's input files by its base name (as listed
// under /in, without "/in/"). The host reads it directly.
func File(name string) Arg { return zkabi.File(name) }

// Bytes passes b itself. The host reads it from the program's memory
// during the call and keeps nothing.
func Bytes(b []byte) Arg { return zkabi.Bytes(b) }

// ErrInvalid is returned by Verify for a well-formed proof that does not
// verify: the program's verdict is "invalid".
var ErrInvalid = errors.New("guest: proof does not verify")

// ErrNoHost is returned by every call in a build that is not
// GOOS=wasip1, where there is no host module to call.
var ErrNoHost = errors.New("guest: no " + zkabi.Module + " host (not built for GOOS=wasip1)")

// HostError is a call the host could not do: a malformed or mismatched
// argument, a missing input file, an unsatisfied witness, or a failure of
// the host itself (Status says which).
type HostError struct {
	Op      zkabi.Op
	Status  zkabi.Status // negative
	Message string       // the host's explanation (last_error), may be empty
}

func (e *HostError) Error() string {
	s := "guest: " + opName(e.Op) + ": " + e.Status.String()
	// The host's message may start with the status's name already.
	if m := strings.TrimPrefix(e.Message, e.Status.String()+": "); m != "" {
		s += ": " + m
	}
	return s
}

func opName(op zkabi.Op) string {
	switch op {
	case zkabi.OpProve:
		return zkabi.FuncProve
	case zkabi.OpVerify:
		return zkabi.FuncVerify
	}
	return "op " + strconv.Itoa(int(op))
}

// Prove proves with the constraint system cs and proving key pk (gnark's
// binary formats: cs.WriteTo, pk.WriteRawTo) for the full witness, and
// returns the proof in gnark's binary format (proof.WriteTo). An error is
// a *HostError (ErrUnsatisfied: the witness does not satisfy the system),
// ErrNoHost, or the witness's own marshalling error.
func Prove(system zkabi.System, curve zkabi.Curve, cs, pk Arg, fullWitness encoding.BinaryMarshaler) ([]byte, error) {
	w, err := marshal(fullWitness)
	if err != nil {
		return nil, err
	}
	return ProveArgs(system, curve, cs, pk, Bytes(w))
}

// Verify checks proof (gnark's proof.WriteTo format) against the
// verifying key vk (vk.WriteTo) and the public witness. It returns nil
// for a valid proof, ErrInvalid for a well-formed proof that does not
// verify, and a *HostError when the call could not be done (ErrProof: the
// proof or public witness does not decode; ErrKey: vk does not).
func Verify(system zkabi.System, curve zkabi.Curve, vk Arg, proof []byte, publicWitness encoding.BinaryMarshaler) error {
	w, err := marshal(publicWitness)
	if err != nil {
		return err
	}
	return VerifyArgs(system, curve, vk, Bytes(proof), Bytes(w))
}

func marshal(w encoding.BinaryMarshaler) ([]byte, error) {
	if w == nil {
		return nil, errors.New("guest: nil witness")
	}
	b, err := w.MarshalBinary()
	if err != nil {
		return nil, errors.Join(errors.New("guest: marshal witness"), err)
	}
	return b, nil
}

// ProveArgs is Prove with the witness given as an argument (gnark's
// witness.MarshalBinary format), for programs that encode it themselves
// or read it from an input file.
func ProveArgs(system zkabi.System, curve zkabi.Curve, cs, pk, fullWitness Arg) ([]byte, error) {
	req := encodeRequest(zkabi.OpProve, system, curve, cs, pk, fullWitness)
	return proveCall(req)
}

// VerifyArgs is Verify with every argument given as an Arg.
func VerifyArgs(system zkabi.System, curve zkabi.Curve, vk, proof, publicWitness Arg) error {
	req := encodeRequest(zkabi.OpVerify, system, curve, vk, proof, publicWitness)
	return verifyCall(req)
}

// encodeRequest builds the request of one call. It does not check the
// arguments: the host does, and answers ErrRequest.
func encodeRequest(op zkabi.Op, system zkabi.System, curve zkabi.Curve, a, b, c Arg) []byte {
	r := zkabi.Request{Op: op, System: system, Curve: curve, Args: [zkabi.NumArgs]Arg{a, b, c}}
	n := zkabi.HeaderLen + zkabi.NumArgs*zkabi.ArgHeader + len(a.Data) + len(b.Data) + len(c.Data)
	return r.Encode(make([]byte, 0, n))
}

// Buffer sizes of the calls. A Groth16 proof is a few hundred bytes and a
// PLONK proof about a kilobyte, so the first buffer fits any gnark proof;
// the one retry (which proves again, and pays again) is for backends yet
// to come, up to the 1 MiB the network accepts as a program's proof.
const (
	proofBufSize    = 64 << 10
	maxProofBufSize = 1 << 20
	lastErrorSize   = 4 << 10
)

// statusError turns a negative status into the error the caller sees.
func statusError(op zkabi.Op, s zkabi.Status) error {
	return &HostError{Op: op, Status: s, Message: lastError()}
}
