package address

import (
	"crypto/ed25519"
	"errors"
	"strings"
	"testing"
)

func TestRoundTrip(t *testing.T) {
	pub := ed25519.NewKeyFromSeed(make([]byte, 32)).Public().(ed25519.PublicKey)
	a := FromPublicKey(pub)
	s := a.String()
	if !strings.HasPrefix(s, "prv1") {
		t.Fatalf("address %q lacks the prv1 prefix", s)
	}
	b, err := Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	if a != b {
		t.Fatalf("round trip changed the address: %x != %x", a, b)
	}
}

func TestParseRejects(t *testing.T) {
	good := FromPublicKey(make([]byte, 32)).String()
	for _, s := range []string{
		"",
		"prv1",
		good[:len(good)-1] + "q", // bad checksum
		"cosmos1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqnrql8a", // other prefix
		strings.ToUpper(good[:5]) + good[5:],            // mixed case
	} {
		if _, err := Parse(s); !errors.Is(err, ErrInvalid) {
			t.Errorf("Parse(%q) = %v, want ErrInvalid", s, err)
		}
	}
}
