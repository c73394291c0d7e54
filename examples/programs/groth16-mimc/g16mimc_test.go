package g16mimc

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"sync"
	"testing"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark/backend/groth16"
	"github.com/consensys/gnark/constraint"
	"github.com/consensys/gnark/frontend"

	"github.com/provernet/provernet/examples/programs/groth16-mimc/chain"
	"github.com/provernet/provernet/examples/programs/groth16-mimc/container"
	"github.com/provernet/provernet/examples/programs/internal/mimcchain"
	"github.com/provernet/provernet/examples/programs/internal/progio"
)

const testN = 3

type keys struct {
	ccs        constraint.ConstraintSystem
	pk         groth16.ProvingKey
	vk         groth16.VerifyingKey
	pkb, vkb   []byte
	x, y       fr.Element
	input      []byte
	validProof []byte
}

var (
	keysOnce sync.Once
	theKeys  keys
	keysErr  error
)

// testKeys runs the seeded setup for testN once and proves once.
func testKeys(t *testing.T) *keys {
	t.Helper()
	keysOnce.Do(func() {
		k := &theKeys
		if k.ccs, k.pk, k.vk, keysErr = Setup(testN, DevSeed); keysErr != nil {
			return
		}
		var pkb, vkb bytes.Buffer
		if keysErr = WriteKeys(k.pk, k.vk, &pkb, &vkb); keysErr != nil {
			return
		}
		k.pkb, k.vkb = pkb.Bytes(), vkb.Bytes()
		k.x.SetUint64(42)
		k.y = Chain(k.x, testN)
		k.input = fmt.Appendf(nil, `{"n": %d, "x": "42", "y": "%s"}`, testN, k.y.String())
		k.validProof, keysErr = ProveBytes(k.pkb, k.vkb, k.input)
	})
	if keysErr != nil {
		t.Fatal(keysErr)
	}
	return &theKeys
}

func TestChainMatchesCircuit(t *testing.T) {
	k := testKeys(t)
	// The circuit is satisfied by (x, Chain(x)) and not by (x, Chain(x)+1).
	var yy fr.Element
	yy.SetOne()
	yy.Add(&yy, &k.y)
	for _, c := range []struct {
		y  fr.Element
		ok bool
	}{{k.y, true}, {yy, false}} {
		w, err := frontend.NewWitness(&Circuit{N: testN, X: k.x, Y: c.y}, ecc.BN254.ScalarField())
		if err != nil {
			t.Fatal(err)
		}
		_, err = k.ccs.Solve(w)
		if (err == nil) != c.ok {
			t.Fatalf("y ok=%v: solve error %v", c.ok, err)
		}
	}
}

func TestNativeProveVerify(t *testing.T) {
	k := testKeys(t)
	w, err := frontend.NewWitness(&Circuit{N: testN, X: k.x, Y: k.y}, ecc.BN254.ScalarField())
	if err != nil {
		t.Fatal(err)
	}
	pub, err := w.Public()
	if err != nil {
		t.Fatal(err)
	}
	proof, err := groth16.Prove(k.ccs, k.pk, w)
	if err != nil {
		t.Fatal(err)
	}
	if err := groth16.Verify(proof, k.vk, pub); err != nil {
		t.Fatalf("gnark verify: %v", err)
	}
	// The container round-trips and verifies with the program's verifier.
	file, err := EncodeProof(proof, pub)
	if err != nil {
		t.Fatal(err)
	}
	if err := VerifyBytes(k.vkb, k.input, file); err != nil {
		t.Fatalf("VerifyBytes: %v", err)
	}
	// A wrong preimage has no satisfying witness: gnark refuses to prove.
	var wrong fr.Element
	wrong.SetUint64(43)
	bad, err := frontend.NewWitness(&Circuit{N: testN, X: wrong, Y: k.y}, ecc.BN254.ScalarField())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := groth16.Prove(k.ccs, k.pk, bad); err == nil {
		t.Fatal("proved MiMC^n(43) = MiMC^n(42)")
	}
	// A valid proof does not verify for another public y.
	var other fr.Element
	other.SetUint64(7)
	otherPub, err := frontend.NewWitness(&Circuit{N: testN, Y: other}, ecc.BN254.ScalarField(), frontend.PublicOnly())
	if err != nil {
		t.Fatal(err)
	}
	if err := groth16.Verify(proof, k.vk, otherPub); err == nil {
		t.Fatal("proof verified for another y")
	}
}

// TestHandWitness checks that the witness the host-backed prover encodes
// without gnark (container.Spec) is byte for byte gnark's, full and public.
func TestHandWitness(t *testing.T) {
	k := testKeys(t)
	full, err := frontend.NewWitness(&Circuit{N: testN, X: k.x, Y: k.y}, ecc.BN254.ScalarField())
	if err != nil {
		t.Fatal(err)
	}
	pub, err := full.Public()
	if err != nil {
		t.Fatal(err)
	}
	x, y := mimcchain.Element(k.x.Bytes()), mimcchain.Element(k.y.Bytes())
	for _, c := range []struct {
		name string
		w    interface{ MarshalBinary() ([]byte, error) }
		hand []byte
	}{{"full", full, container.Spec.FullWitness(x, y)}, {"public", pub, container.Spec.PublicWitness(y)}} {
		want, err := c.w.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(c.hand, want) {
			t.Fatalf("%s witness:\n%x\nwant\n%x", c.name, c.hand, want)
		}
	}
	// And the native chain agrees with the circuit's (k.y satisfies it).
	if got := chain.Spec.Chain(x, testN); got != y {
		t.Fatalf("native chain %s, want %s", got, y)
	}
	if container.Spec.Modulus.String() != fr.Modulus().String() {
		t.Fatalf("container modulus %s, want %s", container.Spec.Modulus, fr.Modulus())
	}
}

func TestProgramProveVerify(t *testing.T) {
	k := testKeys(t)
	if err := VerifyBytes(k.vkb, k.input, k.validProof); err != nil {
		t.Fatalf("valid proof rejected: %v", err)
	}
	// The verifier also accepts when input.json has no y (it then only
	// checks the proof against vk), and ignores x.
	noY := fmt.Appendf(nil, `{"n": %d}`, testN)
	if err := VerifyBytes(k.vkb, noY, k.validProof); err != nil {
		t.Fatalf("valid proof rejected without y: %v", err)
	}
	// The prover computes y when input.json omits it.
	if _, err := ProveBytes(k.pkb, k.vkb, fmt.Appendf(nil, `{"n": %d, "x": "42"}`, testN)); err != nil {
		t.Fatalf("prove without y: %v", err)
	}
	// Wrong preimage for y: the prover fails (exit 1, not malformed).
	_, err := ProveBytes(k.pkb, k.vkb, fmt.Appendf(nil, `{"n": %d, "x": "43", "y": "%s"}`, testN, k.y.String()))
	if err == nil || progio.ExitCode(err) != progio.ExitInvalid {
		t.Fatalf("wrong preimage: %v, want a prover failure", err)
	}
	// Keys for another chain length: malformed input.
	_, err = ProveBytes(k.pkb, k.vkb, fmt.Appendf(nil, `{"n": %d, "x": "42"}`, testN+1))
	if !progio.IsMalformed(err) {
		t.Fatalf("n mismatch: %v, want malformed", err)
	}
	// The proof is bound to y.
	err = VerifyBytes(k.vkb, fmt.Appendf(nil, `{"n": %d, "y": "7"}`, testN), k.validProof)
	if err == nil || progio.IsMalformed(err) {
		t.Fatalf("proof accepted for another y: %v", err)
	}
}

func TestTamperedProofRejected(t *testing.T) {
	k := testKeys(t)
	p := k.validProof
	if len(p) != len(Magic)+4+container.ProofSize+4+12+fr.Bytes {
		t.Fatalf("proof is %d bytes", len(p))
	}
	for i := range p {
		for _, bit := range []byte{0x01, 0x80} {
			bad := bytes.Clone(p)
			bad[i] ^= bit
			err := VerifyBytes(k.vkb, k.input, bad)
			if err == nil {
				t.Fatalf("byte %d ^ %#x: tampered proof accepted", i, bit)
			}
			if progio.ExitCode(err) != progio.ExitInvalid {
				t.Fatalf("byte %d: exit code %d, want %d (%v)", i, progio.ExitCode(err), progio.ExitInvalid, err)
			}
		}
	}
	// Truncations and extensions are invalid too, never malformed or panics.
	for n := 0; n < len(p); n++ {
		if err := VerifyBytes(k.vkb, k.input, p[:n]); progio.ExitCode(err) != progio.ExitInvalid {
			t.Fatalf("truncated to %d: %v", n, err)
		}
	}
	if err := VerifyBytes(k.vkb, k.input, append(bytes.Clone(p), 0)); progio.ExitCode(err) != progio.ExitInvalid {
		t.Fatalf("extended: %v", err)
	}
	// A hostile length field does not make the decoder allocate.
	bad := bytes.Clone(p)
	binary.BigEndian.PutUint32(bad[len(Magic)+4+128:], 0xffffffff)
	if err := VerifyBytes(k.vkb, k.input, bad); progio.ExitCode(err) != progio.ExitInvalid {
		t.Fatalf("hostile commitment count: %v", err)
	}
}

func TestMalformedInputs(t *testing.T) {
	k := testKeys(t)
	for _, in := range []string{
		``, `{}`, `{"n": 0, "x": "1"}`, `{"n": 3, "x": "-1"}`, `{"n": 3, "x": "abc"}`,
		`{"n": 3, "x": "21888242871839275222246405745257275088548364400416034343698204186575808495617"}`,
		`{"n": 3, "x": "1", "z": 1}`,
	} {
		if _, err := ProveBytes(k.pkb, k.vkb, []byte(in)); !progio.IsMalformed(err) {
			t.Errorf("prover input %q: %v, want malformed", in, err)
		}
	}
	if _, err := ProveBytes(k.pkb, k.vkb, fmt.Appendf(nil, `{"n": %d}`, testN)); !progio.IsMalformed(err) {
		t.Errorf("prover without x: %v, want malformed", err)
	}
	if err := VerifyBytes(k.vkb[:len(k.vkb)-1], k.input, k.validProof); !progio.IsMalformed(err) {
		t.Errorf("truncated vk: %v, want malformed", err)
	}
	if _, err := ProveBytes(k.pkb[:len(k.pkb)/2], k.vkb, k.input); !progio.IsMalformed(err) {
		t.Errorf("truncated pk: %v, want malformed", err)
	}
}

func TestSetupReproducible(t *testing.T) {
	k := testKeys(t)
	_, pk, vk, err := Setup(testN, DevSeed)
	if err != nil {
		t.Fatal(err)
	}
	var pkb, vkb bytes.Buffer
	if err := WriteKeys(pk, vk, &pkb, &vkb); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(pkb.Bytes(), k.pkb) || !bytes.Equal(vkb.Bytes(), k.vkb) {
		t.Fatal("seeded setup is not reproducible")
	}
	_, _, vk2, err := Setup(testN, DevSeed+"x")
	if err != nil {
		t.Fatal(err)
	}
	var vkb2 bytes.Buffer
	if _, err := vk2.WriteTo(&vkb2); err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(vkb2.Bytes(), k.vkb) {
		t.Fatal("different seeds gave the same keys")
	}
	// A proof for other keys does not verify.
	if err := VerifyBytes(vkb2.Bytes(), k.input, k.validProof); err == nil {
		t.Fatal("proof verified under another setup's vk")
	}
}

func TestChainLengthFor(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles 2^14-constraint circuits")
	}
	n, err := ChainLengthFor(14)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		n     int
		below bool
	}{{n, true}, {n + 1, false}} {
		ccs, err := Compile(c.n)
		if err != nil {
			t.Fatal(err)
		}
		if got := ccs.GetNbConstraints() <= 1<<14; got != c.below {
			t.Fatalf("n=%d: %d constraints, want <= 2^14: %v", c.n, ccs.GetNbConstraints(), c.below)
		}
	}
}

// BenchmarkProve measures the prover natively at about 2^14 and 2^15
// constraints (the figures in README.md); run it single-threaded with
//
//	taskset -c 0 env GOMAXPROCS=1 go test -run '^$' -bench Prove ./examples/programs/groth16-mimc/
//
// "gnark" is groth16.Prove alone; "program" is ProveBytes, the whole prover
// (key loading, circuit compilation, proving, self-check).
func BenchmarkProve(b *testing.B) {
	for _, logN := range []int{14, 15} {
		n, err := ChainLengthFor(logN)
		if err != nil {
			b.Fatal(err)
		}
		ccs, pk, vk, err := Setup(n, DevSeed)
		if err != nil {
			b.Fatal(err)
		}
		var pkb, vkb bytes.Buffer
		if err := WriteKeys(pk, vk, &pkb, &vkb); err != nil {
			b.Fatal(err)
		}
		var x fr.Element
		x.SetUint64(42)
		input := fmt.Appendf(nil, `{"n": %d, "x": "42"}`, n)
		w, err := frontend.NewWitness(&Circuit{N: n, X: x, Y: Chain(x, n)}, ecc.BN254.ScalarField())
		if err != nil {
			b.Fatal(err)
		}
		b.Run(fmt.Sprintf("log=%d/gnark", logN), func(b *testing.B) {
			for b.Loop() {
				if _, err := groth16.Prove(ccs, pk, w); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(ccs.GetNbConstraints()), "constraints")
		})
		b.Run(fmt.Sprintf("log=%d/program", logN), func(b *testing.B) {
			for b.Loop() {
				if _, err := ProveBytes(pkb.Bytes(), vkb.Bytes(), input); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
