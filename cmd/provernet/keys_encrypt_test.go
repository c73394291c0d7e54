package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// Keys encrypted at rest through the CLI: added encrypted or encrypted
// later, listed and shown without the passphrase, and a command that signs
// opens them with PROVERNET_PASSPHRASE, refusing the wrong one before it
// sends anything.
func TestEncryptedKeysThroughCLI(t *testing.T) {
	home := t.TempDir()
	t.Setenv(passphraseEnv, "correct horse battery")
	out, stderr, code := provernet(t, "--home", home, "keys", "add", "bob", "--encrypt", "-o", "json")
	var k keyInfo
	if code != 0 || json.Unmarshal([]byte(out), &k) != nil || !k.Encrypted {
		t.Fatalf("keys add --encrypt: exit %d %s %s", code, out, stderr)
	}
	if _, _, code := provernet(t, "--home", home, "keys", "add", "alice"); code != 0 {
		t.Fatal("keys add alice failed")
	}
	if out, stderr, code := provernet(t, "--home", home, "keys", "encrypt", "alice"); code != 0 || !strings.Contains(out, "now encrypted") {
		t.Fatalf("keys encrypt: exit %d %s %s", code, out, stderr)
	}
	t.Setenv(passphraseEnv, "")
	out, _, _ = provernet(t, "--home", home, "keys", "list")
	if strings.Count(out, "(encrypted)") != 2 || !strings.Contains(out, k.Address) {
		t.Fatalf("keys list:\n%s", out)
	}
	out, _, code = provernet(t, "--home", home, "keys", "show", "bob", "-o", "json")
	var shown keyInfo
	if code != 0 || json.Unmarshal([]byte(out), &shown) != nil || shown.Address != k.Address {
		t.Fatalf("keys show of an encrypted key without its passphrase: %s", out)
	}
	send := []string{"--home", home, "--node", "http://127.0.0.1:1", "tx", "transfer", "--from", "bob", "--to", "alice", "--amount", "1prv"}
	if _, stderr, code := provernet(t, send...); code == 0 || !strings.Contains(stderr, "no terminal") || !strings.Contains(stderr, passphraseEnv) {
		t.Fatalf("signing with no passphrase at hand: exit %d %s", code, stderr)
	}
	t.Setenv(passphraseEnv, "wrong horse battery")
	if _, stderr, code := provernet(t, send...); code == 0 || !strings.Contains(stderr, "wrong passphrase") {
		t.Fatalf("signing with the wrong passphrase: exit %d %s", code, stderr)
	}
	t.Setenv(passphraseEnv, "correct horse battery")
	if _, stderr, code := provernet(t, send...); code == 0 || strings.Contains(stderr, "passphrase") {
		t.Fatalf("with the right passphrase it gets as far as the node: exit %d %s", code, stderr)
	}
}
