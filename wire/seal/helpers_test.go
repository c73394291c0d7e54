package seal

import (
	"bytes"
	"testing"

	"filippo.io/age"
)

// fixedIdentity is a test-only key, fixed so that fuzz seeds open with it.
// Its recipient is age13wh5hlghys7cn9jgjhg9eugqetska4x6yccl824slr3c2as8n5jqwd82wv.
const fixedIdentity = "AGE-SECRET-KEY-15VCME2ZQ2USNFQGFD895LY3Y75S4JY0P0HJGQKA33F88D0RYTM5SWQWF0W"

const testMaxProof = 1 << 20

func testHeader() Header {
	h := Header{Slot: 3, Outcome: OutcomeProof, CyclesUsed: 123_456_789}
	for i := range h.Workload {
		h.Workload[i] = byte(i + 1)
	}
	for i := range h.Prover {
		h.Prover[i] = byte(0xa0 + i)
	}
	return h
}

// testProof returns n deterministic, non-repeating-looking bytes.
func testProof(n int) []byte {
	p := make([]byte, n)
	for i := range p {
		p[i] = byte(i*7 + i>>8)
	}
	return p
}

func mustIdentity(t testing.TB) *age.X25519Identity {
	t.Helper()
	id, err := NewIdentity()
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func mustFixed(t testing.TB) *age.X25519Identity {
	t.Helper()
	id, err := age.ParseX25519Identity(fixedIdentity)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func mustHybrid(t testing.TB) *age.HybridIdentity {
	t.Helper()
	id, err := age.GenerateHybridIdentity()
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func mustSeal(t testing.TB, h Header, proof []byte, user string, temp *age.X25519Identity) []byte {
	t.Helper()
	file, err := Seal(h, proof, user, temp)
	if err != nil {
		t.Fatal(err)
	}
	return file
}

// mustOpen opens file with identity and checks it holds h and proof.
func mustOpen(t testing.TB, file []byte, identity string, h Header, proof []byte) {
	t.Helper()
	gotH, gotP, err := Open(file, identity, testMaxProof)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	if gotH != h {
		t.Fatalf("header = %+v, want %+v", gotH, h)
	}
	if !bytes.Equal(gotP, proof) {
		t.Fatalf("proof differs: got %d bytes, want %d", len(gotP), len(proof))
	}
}

// encryptTo makes an age file of plaintext to recipients, bypassing Seal.
func encryptTo(t testing.TB, plaintext []byte, rs ...age.Recipient) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := age.Encrypt(&buf, rs...)
	if err != nil {
		t.Fatal(err)
	}
	if err := writeAll(w, plaintext); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
