package zkhost

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash"
	"math/big"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/consensys/gnark-crypto/ecc"
	mimcbls12377 "github.com/consensys/gnark-crypto/ecc/bls12-377/fr/mimc"
	mimcbls12381 "github.com/consensys/gnark-crypto/ecc/bls12-381/fr/mimc"
	mimcbn254 "github.com/consensys/gnark-crypto/ecc/bn254/fr/mimc"
	mimcbw6761 "github.com/consensys/gnark-crypto/ecc/bw6-761/fr/mimc"
	"github.com/consensys/gnark/backend/groth16"
	"github.com/consensys/gnark/backend/witness"
	"github.com/consensys/gnark/constraint"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"
	"github.com/consensys/gnark/frontend/cs/scs"
	"github.com/consensys/gnark/std/hash/mimc"

	"github.com/provernet/provernet/sdk/zkabi"
)

// g16Circuit is MiMC^Rounds(X) == Y with X secret and Y public, plus a
// 16-bit decomposition of a secret Z and an IsZero, so the system has
// hints (nBits, InvZero) as well as constraints.
type g16Circuit struct {
	Rounds int               `gnark:"-"`
	X      frontend.Variable `gnark:",secret"`
	Z      frontend.Variable `gnark:",secret"`
	Y      frontend.Variable `gnark:",public"`
}

func (c *g16Circuit) Define(api frontend.API) error {
	h := c.X
	for range c.Rounds {
		m, err := mimc.NewMiMC(api)
		if err != nil {
			return err
		}
		m.Write(h)
		h = m.Sum()
	}
	api.AssertIsEqual(h, c.Y)
	api.ToBinary(c.Z, 16)
	api.AssertIsEqual(api.IsZero(api.Sub(c.Z, c.Z)), 1)
	return nil
}

// g16Fixture is a compiled circuit with keys and witnesses, serialized.
type g16Fixture struct {
	curve          zkabi.Curve
	cs, pk, vk     []byte
	full, public   []byte
	badFull        []byte // a witness with the wrong Y
	otherPK        []byte // a key of a different circuit (g16OtherPK)
	otherOnce      sync.Once
	wrongPublic    []byte // a public witness for another Y
	ccs            constraint.ConstraintSystem
	gpk            groth16.ProvingKey
	gvk            groth16.VerifyingKey
	gfull, gpublic witness.Witness
}

var g16Fixtures sync.Map // zkabi.Curve → *g16Fixture

func writeBytes(t testing.TB, fn func(*bytes.Buffer) error) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := fn(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// g16Fix builds (once per curve) the fixture for a 3-round MiMC circuit.
func g16Fix(t testing.TB, curve zkabi.Curve) *g16Fixture {
	t.Helper()
	if f, ok := g16Fixtures.Load(curve); ok {
		return f.(*g16Fixture)
	}
	ci := curves[curve]
	f := &g16Fixture{curve: curve}
	var err error
	f.ccs, err = frontend.Compile(ci.r, r1cs.NewBuilder, &g16Circuit{Rounds: 3})
	if err != nil {
		t.Fatal(err)
	}
	f.gpk, f.gvk, err = groth16.Setup(f.ccs)
	if err != nil {
		t.Fatal(err)
	}
	x := big.NewInt(42)
	y := g16MiMC(t, ci, x, 3)
	f.gfull, err = frontend.NewWitness(&g16Circuit{Rounds: 3, X: x, Z: 1234, Y: y}, ci.r)
	if err != nil {
		t.Fatal(err)
	}
	f.gpublic, err = f.gfull.Public()
	if err != nil {
		t.Fatal(err)
	}
	bad, err := frontend.NewWitness(&g16Circuit{Rounds: 3, X: x, Z: 1234, Y: new(big.Int).Add(y, big.NewInt(1))}, ci.r)
	if err != nil {
		t.Fatal(err)
	}
	badPublic, err := bad.Public()
	if err != nil {
		t.Fatal(err)
	}
	f.cs = writeBytes(t, func(b *bytes.Buffer) error { _, err := f.ccs.WriteTo(b); return err })
	f.pk = writeBytes(t, func(b *bytes.Buffer) error { _, err := f.gpk.WriteRawTo(b); return err })
	f.vk = writeBytes(t, func(b *bytes.Buffer) error { _, err := f.gvk.WriteTo(b); return err })
	for _, p := range []struct {
		dst *[]byte
		w   witness.Witness
	}{{&f.full, f.gfull}, {&f.public, f.gpublic}, {&f.badFull, bad}, {&f.wrongPublic, badPublic}} {
		if *p.dst, err = p.w.MarshalBinary(); err != nil {
			t.Fatal(err)
		}
	}
	actual, _ := g16Fixtures.LoadOrStore(curve, f)
	return actual.(*g16Fixture)
}

// g16MiMC computes MiMC^n(x) with gnark-crypto's native MiMC.
func g16MiMC(t testing.TB, ci *curveInfo, x *big.Int, n int) *big.Int {
	t.Helper()
	h := hashFor(ci.id)
	v := new(big.Int).Set(x)
	for range n {
		h.Reset()
		buf := v.FillBytes(make([]byte, ci.frBytes))
		h.Write(buf)
		v.SetBytes(h.Sum(nil))
	}
	return v
}

func hashFor(id ecc.ID) hash.Hash {
	switch id {
	case ecc.BN254:
		return mimcbn254.NewMiMC()
	case ecc.BLS12_381:
		return mimcbls12381.NewMiMC()
	case ecc.BLS12_377:
		return mimcbls12377.NewMiMC()
	case ecc.BW6_761:
		return mimcbw6761.NewMiMC()
	}
	panic("no mimc for " + id.String())
}

// g16OtherPK returns (once) a proving key for a different circuit.
func g16OtherPK(t testing.TB, f *g16Fixture) []byte {
	t.Helper()
	f.otherOnce.Do(func() {
		ci := curves[f.curve]
		other, err := frontend.Compile(ci.r, r1cs.NewBuilder, &g16Circuit{Rounds: 4})
		if err != nil {
			t.Fatal(err)
		}
		opk, _, err := groth16.Setup(other)
		if err != nil {
			t.Fatal(err)
		}
		f.otherPK = writeBytes(t, func(b *bytes.Buffer) error { _, err := opk.WriteRawTo(b); return err })
	})
	return f.otherPK
}

var g16Curves = []zkabi.Curve{zkabi.BN254, zkabi.BLS12381}

func g16Backend(t testing.TB, curve zkabi.Curve) Backend {
	t.Helper()
	for _, b := range Backends() {
		if b.System() == zkabi.Groth16 && b.Curve() == curve {
			return b
		}
	}
	t.Fatalf("no groth16 backend for %s", curve)
	return nil
}

func g16WantStatus(t testing.TB, err error, want zkabi.Status, what string) {
	t.Helper()
	if got := StatusOf(err); got != want {
		t.Fatalf("%s: status %v (%d), want %v (%d); err: %v", what, got, got, want, want, err)
	}
}

func TestGroth16ProveVerify(t *testing.T) {
	for _, curve := range g16Curves {
		t.Run(curve.String(), func(t *testing.T) {
			f := g16Fix(t, curve)
			b := g16Backend(t, curve)
			cs, err := b.ParseSystem(f.cs)
			if err != nil {
				t.Fatal(err)
			}
			pk, err := b.ParseProvingKey(f.pk)
			if err != nil {
				t.Fatal(err)
			}
			vk, err := b.ParseVerifyingKey(f.vk)
			if err != nil {
				t.Fatal(err)
			}
			shape, err := b.ProveShape(cs, pk, f.full)
			if err != nil {
				t.Fatal(err)
			}
			if shape.Constraints != f.ccs.GetNbConstraints() || shape.Public != 1 ||
				shape.Domain != int(ecc.NextPowerOfTwo(uint64(shape.Constraints))) || shape.G1Points == 0 || shape.G2Points == 0 {
				t.Fatalf("shape %+v", shape)
			}
			if cs.MemSize() <= 0 || pk.MemSize() < int64(len(f.pk)) || vk.MemSize() <= 0 {
				t.Fatalf("mem sizes %d %d %d", cs.MemSize(), pk.MemSize(), vk.MemSize())
			}
			proof, err := b.Prove(cs, pk, f.full, 1)
			if err != nil {
				t.Fatal(err)
			}
			if vs, err := b.VerifyShape(vk, proof, f.public); err != nil || vs.Public != 1 {
				t.Fatalf("verify shape %+v, %v", vs, err)
			}
			if err := b.Verify(vk, proof, f.public); err != nil {
				t.Fatalf("verify: %v", err)
			}
			// gnark itself accepts the proof.
			gp := groth16.NewProof(curves[curve].id)
			if _, err := gp.ReadFrom(bytes.NewReader(proof)); err != nil {
				t.Fatal(err)
			}
			if err := groth16.Verify(gp, f.gvk, f.gpublic); err != nil {
				t.Fatalf("gnark verify: %v", err)
			}
			// Another statement: a well-formed proof that does not verify.
			g16WantStatus(t, b.Verify(vk, proof, f.wrongPublic), zkabi.StatusInvalid, "wrong statement")
			// A witness that does not satisfy the system.
			_, err = b.Prove(cs, pk, f.badFull, 1)
			g16WantStatus(t, err, zkabi.ErrUnsatisfied, "unsatisfied")
			// A key from another circuit.
			opk, err := b.ParseProvingKey(g16OtherPK(t, f))
			if err != nil {
				t.Fatal(err)
			}
			_, err = b.ProveShape(cs, opk, f.full)
			g16WantStatus(t, err, zkabi.ErrKey, "other key (shape)")
			_, err = b.Prove(cs, opk, f.full, 1)
			g16WantStatus(t, err, zkabi.ErrKey, "other key (prove)")
			// Wrong witness shapes.
			_, err = b.ProveShape(cs, pk, f.public)
			g16WantStatus(t, err, zkabi.ErrWitness, "public witness to prove")
			_, err = b.VerifyShape(vk, proof, f.full)
			g16WantStatus(t, err, zkabi.ErrProof, "full witness to verify")
		})
	}
}

// TestGroth16ParsedMatchesGnark checks decodeSystem builds the same
// system as gnark's own decoder.
func TestGroth16ParsedMatchesGnark(t *testing.T) {
	for _, curve := range g16Curves {
		f := g16Fix(t, curve)
		p, err := decodeSystem(curves[curve], f.cs, constraint.SystemR1CS)
		if err != nil {
			t.Fatal(err)
		}
		g := groth16.NewCS(curves[curve].id)
		if _, err := g.ReadFrom(bytes.NewReader(f.cs)); err != nil {
			t.Fatal(err)
		}
		gc, _ := curves[curve].core(g)
		if fmt.Sprint(gc.Instructions) != fmt.Sprint(p.core.Instructions) ||
			fmt.Sprint(gc.CallData) != fmt.Sprint(p.core.CallData) ||
			fmt.Sprint(gc.Levels) != fmt.Sprint(p.core.Levels) {
			t.Fatalf("%s: binary sections differ from gnark's", curve)
		}
		if len(gc.Instructions) == 0 || gc.NbConstraints != p.nbConstrain {
			t.Fatalf("%s: %d instructions, %d constraints", curve, len(gc.Instructions), p.nbConstrain)
		}
		if err := validateSystem(f.cs, curve, constraint.SystemR1CS); err != nil {
			t.Fatal(err)
		}
		g16WantStatus(t, validateSystem(f.cs, curve, constraint.SystemSparseR1CS), zkabi.ErrSystem, "R1CS as SparseR1CS")
	}
}

// TestGroth16AllCurves proves and verifies on the two optional curves.
func TestGroth16AllCurves(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	for _, curve := range []zkabi.Curve{zkabi.BLS12377, zkabi.BW6761} {
		f := g16Fix(t, curve)
		b := g16Backend(t, curve)
		cs, err := b.ParseSystem(f.cs)
		if err != nil {
			t.Fatal(err)
		}
		pk, err := b.ParseProvingKey(f.pk)
		if err != nil {
			t.Fatal(err)
		}
		vk, err := b.ParseVerifyingKey(f.vk)
		if err != nil {
			t.Fatal(err)
		}
		proof, err := b.Prove(cs, pk, f.full, 1)
		if err != nil {
			t.Fatal(err)
		}
		if err := b.Verify(vk, proof, f.public); err != nil {
			t.Fatalf("%s: %v", curve, err)
		}
	}
}

// mutations returns variants of data: truncations, bit flips, and every
// aligned 4- and 8-byte word replaced by large and small lengths (in both
// byte orders), which is where length prefixes live.
func mutations(data []byte, maxN int) map[string][]byte {
	out := map[string][]byte{}
	add := func(name string, b []byte) {
		if len(out) < maxN {
			out[name] = b
		}
	}
	step := max(1, len(data)/97)
	for i := 0; i < len(data); i += step {
		add(fmt.Sprintf("truncate %d", i), data[:i])
	}
	add("extra byte", append(bytes.Clone(data), 0))
	for i := 0; i < len(data); i += max(1, len(data)/300) {
		b := bytes.Clone(data)
		b[i] ^= 1 << (i % 8)
		add(fmt.Sprintf("flip %d", i), b)
	}
	for i := 0; i+8 <= len(data) && i < 4096; i += 4 {
		for _, v := range []uint64{1<<32 - 1, 1 << 31, 1 << 40, 1<<64 - 1, 0, 3} {
			b := bytes.Clone(data)
			binary.LittleEndian.PutUint64(b[i:], v)
			add(fmt.Sprintf("le64 %d=%d", i, v), b)
			b = bytes.Clone(data)
			binary.BigEndian.PutUint32(b[i:], uint32(v))
			add(fmt.Sprintf("be32 %d=%d", i, uint32(v)), b)
		}
	}
	return out
}

// TestGroth16Mutations feeds mutated systems, keys, witnesses and proofs
// to the backend: each must give a clean error of the right status (or,
// where the mutation happens to keep the object valid, success).
func TestGroth16Mutations(t *testing.T) {
	f := g16Fix(t, zkabi.BN254)
	b := g16Backend(t, zkabi.BN254)
	cs, _ := b.ParseSystem(f.cs)
	pk, _ := b.ParseProvingKey(f.pk)
	vk, _ := b.ParseVerifyingKey(f.vk)
	proof, err := b.Prove(cs, pk, f.full, 1)
	if err != nil {
		t.Fatal(err)
	}
	okStatus := func(allowed ...zkabi.Status) map[zkabi.Status]bool {
		m := map[zkabi.Status]bool{zkabi.StatusValid: true, zkabi.ErrTooLarge: true}
		for _, s := range allowed {
			m[s] = true
		}
		return m
	}
	check := func(t *testing.T, name string, err error, allowed map[zkabi.Status]bool) {
		t.Helper()
		if s := StatusOf(err); !allowed[s] {
			t.Errorf("%s: status %v: %v", name, s, err)
		}
	}
	// Proving is the slow part: only a few of the mutants that still
	// parse are proved with.
	const maxProofs = 8
	t.Run("system", func(t *testing.T) {
		n := 0
		for name, m := range mutations(f.cs, 1500) {
			p, err := b.ParseSystem(m)
			check(t, name, err, okStatus(zkabi.ErrSystem))
			if err == nil {
				if n++; n <= maxProofs {
					_, err = b.Prove(p, pk, f.full, 1)
					check(t, name+" prove", err, okStatus(zkabi.ErrKey, zkabi.ErrWitness, zkabi.ErrUnsatisfied, zkabi.ErrSystem))
				}
			}
		}
		t.Logf("%d mutated systems still parsed", n)
	})
	t.Run("proving key", func(t *testing.T) {
		n := 0
		for name, m := range mutations(f.pk, 1500) {
			k, err := b.ParseProvingKey(m)
			check(t, name, err, okStatus(zkabi.ErrKey))
			if err == nil {
				if n++; n <= maxProofs {
					_, err = b.Prove(cs, k, f.full, 1)
					check(t, name+" prove", err, okStatus(zkabi.ErrKey))
				}
			}
		}
	})
	t.Run("verifying key", func(t *testing.T) {
		for name, m := range mutations(f.vk, 1500) {
			k, err := b.ParseVerifyingKey(m)
			check(t, name, err, okStatus(zkabi.ErrKey))
			if err == nil {
				check(t, name+" verify", b.Verify(k, proof, f.public), okStatus(zkabi.StatusInvalid, zkabi.ErrProof))
			}
		}
	})
	t.Run("proof", func(t *testing.T) {
		for name, m := range mutations(proof, 1500) {
			check(t, name, b.Verify(vk, m, f.public), okStatus(zkabi.StatusInvalid, zkabi.ErrProof))
		}
	})
	t.Run("public witness", func(t *testing.T) {
		for name, m := range mutations(f.public, 1500) {
			check(t, name, b.Verify(vk, proof, m), okStatus(zkabi.StatusInvalid, zkabi.ErrProof))
		}
	})
	t.Run("witness", func(t *testing.T) {
		n := 0
		for name, m := range mutations(f.full, 1500) {
			if _, err := b.ProveShape(cs, pk, m); err != nil {
				check(t, name, err, okStatus(zkabi.ErrWitness))
				continue
			}
			if n++; n <= maxProofs {
				_, err := b.Prove(cs, pk, m, 1)
				check(t, name, err, okStatus(zkabi.ErrWitness, zkabi.ErrUnsatisfied))
			}
		}
	})
}

// TestGroth16Limits checks oversized inputs are ErrTooLarge before any
// decoding.
func TestGroth16Limits(t *testing.T) {
	b := g16Backend(t, zkabi.BN254)
	big := make([]byte, maxSystemBytes+1)
	_, err := b.ParseSystem(big)
	g16WantStatus(t, err, zkabi.ErrTooLarge, "system")
	_, err = b.ParseVerifyingKey(big[:maxVerifyingKeyBytes+1])
	g16WantStatus(t, err, zkabi.ErrTooLarge, "verifying key")
}

// rewriteSystem decodes the fixture's system with gnark, lets edit change
// it, and serializes it again: a system gnark would write, hostile inside.
func rewriteSystem(t *testing.T, f *g16Fixture, edit func(*constraint.System)) []byte {
	t.Helper()
	cs := groth16.NewCS(curves[f.curve].id)
	if _, err := cs.ReadFrom(bytes.NewReader(f.cs)); err != nil {
		t.Fatal(err)
	}
	core, _ := curves[f.curve].core(cs)
	edit(core)
	return writeBytes(t, func(b *bytes.Buffer) error { _, err := cs.WriteTo(b); return err })
}

// TestGroth16HostileSystems checks decodable systems that would make the
// solver index out of range or misbehave give errors, not crashes.
func TestGroth16HostileSystems(t *testing.T) {
	f := g16Fix(t, zkabi.BN254)
	b := g16Backend(t, zkabi.BN254)
	pk, err := b.ParseProvingKey(f.pk)
	if err != nil {
		t.Fatal(err)
	}
	firstR1C := func(s *constraint.System) int {
		for _, in := range s.Instructions {
			if _, ok := s.Blueprints[in.BlueprintID].(*constraint.BlueprintGenericR1C); ok {
				return int(in.StartCallData)
			}
		}
		t.Fatal("no r1c")
		return 0
	}
	parseErrors := map[string]func(*constraint.System){
		"wire out of range": func(s *constraint.System) {
			s.CallData[firstR1C(s)+5] = uint32(s.NbInternalVariables + len(s.Public) + len(s.Secret))
		},
		"coefficient out of range": func(s *constraint.System) { s.CallData[firstR1C(s)+4] = 1 << 30 },
		"term count too large":     func(s *constraint.System) { s.CallData[firstR1C(s)+1] = 1 << 31 },
		"blueprint out of range":   func(s *constraint.System) { s.Instructions[0].BlueprintID = 99 },
		"calldata offset":          func(s *constraint.System) { s.Instructions[1].StartCallData++ },
		"constraint offset":        func(s *constraint.System) { s.Instructions[len(s.Instructions)-1].ConstraintOffset = 1 << 30 },
		"level out of range":       func(s *constraint.System) { s.Levels[0][0] = 1 << 20 },
		"level repeated":           func(s *constraint.System) { s.Levels[1] = append(s.Levels[1], s.Levels[0][0]) },
		"too many wires":           func(s *constraint.System) { s.NbInternalVariables = 1 << 27 },
		"negative wires":           func(s *constraint.System) { s.NbInternalVariables = -5 },
		"constraints undercounted": func(s *constraint.System) { s.NbConstraints-- },
		"commitments": func(s *constraint.System) {
			s.CommitmentInfo = constraint.Groth16Commitments{{CommitmentIndex: 1}}
		},
		"unknown hint": func(s *constraint.System) {
			for id := range s.MHintsDependencies {
				s.MHintsDependencies[id+1] = "github.com/consensys/gnark/std/math/emulated.DivHint"
				break
			}
		},
		"sparse blueprint": func(s *constraint.System) {
			s.Blueprints = append(s.Blueprints, &constraint.BlueprintSparseR1CAdd[constraint.U64]{})
		},
		"debug info index": func(s *constraint.System) { s.MDebug[0] = len(s.DebugInfo) + 7 },
		"debug format width": func(s *constraint.System) {
			s.DebugInfo = append(s.DebugInfo, constraint.LogEntry{Format: "%999999d%999999d"})
		},
	}
	for name, edit := range parseErrors {
		_, err := b.ParseSystem(rewriteSystem(t, f, edit))
		g16WantStatus(t, err, zkabi.ErrSystem, name)
	}
	// Levels in reverse order pass the checks (they are still a partition)
	// but the solver reaches instructions whose inputs are unsolved, and
	// panics indexing or solving them: that must be an error.
	rev := rewriteSystem(t, f, func(s *constraint.System) { slices.Reverse(s.Levels) })
	cs, err := b.ParseSystem(rev)
	if err != nil {
		t.Fatal(err)
	}
	_, err = b.Prove(cs, pk, f.full, 1)
	if s := StatusOf(err); s != zkabi.ErrSystem && s != zkabi.ErrUnsatisfied {
		t.Fatalf("reversed levels: %v", err)
	}
	t.Logf("reversed levels: %v", firstLine(err))
}

func firstLine(err error) string {
	s, _, _ := strings.Cut(fmt.Sprint(err), "\n")
	return s
}

// TestValidateSparseSystem checks the shared validator accepts gnark's
// SparseR1CS (PLONK) systems, with the same hints, and only as such.
func TestValidateSparseSystem(t *testing.T) {
	for _, curve := range g16Curves {
		ccs, err := frontend.Compile(curves[curve].r, scs.NewBuilder, &g16Circuit{Rounds: 2})
		if err != nil {
			t.Fatal(err)
		}
		data := writeBytes(t, func(b *bytes.Buffer) error { _, err := ccs.WriteTo(b); return err })
		if err := validateSystem(data, curve, constraint.SystemSparseR1CS); err != nil {
			t.Fatalf("%s: %v", curve, err)
		}
		g16WantStatus(t, validateSystem(data, curve, constraint.SystemR1CS), zkabi.ErrSystem, "SparseR1CS as R1CS")
		other := zkabi.BN254
		if curve == zkabi.BN254 {
			other = zkabi.BLS12381
		}
		g16WantStatus(t, validateSystem(data, other, constraint.SystemSparseR1CS), zkabi.ErrSystem, "other curve")
	}
}

type g16Square struct {
	X frontend.Variable `gnark:",secret"`
	Y frontend.Variable `gnark:",public"`
}

func (c *g16Square) Define(api frontend.API) error {
	api.AssertIsEqual(api.Mul(c.X, c.X), c.Y)
	return nil
}

// TestGroth16DomainFlag proves with keys whose domain says "no
// precomputation" (a key may say either): gnark's FFTs then compute
// twiddles on the fly, which must work for the smallest domains too, in
// the prover's goroutines.
func TestGroth16DomainFlag(t *testing.T) {
	ci := curves[zkabi.BN254]
	b := g16Backend(t, zkabi.BN254)
	ccs, err := frontend.Compile(ci.r, r1cs.NewBuilder, &g16Square{})
	if err != nil {
		t.Fatal(err)
	}
	gpk, gvk, err := groth16.Setup(ccs)
	if err != nil {
		t.Fatal(err)
	}
	w, err := frontend.NewWitness(&g16Square{X: 3, Y: 9}, ci.r)
	if err != nil {
		t.Fatal(err)
	}
	pub, _ := w.Public()
	wb, _ := w.MarshalBinary()
	pb, _ := pub.MarshalBinary()
	csb := writeBytes(t, func(b *bytes.Buffer) error { _, err := ccs.WriteTo(b); return err })
	vkb := writeBytes(t, func(b *bytes.Buffer) error { _, err := gvk.WriteTo(b); return err })
	f := g16Fix(t, zkabi.BN254)
	for _, c := range []struct{ cs, pk, vk, w, pub []byte }{
		{csb, writeBytes(t, func(b *bytes.Buffer) error { _, err := gpk.WriteRawTo(b); return err }), vkb, wb, pb},
		{f.cs, f.pk, f.vk, f.full, f.public},
	} {
		for _, flag := range []byte{0, 1} {
			pkb := bytes.Clone(c.pk)
			pkb[8+5*ci.frBytes] = flag
			cs, err := b.ParseSystem(c.cs)
			if err != nil {
				t.Fatal(err)
			}
			pk, err := b.ParseProvingKey(pkb)
			if err != nil {
				t.Fatal(err)
			}
			vk, _ := b.ParseVerifyingKey(c.vk)
			proof, err := b.Prove(cs, pk, c.w, 1)
			if err != nil {
				t.Fatalf("flag %d: %v", flag, err)
			}
			if err := b.Verify(vk, proof, c.pub); err != nil {
				t.Fatalf("flag %d, domain %d: %v", flag, pk.(*g16ProvingKey).lay.domain, err)
			}
		}
	}
}
