package seal

import (
	"bytes"
	"crypto/rand"
	"errors"
	"strings"
	"testing"

	"filippo.io/age"
	"github.com/btcsuite/btcd/btcutil/bech32"
)

func TestUserStanzaChecksAndOpens(t *testing.T) {
	user := mustIdentity(t)
	temp := mustIdentity(t)
	h, proof := testHeader(), testProof(300)
	file := mustSeal(t, h, proof, user.Recipient().String(), temp)
	if err := CheckUserStanza(file, temp.String(), user.Recipient().String()); err != nil {
		t.Fatalf("CheckUserStanza of Seal's own file: %v", err)
	}
	// The stanza is age's format: the user's own identity opens it.
	mustOpen(t, file, user.String(), h, proof)
	mustOpen(t, file, temp.String(), h, proof)
}

// lyingRecipient writes the derived share but wraps another key: the share
// looks right and the user cannot open the file.
type lyingRecipient struct{ boundRecipient }

func (r lyingRecipient) Wrap([]byte) ([]*age.Stanza, error) {
	other := make([]byte, fileKeySize)
	rand.Read(other)
	return r.boundRecipient.Wrap(other)
}

func TestUserStanzaRefusesWhatDeniesTheUser(t *testing.T) {
	user := mustIdentity(t)
	temp := mustIdentity(t)
	userKey, err := x25519Key(user.Recipient().String())
	if err != nil {
		t.Fatal(err)
	}
	plain := append(testHeader().Marshal(), testProof(10)...)
	cases := map[string][]age.Recipient{
		// age's own random ephemeral: the user can open it, nobody can check it.
		"age's random stanza": {temp.Recipient(), user.Recipient()},
		"another user":        {temp.Recipient(), mustIdentity(t).Recipient()},
		"no user stanza":      {temp.Recipient()},
		"derived share, other key": {temp.Recipient(),
			lyingRecipient{boundRecipient{user: userKey, identity: temp.String()}}},
		"derived from another identity": {temp.Recipient(),
			boundRecipient{user: userKey, identity: mustIdentity(t).String()}},
	}
	for name, rs := range cases {
		t.Run(name, func(t *testing.T) {
			file := encryptTo(t, plain, rs...)
			err := CheckUserStanza(file, temp.String(), user.Recipient().String())
			if !errors.Is(err, ErrUserStanza) {
				t.Fatalf("CheckUserStanza = %v, want ErrUserStanza", err)
			}
		})
	}
}

func TestUserStanzaNotCheckedWithoutX25519User(t *testing.T) {
	temp := mustIdentity(t)
	h, proof := testHeader(), testProof(10)
	if err := CheckUserStanza(mustSeal(t, h, proof, "", temp), temp.String(), ""); err != nil {
		t.Fatalf("challenge (no user): %v", err)
	}
	hybrid := mustHybrid(t).Recipient().String()
	if err := CheckUserStanza(mustSeal(t, h, proof, hybrid, temp), temp.String(), hybrid); err != nil {
		t.Fatalf("hybrid user: %v", err)
	}
}

// lowOrderPoints are the X25519 u-coordinates of small order, as
// libsodium lists them: 0, 1, the two points of order 8, and p-1, p and
// p+1 (non-canonical encodings of low-order points).
func lowOrderPoints() [][]byte {
	ff := func(first byte) []byte {
		b := bytes.Repeat([]byte{0xff}, 32)
		b[0], b[31] = first, 0x7f
		return b
	}
	return [][]byte{
		make([]byte, 32),
		append([]byte{1}, make([]byte, 31)...),
		{0xe0, 0xeb, 0x7a, 0x7c, 0x3b, 0x41, 0xb8, 0xae, 0x16, 0x56, 0xe3, 0xfa, 0xf1, 0x9f, 0xc4, 0x6a,
			0xda, 0x09, 0x8d, 0xeb, 0x9c, 0x32, 0xb1, 0xfd, 0x86, 0x62, 0x05, 0x16, 0x5f, 0x49, 0xb8, 0x00},
		{0x5f, 0x9c, 0x95, 0xbc, 0xa3, 0x50, 0x8c, 0x24, 0xb1, 0xd0, 0xb1, 0x55, 0x9c, 0x83, 0xef, 0x5b,
			0x04, 0x44, 0x5c, 0xc4, 0x58, 0x1c, 0x8e, 0x86, 0xd8, 0x22, 0x4e, 0xdd, 0xd0, 0x9f, 0x11, 0x57},
		ff(0xec), ff(0xed), ff(0xee),
	}
}

func TestLowOrderRecipientRefused(t *testing.T) {
	for _, point := range lowOrderPoints() {
		data, err := bech32.ConvertBits(point, 8, 5, true)
		if err != nil {
			t.Fatal(err)
		}
		s, err := bech32.Encode("age", data)
		if err != nil {
			t.Fatal(err)
		}
		_, err = ParseRecipient(s)
		if err == nil || !strings.Contains(err.Error(), "low-order") {
			t.Fatalf("ParseRecipient(%x) = %v, want a low-order refusal", point, err)
		}
		if _, err := Seal(testHeader(), nil, s, mustIdentity(t)); err == nil {
			t.Fatalf("Seal to low-order point %x succeeded", point)
		}
	}
}
