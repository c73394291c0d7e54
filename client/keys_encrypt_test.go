package client

import (
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A key encrypted at rest: its file holds no seed in the clear, it lists
// and loads locked with its address, the wrong passphrase does not open
// it, the right one gives the same key; a plain key encrypted in place
// keeps its address.
func TestKeyEncryptedAtRest(t *testing.T) {
	dir := t.TempDir()
	k, err := GenerateKey("hot")
	if err != nil {
		t.Fatal(err)
	}
	if err := SaveKeyEncrypted(dir, k, "short"); err == nil {
		t.Fatal("a 5-character passphrase was taken")
	}
	if err := SaveKeyEncrypted(dir, k, "correct horse"); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(filepath.Join(dir, "hot.json"))
	if strings.Contains(string(b), hex.EncodeToString(k.Private.Seed())) || !strings.Contains(string(b), k.Address()) {
		t.Fatalf("the file shows its seed or hides its address:\n%s", b)
	}
	locked, err := LoadKey(dir, "hot")
	if !errors.Is(err, ErrKeyLocked) || locked == nil || !locked.Locked() || locked.Address() != k.Address() {
		t.Fatalf("LoadKey of an encrypted key: %+v %v", locked, err)
	}
	if ks, err := ListKeys(dir); err != nil || len(ks) != 1 || ks[0].Address() != k.Address() || !ks[0].Locked() {
		t.Fatalf("ListKeys: %+v %v", ks, err)
	}
	if _, err := UnlockKey(dir, "hot", "wrong horse"); !errors.Is(err, ErrBadPassphrase) {
		t.Fatalf("the wrong passphrase: %v", err)
	}
	open, err := UnlockKey(dir, "hot", "correct horse")
	if err != nil || !open.Private.Equal(k.Private) {
		t.Fatalf("the right passphrase: %v", err)
	}
	if _, err := SignTx(locked, "c", 0, 1, FeeParams{}); err == nil {
		t.Fatal("a locked key signed")
	}

	plain, _ := GenerateKey("cold")
	if err := SaveKey(dir, plain); err != nil {
		t.Fatal(err)
	}
	if err := EncryptKeyFile(dir, "cold", "another passphrase"); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadKey(dir, "cold"); !errors.Is(err, ErrKeyLocked) {
		t.Fatalf("after EncryptKeyFile: %v", err)
	}
	if got, err := UnlockKey(dir, "cold", "another passphrase"); err != nil || got.Address() != plain.Address() {
		t.Fatalf("unlock after EncryptKeyFile: %v", err)
	}
}
