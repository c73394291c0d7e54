package zkhost

// Regression tests for the security review's findings (C1, C2, H1-H4),
// adapted from its scratch reproductions to run fast and unconditionally.

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math/big"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark/backend/groth16"
	"github.com/consensys/gnark/constraint"
	"github.com/consensys/gnark/constraint/solver"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"
	"github.com/consensys/gnark/frontend/cs/scs"
	"github.com/consensys/gnark/std/math/bits"

	"github.com/provernet/provernet/sdk/zkabi"
)

func reviewHintByName(t testing.TB, name string) solver.Hint {
	t.Helper()
	for _, h := range solver.GetRegisteredHints() {
		if solver.GetHintName(h) == name {
			return h
		}
	}
	t.Fatalf("no hint %s", name)
	return nil
}

func reviewBackend(t testing.TB, sys zkabi.System, curve zkabi.Curve) Backend {
	t.Helper()
	for _, b := range Backends() {
		if b.System() == sys && b.Curve() == curve {
			return b
		}
	}
	t.Fatalf("no backend %s %s", sys, curve)
	return nil
}

// reviewCompile compiles circuit for sys over BN254 and serializes it.
func reviewCompile(t testing.TB, sys zkabi.System, circuit frontend.Circuit) []byte {
	t.Helper()
	var ccs constraint.ConstraintSystem
	var err error
	if sys == zkabi.PLONK {
		ccs, err = frontend.Compile(ecc.BN254.ScalarField(), scs.NewBuilder, circuit)
	} else {
		ccs, err = frontend.Compile(ecc.BN254.ScalarField(), r1cs.NewBuilder, circuit)
	}
	if err != nil {
		t.Fatal(err)
	}
	return writeBytes(t, func(b *bytes.Buffer) error { _, err := ccs.WriteTo(b); return err })
}

// reviewEditSystem decodes a BN254 system with gnark, lets edit change it
// and serializes it again.
func reviewEditSystem(t testing.TB, data []byte, edit func(*constraint.System)) []byte {
	t.Helper()
	cs := groth16.NewCS(ecc.BN254)
	if _, err := cs.ReadFrom(bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	core, _ := curves[zkabi.BN254].core(cs)
	edit(core)
	return writeBytes(t, func(b *bytes.Buffer) error { _, err := cs.WriteTo(b); return err })
}

func wantStatus(t testing.TB, err error, want zkabi.Status, what string) {
	t.Helper()
	if StatusOf(err) != want {
		t.Fatalf("%s: status %v (%v), want %v", what, StatusOf(err), err, want)
	}
}

// reviewRandom is the review's crash: a random bit b (hints.Randomize,
// then nBits), then ithBit(X, b*2^63), which panics in gnark's ithBit
// (big.Int.Bit of a negative index) when b = 1. PLONK's prover solves in
// a goroutine of its own, so half the proofs killed the worker.
type reviewRandom struct {
	X              frontend.Variable `gnark:",public"`
	W              frontend.Variable
	rnd, nbits, ib solver.Hint
}

func (c *reviewRandom) Define(api frontend.API) error {
	r, err := api.Compiler().NewHint(c.rnd, 1)
	if err != nil {
		return err
	}
	b, err := api.Compiler().NewHint(c.nbits, 1, r[0])
	if err != nil {
		return err
	}
	two63 := new(big.Int).Lsh(big.NewInt(1), 63)
	if _, err := api.Compiler().NewHint(c.ib, 1, c.X, api.Mul(b[0], two63)); err != nil {
		return err
	}
	api.AssertIsEqual(api.Mul(c.W, c.W), c.X)
	return nil
}

// C1 (a): a hint with random outputs makes solving nondeterministic; it is
// refused when the system is parsed.
func TestReviewRandomizeRefused(t *testing.T) {
	rnd := reviewHintByName(t, "github.com/consensys/gnark/internal/hints.Randomize")
	hs := bits.GetHints()
	for _, sys := range []zkabi.System{zkabi.Groth16, zkabi.PLONK} {
		cs := reviewCompile(t, sys, &reviewRandom{rnd: rnd, nbits: hs[1], ib: hs[0]})
		_, err := reviewBackend(t, sys, zkabi.BN254).ParseSystem(cs)
		wantStatus(t, err, zkabi.ErrSystem, sys.String())
		if !strings.Contains(err.Error(), "hints.Randomize") {
			t.Errorf("%s: %v, want the Randomize hint named", sys, err)
		}
	}
	if _, ok := allowedHints[solver.GetHintID(rnd)]; ok {
		t.Error("Randomize is allowed")
	}
}

// reviewBigIndex calls ithBit with an index of W*2^63: 2^63 for W = 1,
// which gnark's ithBit turns into a negative int and panics on.
type reviewBigIndex struct {
	X  frontend.Variable `gnark:",public"`
	W  frontend.Variable
	ib solver.Hint
}

func (c *reviewBigIndex) Define(api frontend.API) error {
	two63 := new(big.Int).Lsh(big.NewInt(1), 63)
	b, err := api.Compiler().NewHint(c.ib, 1, c.X, api.Mul(c.W, two63))
	if err != nil {
		return err
	}
	api.AssertIsEqual(b[0], 0) // bit 2^63 of a field element
	api.AssertIsEqual(api.Mul(c.W, c.W), c.X)
	return nil
}

// C1 (b): what made a hint panic is well defined, and proves, on both
// systems (the panic was ErrSystem with a stack on Groth16 and PLONK's
// pre-solve, and a crash when it first happened in PLONK's prover).
func TestReviewIthBitHugeIndex(t *testing.T) {
	ib := bits.GetHints()[0]
	circuit := &reviewBigIndex{ib: ib}
	assignment := &reviewBigIndex{X: 1, W: 1, ib: ib}

	t.Run("plonk", func(t *testing.T) {
		cs, pk, vk, full, public := plonkSetupBytes(t, ecc.BN254, circuit, assignment)
		reviewProveVerify(t, reviewBackend(t, zkabi.PLONK, zkabi.BN254), cs, pk, vk, full, public)
	})
	t.Run("groth16", func(t *testing.T) {
		ccs, err := frontend.Compile(ecc.BN254.ScalarField(), r1cs.NewBuilder, circuit)
		if err != nil {
			t.Fatal(err)
		}
		gpk, gvk, err := groth16.Setup(ccs)
		if err != nil {
			t.Fatal(err)
		}
		w, err := frontend.NewWitness(assignment, ecc.BN254.ScalarField())
		if err != nil {
			t.Fatal(err)
		}
		pw, err := w.Public()
		if err != nil {
			t.Fatal(err)
		}
		full, _ := w.MarshalBinary()
		public, _ := pw.MarshalBinary()
		cs := writeBytes(t, func(b *bytes.Buffer) error { _, err := ccs.WriteTo(b); return err })
		pk := writeBytes(t, func(b *bytes.Buffer) error { _, err := gpk.WriteRawTo(b); return err })
		vk := writeBytes(t, func(b *bytes.Buffer) error { _, err := gvk.WriteTo(b); return err })
		reviewProveVerify(t, reviewBackend(t, zkabi.Groth16, zkabi.BN254), cs, pk, vk, full, public)
	})
}

func reviewProveVerify(t *testing.T, b Backend, cs, pk, vk, full, public []byte) {
	t.Helper()
	pcs, err := b.ParseSystem(cs)
	if err != nil {
		t.Fatal(err)
	}
	ppk, err := b.ParseProvingKey(pk)
	if err != nil {
		t.Fatal(err)
	}
	pvk, err := b.ParseVerifyingKey(vk)
	if err != nil {
		t.Fatal(err)
	}
	proof, err := b.Prove(pcs, ppk, full, 1)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Verify(pvk, proof, public); err != nil {
		t.Fatal(err)
	}
}

// C1 (b): every hint the solver can call is guarded: whatever its
// arguments, it returns an error instead of panicking, on any goroutine.
func TestReviewHintsGuarded(t *testing.T) {
	cfg, err := solver.NewConfig(solverOptions()...)
	if err != nil {
		t.Fatal(err)
	}
	q := ecc.BN254.ScalarField()
	for id, sp := range allowedHints {
		f := cfg.HintFunctions[id]
		if f == nil {
			t.Fatalf("%s: no hint function", sp.name)
		}
		// gnark's own would index an empty input slice
		if err := f(q, nil, []*big.Int{new(big.Int)}); err == nil {
			t.Errorf("%s: no inputs accepted", sp.name)
		}
		if err := f(q, []*big.Int{big.NewInt(1), big.NewInt(1)}, nil); err == nil {
			t.Errorf("%s: no outputs accepted", sp.name)
		}
	}
	boom := hintSpec{name: "boom", nbIn: 0, minOut: 0, maxOut: 1,
		run: func(_ *big.Int, in, out []*big.Int) error { _ = in[3]; return nil }}
	err = boom.guard()(q, nil, nil)
	if err == nil || err.Error() != "hint boom panicked: runtime error: index out of range [3] with length 0" {
		t.Errorf("panicking hint: %v", err)
	}
	out := []*big.Int{big.NewInt(7)}
	for _, idx := range []*big.Int{new(big.Int).Lsh(big.NewInt(1), 63), new(big.Int).SetUint64(1<<64 - 1), big.NewInt(1 << 40)} {
		if err := safeIthBit(q, []*big.Int{big.NewInt(-1), idx}, out); err != nil || out[0].Sign() != 0 {
			t.Errorf("ithBit(-1, %s) = %s, %v", idx, out[0], err)
		}
	}
	if err := safeIthBit(q, []*big.Int{big.NewInt(5), big.NewInt(2)}, out); err != nil || out[0].Int64() != 1 {
		t.Errorf("ithBit(5, 2) = %s, %v", out[0], err)
	}
}

// reviewArity calls an allowed hint with an arity gnark's frontend never
// uses.
type reviewArity struct {
	X     frontend.Variable `gnark:",public"`
	W     frontend.Variable
	h     solver.Hint
	nbOut int
	nbIn  int
}

func (c *reviewArity) Define(api frontend.API) error {
	in := []frontend.Variable{c.W, c.X, c.W}[:c.nbIn]
	if _, err := api.Compiler().NewHint(c.h, c.nbOut, in...); err != nil {
		return err
	}
	api.AssertIsEqual(api.Mul(c.W, c.W), c.X)
	return nil
}

// H1-H3: a hint call without outputs is solver work no wire pays for, and
// a wrong arity would make gnark's hint index out of range: both refused.
func TestReviewHintArity(t *testing.T) {
	hs := bits.GetHints()
	for _, tc := range []struct {
		name      string
		h         solver.Hint
		nbIn, out int
	}{
		{"nBits without inputs", hs[1], 0, 4},
		{"InvZero with two outputs", solver.InvZeroHint, 1, 2},
		{"InvZero with two inputs", solver.InvZeroHint, 2, 1},
		{"ithBit with one input", hs[0], 1, 1},
	} {
		for _, sys := range []zkabi.System{zkabi.Groth16, zkabi.PLONK} {
			cs := reviewCompile(t, sys, &reviewArity{h: tc.h, nbIn: tc.nbIn, nbOut: tc.out})
			_, err := reviewBackend(t, sys, zkabi.BN254).ParseSystem(cs)
			wantStatus(t, err, zkabi.ErrSystem, tc.name+" "+sys.String())
		}
	}
	// gnark's frontend makes no hint call without outputs; edit one in
	for _, h := range []solver.Hint{hs[1], hs[2], solver.InvZeroHint} {
		for _, sys := range []zkabi.System{zkabi.Groth16, zkabi.PLONK} {
			cs := reviewCompile(t, sys, &reviewArity{h: h, nbIn: 1, nbOut: 1})
			cs = reviewEditSystem(t, cs, func(s *constraint.System) {
				for _, in := range s.Instructions {
					if _, ok := s.Blueprints[in.BlueprintID].(*constraint.BlueprintGenericHint); ok {
						cd := s.CallData[in.StartCallData:]
						cd = cd[:cd[0]]
						cd[len(cd)-1] = cd[len(cd)-2] // outputs [start, start)
					}
				}
			})
			_, err := reviewBackend(t, sys, zkabi.BN254).ParseSystem(cs)
			wantStatus(t, err, zkabi.ErrSystem, solver.GetHintName(h)+" without outputs "+sys.String())
			if !strings.Contains(err.Error(), "with 0 outputs") {
				t.Errorf("%v, want the outputs named", err)
			}
		}
	}
	// what the frontend emits is accepted
	for _, sys := range []zkabi.System{zkabi.Groth16, zkabi.PLONK} {
		cs := reviewCompile(t, sys, &reviewArity{h: hs[1], nbIn: 1, nbOut: 8})
		if _, err := reviewBackend(t, sys, zkabi.BN254).ParseSystem(cs); err != nil {
			t.Errorf("%s: nBits(W) into 8 bits: %v", sys, err)
		}
	}
}

// C2 (1): a panic's message holds no stack (goroutine ids, addresses,
// paths): it is the same on every run and machine.
func TestReviewPanicMessageHasNoStack(t *testing.T) {
	var msgs []string
	for range 3 {
		err := protect(zkabi.ErrSystem, "thing", func() error {
			var s []int
			_ = s[len(msgs)+1]
			return nil
		})
		msgs = append(msgs, err.Error())
	}
	for i, m := range msgs {
		if strings.Contains(m, "\n") || strings.Contains(m, "goroutine") || strings.Contains(m, ".go:") {
			t.Fatalf("message has a stack: %q", m)
		}
		want := fmt.Sprintf("system: thing: gnark panicked: runtime error: index out of range [%d] with length 0", i+1)
		if !strings.HasSuffix(m, want) {
			t.Errorf("message %q, want it to end in %q", m, want)
		}
	}
	err := protect(zkabi.ErrSystem, "thing", func() error { panic(&struct{ p *int }{}) })
	if strings.Contains(err.Error(), "0x") {
		t.Errorf("message has an address: %v", err)
	}
}

// C2 (2): which of several bad entries of a map an error names does not
// depend on Go's map iteration order.
func TestReviewMapOrderMessages(t *testing.T) {
	f := g16Fix(t, zkabi.BN254)
	b := g16Backend(t, zkabi.BN254)
	for _, tc := range []struct {
		name string
		edit func(s *constraint.System)
	}{
		{"hints", func(s *constraint.System) {
			for i := range 8 {
				s.MHintsDependencies[solver.HintID(1000+i)] = fmt.Sprintf("evil.hint%0*d", i+1, i)
			}
		}},
		{"debug", func(s *constraint.System) {
			for i := range 8 {
				s.MDebug[i*3] = 100 + i
			}
		}},
		{"debug constraints", func(s *constraint.System) {
			s.DebugInfo = append(s.DebugInfo, constraint.LogEntry{Format: "x"})
			for i := range 8 {
				s.MDebug[s.NbConstraints+i] = 0
			}
		}},
	} {
		cs := rewriteSystem(t, f, tc.edit)
		seen := map[string]bool{}
		for range 50 {
			_, err := b.ParseSystem(cs)
			wantStatus(t, err, zkabi.ErrSystem, tc.name)
			seen[err.Error()] = true
		}
		if len(seen) != 1 {
			t.Errorf("%s: %d distinct messages for the same bytes: %v", tc.name, len(seen), seen)
		}
	}
}

// H1-H3: ProveShape reports what the solver walks, for both systems.
func TestReviewShapeCountsSolverWork(t *testing.T) {
	check := func(t *testing.T, core *constraint.System, s Shape) {
		t.Helper()
		if s.Instructions == 0 || s.Instructions != len(core.Instructions) {
			t.Errorf("Instructions %d, the system has %d", s.Instructions, len(core.Instructions))
		}
		if s.Calldata == 0 || s.Calldata != len(core.CallData) {
			t.Errorf("Calldata %d, the system has %d words", s.Calldata, len(core.CallData))
		}
		if want := len(core.Public) + len(core.Secret) + core.NbInternalVariables; s.Wires != want {
			t.Errorf("Wires %d, the system has %d", s.Wires, want)
		}
	}
	t.Run("groth16", func(t *testing.T) {
		f := g16Fix(t, zkabi.BN254)
		b := g16Backend(t, zkabi.BN254)
		cs, err := b.ParseSystem(f.cs)
		if err != nil {
			t.Fatal(err)
		}
		pk, err := b.ParseProvingKey(f.pk)
		if err != nil {
			t.Fatal(err)
		}
		s, err := b.ProveShape(cs, pk, f.full)
		if err != nil {
			t.Fatal(err)
		}
		check(t, cs.(*parsedSystem).core, s)
	})
	t.Run("plonk", func(t *testing.T) {
		f := getPlonkFixture(t, zkabi.BN254, 8, 1)
		b := reviewBackend(t, zkabi.PLONK, zkabi.BN254)
		cs := plonkMustParse(t, b.ParseSystem, f.csBytes)
		pk := plonkMustParse(t, b.ParseProvingKey, f.pkBytes)
		s, err := b.ProveShape(cs, pk, f.witness)
		if err != nil {
			t.Fatal(err)
		}
		core, _ := curves[zkabi.BN254].core(cs.(*plonkSystem).cs)
		check(t, core, s)
	})
}

// splitSystem cuts a serialized system into what precedes the body, the
// body and the coefficients.
func splitSystem(t testing.TB, data []byte) (pre, body, coeffs []byte) {
	t.Helper()
	var lens [4]uint64
	for i := range lens {
		lens[i] = binary.LittleEndian.Uint64(data[32+8*i:])
	}
	start := 64 + lens[0] + lens[1] + lens[2]
	return data[:start], data[start : start+lens[3]], data[start+lens[3]:]
}

// joinSystem is splitSystem's inverse with a new body.
func joinSystem(pre, body, coeffs []byte) []byte {
	out := append([]byte(nil), pre...)
	out = append(out, body...)
	out = append(out, coeffs...)
	binary.LittleEndian.PutUint64(out[0:], uint64(len(out)-32))
	binary.LittleEndian.PutUint64(out[56:], uint64(len(body)))
	return out
}

// replaceField returns body with the value of the top-level key (and the
// key) replaced; with sub, the field of that name inside the value.
func replaceField(t testing.TB, body []byte, key, newKey string, value []byte, sub ...string) []byte {
	t.Helper()
	w := &cborWalker{b: body}
	if _, n := w.head(); n > 0 {
		for range n {
			kstart := w.off
			_, l := w.head()
			k := string(body[w.off : w.off+int(l)])
			w.off += int(l)
			vstart := w.off
			if err := w.item(1); err != nil {
				t.Fatal(err)
			}
			if k != key {
				continue
			}
			if len(sub) > 0 {
				value = replaceField(t, body[vstart:w.off], sub[0], sub[0], value)
			}
			var out []byte
			out = append(out, body[:kstart]...)
			out = append(out, 0x60|byte(len(newKey)))
			out = append(out, newKey...)
			out = append(out, value...)
			return append(out, body[w.off:]...)
		}
	}
	t.Fatalf("no key %s", key)
	return nil
}

// cborHead encodes a CBOR head with a 4-byte argument.
func cborHead(major byte, n uint32) []byte {
	return binary.BigEndian.AppendUint32([]byte{major<<5 | 26}, n)
}

// H4: collections of the body whose decoding grows faster than their
// bytes are bounded before gnark decodes them.
func TestReviewBodyCollections(t *testing.T) {
	f := g16Fix(t, zkabi.BN254)
	b := g16Backend(t, zkabi.BN254)
	pre, body, coeffs := splitSystem(t, f.cs)
	parsed, err := b.ParseSystem(joinSystem(pre, body, coeffs))
	if err != nil {
		t.Fatalf("split and joined: %v", err)
	}
	core := parsed.(*parsedSystem).core
	mdebug := func(n uint32) []byte {
		v := cborHead(5, n)
		for i := range n {
			v = append(v, cborHead(0, i)...)
			v = append(v, 0)
		}
		return v
	}
	nulls := func(n uint32) []byte { return append(cborHead(4, n), bytes.Repeat([]byte{0xf6}, int(n))...) }
	for _, tc := range []struct {
		name, key, newKey string
		value             []byte
		sub               []string
		want              string
	}{
		{"MDebug", "MDebug", "MDebug", mdebug(1<<20 + 1), nil, "MDebug has 1048577 entries, the limit is 16384"},
		{"mdebug", "MDebug", "mDEBUG", mdebug(1<<20 + 1), nil, "MDebug has 1048577 entries"},
		{"MDebug over constraints", "MDebug", "MDebug", mdebug(2 * uint32(len(core.Instructions))), nil, "more than the system's"},
		{"DebugInfo", "DebugInfo", "DebugInfo", nulls(1<<20 + 1), nil, "DebugInfo has 1048577 entries"},
		{"Logs", "Logs", "Logs", nulls(1<<16 + 1), nil, "Logs has 65537 entries"},
		{"MHintsDependencies", "MHintsDependencies", "MHintsDependencies", cborHead(5, 1<<10+1), nil, "MHintsDependencies has 1025 entries"},
		{"Locations", "SymbolTable", "SymbolTable", nulls(1<<20 + 1), []string{"Locations"}, "SymbolTable.Locations has 1048577 entries"},
	} {
		value := tc.value
		if tc.name == "MHintsDependencies" {
			for i := range 1<<10 + 1 {
				value = append(value, cborHead(0, uint32(i))...)
				value = append(value, 0x61, 'x')
			}
		}
		cs := joinSystem(pre, replaceField(t, body, tc.key, tc.newKey, value, tc.sub...), coeffs)
		t0 := time.Now()
		_, err := b.ParseSystem(cs)
		wantStatus(t, err, zkabi.ErrSystem, tc.name)
		if !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
		t.Logf("%s: %d bytes refused in %v", tc.name, len(cs), time.Since(t0))
	}
	// a debug map of an entry per constraint is decoded, then refused
	// for pointing at debug info that is not there
	cs := joinSystem(pre, replaceField(t, body, "MDebug", "MDebug", mdebug(uint32(core.NbConstraints))), coeffs)
	t0 := time.Now()
	_, err = b.ParseSystem(cs)
	wantStatus(t, err, zkabi.ErrSystem, "MDebug a constraint")
	if !strings.Contains(err.Error(), "debug info 0 of constraint 0 out of range") {
		t.Errorf("MDebug an entry a constraint: %v", err)
	}
	t.Logf("MDebug of %d entries: %v in %v", core.NbConstraints, err, time.Since(t0))
}

// H4: what gnark's frontend writes for the examples is accepted.
func TestReviewExamplesAccepted(t *testing.T) {
	for _, tc := range []struct {
		path  string
		sys   zkabi.System
		curve zkabi.Curve
	}{
		{"/tmp/progs/groth16-mimc/cs.bin", zkabi.Groth16, zkabi.BN254},
		{"/tmp/progs/plonk-mimc/cs.bin", zkabi.PLONK, zkabi.BLS12381},
	} {
		data, err := os.ReadFile(tc.path)
		if errors.Is(err, os.ErrNotExist) {
			t.Logf("%s: not built", tc.path)
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if _, err := reviewBackend(t, tc.sys, tc.curve).ParseSystem(data); err != nil {
			t.Errorf("%s: %v", tc.path, err)
		}
	}
}
