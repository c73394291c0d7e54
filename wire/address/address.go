// Package address derives and formats account addresses.
//
// An address is the first 20 bytes of SHA-256 of an ed25519 public key,
// written as bech32 with the human-readable prefix "prv" (PROTOCOL.md 1).
// Inside the chain addresses are always the 20 raw bytes; bech32 exists only
// at the edges (CLI, HTTP API, genesis).
package address

import (
	"crypto/ed25519"
	"crypto/sha256"
	"errors"
	"fmt"

	"github.com/btcsuite/btcd/btcutil/bech32"
)

// Prefix is the bech32 human-readable part of every provernet address.
const Prefix = "prv"

// Size is the length in bytes of a raw address.
const Size = 20

// ErrInvalid is wrapped by every parse error.
var ErrInvalid = errors.New("invalid address")

// Address is a raw 20-byte account address.
type Address [Size]byte

// FromPublicKey derives the address of an ed25519 public key.
func FromPublicKey(pub ed25519.PublicKey) Address {
	sum := sha256.Sum256(pub)
	var a Address
	copy(a[:], sum[:Size])
	return a
}

// FromBytes checks the length of raw address bytes.
func FromBytes(b []byte) (Address, error) {
	var a Address
	if len(b) != Size {
		return a, fmt.Errorf("%w: %d bytes, want %d", ErrInvalid, len(b), Size)
	}
	copy(a[:], b)
	return a, nil
}

// Parse decodes a bech32 "prv1..." address.
func Parse(s string) (Address, error) {
	var a Address
	hrp, data, err := bech32.Decode(s)
	if err != nil {
		return a, fmt.Errorf("%w %q: %w", ErrInvalid, s, err)
	}
	if hrp != Prefix {
		return a, fmt.Errorf("%w %q: prefix %q, want %q", ErrInvalid, s, hrp, Prefix)
	}
	raw, err := bech32.ConvertBits(data, 5, 8, false)
	if err != nil {
		return a, fmt.Errorf("%w %q: %w", ErrInvalid, s, err)
	}
	return FromBytes(raw)
}

// String returns the bech32 form.
func (a Address) String() string {
	data, err := bech32.ConvertBits(a[:], 8, 5, true)
	if err != nil {
		return fmt.Sprintf("invalid(%x)", a[:]) // unreachable for 20 bytes
	}
	s, err := bech32.Encode(Prefix, data)
	if err != nil {
		return fmt.Sprintf("invalid(%x)", a[:])
	}
	return s
}

// Bytes returns a copy of the raw bytes.
func (a Address) Bytes() []byte { return append([]byte(nil), a[:]...) }

// MarshalText implements encoding.TextMarshaler (bech32 in JSON).
func (a Address) MarshalText() ([]byte, error) { return []byte(a.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (a *Address) UnmarshalText(b []byte) error {
	p, err := Parse(string(b))
	if err != nil {
		return err
	}
	*a = p
	return nil
}
