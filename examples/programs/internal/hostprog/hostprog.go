// Package hostprog is the prover and verifier of the MiMC-chain example
// programs that prove through the host (provernet_zk_v1, via sdk/guest)
// instead of running gnark in WebAssembly. It links no gnark: the host
// reads the constraint system and keys from the job's input files by name,
// and the program computes only the witness (MiMC^n natively, cheap) and
// the proof container.
//
// Input files, in this order, for prover and verifier alike:
//
//	cs.bin      the constraint system (gnark's WriteTo)
//	pk.bin      the proving key (gnark's WriteRawTo)
//	vk.bin      the verifying key (gnark's WriteTo)
//	input.json  {"n": <chain length>, "x": "<preimage>", "y": "<image>"}
//
// The verifier reads only input.json and names vk.bin; the prover reads
// input.json and names cs.bin, pk.bin and vk.bin (it checks its own proof,
// which catches a proving key from another setup than vk.bin).

// The package links neither fmt nor os, nor anything that does (progcore,
// not progio; mimcchain, not math/big or encoding/json): the verifier,
// which is this package with the container of its program, stays about
// half the size, and starts that much faster.
package hostprog

import (
	"errors"
	"path"
	"strconv"

	"github.com/provernet/provernet/examples/programs/internal/mimcchain"
	"github.com/provernet/provernet/examples/programs/internal/progcore"
	"github.com/provernet/provernet/sdk/guest"
	"github.com/provernet/provernet/sdk/zkabi"
)

// files are the job's input files, by the base names the host knows them
// by (input.json by its path: the program reads it itself).
type files struct {
	cs, pk, vk string
	input      string
}

// split checks the argument count and names the inputs by position: the
// user chose the names, the positions are the contract.
func split(inputs []string) (files, error) {
	if len(inputs) != 4 {
		return files{}, progcore.MalformedMsg("want 4 input files (cs.bin pk.bin vk.bin input.json), got " + strconv.Itoa(len(inputs)))
	}
	return files{cs: path.Base(inputs[0]), pk: path.Base(inputs[1]), vk: path.Base(inputs[2]), input: inputs[3]}, nil
}

// ProverMain runs the host-backed prover of spec. It never returns.
func ProverMain(spec *mimcchain.Spec) {
	progcore.ProverMain(func(inputs []string) ([]byte, error) { return Prove(spec, inputs) })
}

// VerifierMain runs the host-backed verifier of spec. It never returns.
func VerifierMain(spec *mimcchain.Spec) {
	progcore.VerifierMain(func(inputs []string, proof []byte) error { return Verify(spec, inputs, proof) })
}

// Prove is the prover of the contract: it computes y = MiMC^n(x), proves
// with the host, checks the proof against vk.bin and returns the container.
func Prove(spec *mimcchain.Spec, inputs []string) ([]byte, error) {
	f, err := split(inputs)
	if err != nil {
		return nil, err
	}
	in, err := readInput(spec, f.input)
	if err != nil {
		return nil, err
	}
	if in.X == nil {
		return nil, progcore.MalformedMsg("input.json: the prover needs x")
	}
	y := spec.Chain(*in.X, in.N)
	if in.Y != nil && *in.Y != y {
		return nil, errors.New("MiMC^" + strconv.Itoa(in.N) + "(x) != y: x is not a preimage of y")
	}
	proof, err := guest.ProveArgs(spec.System, spec.Curve, guest.File(f.cs), guest.File(f.pk), guest.Bytes(spec.FullWitness(*in.X, y)))
	if err != nil {
		return nil, proveError(err, in.N)
	}
	public := spec.PublicWitness(y)
	// Self-check: natively it costs a pairing check, and it turns keys of
	// different setups (pk.bin and vk.bin that do not match) into a prover
	// failure instead of a proof every verifier rejects.
	if err := guest.VerifyArgs(spec.System, spec.Curve, guest.File(f.vk), guest.Bytes(proof), guest.Bytes(public)); err != nil {
		if errors.Is(err, guest.ErrInvalid) {
			return nil, progcore.Wrap("own proof does not verify (pk.bin and vk.bin from different setups?)", err)
		}
		return nil, hostError(err, "vk.bin")
	}
	container := spec.EncodeProof(proof, public)
	// The host's proof must be one the verifier will decode.
	if _, err := spec.DecodeProof(container); err != nil {
		return nil, progcore.Wrap("the host's proof does not fit the container", err)
	}
	return container, nil
}

// proveError classifies a failed prove call. The witness satisfies the
// MiMC chain for input.json's n by construction, so a witness the system
// refuses means cs.bin is another circuit (another n, another program):
// malformed input, as the reference prover says when its keys do not
// match n.
func proveError(err error, n int) error {
	if he, ok := errors.AsType[*guest.HostError](err); ok && (he.Status == zkabi.ErrUnsatisfied || he.Status == zkabi.ErrWitness) {
		return progcore.Malformed(progcore.Wrap("cs.bin is not the circuit of a chain of length n="+strconv.Itoa(n), err))
	}
	return hostError(err, "cs.bin, pk.bin")
}

// hostError maps a failed host call to the contract's exit codes: a bad
// key, system or missing file is malformed input (2); a failure of the
// host is no verdict (3); a malformed proof and anything else is 1.
func hostError(err error, what string) error {
	he, ok := errors.AsType[*guest.HostError](err)
	if !ok {
		return err
	}
	switch he.Status {
	case zkabi.ErrSystem, zkabi.ErrKey, zkabi.ErrNoInput, zkabi.ErrTooLarge:
		return progcore.Malformed(progcore.Wrap(what, err))
	case zkabi.ErrInternal, zkabi.ErrRequest:
		// ErrRequest is this program's bug, not the inputs' fault: no
		// verdict either.
		return progcore.HostFailure(err)
	}
	return err
}

func readInput(spec *mimcchain.Spec, name string) (mimcchain.Input, error) {
	data, err := progcore.ReadFile(name, mimcchain.MaxInputSize)
	if err != nil {
		return mimcchain.Input{}, err
	}
	return spec.ParseInput(data)
}

// Verify is the verifier of the contract: the container must decode, its
// y must be input.json's when given, and the host must accept the proof
// for vk.bin. Everything wrong with the proof is invalid (1); malformed
// vk.bin or input.json is malformed (2).
func Verify(spec *mimcchain.Spec, inputs []string, proofFile []byte) error {
	f, err := split(inputs)
	if err != nil {
		return err
	}
	in, err := readInput(spec, f.input)
	if err != nil {
		return err
	}
	p, err := spec.DecodeProof(proofFile)
	if err != nil {
		return err
	}
	if in.Y != nil && *in.Y != p.Y {
		return errors.New("proof is for y=" + p.Y.String() + ", input.json says y=" + in.Y.String())
	}
	return verifyError(guest.VerifyArgs(spec.System, spec.Curve, guest.File(f.vk), guest.Bytes(p.Proof), guest.Bytes(p.Public)))
}

// verifyError classifies a verify call. The public witness was checked
// to hold one element; if the key wants another count (ErrWitness), vk.bin
// is not this program's key.
func verifyError(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, guest.ErrInvalid) {
		return err
	}
	if he, ok := errors.AsType[*guest.HostError](err); ok {
		switch he.Status {
		case zkabi.ErrWitness:
			return progcore.Malformed(progcore.Wrap("vk.bin: not a key for one public input", err))
		case zkabi.ErrProof:
			return err
		}
	}
	return hostError(err, "vk.bin")
}
