package seal

import (
	"strings"
	"testing"

	"filippo.io/age"
)

func TestParseRecipient(t *testing.T) {
	x := mustIdentity(t).Recipient().String()
	r, err := ParseRecipient(x)
	if err != nil {
		t.Fatal(err)
	}
	if xr, ok := r.(*age.X25519Recipient); !ok || xr.String() != x {
		t.Fatalf("ParseRecipient(%q) = %T %v", x, r, r)
	}

	pq := mustHybrid(t).Recipient().String()
	if !strings.HasPrefix(pq, "age1pq1") {
		t.Fatalf("hybrid recipient %q does not start with age1pq1", pq)
	}
	if len(pq) > maxRecipientLen {
		t.Fatalf("hybrid recipient is %d bytes, over maxRecipientLen", len(pq))
	}
	r, err = ParseRecipient(pq)
	if err != nil {
		t.Fatal(err)
	}
	if hr, ok := r.(*age.HybridRecipient); !ok || hr.String() != pq {
		t.Fatalf("ParseRecipient(hybrid) = %T", r)
	}
}

func TestParseRecipientRejects(t *testing.T) {
	x := mustIdentity(t).Recipient().String()
	pq := mustHybrid(t).Recipient().String()
	cases := map[string]string{
		"empty":            "",
		"garbage":          "hello",
		"identity":         fixedIdentity,
		"ssh key":          "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHsKLqeplhpW+uObz5dvMgjz1OxfM/XXUB+VHtZ6isGN",
		"bad checksum":     x[:len(x)-1] + otherBech32Char(x[len(x)-1]),
		"upper case":       strings.ToUpper(x),
		"space":            " " + x,
		"truncated hybrid": pq[:len(pq)-10],
		"hybrid as x25519": "age1" + pq[len("age1pq1"):],
		"overlong":         "age1" + strings.Repeat("q", maxRecipientLen),
	}
	for name, s := range cases {
		_, err := ParseRecipient(s)
		if err == nil {
			t.Errorf("%s: accepted", name)
			continue
		}
		if len(err.Error()) > 2*maxRecipientLen {
			t.Errorf("%s: error is %d bytes long", name, len(err.Error()))
		}
	}
	_, err := ParseRecipient("ssh-ed25519 AAAA")
	if err == nil || !strings.Contains(err.Error(), "age1...") || !strings.Contains(err.Error(), "age1pq1...") {
		t.Errorf("error %v does not say what is accepted", err)
	}
}

// otherBech32Char is a bech32 character other than c: replacing a
// recipient's last character with it always breaks the checksum (with a
// fixed replacement, one recipient in 32 already ends in it).
func otherBech32Char(c byte) string {
	if c == 'q' {
		return "p"
	}
	return "q"
}
