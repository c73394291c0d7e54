package seal

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"filippo.io/age"
)

func TestSealX25519User(t *testing.T) {
	user, temp := mustIdentity(t), mustIdentity(t)
	h, proof := testHeader(), testProof(1000)
	file := mustSeal(t, h, proof, user.Recipient().String(), temp)
	if !bytes.HasPrefix(file, []byte("age-encryption.org/v1\n")) {
		t.Fatal("not a binary age v1 file")
	}
	if n := bytes.Count(file[:bytes.Index(file, []byte("\n---"))], []byte("\n-> X25519 ")); n != 2 {
		t.Fatalf("%d X25519 stanzas, want 2", n)
	}
	mustOpen(t, file, user.String(), h, proof)
	mustOpen(t, file, temp.String(), h, proof)
}

func TestSealHybridUser(t *testing.T) {
	user, temp := mustHybrid(t), mustIdentity(t)
	h, proof := testHeader(), testProof(70_000)
	file := mustSeal(t, h, proof, user.Recipient().String(), temp)
	if !bytes.Contains(file, []byte("\n-> mlkem768x25519 ")) {
		t.Fatal("no post-quantum stanza")
	}
	mustOpen(t, file, user.String(), h, proof)
	mustOpen(t, file, temp.String(), h, proof)
	if err := CheckFile(file, len(file)); err != nil {
		t.Fatal(err)
	}
}

func TestSealChallenge(t *testing.T) {
	temp, other := mustIdentity(t), mustIdentity(t)
	h := testHeader()
	h.Outcome = OutcomeFail
	file := mustSeal(t, h, nil, "", temp)
	if n := bytes.Count(file, []byte("\n-> ")); n != 1 {
		t.Fatalf("%d stanzas, want 1", n)
	}
	_, proof, err := Open(file, temp.String(), 0)
	if err != nil || len(proof) != 0 {
		t.Fatalf("Open = %d bytes, %v", len(proof), err)
	}
	mustOpen(t, file, temp.String(), h, []byte{})
	if _, _, err := Open(file, other.String(), testMaxProof); !errors.Is(err, ErrWrongIdentity) {
		t.Fatalf("other identity: err = %v, want ErrWrongIdentity", err)
	}
}

// TestSealSizes crosses age's 64 KiB chunk boundaries, where the last chunk
// is full or one byte long.
func TestSealSizes(t *testing.T) {
	temp := mustIdentity(t)
	for _, n := range []int{0, 1, chunkSize - HeaderSize - 1, chunkSize - HeaderSize, chunkSize - HeaderSize + 1, 2*chunkSize - HeaderSize, 3*chunkSize + 5} {
		proof := testProof(n)
		file := mustSeal(t, testHeader(), proof, "", temp)
		mustOpen(t, file, temp.String(), testHeader(), proof)
		if err := CheckFile(file, len(file)); err != nil {
			t.Fatalf("%d-byte proof: %v", n, err)
		}
	}
}

func TestSealRejects(t *testing.T) {
	temp := mustIdentity(t)
	h := testHeader()
	h.Outcome = 0
	if _, err := Seal(h, nil, "", temp); err == nil {
		t.Error("outcome 0 sealed")
	}
	if _, err := Seal(testHeader(), nil, "", nil); err == nil {
		t.Error("nil temporary identity sealed")
	}
	if _, err := Seal(testHeader(), nil, fixedIdentity, temp); err == nil || strings.Contains(err.Error(), fixedIdentity[20:]) {
		t.Errorf("identity as recipient: err = %v", err)
	}
	if _, err := Seal(testHeader(), nil, "age1nope", temp); err == nil {
		t.Error("bad recipient sealed")
	}
}

func TestOpenWrongIdentity(t *testing.T) {
	user, temp := mustIdentity(t), mustIdentity(t)
	file := mustSeal(t, testHeader(), testProof(10), user.Recipient().String(), temp)
	for name, id := range map[string]string{
		"x25519": mustIdentity(t).String(),
		"hybrid": mustHybrid(t).String(),
	} {
		_, _, err := Open(file, id, testMaxProof)
		if !errors.Is(err, ErrWrongIdentity) || errors.Is(err, ErrMalformed) {
			t.Errorf("%s: err = %v, want ErrWrongIdentity only", name, err)
		}
	}
	pqFile := mustSeal(t, testHeader(), nil, mustHybrid(t).Recipient().String(), temp)
	if _, _, err := Open(pqFile, mustHybrid(t).String(), testMaxProof); !errors.Is(err, ErrWrongIdentity) {
		t.Errorf("other hybrid identity: err = %v", err)
	}
}

func TestOpenWith(t *testing.T) {
	user, temp := mustIdentity(t), mustIdentity(t)
	h, proof := testHeader(), testProof(33)
	file := mustSeal(t, h, proof, user.Recipient().String(), temp)
	gotH, gotP, err := OpenWith(file, testMaxProof, mustIdentity(t), temp)
	if err != nil || gotH != h || !bytes.Equal(gotP, proof) {
		t.Fatalf("OpenWith = %+v, %d bytes, %v", gotH, len(gotP), err)
	}
	var nilX *age.X25519Identity
	for name, ids := range map[string][]age.Identity{
		"none":      nil,
		"nil":       {nil},
		"typed nil": {temp, nilX},
	} {
		if _, _, err := OpenWith(file, testMaxProof, ids...); err == nil {
			t.Errorf("%s: opened", name)
		}
	}
}

func TestOpenMaxProof(t *testing.T) {
	temp := mustIdentity(t)
	proof := testProof(100)
	file := mustSeal(t, testHeader(), proof, "", temp)
	if _, got, err := Open(file, temp.String(), 100); err != nil || !bytes.Equal(got, proof) {
		t.Fatalf("limit 100: %d bytes, %v", len(got), err)
	}
	for _, limit := range []int{99, 0} {
		_, _, err := Open(file, temp.String(), limit)
		if !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), "over the limit") {
			t.Errorf("limit %d: err = %v", limit, err)
		}
	}
	if _, _, err := Open(file, temp.String(), -1); err == nil {
		t.Error("negative limit accepted")
	}
}

// TestOpenDamaged truncates the file at every length and flips every bit of
// the header and of a sample of the payload: Open must fail, never panic.
func TestOpenDamaged(t *testing.T) {
	user, temp := mustIdentity(t), mustIdentity(t)
	file := mustSeal(t, testHeader(), testProof(200), user.Recipient().String(), temp)
	for n := range len(file) {
		if _, _, err := Open(file[:n], temp.String(), testMaxProof); err == nil {
			t.Fatalf("truncated to %d bytes: opened", n)
		}
	}
	if _, _, err := Open(append(bytes.Clone(file), 0), temp.String(), testMaxProof); err == nil {
		t.Fatal("trailing byte: opened")
	}
	for i := range len(file) {
		for bit := range 8 {
			if i > 400 && bit != i%8 {
				continue // the payload: one bit per byte is enough
			}
			bad := bytes.Clone(file)
			bad[i] ^= 1 << bit
			if _, _, err := Open(bad, temp.String(), testMaxProof); err == nil {
				t.Fatalf("bit %d of byte %d flipped: opened", bit, i)
			}
		}
	}
}

// TestOpenBadPlaintext seals plaintexts Seal would never write, with age
// directly: they decrypt but must not open.
func TestOpenBadPlaintext(t *testing.T) {
	temp := mustIdentity(t)
	badMagic := testHeader().Marshal()
	badMagic[0] = 'x'
	for name, pt := range map[string][]byte{
		"bad magic":   badMagic,
		"bad outcome": withOutcome(testHeader().Marshal(), 9),
		"short":       testHeader().Marshal()[:HeaderSize-1],
	} {
		file := encryptTo(t, pt, temp.Recipient())
		if _, _, err := Open(file, temp.String(), testMaxProof); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: err = %v, want ErrMalformed", name, err)
		}
	}
}

// TestOpenDeterministic: Open's answer, error text included, depends on its
// arguments only.
func TestOpenDeterministic(t *testing.T) {
	temp := mustIdentity(t)
	file := mustSeal(t, testHeader(), testProof(10), "", temp)
	bad := bytes.Clone(file)
	bad[len(bad)-1] ^= 1
	for _, f := range [][]byte{file, bad, file[:50]} {
		for _, id := range []string{temp.String(), fixedIdentity} {
			h1, p1, e1 := Open(f, id, testMaxProof)
			h2, p2, e2 := Open(f, id, testMaxProof)
			if h1 != h2 || !bytes.Equal(p1, p2) || errText(e1) != errText(e2) {
				t.Fatalf("two Opens differ: %v / %v", e1, e2)
			}
		}
	}
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
