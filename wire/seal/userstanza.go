package seal

import (
	"bytes"
	"crypto/ecdh"
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"filippo.io/age"
	"github.com/btcsuite/btcd/btcutil/bech32"
	"golang.org/x/crypto/chacha20poly1305"
)

// The user's stanza, made checkable.
//
// An age X25519 stanza wraps the file key to the user's public key R with an
// ephemeral scalar e: E = e·G goes in the stanza, and the wrapping key is
// HKDF-SHA-256(e·R, salt E || R, "age-encryption.org/v1/X25519"). age draws e
// at random, so nobody but the user can tell whether a prover wrapped the
// real file key to the user, and a prover could deny the user the early
// access the protocol promises (PROTOCOL.md 5.4) at no risk.
//
// Seal instead derives e from the slot's temporary identity:
// e = HKDF-SHA-256(identity string, no salt, "provernet/seal/user-stanza/v1").
// The stanza is byte for byte the format age writes, so the user opens it
// with any age tool. Before the reveal e is as secret as the identity; after
// it, anyone can recompute E and the wrapping key, unwrap the user's stanza
// and check, with age's own header MAC, that it holds the file key
// (CheckUserStanza). Publishing e then reveals nothing new: the identity
// itself already opens the file.
//
// A post-quantum hybrid recipient's stanza is an HPKE encapsulation whose
// randomness age draws inside, so it cannot be derived and is not checked.

const (
	userStanzaInfo = "provernet/seal/user-stanza/v1"
	x25519Label    = "age-encryption.org/v1/X25519" // age's stanza label
	fileKeySize    = 16                             // age's file key
)

// ErrUserStanza is wrapped when a revealed file's X25519 stanza for the
// user does not hold the file key Seal's derivation says it must.
var ErrUserStanza = errors.New("seal: the user's stanza does not open the file")

// userWrap is the derived part of a user stanza: the ephemeral share E and
// the key that wraps the file key.
type userWrap struct {
	share []byte // E, 32 bytes
	key   []byte // ChaCha20-Poly1305 key
}

// deriveUserWrap computes the user stanza's share and wrapping key for the
// temporary identity string and the user's X25519 public key.
func deriveUserWrap(identity string, user []byte) (userWrap, error) {
	scalar, err := hkdf.Key(sha256.New, []byte(identity), nil, userStanzaInfo, 32)
	if err != nil {
		return userWrap{}, err
	}
	eph, err := ecdh.X25519().NewPrivateKey(scalar)
	if err != nil {
		return userWrap{}, err
	}
	pub, err := ecdh.X25519().NewPublicKey(user)
	if err != nil {
		return userWrap{}, fmt.Errorf("seal: user recipient: %w", err)
	}
	shared, err := eph.ECDH(pub)
	if err != nil {
		return userWrap{}, fmt.Errorf("seal: user recipient is a low-order point: %w", err)
	}
	share := eph.PublicKey().Bytes()
	key, err := hkdf.Key(sha256.New, shared, append(bytes.Clone(share), user...), x25519Label, chacha20poly1305.KeySize)
	if err != nil {
		return userWrap{}, err
	}
	return userWrap{share: share, key: key}, nil
}

// x25519Key decodes an "age1..." recipient to its 32-byte public key and
// refuses a low-order point, to which no stanza can be wrapped.
func x25519Key(recipient string) ([]byte, error) {
	hrp, data, err := bech32.DecodeNoLimit(recipient)
	if err != nil {
		return nil, fmt.Errorf("seal: user recipient: %w", err)
	}
	key, err := bech32.ConvertBits(data, 5, 8, false)
	if err != nil || hrp != "age" || len(key) != 32 {
		return nil, fmt.Errorf("seal: user recipient: not a 32-byte age X25519 key")
	}
	pub, err := ecdh.X25519().NewPublicKey(key)
	if err != nil {
		return nil, fmt.Errorf("seal: user recipient: %w", err)
	}
	// X25519 clamps every scalar to a multiple of the cofactor, so a
	// shared secret is all zeros, which ECDH refuses, exactly when the
	// point is of low order, whatever the scalar: one multiplication by
	// a fixed one decides it (a Run's recipient is checked in consensus).
	if _, err := lowOrderProbe.ECDH(pub); err != nil {
		return nil, fmt.Errorf("seal: user recipient is a low-order point: %w", err)
	}
	return key, nil
}

// lowOrderProbe is the fixed scalar x25519Key multiplies by.
var lowOrderProbe = func() *ecdh.PrivateKey {
	k, err := ecdh.X25519().NewPrivateKey(bytes.Repeat([]byte{0x5a}, 32))
	if err != nil {
		panic(err) // cannot happen: any 32 bytes are an X25519 scalar
	}
	return k
}()

// boundRecipient wraps the file key to the user with the ephemeral derived
// from the temporary identity.
type boundRecipient struct {
	user     []byte // the user's X25519 public key
	identity string // the temporary identity, "AGE-SECRET-KEY-1..."
}

func (r boundRecipient) Wrap(fileKey []byte) ([]*age.Stanza, error) {
	uw, err := deriveUserWrap(r.identity, r.user)
	if err != nil {
		return nil, err
	}
	aead, err := chacha20poly1305.New(uw.key)
	if err != nil {
		return nil, err
	}
	body := aead.Seal(nil, make([]byte, chacha20poly1305.NonceSize), fileKey, nil)
	return []*age.Stanza{{Type: "X25519", Args: []string{base64.RawStdEncoding.EncodeToString(uw.share)}, Body: body}}, nil
}

// userOpener is an age identity that unwraps the file's first stanza, which
// must carry the derived share, with the derived key: what the user's own
// identity computes first, without the user's secret. Only the first: the
// user's age stops at the first stanza that unwraps, so a stanza of the
// user's further down would not protect the user (seal.go, sealRecipients).
type userOpener struct{ uw userWrap }

func (o userOpener) Unwrap(stanzas []*age.Stanza) ([]byte, error) {
	if len(stanzas) == 0 {
		return nil, age.ErrIncorrectIdentity
	}
	s := stanzas[0]
	if s.Type != "X25519" || len(s.Args) != 1 || s.Args[0] != base64.RawStdEncoding.EncodeToString(o.uw.share) {
		return nil, ErrUserStanza
	}
	aead, err := chacha20poly1305.New(o.uw.key)
	if err != nil {
		return nil, err
	}
	if len(s.Body) != fileKeySize+aead.Overhead() {
		return nil, ErrUserStanza
	}
	key, err := aead.Open(nil, make([]byte, chacha20poly1305.NonceSize), s.Body, nil)
	if err != nil {
		return nil, ErrUserStanza
	}
	return key, nil
}

// CheckUserStanza reports whether a sealed file, once its temporary identity
// is revealed, carries first the user's X25519 stanza Seal derives from that
// identity, holding the file's key (age checks the key against the header
// MAC): then the user's own identity, trying the first stanza first, opens
// the file. It is nil for a workload without a user and for a hybrid user
// recipient, whose stanza cannot be checked. It is a pure function and
// decrypts no payload. Errors wrap ErrUserStanza.
func CheckUserStanza(file []byte, identity, user string) error {
	if user == "" || strings.HasPrefix(user, "age1pq1") {
		return nil
	}
	key, err := x25519Key(user)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrUserStanza, err)
	}
	uw, err := deriveUserWrap(identity, key)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrUserStanza, err)
	}
	if _, err := age.Decrypt(bytes.NewReader(file), userOpener{uw}); err != nil {
		return fmt.Errorf("%w: %s", ErrUserStanza, brief(err))
	}
	return nil
}
