package treepair_test

import (
	"bytes"
	"errors"
	"math/big"
	"syscall"
	"testing"
	"time"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark/backend/groth16"
	"github.com/consensys/gnark/frontend"
	"github.com/consensys/gnark/frontend/cs/r1cs"
	"github.com/consensys/gnark/std/hash/mimc"
	stdgroth16 "github.com/consensys/gnark/std/recursion/groth16"

	"github.com/provernet/provernet/internal/treepair"
)

// stmtCircuit has a node's public statement and, when commit is set, a
// BSB22 commitment over a secret and a public input (as the range checks
// of a merge circuit make one): Out = MiMC(X, Prover, ...).
type stmtCircuit struct {
	Prover, TreeHi, TreeLo, Node, Out frontend.Variable `gnark:",public"`
	X                                 frontend.Variable
	commit                            bool
}

func (c *stmtCircuit) Define(api frontend.API) error {
	h, err := mimc.NewMiMC(api)
	if err != nil {
		return err
	}
	h.Write(c.X, c.Prover, c.TreeHi, c.TreeLo, c.Node)
	api.AssertIsEqual(h.Sum(), c.Out)
	if c.commit {
		v, err := api.(frontend.Committer).Commit(c.X, c.Node)
		if err != nil {
			return err
		}
		api.AssertIsDifferent(v, 0)
	}
	return nil
}

type fixture struct {
	vk     groth16.VerifyingKey
	vkRaw  []byte
	proof  groth16.Proof
	raw    []byte
	public []fr.Element
}

func newFixture(t *testing.T, commit bool) fixture {
	t.Helper()
	field := ecc.BN254.ScalarField()
	cs, err := frontend.Compile(field, r1cs.NewBuilder, &stmtCircuit{commit: commit})
	if err != nil {
		t.Fatal(err)
	}
	pk, vk, err := groth16.Setup(cs)
	if err != nil {
		t.Fatal(err)
	}
	var prover [treepair.AddressSize]byte
	copy(prover[:], "a prover's address..")
	tree := bytes.Repeat([]byte{7}, 32)
	x := fr.NewElement(42)
	pub, _ := treepair.Public(prover, tree, 5, fr.Element{})
	out := mimcOf(append([]fr.Element{x}, pub[:4]...)...)
	pub[4] = out
	a := &stmtCircuit{X: bigOf(x), Prover: bigOf(pub[0]), TreeHi: bigOf(pub[1]), TreeLo: bigOf(pub[2]), Node: bigOf(pub[3]), Out: bigOf(out), commit: commit}
	w, err := frontend.NewWitness(a, field)
	if err != nil {
		t.Fatal(err)
	}
	p, err := groth16.Prove(cs, pk, w, stdgroth16.GetNativeProverOptions(field, field))
	if err != nil {
		t.Fatal(err)
	}
	var pb, vb bytes.Buffer
	_, _ = p.WriteTo(&pb)
	_, _ = vk.WriteTo(&vb)
	return fixture{vk: vk, vkRaw: vb.Bytes(), proof: p, raw: pb.Bytes(), public: pub}
}

func mimcOf(xs ...fr.Element) fr.Element {
	out, _ := treepair.HashForTest(xs...)
	return out
}

func bigOf(e fr.Element) *big.Int { return e.BigInt(new(big.Int)) }

// gnarkVerify is gnark's own verdict.
func gnarkVerify(f fixture, raw []byte, public []fr.Element) error {
	p := groth16.NewProof(ecc.BN254)
	if _, err := p.ReadFrom(bytes.NewReader(raw)); err != nil {
		return err
	}
	field := ecc.BN254.ScalarField()
	a := &stmtCircuit{X: 0, Prover: bigOf(public[0]), TreeHi: bigOf(public[1]), TreeLo: bigOf(public[2]), Node: bigOf(public[3]), Out: bigOf(public[4])}
	w, err := frontend.NewWitness(a, field, frontend.PublicOnly())
	if err != nil {
		return err
	}
	return groth16.Verify(p, f.vk, w, stdgroth16.GetNativeVerifierOptions(field, field))
}

func ours(f fixture, raw []byte, public []fr.Element) error {
	vk, err := treepair.ParseVerifyingKey(f.vkRaw)
	if err != nil {
		return err
	}
	p, err := treepair.ParseProof(raw)
	if err != nil {
		return err
	}
	return treepair.Verify(vk, p, public)
}

// TestVerifyMatchesGnark: treepair.Verify accepts exactly what gnark's
// verifier accepts, with and without a commitment: the proof, and the
// proof against every public input changed, and a proof with a point
// replaced.
func TestVerifyMatchesGnark(t *testing.T) {
	for _, commit := range []bool{false, true} {
		f := newFixture(t, commit)
		if err := gnarkVerify(f, f.raw, f.public); err != nil {
			t.Fatalf("commit=%t: gnark rejects the fixture: %v", commit, err)
		}
		if err := ours(f, f.raw, f.public); err != nil {
			t.Fatalf("commit=%t: the proof gnark accepts is rejected: %v", commit, err)
		}
		for i := range f.public {
			pub := append([]fr.Element{}, f.public...)
			pub[i].Add(&pub[i], new(fr.Element).SetOne())
			g, o := gnarkVerify(f, f.raw, pub), ours(f, f.raw, pub)
			if g == nil || !errors.Is(o, treepair.ErrInvalid) {
				t.Errorf("commit=%t, public input %d changed: gnark %v, ours %v; want both to reject", commit, i, g, o)
			}
		}
		// Ar replaced by Krs: well formed, wrong.
		bad := append([]byte{}, f.raw...)
		copy(bad[:32], f.raw[96:128])
		g, o := gnarkVerify(f, bad, f.public), ours(f, bad, f.public)
		if g == nil || !errors.Is(o, treepair.ErrInvalid) {
			t.Errorf("commit=%t, Ar replaced: gnark %v, ours %v; want both to reject", commit, g, o)
		}
	}
}

// TestParseRejectsMalformed: truncated, extended and uncompressed
// encodings are errors, not panics.
func TestParseRejectsMalformed(t *testing.T) {
	f := newFixture(t, true)
	for n := 0; n < len(f.raw); n += 7 {
		if _, err := treepair.ParseProof(f.raw[:n]); err == nil {
			t.Fatalf("a proof cut to %d bytes parses", n)
		}
	}
	if _, err := treepair.ParseProof(append(append([]byte{}, f.raw...), 0)); err == nil {
		t.Fatal("a proof with a trailing byte parses")
	}
	for n := 0; n < len(f.vkRaw); n += 13 {
		if _, err := treepair.ParseVerifyingKey(f.vkRaw[:n]); err == nil {
			t.Fatalf("a key cut to %d bytes parses", n)
		}
	}
	var raw bytes.Buffer
	_, _ = f.proof.WriteRawTo(&raw)
	if _, err := treepair.ParseProof(raw.Bytes()); err == nil {
		t.Fatal("an uncompressed proof parses")
	}
	flipped := append([]byte{}, f.raw...)
	flipped[40] ^= 1 // inside Bs: off the curve or out of the subgroup
	if _, err := treepair.ParseProof(flipped); err == nil {
		if err := ours(f, flipped, f.public); !errors.Is(err, treepair.ErrInvalid) {
			t.Fatalf("a proof with a flipped bit verifies: %v", err)
		}
	}
}

// BenchmarkVerifyNodeProof is what the chain does for one gnark node
// proof, a merge's shape (one commitment): parse the level's key and the
// proof, verify (wire.WeightGnarkNodeProof).
func BenchmarkVerifyNodeProof(b *testing.B) {
	t := &testing.T{}
	f := newFixture(t, true)
	// CPU time per op beside the wall time: on a shared machine the wall
	// clock counts other processes' turns.
	cpu0 := cpuTime()
	for b.Loop() {
		vk, err := treepair.ParseVerifyingKey(f.vkRaw)
		if err != nil {
			b.Fatal(err)
		}
		p, err := treepair.ParseProof(f.raw)
		if err != nil {
			b.Fatal(err)
		}
		if err := treepair.Verify(vk, p, f.public); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(b.N), "cpu-us/op")
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
