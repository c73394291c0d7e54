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

// sealRecipients lists the user's recipient (if any), then temp's. The
// user's stanza comes first because age tries a file's stanzas in order and
// gives up at the first that unwraps to a key failing the header MAC: a
// prover that put a stanza of its own first could pick a file key that also
// unwraps under the user's key and deny the user the file while the user's
// own stanza, further down, checks out (CheckUserStanza therefore requires
// the derived stanza first). The chain, opening with the temporary
// identity, pays one extra scalar multiplication per reveal for it.
func sealRecipients(user string, temp *age.X25519Identity) ([]age.Recipient, error) {
	if temp == nil {
		return nil, errors.New("seal: no temporary identity")
	}
	var rs []age.Recipient
	if user != "" {
		r, err := userRecipient(user, temp)
		if err != nil {
			return nil, err
		}
		rs = append(rs, r)
	}
	return append(rs, temp.Recipient()), nil
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
