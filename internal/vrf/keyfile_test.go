package vrf

import (
	"bytes"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestKeyFileRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "vrf.json")
	k, err := LoadOrGenerateKeyFile(path)
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v (%v), want 0600", st.Mode().Perm(), err)
	}
	again, err := LoadOrGenerateKeyFile(path)
	if err != nil || !bytes.Equal(again.Public, k.Public) || !bytes.Equal(again.Secret, k.Secret) {
		t.Fatalf("a second load made or read another key (%v)", err)
	}
	if _, err := GenerateKeyFile(path); err == nil {
		t.Fatal("GenerateKeyFile overwrote an existing key")
	}
}

func TestKeyFileRejects(t *testing.T) {
	_, pub2, _ := GenerateKey(nil)
	sec, _, _ := GenerateKey(nil)
	for name, body := range map[string]string{
		"mismatched halves": `{"public_key":"` + hex.EncodeToString(pub2) + `","secret_key":"` + hex.EncodeToString(sec) + `"}`,
		"short secret":      `{"public_key":"` + hex.EncodeToString(pub2) + `","secret_key":"00"}`,
		"not hex":           `{"public_key":"zz","secret_key":"zz"}`,
		"old layout":        `{"public":"` + hex.EncodeToString(pub2) + `","secret":"` + hex.EncodeToString(sec) + `"}`,
		"not json":          `public_key=1`,
		"too large":         `{"public_key":"` + strings.Repeat("0", 5000) + `"}`,
	} {
		path := filepath.Join(t.TempDir(), "vrf.json")
		if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := LoadOrGenerateKeyFile(path); err == nil {
			t.Errorf("%s: loaded", name)
		}
		if b, _ := os.ReadFile(path); string(b) != body {
			t.Errorf("%s: the bad file was replaced", name)
		}
	}
}
