package sha256chain

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"testing"

	"github.com/provernet/provernet/examples/programs/internal/progio"
)

func TestChain(t *testing.T) {
	seed := []byte("provernet")
	h1 := sha256.Sum256(seed)
	if got := Chain(seed, 1); got != h1 {
		t.Fatalf("Chain(1) = %x, want %x", got, h1)
	}
	h3 := sha256.Sum256(h1[:])
	h3 = sha256.Sum256(h3[:])
	if got := Chain(seed, 3); got != h3 {
		t.Fatalf("Chain(3) = %x, want %x", got, h3)
	}
}

func TestProveVerify(t *testing.T) {
	in := []byte(`{"seed": "` + hex.EncodeToString([]byte("provernet")) + `", "iterations": 1000}`)
	proof, err := ProveBytes(in)
	if err != nil {
		t.Fatal(err)
	}
	if want := Chain([]byte("provernet"), 1000); !bytes.Equal(proof, want[:]) {
		t.Fatalf("proof %x, want %x", proof, want)
	}
	if err := VerifyBytes(in, proof); err != nil {
		t.Fatalf("valid proof rejected: %v", err)
	}
	for i := range proof {
		bad := bytes.Clone(proof)
		bad[i] ^= 1
		if err := VerifyBytes(in, bad); !errors.Is(err, ErrMismatch) {
			t.Fatalf("byte %d flipped: %v, want ErrMismatch", i, err)
		}
	}
	for _, bad := range [][]byte{nil, proof[:31], append(bytes.Clone(proof), 0)} {
		if err := VerifyBytes(in, bad); err == nil || progio.ExitCode(err) != progio.ExitInvalid {
			t.Fatalf("proof of %d bytes: %v, want invalid", len(bad), err)
		}
	}
	other := []byte(`{"seed": "00", "iterations": 1000}`)
	if err := VerifyBytes(other, proof); err == nil {
		t.Fatal("proof accepted for another input")
	}
}

func TestMalformedInput(t *testing.T) {
	for _, in := range []string{
		``, `{}`, `[1]`, `{"seed": "zz", "iterations": 1}`, `{"seed": "", "iterations": 1}`,
		`{"seed": "00", "iterations": 0}`, `{"seed": "00", "iterations": 2000000000}`,
		`{"seed": "00", "iterations": 1, "extra": 1}`, `{"seed": "00", "iterations": 1} {}`,
	} {
		if _, err := ProveBytes([]byte(in)); !progio.IsMalformed(err) {
			t.Errorf("input %q: %v, want malformed", in, err)
		}
		if err := VerifyBytes([]byte(in), make([]byte, 32)); !progio.IsMalformed(err) {
			t.Errorf("verify input %q: %v, want malformed", in, err)
		}
	}
}

func TestSampleInput(t *testing.T) {
	in, err := os.ReadFile("input.json")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := ParseInput(in); err != nil {
		t.Fatalf("sample input.json: %v", err)
	}
}
