package treezk

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"sync"
	"testing"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"
	"github.com/consensys/gnark/backend/groth16"
	"github.com/consensys/gnark/frontend"

	"github.com/provernet/provernet/internal/treepair"
)

var (
	alice = addr("alice")
	bob   = addr("bob")
	tree  = sum("a tree")
	other = sum("another tree")
)

func addr(s string) (a [treepair.AddressSize]byte) { copy(a[:], s); return a }
func sum(s string) []byte                          { h := sha256.Sum256([]byte(s)); return h[:] }

// baseKeys are the base level's keys, made once per test binary (about a
// second).
var baseKeys = sync.OnceValues(func() (*Level, error) {
	cs, err := Compile(0, nil)
	if err != nil {
		return nil, err
	}
	pk, vk, err := groth16.Setup(cs)
	if err != nil {
		return nil, err
	}
	var raw bytes.Buffer
	_, _ = vk.WriteTo(&raw)
	return &Level{Level: 0, CS: cs, PK: pk, VK: vk, VKRaw: raw.Bytes()}, nil
})

func keys(t *testing.T) *Level {
	t.Helper()
	k, err := baseKeys()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// chainVerify is what the chain does with a base proof: recompute Out
// for the sender and verify against the public inputs.
func chainVerify(t *testing.T, k *Level, sender [treepair.AddressSize]byte, tr []byte, node uint32, a, b, proof []byte) error {
	t.Helper()
	out, err := treepair.BaseOut(sender, tr, node, a, b)
	if err != nil {
		t.Fatal(err)
	}
	pub, _ := treepair.Public(sender, tr, node, out)
	vk, err := treepair.ParseVerifyingKey(k.VKRaw)
	if err != nil {
		t.Fatal(err)
	}
	p, err := treepair.ParseProof(proof)
	if err != nil {
		return err
	}
	return treepair.Verify(vk, p, pub)
}

// TestBaseProof: a base proof verifies for its prover, tree, node and
// inputs, and for no other prover (a lifted proof is worthless), node,
// tree or input.
func TestBaseProof(t *testing.T) {
	k := keys(t)
	a, b := sum("input a"), sum("input b")
	proof, outputs, err := ProveBase(k, alice, tree, 2, a, b)
	if err != nil {
		t.Fatal(err)
	}
	if want, _ := treepair.BaseOut(alice, tree, 2, a, b); !bytes.Equal(outputs, treepair.Outputs(alice, want)) {
		t.Fatalf("outputs %x", outputs)
	}
	if err := chainVerify(t, k, alice, tree, 2, a, b, proof); err != nil {
		t.Fatalf("the proof does not verify: %v", err)
	}
	for name, err := range map[string]error{
		"another prover": chainVerify(t, k, bob, tree, 2, a, b, proof),
		"another node":   chainVerify(t, k, alice, tree, 3, a, b, proof),
		"another tree":   chainVerify(t, k, alice, other, 2, a, b, proof),
		"another input":  chainVerify(t, k, alice, tree, 2, b, a, proof),
	} {
		if !errors.Is(err, treepair.ErrInvalid) {
			t.Errorf("%s: %v; want the proof rejected", name, err)
		}
	}
}

// TestBaseCircuitRejectsWrongOut: the circuit is unsatisfied when Out is
// not the commitment of its inputs.
func TestBaseCircuitRejectsWrongOut(t *testing.T) {
	k := keys(t)
	a, b := sum("input a"), sum("input b")
	out, _ := treepair.BaseOut(alice, tree, 2, a, b)
	pub, _ := publicVars(alice, tree, 2, out)
	ah, al, _ := treepair.Halves(a)
	bh, bl, _ := treepair.Halves(b)
	c := &BaseCircuit{Prover: pub[0], TreeHi: pub[1], TreeLo: pub[2], Node: pub[3], Out: pub[4],
		A: [2]frontend.Variable{bigOf(ah), bigOf(al)}, B: [2]frontend.Variable{bigOf(bh), bigOf(bl)}}
	if err := solved(k, c); err != nil {
		t.Fatalf("the honest assignment: %v", err)
	}
	c.Out = bigOf(fr.NewElement(12345))
	if err := solved(k, c); err == nil {
		t.Fatal("a tampered Out satisfies the base circuit")
	}
}

func solved(k *Level, c frontend.Circuit) error {
	w, err := frontend.NewWitness(c, field)
	if err != nil {
		return err
	}
	return k.CS.IsSolved(w)
}
