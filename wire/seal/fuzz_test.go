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

// FuzzCheckUserStanza: arbitrary bytes never panic CheckUserStanza, every
// refusal wraps ErrUserStanza, and a file it passes opens for the user.
func FuzzCheckUserStanza(f *testing.F) {
	const user = "age13wh5hlghys7cn9jgjhg9eugqetska4x6yccl824slr3c2as8n5jqwd82wv" // fixedIdentity's
	fixed := mustFixed(f)
	f.Add(mustSeal(f, testHeader(), testProof(40), user, fixed))
	f.Add(mustSeal(f, testHeader(), testProof(40), mustIdentity(f).Recipient().String(), fixed))
	f.Add([]byte("age-encryption.org/v1\n"))
	f.Fuzz(func(t *testing.T, file []byte) {
		err := CheckUserStanza(file, fixedIdentity, user)
		if err != nil {
			if !errors.Is(err, ErrUserStanza) {
				t.Fatalf("error does not wrap ErrUserStanza: %v", err)
			}
			return
		}
		if _, _, err := Open(file, fixedIdentity, testMaxProof); err != nil && !errors.Is(err, ErrMalformed) {
			t.Fatalf("the user stanza checks, but the user cannot open the file: %v", err)
		}
	})
}
