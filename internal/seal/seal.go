package seal

import (
	"bytes"
	"errors"
	"fmt"
	"io"

	"filippo.io/age"
)

// Seal encrypts h.Marshal() || proof once, with age, to the user's recipient
// and to the temporary identity temp. user "" (a challenge workload, which
// has no user) seals to temp alone. The output is a binary age file that
// passes CheckFile.
func Seal(h Header, proof []byte, user string, temp *age.X25519Identity) ([]byte, error) {
	if !h.Outcome.valid() {
		return nil, fmt.Errorf("seal: unknown outcome %d", h.Outcome)
	}
	recipients, err := sealRecipients(user, temp)
	if err != nil {
		return nil, err
	}
	var out bytes.Buffer
	w, err := age.Encrypt(&out, recipients...)
	if err != nil {
		return nil, fmt.Errorf("seal: encrypt: %w", err)
	}
	if err := writeAll(w, h.Marshal(), proof); err != nil {
		return nil, fmt.Errorf("seal: encrypt: %w", err)
	}
	return out.Bytes(), nil
}

// sealRecipients lists temp's recipient, then the user's (if any). The
// temporary stanza comes first because the chain opens every revealed
// result with the temporary identity, and an X25519 identity tries the
// stanzas in order: first place saves the chain one scalar multiplication
// per reveal. The user's tools try both either way.
func sealRecipients(user string, temp *age.X25519Identity) ([]age.Recipient, error) {
	if temp == nil {
		return nil, errors.New("seal: no temporary identity")
	}
	rs := []age.Recipient{temp.Recipient()}
	if user != "" {
		r, err := userRecipient(user, temp)
		if err != nil {
			return nil, err
		}
		rs = append(rs, r)
	}
	return rs, nil
}

// userRecipient is the user's stanza maker: for an X25519 recipient the
// checkable one (userstanza.go), for a hybrid one age's own.
func userRecipient(user string, temp *age.X25519Identity) (age.Recipient, error) {
	r, err := ParseRecipient(user)
	if err != nil {
		return nil, err
	}
	if _, ok := r.(*age.X25519Recipient); !ok {
		return classic{r}, nil
	}
	key, err := x25519Key(user)
	if err != nil {
		return nil, err
	}
	return boundRecipient{user: key, identity: temp.String()}, nil
}

// writeAll writes each part to w and closes it, flushing the last chunk.
func writeAll(w io.WriteCloser, parts ...[]byte) error {
	for _, p := range parts {
		if _, err := w.Write(p); err != nil {
			return err
		}
	}
	return w.Close()
}
