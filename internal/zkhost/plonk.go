package zkhost

import (
	"bytes"
	"encoding/binary"
	"io"
	"sync"
	"unsafe"

	"github.com/consensys/gnark-crypto/ecc"
	bls12377 "github.com/consensys/gnark-crypto/ecc/bls12-377"
	frbls12377 "github.com/consensys/gnark-crypto/ecc/bls12-377/fr"
	fftbls12377 "github.com/consensys/gnark-crypto/ecc/bls12-377/fr/fft"
	kzgbls12377 "github.com/consensys/gnark-crypto/ecc/bls12-377/kzg"
	bls12381 "github.com/consensys/gnark-crypto/ecc/bls12-381"
	frbls12381 "github.com/consensys/gnark-crypto/ecc/bls12-381/fr"
	fftbls12381 "github.com/consensys/gnark-crypto/ecc/bls12-381/fr/fft"
	kzgbls12381 "github.com/consensys/gnark-crypto/ecc/bls12-381/kzg"
	bn254 "github.com/consensys/gnark-crypto/ecc/bn254"
	frbn254 "github.com/consensys/gnark-crypto/ecc/bn254/fr"
	fftbn254 "github.com/consensys/gnark-crypto/ecc/bn254/fr/fft"
	kzgbn254 "github.com/consensys/gnark-crypto/ecc/bn254/kzg"
	bw6761 "github.com/consensys/gnark-crypto/ecc/bw6-761"
	frbw6761 "github.com/consensys/gnark-crypto/ecc/bw6-761/fr"
	fftbw6761 "github.com/consensys/gnark-crypto/ecc/bw6-761/fr/fft"
	kzgbw6761 "github.com/consensys/gnark-crypto/ecc/bw6-761/kzg"
	"github.com/consensys/gnark/backend"
	"github.com/consensys/gnark/backend/plonk"
	plonkbls12377 "github.com/consensys/gnark/backend/plonk/bls12-377"
	plonkbls12381 "github.com/consensys/gnark/backend/plonk/bls12-381"
	plonkbn254 "github.com/consensys/gnark/backend/plonk/bn254"
	plonkbw6761 "github.com/consensys/gnark/backend/plonk/bw6-761"
	"github.com/consensys/gnark/backend/witness"
	"github.com/consensys/gnark/constraint"

	"github.com/provernet/provernet/sdk/zkabi"
)

// plonkBackends are gnark's PLONK (KZG) backends.
func plonkBackends() []Backend {
	return []Backend{
		&plonkBackend{c: plonkBN254},
		&plonkBackend{c: plonkBLS12381},
		&plonkBackend{c: plonkBLS12377},
		&plonkBackend{c: plonkBW6761},
	}
}

// plonkCurve is what the curve-generic PLONK backend needs of one curve.
// gnark's plonk package dispatches on the curve itself; only the checks
// that read the typed keys are per curve (the end of this file).
type plonkCurve struct {
	curve zkabi.Curve
	id    ecc.ID
	enc   plonkEncoding
	// checkKey checks what the byte walk cannot: the domain constants and
	// the pairing lines of a decoded verifying key.
	checkKey func(plonk.VerifyingKey) error
	// g1Mem and vkMem are the in-memory sizes of a G1 point and of a
	// verifying key without commitments.
	g1Mem, vkMem int64
}

// plonkBackend is the PLONK backend over one curve. It calls gnark under
// protect with ErrInternal: a panic there is input the validators let
// through, a host bug the fuzz targets look for (module.go reports a
// parse failure with the object's own status).
type plonkBackend struct{ c *plonkCurve }

func (b *plonkBackend) System() zkabi.System { return zkabi.PLONK }
func (b *plonkBackend) Curve() zkabi.Curve   { return b.c.curve }

// plonkSystem is a decoded SparseR1CS with the sizes read from it.
type plonkSystem struct {
	// mu serializes solving: gnark's Solve resets the system's stateful
	// blueprints, so two concurrent proofs over one cached system would
	// race.
	mu sync.Mutex
	cs constraint.ConstraintSystem

	constraints, public, secret, internal int
	instructions, calldata                int // what the solver walks
	domain                                uint64
	mem                                   int64
}

func (s *plonkSystem) MemSize() int64 { return s.mem }

// ParseSystem decodes a SparseR1CS with decodeSystem (validate_system.go),
// which walks the bytes before gnark's decoder sees them and refuses
// commitments, unknown hints and out-of-range wires, then checks what
// PLONK adds: a domain within the limit and at least one input.
func (b *plonkBackend) ParseSystem(data []byte) (Parsed, error) {
	p, err := decodeSystem(curves[b.c.curve], data, constraint.SystemSparseR1CS)
	if err != nil {
		return nil, err
	}
	s := &plonkSystem{
		cs:          p.cs,
		constraints: p.cs.GetNbConstraints(),
		public:      p.cs.GetNbPublicVariables(),
		secret:      p.cs.GetNbSecretVariables(),
		internal:    p.cs.GetNbInternalVariables(),
		mem:         p.mem,

		instructions: len(p.core.Instructions),
		calldata:     len(p.core.CallData),
	}
	// The prover asserts this type (a nil one would panic in NewTrace).
	if _, ok := p.core.CommitmentInfo.(constraint.PlonkCommitments); !ok {
		return nil, Errorf(zkabi.ErrSystem, "constraint system: commitment info of type %T", p.core.CommitmentInfo)
	}
	// gnark's domain: a placeholder row per public input, then the
	// constraints, rounded up to a power of two.
	s.domain = ecc.NextPowerOfTwo(uint64(s.constraints) + uint64(s.public))
	if err := b.c.enc.checkDomain(zkabi.ErrSystem, "constraint system", s.domain); err != nil {
		return nil, err
	}
	if s.public+s.secret == 0 {
		// the prover reads the first witness element unconditionally
		return nil, Errorf(zkabi.ErrSystem, "constraint system: no inputs")
	}
	return s, nil
}

// plonkProvingKey is a decoded proving key.
type plonkProvingKey struct {
	pk  plonk.ProvingKey
	vk  plonk.VerifyingKey // the one pk embeds
	hdr plonkKeyHeader
	mem int64
}

func (k *plonkProvingKey) MemSize() int64 { return k.mem }

// ParseProvingKey decodes a proving key in WriteRawTo form, after
// validatePlonkProvingKey has walked it. The SRS points are read as gnark's
// UnsafeReadFrom does, without curve or subgroup checks (those would cost
// as much as a large part of a proof): a bad SRS can only make the
// program's own proof wrong, and Prove's self-check reports that as ErrKey.
func (b *plonkBackend) ParseProvingKey(data []byte) (Parsed, error) {
	if err := tooLarge("proving key", len(data), maxProvingKeyBytes); err != nil {
		return nil, err
	}
	hdr, err := validatePlonkProvingKey(data, &b.c.enc)
	if err != nil {
		return nil, err
	}
	pk := plonk.NewProvingKey(b.c.id)
	err = protect(zkabi.ErrInternal, "proving key", func() error {
		return readAll(pk.UnsafeReadFrom, data, zkabi.ErrKey, "proving key")
	})
	if err != nil {
		return nil, err
	}
	vk, ok := pk.VerifyingKey().(plonk.VerifyingKey)
	if !ok {
		return nil, Errorf(zkabi.ErrInternal, "proving key: embedded verifying key of type %T", pk.VerifyingKey())
	}
	if err := protect(zkabi.ErrInternal, "proving key", func() error { return b.c.checkKey(vk) }); err != nil {
		return nil, wrapStatus(zkabi.ErrKey, "proving key", err)
	}
	mem := (2*int64(hdr.size)+3)*b.c.g1Mem + b.c.vkMem
	return &plonkProvingKey{pk: pk, vk: vk, hdr: hdr, mem: mem}, nil
}

// plonkVerifyingKey is a decoded verifying key.
type plonkVerifyingKey struct {
	vk  plonk.VerifyingKey
	hdr plonkKeyHeader
	mem int64
}

func (k *plonkVerifyingKey) MemSize() int64 { return k.mem }

// ParseVerifyingKey decodes a verifying key in WriteTo form. Its few
// points are checked to be in the subgroup by gnark's decoder.
func (b *plonkBackend) ParseVerifyingKey(data []byte) (Parsed, error) {
	if err := tooLarge("verifying key", len(data), maxVerifyingKeyBytes); err != nil {
		return nil, err
	}
	hdr, err := validatePlonkVerifyingKey(data, &b.c.enc)
	if err != nil {
		return nil, err
	}
	vk := plonk.NewVerifyingKey(b.c.id)
	err = protect(zkabi.ErrInternal, "verifying key", func() error {
		if err := readAll(vk.ReadFrom, data, zkabi.ErrKey, "verifying key"); err != nil {
			return err
		}
		return b.c.checkKey(vk)
	})
	if err != nil {
		return nil, wrapStatus(zkabi.ErrKey, "verifying key", err)
	}
	return &plonkVerifyingKey{vk: vk, hdr: hdr, mem: b.c.vkMem}, nil
}

// readAll decodes data with read and requires it to take every byte.
func readAll(read func(r io.Reader) (int64, error), data []byte, status zkabi.Status, what string) error {
	n, err := read(bytes.NewReader(data))
	if err != nil {
		return Errorf(status, "%s: %w", what, err)
	}
	if n != int64(len(data)) {
		return Errorf(status, "%s: decoded %d of %d bytes", what, n, len(data))
	}
	return nil
}

// plonkArgs asserts the parsed arguments are this backend's.
func plonkArgs(cs, pk Parsed) (*plonkSystem, *plonkProvingKey, error) {
	s, ok1 := cs.(*plonkSystem)
	k, ok2 := pk.(*plonkProvingKey)
	if !ok1 || !ok2 {
		return nil, nil, Errorf(zkabi.ErrInternal, "plonk: arguments of types %T, %T", cs, pk)
	}
	return s, k, nil
}

// ProveShape checks the key fits the system and the witness fits both,
// and returns the sizes of the proof.
//
// G1Points counts the points the prover's MSMs read, all from the KZG SRS
// of n = Domain points: L, R, O and Z are committed in Lagrange form
// (4 MSMs of at most n points), the three quotient shards, the linearised
// polynomial and the two opening quotients in canonical form (6 MSMs of
// at most n+3 points): 4n + 6(n+3).
func (b *plonkBackend) ProveShape(cs, pk Parsed, wit []byte) (Shape, error) {
	s, k, err := plonkArgs(cs, pk)
	if err != nil {
		return Shape{}, err
	}
	if err := s.fits(k); err != nil {
		return Shape{}, err
	}
	if err := validateWitness(wit, b.c.curve, s.public, s.secret, zkabi.ErrWitness); err != nil {
		return Shape{}, err
	}
	n := int(s.domain)
	return Shape{
		Constraints: s.constraints,
		Domain:      n,
		Wires:       s.public + s.secret + s.internal,
		Public:      s.public,
		G1Points:    4*n + 6*(n+3),
		// what the solver walks (see Shape)
		Instructions: s.instructions,
		Calldata:     s.calldata,
	}, nil
}

// fits checks a proving key was made for a system of this size. Keys of
// another circuit of the same size pass; Prove's self-check catches them.
func (s *plonkSystem) fits(k *plonkProvingKey) error {
	if k.hdr.size != s.domain {
		return Errorf(zkabi.ErrKey, "proving key: domain size %d, the system needs %d", k.hdr.size, s.domain)
	}
	if k.hdr.nbPublic != uint64(s.public) {
		return Errorf(zkabi.ErrKey, "proving key: %d public inputs, the system has %d", k.hdr.nbPublic, s.public)
	}
	return nil
}

// Prove proves. gnark's PLONK prover runs its steps (the solver among
// them) in goroutines of its own, where a panic cannot be recovered and
// would end the worker; what keeps them from panicking is the validation
// before: exact SRS lengths for the domain (the prover slices the SRS by
// it), the witness length (it indexes the witness by the public count),
// no commitments (it asserts their type), a domain whose 4× quotient
// domain has roots of unity. The solver is run once first on this
// goroutine, under recover, so an input that makes it fail or panic stops
// here; the prover's own solve of the same input then cannot, because
// solving is deterministic (no hint with random outputs is allowed) and
// runs the same guarded hints (solverOptions), whose panics are errors.
//
// cores is not passed on: gnark sizes its work by runtime.NumCPU and the
// worker has set GOMAXPROCS to the job's cores, which bounds the threads.
func (b *plonkBackend) Prove(cs, pk Parsed, wit []byte, cores int) ([]byte, error) {
	if _, err := b.ProveShape(cs, pk, wit); err != nil {
		return nil, err
	}
	s, k, _ := plonkArgs(cs, pk)
	w, err := decodeWitness(curves[b.c.curve], wit, s.public, s.secret, zkabi.ErrWitness)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.solve(w); err != nil {
		return nil, err
	}
	var proof plonk.Proof
	err = protect(zkabi.ErrInternal, "plonk prover", func() (err error) {
		proof, err = plonk.Prove(s.cs, k.pk, w,
			backend.WithSolverOptions(solverOptions()...))
		return err
	})
	if err != nil {
		return nil, wrapStatus(zkabi.ErrInternal, "plonk prover", err)
	}
	if err := selfCheck(proof, k.vk, w); err != nil {
		return nil, err
	}
	var out bytes.Buffer
	if _, err := proof.WriteTo(&out); err != nil {
		return nil, Errorf(zkabi.ErrInternal, "proof: %w", err)
	}
	return out.Bytes(), nil
}

// solve runs gnark's solver on the calling goroutine (one task) under
// recover. A constraint the witness does not satisfy, or a hint that
// fails on it, is ErrUnsatisfied. A panic is ErrSystem: gnark's solver
// panics only on the system's structure (a wire solved twice or read
// before it is solved, a zero coefficient to divide by), which depends on
// the order it solves in and so is not all checked before.
func (s *plonkSystem) solve(w witness.Witness) error {
	return protect(zkabi.ErrSystem, "constraint system: solver", func() error {
		if _, err := s.cs.Solve(w, solverOptions()...); err != nil {
			return Errorf(zkabi.ErrUnsatisfied, "%w", err)
		}
		return nil
	})
}

// selfCheck verifies a fresh proof with the key's own verifying key. The
// witness satisfied the system, so a proof that fails means the key is
// not this system's (another circuit of the same size, or a bad SRS).
// It costs a verification, a small part of a proof.
func selfCheck(proof plonk.Proof, vk plonk.VerifyingKey, w witness.Witness) error {
	return protect(zkabi.ErrInternal, "plonk self-check", func() error {
		public, err := w.Public()
		if err != nil {
			return Errorf(zkabi.ErrInternal, "public witness: %w", err)
		}
		if err := plonk.Verify(proof, vk, public); err != nil {
			return Errorf(zkabi.ErrKey, "proving key does not fit the constraint system: %w", err)
		}
		return nil
	})
}

// plonkVerifyG1Points is the size of the verifier's MSM without
// commitments: Ql, Qr, Qm, Qo, Qk, S3, Z, H[3] for the linearised
// polynomial, then the folding of six digests.
const plonkVerifyG1Points = 10 + 6

// VerifyShape checks the proof and public witness fit the key.
func (b *plonkBackend) VerifyShape(vk Parsed, proof, public []byte) (Shape, error) {
	k, ok := vk.(*plonkVerifyingKey)
	if !ok {
		return Shape{}, Errorf(zkabi.ErrInternal, "plonk: verifying key of type %T", vk)
	}
	if err := tooLarge("proof", len(proof), maxProofBytes); err != nil {
		return Shape{}, err
	}
	if err := validatePlonkProof(proof, &b.c.enc); err != nil {
		return Shape{}, err
	}
	if err := validateWitness(public, b.c.curve, int(k.hdr.nbPublic), 0, zkabi.ErrProof); err != nil {
		return Shape{}, err
	}
	return Shape{Domain: int(k.hdr.size), Public: int(k.hdr.nbPublic), G1Points: plonkVerifyG1Points}, nil
}

// Verify verifies. gnark's verifier runs on this goroutine; VerifyShape's
// checks are the lengths it indexes by.
func (b *plonkBackend) Verify(vk Parsed, proof, public []byte) error {
	if _, err := b.VerifyShape(vk, proof, public); err != nil {
		return err
	}
	k := vk.(*plonkVerifyingKey)
	p := plonk.NewProof(b.c.id)
	err := protect(zkabi.ErrInternal, "proof", func() error {
		return readAll(p.ReadFrom, proof, zkabi.ErrProof, "proof")
	})
	if err != nil {
		return err
	}
	w, err := decodeWitness(curves[b.c.curve], public, int(k.hdr.nbPublic), 0, zkabi.ErrProof)
	if err != nil {
		return err
	}
	return protect(zkabi.ErrInternal, "plonk verifier", func() error {
		if err := plonk.Verify(p, k.vk, w); err != nil {
			return Errorf(zkabi.StatusInvalid, "proof does not verify: %w", err)
		}
		return nil
	})
}

// The curves. checkKey recomputes from the key's own size and G2 points
// what gnark's Setup derives from them: the domain generator, the inverse
// of the size, the coset shift (fft's default multiplicative generator)
// and the precomputed pairing lines, which the verifier uses instead of
// the G2 points (wrong lines would make it check a different equation).
// maxLogDomain is the package limit or the scalar field's two-adicity
// (28, 32, 47, 46) less 2, whichever is smaller (TestPlonkEncodingConstants
// checks them against gnark-crypto).

var plonkBN254 = &plonkCurve{
	curve: zkabi.BN254, id: ecc.BN254,
	enc: newPlonkEncoding(curves[zkabi.BN254], binary.Size(kzgbn254.VerifyingKey{}.Lines), 28),
	checkKey: func(v plonk.VerifyingKey) error {
		vk, ok := v.(*plonkbn254.VerifyingKey)
		if !ok {
			return Errorf(zkabi.ErrInternal, "verifying key of type %T", v)
		}
		gen, err := fftbn254.Generator(vk.Size)
		if err != nil {
			return Errorf(zkabi.ErrKey, "verifying key: %w", err)
		}
		var inv frbn254.Element
		inv.SetUint64(vk.Size).Inverse(&inv)
		shift := fftbn254.GeneratorFullMultiplicativeGroup()
		lines := [2][2][len(bn254.LoopCounter)]bn254.LineEvaluationAff{
			bn254.PrecomputeLines(vk.Kzg.G2[0]), bn254.PrecomputeLines(vk.Kzg.G2[1]),
		}
		return checkPlonkKeyConstants(vk.Generator == gen, vk.SizeInv == inv, vk.CosetShift == shift, vk.Kzg.Lines == lines)
	},
	g1Mem: int64(unsafe.Sizeof(bn254.G1Affine{})),
	vkMem: int64(unsafe.Sizeof(plonkbn254.VerifyingKey{})),
}

var plonkBLS12381 = &plonkCurve{
	curve: zkabi.BLS12381, id: ecc.BLS12_381,
	enc: newPlonkEncoding(curves[zkabi.BLS12381], binary.Size(kzgbls12381.VerifyingKey{}.Lines), 32),
	checkKey: func(v plonk.VerifyingKey) error {
		vk, ok := v.(*plonkbls12381.VerifyingKey)
		if !ok {
			return Errorf(zkabi.ErrInternal, "verifying key of type %T", v)
		}
		gen, err := fftbls12381.Generator(vk.Size)
		if err != nil {
			return Errorf(zkabi.ErrKey, "verifying key: %w", err)
		}
		var inv frbls12381.Element
		inv.SetUint64(vk.Size).Inverse(&inv)
		shift := fftbls12381.GeneratorFullMultiplicativeGroup()
		lines := [2][2][len(bls12381.LoopCounter) - 1]bls12381.LineEvaluationAff{
			bls12381.PrecomputeLines(vk.Kzg.G2[0]), bls12381.PrecomputeLines(vk.Kzg.G2[1]),
		}
		return checkPlonkKeyConstants(vk.Generator == gen, vk.SizeInv == inv, vk.CosetShift == shift, vk.Kzg.Lines == lines)
	},
	g1Mem: int64(unsafe.Sizeof(bls12381.G1Affine{})),
	vkMem: int64(unsafe.Sizeof(plonkbls12381.VerifyingKey{})),
}

var plonkBLS12377 = &plonkCurve{
	curve: zkabi.BLS12377, id: ecc.BLS12_377,
	enc: newPlonkEncoding(curves[zkabi.BLS12377], binary.Size(kzgbls12377.VerifyingKey{}.Lines), 47),
	checkKey: func(v plonk.VerifyingKey) error {
		vk, ok := v.(*plonkbls12377.VerifyingKey)
		if !ok {
			return Errorf(zkabi.ErrInternal, "verifying key of type %T", v)
		}
		gen, err := fftbls12377.Generator(vk.Size)
		if err != nil {
			return Errorf(zkabi.ErrKey, "verifying key: %w", err)
		}
		var inv frbls12377.Element
		inv.SetUint64(vk.Size).Inverse(&inv)
		shift := fftbls12377.GeneratorFullMultiplicativeGroup()
		lines := [2][2][len(bls12377.LoopCounter) - 1]bls12377.LineEvaluationAff{
			bls12377.PrecomputeLines(vk.Kzg.G2[0]), bls12377.PrecomputeLines(vk.Kzg.G2[1]),
		}
		return checkPlonkKeyConstants(vk.Generator == gen, vk.SizeInv == inv, vk.CosetShift == shift, vk.Kzg.Lines == lines)
	},
	g1Mem: int64(unsafe.Sizeof(bls12377.G1Affine{})),
	vkMem: int64(unsafe.Sizeof(plonkbls12377.VerifyingKey{})),
}

var plonkBW6761 = &plonkCurve{
	curve: zkabi.BW6761, id: ecc.BW6_761,
	enc: newPlonkEncoding(curves[zkabi.BW6761], binary.Size(kzgbw6761.VerifyingKey{}.Lines), 46),
	checkKey: func(v plonk.VerifyingKey) error {
		vk, ok := v.(*plonkbw6761.VerifyingKey)
		if !ok {
			return Errorf(zkabi.ErrInternal, "verifying key of type %T", v)
		}
		gen, err := fftbw6761.Generator(vk.Size)
		if err != nil {
			return Errorf(zkabi.ErrKey, "verifying key: %w", err)
		}
		var inv frbw6761.Element
		inv.SetUint64(vk.Size).Inverse(&inv)
		shift := fftbw6761.GeneratorFullMultiplicativeGroup()
		lines := [2][2][len(bw6761.LoopCounter) - 1]bw6761.LineEvaluationAff{
			bw6761.PrecomputeLines(vk.Kzg.G2[0]), bw6761.PrecomputeLines(vk.Kzg.G2[1]),
		}
		return checkPlonkKeyConstants(vk.Generator == gen, vk.SizeInv == inv, vk.CosetShift == shift, vk.Kzg.Lines == lines)
	},
	g1Mem: int64(unsafe.Sizeof(bw6761.G1Affine{})),
	vkMem: int64(unsafe.Sizeof(plonkbw6761.VerifyingKey{})),
}

// checkPlonkKeyConstants reports the first of a key's derived constants
// that does not match its size and G2 points.
func checkPlonkKeyConstants(generator, sizeInv, cosetShift, lines bool) error {
	switch {
	case !generator:
		return Errorf(zkabi.ErrKey, "verifying key: generator is not the domain's root of unity")
	case !sizeInv:
		return Errorf(zkabi.ErrKey, "verifying key: sizeInv is not the inverse of the size")
	case !cosetShift:
		return Errorf(zkabi.ErrKey, "verifying key: coset shift is not the field's multiplicative generator")
	case !lines:
		return Errorf(zkabi.ErrKey, "verifying key: pairing lines do not match the G2 points")
	}
	return nil
}
