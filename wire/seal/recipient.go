package seal

import (
	"errors"
	"fmt"
	"strings"

	"filippo.io/age"
)

// maxRecipientLen bounds a recipient string, well above the longest age
// recipient (a hybrid one is about 1,960 characters), so that hostile input
// costs little to reject and never lands whole in an error message.
const maxRecipientLen = 4096

// errRecipientKind says what ParseRecipient accepts.
var errRecipientKind = errors.New(`want an age X25519 recipient ("age1...") or a post-quantum hybrid recipient ("age1pq1...")`)

// ParseRecipient accepts an X25519 ("age1...") or post-quantum hybrid
// ("age1pq1...") age recipient, dispatching on the prefix as age does.
// It returns *age.X25519Recipient or *age.HybridRecipient.
func ParseRecipient(s string) (age.Recipient, error) {
	if len(s) > maxRecipientLen {
		return nil, fmt.Errorf("seal: user recipient is %d bytes: %w", len(s), errRecipientKind)
	}
	switch {
	case strings.HasPrefix(s, "age1pq1"):
		return wrapParsed(age.ParseHybridRecipient(s))
	case strings.HasPrefix(s, "age1"):
		r, err := wrapParsed(age.ParseX25519Recipient(s))
		if err != nil {
			return nil, err
		}
		if _, err := x25519Key(s); err != nil { // a low-order point nobody can seal to
			return nil, err
		}
		return r, nil
	}
	return nil, fmt.Errorf("seal: unsupported user recipient: %w", errRecipientKind)
}

// wrapParsed turns a typed parse result into ParseRecipient's.
func wrapParsed[R age.Recipient](r R, err error) (age.Recipient, error) {
	if err != nil {
		return nil, fmt.Errorf("seal: user recipient: %w", err)
	}
	return r, nil
}

// classic hides a recipient's labels from age.Encrypt. age labels a hybrid
// recipient "postquantum" and refuses to mix it with the classic X25519
// temporary recipient; the mix is deliberate here (see the package comment).
type classic struct{ r age.Recipient }

func (c classic) Wrap(fileKey []byte) ([]*age.Stanza, error) { return c.r.Wrap(fileKey) }
