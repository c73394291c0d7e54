package vrf

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// Key is a VRF key pair as it is kept on disk: a validator's beacon key
// (config/vrf_key.json) or a prover's key (keys/NAME.vrf.json, or
// vrf.json in a prover daemon's directory). There is one file format for
// all of them:
//
//	{"public_key": "<64 hex>", "secret_key": "<64 hex>"}
//
// written with mode 0600.
type Key struct {
	Secret []byte
	Public []byte
}

type keyFile struct {
	PublicKey string `json:"public_key"`
	SecretKey string `json:"secret_key"`
}

// maxKeyFile bounds what LoadKeyFile reads; a key file is about 160 bytes.
const maxKeyFile = 4 << 10

// GenerateKeyFile makes a new key and writes it to path, never
// overwriting an existing file.
func GenerateKeyFile(path string) (*Key, error) {
	secret, public, err := GenerateKey(nil)
	if err != nil {
		return nil, err
	}
	b, _ := json.MarshalIndent(keyFile{PublicKey: hex.EncodeToString(public), SecretKey: hex.EncodeToString(secret)}, "", "  ")
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("failed to create the VRF key's directory: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("failed to create VRF key file: %w", err)
	}
	if _, err := f.Write(append(b, '\n')); err != nil {
		f.Close()
		return nil, fmt.Errorf("failed to write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("failed to write %s: %w", path, err)
	}
	return &Key{Secret: secret, Public: public}, nil
}

// LoadKeyFile reads a key file and checks that its public key is the one
// its secret key derives.
func LoadKeyFile(path string) (*Key, error) {
	b, err := readBounded(path)
	if err != nil {
		return nil, fmt.Errorf("failed to read VRF key: %w", err)
	}
	var f keyFile
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("failed to parse %s: %w", path, err)
	}
	secret, err1 := hex.DecodeString(f.SecretKey)
	public, err2 := hex.DecodeString(f.PublicKey)
	if err1 != nil || err2 != nil || len(secret) != SecretKeySize || len(public) != PublicKeySize {
		return nil, fmt.Errorf("%s: public_key and secret_key must be %d bytes of hex each", path, PublicKeySize)
	}
	derived, err := PublicKey(secret)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if !bytes.Equal(derived, public) {
		return nil, fmt.Errorf("%s: public_key does not match secret_key", path)
	}
	return &Key{Secret: secret, Public: public}, nil
}

// LoadOrGenerateKeyFile loads the key at path, or makes one there when no
// file exists; a file that exists but does not load is an error, never
// replaced.
func LoadOrGenerateKeyFile(path string) (*Key, error) {
	k, err := LoadKeyFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return GenerateKeyFile(path)
	}
	return k, err
}

func readBounded(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxKeyFile+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxKeyFile {
		return nil, fmt.Errorf("%s is larger than a key file (%d bytes at most)", path, maxKeyFile)
	}
	return b, nil
}
