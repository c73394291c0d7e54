package zkhost

import (
	"testing"

	"github.com/provernet/provernet/sdk/zkabi"
)

// g16FuzzArgs parses the BN254 fixture's objects for the fuzzers.
func g16FuzzArgs(f *testing.F) (*g16Fixture, Backend, Parsed, Parsed, Parsed, []byte) {
	fx := g16Fix(f, zkabi.BN254)
	b := g16Backend(f, zkabi.BN254)
	cs, err := b.ParseSystem(fx.cs)
	if err != nil {
		f.Fatal(err)
	}
	pk, err := b.ParseProvingKey(fx.pk)
	if err != nil {
		f.Fatal(err)
	}
	vk, err := b.ParseVerifyingKey(fx.vk)
	if err != nil {
		f.Fatal(err)
	}
	proof, err := b.Prove(cs, pk, fx.full, 1)
	if err != nil {
		f.Fatal(err)
	}
	return fx, b, cs, pk, vk, proof
}

func wantOneOf(t *testing.T, what string, err error, allowed ...zkabi.Status) {
	t.Helper()
	noGnarkPanic(t, what, err)
	s := StatusOf(err)
	if s == zkabi.StatusValid || s == zkabi.ErrTooLarge {
		return
	}
	for _, a := range allowed {
		if s == a {
			return
		}
	}
	t.Fatalf("%s: status %v: %v", what, s, err)
}

// FuzzParseProvingKey parses arbitrary proving keys; one that parses and
// fits the fixture system is proved with (gnark's prover goroutines would
// crash the fuzzer on anything the checks missed).
func FuzzParseProvingKey(f *testing.F) {
	fx, b, cs, _, _, _ := g16FuzzArgs(f)
	f.Add(fx.pk)
	f.Add(g16OtherPK(f, fx))
	f.Fuzz(func(t *testing.T, data []byte) {
		pk, err := b.ParseProvingKey(data)
		wantOneOf(t, "proving key", err, zkabi.ErrKey)
		if err != nil {
			return
		}
		if _, err := b.ProveShape(cs, pk, fx.full); err != nil {
			wantOneOf(t, "shape", err, zkabi.ErrKey)
			return
		}
		_, err = b.Prove(cs, pk, fx.full, 1)
		wantOneOf(t, "prove", err, zkabi.ErrKey)
	})
}

// FuzzParseVerifyingKey parses arbitrary verifying keys and verifies the
// fixture proof with those that parse.
func FuzzParseVerifyingKey(f *testing.F) {
	fx, b, _, _, _, proof := g16FuzzArgs(f)
	f.Add(fx.vk)
	f.Fuzz(func(t *testing.T, data []byte) {
		vk, err := b.ParseVerifyingKey(data)
		wantOneOf(t, "verifying key", err, zkabi.ErrKey)
		if err != nil {
			return
		}
		wantOneOf(t, "verify", b.Verify(vk, proof, fx.public), zkabi.StatusInvalid, zkabi.ErrProof)
	})
}

// FuzzVerifyProof verifies arbitrary proofs and public witnesses.
func FuzzVerifyProof(f *testing.F) {
	fx, b, _, _, vk, proof := g16FuzzArgs(f)
	f.Add(proof, fx.public)
	f.Add(proof, fx.wrongPublic)
	f.Fuzz(func(t *testing.T, proof, public []byte) {
		wantOneOf(t, "verify", b.Verify(vk, proof, public), zkabi.StatusInvalid, zkabi.ErrProof)
	})
}

// FuzzProveWitness proves the fixture system with arbitrary witnesses.
func FuzzProveWitness(f *testing.F) {
	fx, b, cs, pk, _, _ := g16FuzzArgs(f)
	f.Add(fx.full)
	f.Add(fx.badFull)
	f.Fuzz(func(t *testing.T, w []byte) {
		_, err := b.Prove(cs, pk, w, 1)
		wantOneOf(t, "prove", err, zkabi.ErrWitness, zkabi.ErrUnsatisfied)
	})
}
