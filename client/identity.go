package client

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"filippo.io/age"
)

// LoadIdentity reads the age X25519 identity in path (the format of
// age-keygen: comment lines and one AGE-SECRET-KEY-1 line). A missing file
// wraps os.ErrNotExist.
func LoadIdentity(path string) (*age.X25519Identity, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("failed to read the identity file: %w", err)
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(line, "AGE-SECRET-KEY-1") {
			id, err := age.ParseX25519Identity(line)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", path, err)
			}
			return id, nil
		}
	}
	return nil, fmt.Errorf("%s holds no X25519 age identity", path)
}

// LoadOrCreateIdentity reads the age X25519 identity in path, or creates it
// (mode 0600, in age-keygen's format, so any age tool can use the file).
func LoadOrCreateIdentity(path string) (*age.X25519Identity, error) {
	id, err := LoadIdentity(path)
	if !errors.Is(err, os.ErrNotExist) {
		return id, err
	}
	return createIdentity(path)
}

// createIdentity writes a new identity to path, unless another process
// just did: the file is written aside and linked into place, so two first
// runs at once cannot overwrite each other's identity; the loser reads the
// winner's.
func createIdentity(path string) (*age.X25519Identity, error) {
	id, err := age.GenerateX25519Identity()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, err
	}
	text := fmt.Sprintf("# created: %s\n# public key: %s\n%s\n", time.Now().UTC().Format(time.RFC3339), id.Recipient(), id)
	tmp, err := os.CreateTemp(filepath.Dir(path), ".identity-*")
	if err != nil {
		return nil, err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.WriteString(text); err != nil {
		tmp.Close()
		return nil, err
	}
	if err := tmp.Close(); err != nil {
		return nil, err
	}
	if err := os.Link(tmp.Name(), path); errors.Is(err, os.ErrExist) {
		return LoadIdentity(path)
	} else if err != nil {
		return nil, err
	}
	return id, nil
}

// IdentityFile is where a key's age identity lives under a home.
func IdentityFile(home, name string) string { return filepath.Join(DefaultKeysDir(home), name+".age") }
