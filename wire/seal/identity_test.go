package seal

import (
	"crypto/sha256"
	"strings"
	"testing"
)

func TestNewIdentityFresh(t *testing.T) {
	a, b := mustIdentity(t), mustIdentity(t)
	if a.String() == b.String() {
		t.Fatal("two identities are equal")
	}
	if !strings.HasPrefix(a.String(), "AGE-SECRET-KEY-1") {
		t.Fatalf("identity %q is not an X25519 age identity", a.String())
	}
}

func TestCommit(t *testing.T) {
	a, b := mustIdentity(t).String(), mustIdentity(t).String()
	if Commit(a) == Commit(b) {
		t.Fatal("different identities have the same commit")
	}
	if Commit(a) != sha256.Sum256([]byte(a)) {
		t.Fatal("commit is not SHA-256 of the identity string")
	}
	if Commit(fixedIdentity) != Commit(fixedIdentity) {
		t.Fatal("commit is not deterministic")
	}
}

func TestParseIdentityKeepsSecret(t *testing.T) {
	// A corrupted X25519 secret: the error must not echo it.
	s := fixedIdentity[:len(fixedIdentity)-1] + "Q"
	_, _, err := Open(nil, s, 0)
	if err == nil {
		t.Fatal("corrupted identity accepted")
	}
	if strings.Contains(err.Error(), s[16:40]) {
		t.Fatalf("error quotes the secret: %v", err)
	}
	for _, bad := range []string{"", "age1xyz", "age-secret-key-1abc", "AGE-PLUGIN-FOO-1ABC"} {
		if _, err := parseIdentity(bad); err == nil {
			t.Errorf("parseIdentity(%q) accepted", bad)
		}
	}
}
