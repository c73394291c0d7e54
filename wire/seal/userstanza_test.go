package seal

import (
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

func TestLowOrderRecipientRefused(t *testing.T) {
	for _, point := range [][]byte{make([]byte, 32), append([]byte{1}, make([]byte, 31)...)} {
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
