package seal

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"

	"filippo.io/age"
)

// NewIdentity makes a fresh temporary X25519 identity for one slot.
func NewIdentity() (*age.X25519Identity, error) {
	id, err := age.GenerateX25519Identity()
	if err != nil {
		return nil, fmt.Errorf("seal: generate temporary identity: %w", err)
	}
	return id, nil
}

// Commit is SHA-256 of the identity's string form ("AGE-SECRET-KEY-1..."):
// what SubmitResult carries, checked against the identity RevealKey reveals.
func Commit(identity string) [32]byte {
	return sha256.Sum256([]byte(identity))
}

// parseIdentity accepts an X25519 ("AGE-SECRET-KEY-1...") or hybrid
// ("AGE-SECRET-KEY-PQ-1...") identity string. Errors never quote the string:
// it is a secret until revealed.
func parseIdentity(s string) (age.Identity, error) {
	var (
		id  age.Identity
		err error
	)
	switch {
	case strings.HasPrefix(s, "AGE-SECRET-KEY-PQ-1"):
		id, err = age.ParseHybridIdentity(s)
	case strings.HasPrefix(s, "AGE-SECRET-KEY-1"):
		id, err = age.ParseX25519Identity(s)
	default:
		err = errors.New(`want an X25519 ("AGE-SECRET-KEY-1...") or hybrid ("AGE-SECRET-KEY-PQ-1...") age identity`)
	}
	if err != nil {
		return nil, fmt.Errorf("seal: parse identity: %w", err)
	}
	return id, nil
}
