package client

import (
	"bytes"
	"crypto/ed25519"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"filippo.io/age"
	"filippo.io/age/armor"
)

// Keys encrypted at rest: the key file keeps its name, address and public
// key in the clear (so keys can be listed and addresses shown without the
// passphrase) and the ed25519 seed as an armored age file encrypted to a
// passphrase (age's scrypt recipient, work factor 2^18 by default). A
// stolen file costs its thief a brute force of the passphrase.

// MinPassphrase is the shortest passphrase SaveKeyEncrypted takes.
const MinPassphrase = 8

// ErrBadPassphrase is returned by UnlockKey when the passphrase does not
// open the key.
var ErrBadPassphrase = errors.New("wrong passphrase")

// SaveKeyEncrypted writes k to dir/NAME.json, mode 0600, with its seed
// encrypted to passphrase; it never overwrites.
func SaveKeyEncrypted(dir string, k *Key, passphrase string) error {
	kf, err := encryptedKeyFile(k, passphrase)
	if err != nil {
		return err
	}
	if !validName.MatchString(k.Name) {
		return fmt.Errorf("invalid key name %q", k.Name)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("failed to create %s: %w", dir, err)
	}
	return writeKeyFile(dir, kf)
}

// EncryptKeyFile replaces dir/NAME.json, a plain key, with the same key
// encrypted to passphrase (written beside it, then renamed over it).
func EncryptKeyFile(dir, name, passphrase string) error {
	k, err := LoadKey(dir, name)
	if err != nil {
		return err
	}
	kf, err := encryptedKeyFile(k, passphrase)
	if err != nil {
		return err
	}
	tmp := filepath.Join(dir, ".encrypting")
	_ = os.RemoveAll(tmp)
	if err := os.MkdirAll(tmp, 0o700); err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	if err := writeKeyFile(tmp, kf); err != nil {
		return err
	}
	return os.Rename(filepath.Join(tmp, name+".json"), filepath.Join(dir, name+".json"))
}

func encryptedKeyFile(k *Key, passphrase string) (keyFile, error) {
	if len(passphrase) < MinPassphrase {
		return keyFile{}, fmt.Errorf("the passphrase must have at least %d characters", MinPassphrase)
	}
	if k.Locked() {
		return keyFile{}, fmt.Errorf("key %s: %w", k.Name, ErrKeyLocked)
	}
	r, err := age.NewScryptRecipient(passphrase)
	if err != nil {
		return keyFile{}, err
	}
	var buf bytes.Buffer
	aw := armor.NewWriter(&buf)
	w, err := age.Encrypt(aw, r)
	if err != nil {
		return keyFile{}, err
	}
	if _, err := w.Write(k.Private.Seed()); err != nil {
		return keyFile{}, err
	}
	if err := w.Close(); err != nil {
		return keyFile{}, err
	}
	if err := aw.Close(); err != nil {
		return keyFile{}, err
	}
	return keyFile{Name: k.Name, Address: k.Address(), PublicKey: hex.EncodeToString(k.PublicKey()), Encrypted: buf.String()}, nil
}

// UnlockKey reads dir/NAME.json, decrypting its seed with passphrase if it
// is encrypted (a plain key loads as LoadKey loads it).
func UnlockKey(dir, name, passphrase string) (*Key, error) {
	kf, path, err := readKeyFile(dir, name)
	if err != nil {
		return nil, err
	}
	if kf.Encrypted == "" {
		return keyFromSeedHex(kf, path)
	}
	id, err := age.NewScryptIdentity(passphrase)
	if err != nil {
		return nil, err
	}
	r, err := age.Decrypt(armor.NewReader(strings.NewReader(kf.Encrypted)), id)
	if err != nil {
		var noMatch *age.NoIdentityMatchError
		if errors.As(err, &noMatch) {
			return nil, fmt.Errorf("%s: %w", path, ErrBadPassphrase)
		}
		return nil, fmt.Errorf("%s: cannot decrypt the key: %w", path, err)
	}
	seed, err := io.ReadAll(io.LimitReader(r, 64))
	if err != nil || len(seed) != ed25519.SeedSize {
		return nil, fmt.Errorf("%s: the encrypted key is not a %d-byte seed", path, ed25519.SeedSize)
	}
	kf.PrivateKey = hex.EncodeToString(seed)
	return keyFromSeedHex(kf, path)
}

// lockedKey is the public half of an encrypted key file.
func lockedKey(kf keyFile, path string) (*Key, error) {
	pub, err := hex.DecodeString(kf.PublicKey)
	if err != nil || len(pub) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("%s: public_key must be %d bytes of hex", path, ed25519.PublicKeySize)
	}
	k := &Key{Name: kf.Name, public: ed25519.PublicKey(pub)}
	if kf.Address != "" && kf.Address != k.Address() {
		return nil, fmt.Errorf("%s: address %s does not match its public key (%s)", path, kf.Address, k.Address())
	}
	return k, nil
}
