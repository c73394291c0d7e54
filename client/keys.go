package client

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/provernet/provernet/wire/address"
)

// ErrKeyExists and ErrNoKey are returned by SaveKey and LoadKey;
// ErrKeyLocked by LoadKey for a key encrypted at rest (UnlockKey opens it).
var (
	ErrKeyExists = errors.New("key already exists")
	ErrNoKey     = errors.New("no such key")
	ErrKeyLocked = errors.New("key is encrypted")
)

// Key is a named ed25519 account key. A locked key (listed, not unlocked)
// has no Private key, only its public key.
type Key struct {
	Name    string
	Private ed25519.PrivateKey
	public  ed25519.PublicKey // set when Private is nil
}

type keyFile struct {
	Name       string `json:"name"`
	Address    string `json:"address"`
	PublicKey  string `json:"public_key"`
	PrivateKey string `json:"private_key,omitempty"` // the 32-byte ed25519 seed, hex
	// Encrypted is the seed encrypted at rest instead: an armored age file
	// to a passphrase (scrypt), keys_encrypt.go.
	Encrypted string `json:"encrypted_private_key,omitempty"`
}

var validName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// GenerateKey makes a new random key.
func GenerateKey(name string) (*Key, error) {
	if !validName.MatchString(name) {
		return nil, fmt.Errorf("invalid key name %q: use letters, digits, '.', '_' and '-'", name)
	}
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("failed to generate key: %w", err)
	}
	return &Key{Name: name, Private: priv}, nil
}

// PublicKey is the key's ed25519 public key.
func (k *Key) PublicKey() ed25519.PublicKey {
	if k.Private == nil {
		return k.public
	}
	return k.Private.Public().(ed25519.PublicKey)
}

// Locked reports whether k is an encrypted key not unlocked: it cannot
// sign.
func (k *Key) Locked() bool { return k.Private == nil }

// Address is the key's bech32 account address.
func (k *Key) Address() string { return address.FromPublicKey(k.PublicKey()).String() }

// DefaultKeysDir is where keys live under a home directory.
func DefaultKeysDir(home string) string { return filepath.Join(home, "keys") }

// SaveKey writes k to dir/NAME.json with mode 0600; it never overwrites.
func SaveKey(dir string, k *Key) error {
	if !validName.MatchString(k.Name) {
		return fmt.Errorf("invalid key name %q", k.Name)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("failed to create %s: %w", dir, err)
	}
	return writeKeyFile(dir, keyFile{
		Name: k.Name, Address: k.Address(),
		PublicKey:  hex.EncodeToString(k.PublicKey()),
		PrivateKey: hex.EncodeToString(k.Private.Seed()),
	})
}

// writeKeyFile writes kf to dir/NAME.json with mode 0600; it never
// overwrites.
func writeKeyFile(dir string, kf keyFile) error {
	b, err := json.MarshalIndent(kf, "", "  ")
	if err != nil {
		return err
	}
	path := filepath.Join(dir, kf.Name+".json")
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) {
		return fmt.Errorf("%w: %s", ErrKeyExists, path)
	}
	if err != nil {
		return fmt.Errorf("failed to write %s: %w", path, err)
	}
	if _, err := f.Write(append(b, '\n')); err != nil {
		f.Close()
		return fmt.Errorf("failed to write %s: %w", path, err)
	}
	return f.Close()
}

// LoadKey reads dir/NAME.json. An encrypted key gives ErrKeyLocked and
// the key locked (its public key only).
func LoadKey(dir, name string) (*Key, error) {
	kf, path, err := readKeyFile(dir, name)
	if err != nil {
		return nil, err
	}
	if kf.Encrypted != "" {
		k, err := lockedKey(kf, path)
		if err != nil {
			return nil, err
		}
		return k, fmt.Errorf("%s: %w (unlock it with its passphrase)", path, ErrKeyLocked)
	}
	return keyFromSeedHex(kf, path)
}

// readKeyFile reads and parses dir/NAME.json.
func readKeyFile(dir, name string) (keyFile, string, error) {
	path := filepath.Join(dir, name+".json")
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return keyFile{}, path, fmt.Errorf("%w %q in %s", ErrNoKey, name, dir)
	}
	if err != nil {
		return keyFile{}, path, fmt.Errorf("failed to read %s: %w", path, err)
	}
	var kf keyFile
	if err := json.Unmarshal(b, &kf); err != nil {
		return keyFile{}, path, fmt.Errorf("failed to parse %s: %w", path, err)
	}
	kf.Name = name
	return kf, path, nil
}

// keyFromSeedHex is the key of a file's plain seed, checked against its
// address.
func keyFromSeedHex(kf keyFile, path string) (*Key, error) {
	name := kf.Name
	seed, err := hex.DecodeString(kf.PrivateKey)
	if err != nil || len(seed) != ed25519.SeedSize {
		return nil, fmt.Errorf("%s: private_key must be %d bytes of hex", path, ed25519.SeedSize)
	}
	k := &Key{Name: name, Private: ed25519.NewKeyFromSeed(seed)}
	if kf.Address != "" && kf.Address != k.Address() {
		return nil, fmt.Errorf("%s: address %s does not match its private key (%s)", path, kf.Address, k.Address())
	}
	return k, nil
}

// ListKeys loads every key in dir, sorted by name; encrypted keys come
// locked (Key.Locked).
func ListKeys(dir string) ([]*Key, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var keys []*Key
	for _, e := range entries {
		name, ok := strings.CutSuffix(e.Name(), ".json")
		if !ok || e.IsDir() {
			continue
		}
		k, err := LoadKey(dir, name)
		if err != nil && !errors.Is(err, ErrKeyLocked) {
			return nil, err
		}
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i].Name < keys[j].Name })
	return keys, nil
}
