package zkhost

import (
	"bytes"
	"errors"
	"io"
	"strings"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark/backend"
	"github.com/consensys/gnark/backend/groth16"
	"github.com/consensys/gnark/constraint"
	csbls12377 "github.com/consensys/gnark/constraint/bls12-377"
	csbls12381 "github.com/consensys/gnark/constraint/bls12-381"
	csbn254 "github.com/consensys/gnark/constraint/bn254"
	csbw6761 "github.com/consensys/gnark/constraint/bw6-761"

	"github.com/provernet/provernet/sdk/zkabi"
)

// groth16Backend is gnark's Groth16 over one curve.
//
// What it accepts, beyond gnark's formats: constraint systems without
// commitments (api.Commit, and so gnark's std range checks and lookups
// built on it, are refused with ErrSystem), whose hints are among the few
// gnark's core frontend emits (allowedHints); proving keys in the raw
// (uncompressed) format without commitment keys.
//
// Proving keys are decoded without subgroup checks (UnsafeReadFrom, after
// checkProvingKeyBytes): the checks would cost a scalar multiplication a
// point, and a key with points off the curve or outside the subgroup can
// only make the prover's own proof wrong, which the verifier rejects; the
// prover's computation stays well defined on any coordinates. What could
// make the prover crash (counts, infinity tables, domain) is checked.
// Verifying keys and proofs are decoded with subgroup checks: they decide
// whether a proof is accepted.
type groth16Backend struct{ ci *curveInfo }

func groth16Backends() []Backend {
	return []Backend{
		&groth16Backend{curves[zkabi.BN254]},
		&groth16Backend{curves[zkabi.BLS12381]},
		&groth16Backend{curves[zkabi.BLS12377]},
		&groth16Backend{curves[zkabi.BW6761]},
	}
}

func (b *groth16Backend) System() zkabi.System { return zkabi.Groth16 }
func (b *groth16Backend) Curve() zkabi.Curve   { return b.ci.zk }

// ParseSystem decodes an R1CS (see decodeSystem).
func (b *groth16Backend) ParseSystem(data []byte) (Parsed, error) {
	p, err := decodeSystem(b.ci, data, constraint.SystemR1CS)
	if err != nil {
		return nil, err // not a typed nil in the interface
	}
	return p, nil
}

// g16ProvingKey is a decoded proving key and its walked layout.
type g16ProvingKey struct {
	pk  groth16.ProvingKey
	lay *pkLayout
}

func (k *g16ProvingKey) MemSize() int64 { return k.lay.memSize }

// ParseProvingKey decodes a proving key in gnark's raw format.
func (b *groth16Backend) ParseProvingKey(data []byte) (Parsed, error) {
	if err := tooLarge("proving key", len(data), maxProvingKeyBytes); err != nil {
		return nil, err
	}
	lay, err := checkProvingKeyBytes(b.ci, data)
	if err != nil {
		return nil, wrapStatus(zkabi.ErrKey, "proving key", err)
	}
	pk := groth16.NewProvingKey(b.ci.id)
	if err := readExactly(zkabi.ErrKey, "proving key", pk.UnsafeReadFrom, data); err != nil {
		return nil, err
	}
	return &g16ProvingKey{pk: pk, lay: lay}, nil
}

// g16VerifyingKey is a decoded verifying key.
type g16VerifyingKey struct {
	vk       groth16.VerifyingKey
	nbPublic int // public inputs, the constant wire excluded
	mem      int64
}

func (k *g16VerifyingKey) MemSize() int64 { return k.mem }

// ParseVerifyingKey decodes a verifying key (with subgroup checks).
func (b *groth16Backend) ParseVerifyingKey(data []byte) (Parsed, error) {
	if err := tooLarge("verifying key", len(data), maxVerifyingKeyBytes); err != nil {
		return nil, err
	}
	k, err := checkVerifyingKeyBytes(b.ci, data)
	if err != nil {
		return nil, wrapStatus(zkabi.ErrKey, "verifying key", err)
	}
	vk := groth16.NewVerifyingKey(b.ci.id)
	if err := readExactly(zkabi.ErrKey, "verifying key", vk.ReadFrom, data); err != nil {
		return nil, err
	}
	// K as decoded (2 coordinates a point), the pairing precomputation.
	mem := int64(k)*int64(b.ci.g1)*2 + 16<<10
	return &g16VerifyingKey{vk: vk, nbPublic: k - 1, mem: mem}, nil
}

// readExactly runs a gnark decoder on data under protect and requires it
// to consume all of it.
func readExactly(status zkabi.Status, what string, read func(io.Reader) (int64, error), data []byte) error {
	return protect(status, what, func() error {
		n, err := read(bytes.NewReader(data))
		if err != nil {
			return Errorf(status, "%s: %w", what, err)
		}
		if n != int64(len(data)) {
			return Errorf(status, "%s: decoded %d of %d bytes", what, n, len(data))
		}
		return nil
	})
}

func (b *groth16Backend) args(cs, pk Parsed) (*parsedSystem, *g16ProvingKey, error) {
	s, ok := cs.(*parsedSystem)
	if !ok || s.core.Type != constraint.SystemR1CS {
		return nil, nil, Errorf(zkabi.ErrInternal, "groth16: constraint system of type %T", cs)
	}
	k, ok := pk.(*g16ProvingKey)
	if !ok {
		return nil, nil, Errorf(zkabi.ErrInternal, "groth16: proving key of type %T", pk)
	}
	return s, k, nil
}

// ProveShape checks the key is the system's (keyFits) and the witness has
// the system's public (constant wire excluded) and secret counts.
func (b *groth16Backend) ProveShape(cs, pk Parsed, witness []byte) (Shape, error) {
	s, k, err := b.args(cs, pk)
	if err != nil {
		return Shape{}, err
	}
	if err := keyFits(s, k.lay); err != nil {
		return Shape{}, err
	}
	public, secret := len(s.core.Public)-1, len(s.core.Secret)
	if err := validateWitness(witness, b.ci.zk, public, secret, zkabi.ErrWitness); err != nil {
		return Shape{}, err
	}
	l := k.lay
	return Shape{
		Constraints: s.nbConstrain,
		Domain:      int(l.domain),
		Wires:       s.nbWires,
		Public:      public,
		G1Points:    l.lenA + l.lenB + l.lenZ + l.lenK,
		G2Points:    l.lenB2,
		// what the solver walks (see Shape)
		Instructions: len(s.core.Instructions),
		Calldata:     len(s.core.CallData),
	}, nil
}

// keyFits checks what gnark's prover assumes of a key without checking,
// in goroutines where a failed assumption would be an unrecoverable
// panic: as many wires as the system (the A and B tables), K a point per
// wire after the public ones, the domain the system's.
func keyFits(s *parsedSystem, l *pkLayout) error {
	if l.nbWires != s.nbWires {
		return Errorf(zkabi.ErrKey, "proving key is for %d wires, the system has %d", l.nbWires, s.nbWires)
	}
	if want := s.nbWires - len(s.core.Public); l.lenK != want {
		return Errorf(zkabi.ErrKey, "proving key has %d K points, the system needs %d", l.lenK, want)
	}
	if want := ecc.NextPowerOfTwo(uint64(s.nbConstrain)); l.domain != want {
		return Errorf(zkabi.ErrKey, "proving key domain is %d, the system needs %d", l.domain, want)
	}
	return nil
}

// Prove proves with gnark's Groth16 prover.
//
// The solver runs on this goroutine (one task), under protect, so a
// system that still trips it costs one call. The prover's MSMs and FFTs
// run in goroutines of gnark's own, sized by runtime.NumCPU; cores is not
// passed on because the worker process has set GOMAXPROCS to the job's
// cores, which bounds the threads they run on. What those goroutines
// index was checked by checkSystem and keyFits.
//
// Hints: only allowedHints (gnark's core frontend hints) can be called,
// and they run guarded (solverOptions): a hint that panics on its
// arguments is an error, whichever goroutine gnark solves on.
func (b *groth16Backend) Prove(cs, pk Parsed, witness []byte, cores int) ([]byte, error) {
	if _, err := b.ProveShape(cs, pk, witness); err != nil {
		return nil, err
	}
	s, k, _ := b.args(cs, pk)
	w, err := decodeWitness(b.ci, witness, len(s.core.Public)-1, len(s.core.Secret), zkabi.ErrWitness)
	if err != nil {
		return nil, err
	}
	var proof groth16.Proof
	// A panic here is the solver's (the only part on this goroutine): the
	// system is inconsistent in a way checkSystem does not see, such as
	// levels out of dependency order.
	err = protect(zkabi.ErrSystem, "groth16 prover", func() (err error) {
		proof, err = groth16.Prove(s.cs, k.pk, w, backend.WithSolverOptions(solverOptions()...))
		return err
	})
	if err != nil {
		return nil, proveError(err)
	}
	var out bytes.Buffer
	if _, err := proof.WriteTo(&out); err != nil {
		return nil, Errorf(zkabi.ErrInternal, "proof: %w", err)
	}
	return out.Bytes(), nil
}

// proveError gives a prover error its status: a constraint the witness
// does not satisfy is the program's ErrUnsatisfied; an unsolved wire means
// the system does not determine its wires (ErrSystem).
func proveError(err error) error {
	if _, ok := err.(*Error); ok {
		return err
	}
	if isUnsatisfied(err) {
		return Errorf(zkabi.ErrUnsatisfied, "%w", err)
	}
	if strings.Contains(err.Error(), "didn't assign a value to all wires") {
		return Errorf(zkabi.ErrSystem, "constraint system: %w", err)
	}
	return Errorf(zkabi.ErrInternal, "groth16 prover: %w", err)
}

func isUnsatisfied(err error) bool {
	var e1 *csbn254.UnsatisfiedConstraintError
	var e2 *csbls12381.UnsatisfiedConstraintError
	var e3 *csbls12377.UnsatisfiedConstraintError
	var e4 *csbw6761.UnsatisfiedConstraintError
	return errors.As(err, &e1) || errors.As(err, &e2) || errors.As(err, &e3) || errors.As(err, &e4)
}

// VerifyShape checks the proof and public witness are well formed for vk.
func (b *groth16Backend) VerifyShape(vk Parsed, proof, public []byte) (Shape, error) {
	k, ok := vk.(*g16VerifyingKey)
	if !ok {
		return Shape{}, Errorf(zkabi.ErrInternal, "groth16: verifying key of type %T", vk)
	}
	if err := checkProofBytes(b.ci, proof); err != nil {
		return Shape{}, wrapStatus(zkabi.ErrProof, "proof", err)
	}
	if err := validateWitness(public, b.ci.zk, k.nbPublic, 0, zkabi.ErrProof); err != nil {
		return Shape{}, err
	}
	return Shape{Public: k.nbPublic}, nil
}

// Verify verifies; a well-formed proof that does not verify is
// StatusInvalid.
func (b *groth16Backend) Verify(vk Parsed, proof, public []byte) error {
	if _, err := b.VerifyShape(vk, proof, public); err != nil {
		return err
	}
	k := vk.(*g16VerifyingKey)
	p := groth16.NewProof(b.ci.id)
	if err := readExactly(zkabi.ErrProof, "proof", p.ReadFrom, proof); err != nil {
		return err
	}
	w, err := decodeWitness(b.ci, public, k.nbPublic, 0, zkabi.ErrProof)
	if err != nil {
		return err
	}
	return protect(zkabi.ErrInternal, "groth16 verifier", func() error {
		if err := groth16.Verify(p, k.vk, w); err != nil {
			return Errorf(zkabi.StatusInvalid, "groth16: %w", err)
		}
		return nil
	})
}
