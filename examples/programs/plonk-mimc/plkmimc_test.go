package plkmimc

import (
	"bytes"
	"sync"
	"testing"

	"github.com/consensys/gnark-crypto/ecc/bls12-381/fr"
	"github.com/consensys/gnark/backend/plonk"
	"github.com/consensys/gnark/constraint"
	"github.com/consensys/gnark/frontend"

	"github.com/provernet/provernet/examples/programs/internal/mimcchain"
	"github.com/provernet/provernet/examples/programs/plonk-mimc/chain"
	"github.com/provernet/provernet/examples/programs/plonk-mimc/container"
)

const testN = 2

type fixture struct {
	ccs           constraint.ConstraintSystem
	pk            plonk.ProvingKey
	vk            plonk.VerifyingKey
	csb, pkb, vkb []byte
	x, y          fr.Element
	proof         []byte // a container
}

var testFixture = sync.OnceValues(func() (*fixture, error) {
	f := &fixture{}
	var err error
	if f.ccs, f.pk, f.vk, err = Setup(testN, DevSeed); err != nil {
		return nil, err
	}
	var cs, pk, vk bytes.Buffer
	if err := WriteFiles(f.ccs, f.pk, f.vk, &cs, &pk, &vk); err != nil {
		return nil, err
	}
	f.csb, f.pkb, f.vkb = cs.Bytes(), pk.Bytes(), vk.Bytes()
	f.x.SetUint64(42)
	f.y = chain.Chain(f.x, testN)
	full, err := frontend.NewWitness(&Circuit{N: testN, X: f.x, Y: f.y}, Curve.ScalarField())
	if err != nil {
		return nil, err
	}
	public, err := full.Public()
	if err != nil {
		return nil, err
	}
	proof, err := plonk.Prove(f.ccs, f.pk, full)
	if err != nil {
		return nil, err
	}
	f.proof, err = EncodeProof(proof, public)
	return f, err
})

func testKeys(t *testing.T) *fixture {
	t.Helper()
	f, err := testFixture()
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// TestProveVerifyNative: gnark proves the chain, the container has the
// fixed shape package container expects, and it verifies.
func TestProveVerifyNative(t *testing.T) {
	f := testKeys(t)
	if want := len(container.Magic) + 4 + container.ProofSize + 4 + 12 + fr.Bytes; len(f.proof) != want {
		t.Fatalf("container of %d bytes, want %d", len(f.proof), want)
	}
	if err := VerifyNative(f.vkb, f.proof); err != nil {
		t.Fatalf("native verify: %v", err)
	}
	c, err := container.Spec.DecodeProof(f.proof)
	if err != nil {
		t.Fatal(err)
	}
	if want := mimcchain.Element(f.y.Bytes()); c.Y != want {
		t.Fatalf("container y %s, want %s", c.Y, want)
	}
	t.Logf("n=%d: %d constraints, cs.bin %d B, pk.bin %d B, vk.bin %d B, proof %d B",
		testN, f.ccs.GetNbConstraints(), len(f.csb), len(f.pkb), len(f.vkb), len(f.proof))
}

// TestHandWitness: the witness the host-backed prover encodes without
// gnark is gnark's, byte for byte, and the constants match gnark-crypto.
func TestHandWitness(t *testing.T) {
	f := testKeys(t)
	full, err := frontend.NewWitness(&Circuit{N: testN, X: f.x, Y: f.y}, Curve.ScalarField())
	if err != nil {
		t.Fatal(err)
	}
	pub, err := full.Public()
	if err != nil {
		t.Fatal(err)
	}
	x, y := mimcchain.Element(f.x.Bytes()), mimcchain.Element(f.y.Bytes())
	wantFull, _ := full.MarshalBinary()
	wantPub, _ := pub.MarshalBinary()
	if got := chain.Spec.FullWitness(x, y); !bytes.Equal(got, wantFull) {
		t.Fatalf("full witness\n%x\nwant\n%x", got, wantFull)
	}
	if got := chain.Spec.PublicWitness(y); !bytes.Equal(got, wantPub) {
		t.Fatalf("public witness\n%x\nwant\n%x", got, wantPub)
	}
	if container.Spec.Modulus.String() != fr.Modulus().String() {
		t.Fatalf("modulus %s, want %s", container.Spec.Modulus, fr.Modulus())
	}
	// The circuit is satisfied by (x, Chain(x)) only.
	var other fr.Element
	other.SetUint64(1)
	other.Add(&other, &f.y)
	bad, _ := frontend.NewWitness(&Circuit{N: testN, X: f.x, Y: other}, Curve.ScalarField())
	if _, err := f.ccs.Solve(bad); err == nil {
		t.Fatal("circuit satisfied by a wrong y")
	}
}

// TestTamperedProofRejected: every single-bit flip of the container is
// rejected by the decoder or by gnark's verifier, never accepted.
func TestTamperedProofRejected(t *testing.T) {
	f := testKeys(t)
	for i := range f.proof {
		bad := bytes.Clone(f.proof)
		bad[i] ^= 1
		if err := VerifyNative(f.vkb, bad); err == nil {
			t.Fatalf("byte %d flipped: accepted", i)
		}
	}
	for n := 0; n < len(f.proof); n += 7 {
		if err := VerifyNative(f.vkb, f.proof[:n]); err == nil {
			t.Fatalf("truncated to %d: accepted", n)
		}
	}
}

// TestSetupReproducible: the seeded setup writes the same files twice and
// another seed gives another vk, under which the proof does not verify.
func TestSetupReproducible(t *testing.T) {
	f := testKeys(t)
	ccs, pk, vk, err := Setup(testN, DevSeed)
	if err != nil {
		t.Fatal(err)
	}
	var cs, pkb, vkb bytes.Buffer
	if err := WriteFiles(ccs, pk, vk, &cs, &pkb, &vkb); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(cs.Bytes(), f.csb) || !bytes.Equal(pkb.Bytes(), f.pkb) || !bytes.Equal(vkb.Bytes(), f.vkb) {
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
	if bytes.Equal(vkb2.Bytes(), f.vkb) {
		t.Fatal("another seed gave the same vk")
	}
	if err := VerifyNative(vkb2.Bytes(), f.proof); err == nil {
		t.Fatal("proof verified under another setup's vk")
	}
}
