package seal

import (
	"bytes"
	"errors"
	"testing"
)

// sealedSeeds are real sealed files, openable with fixedIdentity: a
// challenge, an X25519 user, a hybrid user, and a proof across two chunks.
func sealedSeeds(f *testing.F) [][]byte {
	fixed := mustFixed(f)
	h := testHeader()
	return [][]byte{
		mustSeal(f, h, testProof(40), "", fixed),
		mustSeal(f, h, nil, mustIdentity(f).Recipient().String(), fixed),
		mustSeal(f, h, testProof(300), mustHybrid(f).Recipient().String(), fixed),
		mustSeal(f, h, testProof(chunkSize), "", fixed),
	}
}

// FuzzOpen: arbitrary bytes as a sealed file never panic Open; whatever
// opens also passes CheckFile, and fails with ErrWrongIdentity or
// ErrMalformed otherwise.
func FuzzOpen(f *testing.F) {
	for _, s := range sealedSeeds(f) {
		f.Add(s)
	}
	f.Add([]byte("age-encryption.org/v1\n"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, file []byte) {
		h, proof, err := Open(file, fixedIdentity, testMaxProof)
		if err != nil {
			if !errors.Is(err, ErrWrongIdentity) && !errors.Is(err, ErrMalformed) {
				t.Fatalf("error wraps neither sentinel: %v", err)
			}
			return
		}
		if !h.Outcome.valid() || len(proof) > testMaxProof {
			t.Fatalf("opened to %+v and %d proof bytes", h, len(proof))
		}
		if err := CheckFile(file, len(file)); err != nil {
			t.Fatalf("opened, but CheckFile refuses: %v", err)
		}
	})
}

// FuzzParseHeader: ParseHeader never panics, and what it accepts encodes back
// to the same bytes.
func FuzzParseHeader(f *testing.F) {
	f.Add(testHeader().Marshal())
	f.Add(Header{Outcome: OutcomeFail}.Marshal())
	f.Add(withOutcome(testHeader().Marshal(), 0))
	f.Add([]byte(magic))
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := ParseHeader(b)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error does not wrap ErrMalformed: %v", err)
			}
			return
		}
		if !bytes.Equal(h.Marshal(), b) {
			t.Fatalf("%x parses to %+v, which encodes differently", b, h)
		}
	})
}

// FuzzCheckFile: CheckFile never panics, is deterministic, and refuses
// with ErrMalformed.
func FuzzCheckFile(f *testing.F) {
	for _, s := range sealedSeeds(f) {
		f.Add(s)
		f.Add(s[:headerEnd(s)])
	}
	f.Add([]byte("-----BEGIN AGE ENCRYPTED FILE-----\n"))
	f.Fuzz(func(t *testing.T, file []byte) {
		err := CheckFile(file, 1<<20)
		if err != nil && !errors.Is(err, ErrMalformed) {
			t.Fatalf("error does not wrap ErrMalformed: %v", err)
		}
		if again := CheckFile(file, 1<<20); errText(again) != errText(err) {
			t.Fatalf("CheckFile differs on the same input: %v / %v", err, again)
		}
	})
}
