package wire

import (
	"fmt"
	"os"
	"strings"
	"testing"
)

// TestCodesStable pins every transaction code's number and name: clients
// branch on them, so a code is only ever appended, never renumbered or
// renamed.
func TestCodesStable(t *testing.T) {
	want := map[Code]string{
		0: "ok", 1: "malformed", 2: "oversize", 3: "wrong_chain_id", 4: "bad_signature", 5: "wrong_nonce",
		6: "fee_too_low", 7: "insufficient_funds", 8: "unknown_message", 9: "invalid_message", 10: "no_messages",
		11: "not_allowed", 12: "already_exists", 13: "not_found", 14: "window_closed", 15: "mempool_busy",
		16: "too_heavy", 17: "limit_reached", 26: "score_too_low", 27: "proof_rejected",
		28: "validator_limit", 29: "last_validator", // issue 19
		30: "bad_possession", 31: "power_cap", // staking review: proof of possession, power cap
	}
	for c, name := range want {
		if got := c.String(); got != name {
			t.Errorf("code %d is %q, want %q", c, got, name)
		}
	}
	for i, name := range codeNames {
		if name != "" && want[Code(i)] != name {
			t.Errorf("code %d (%q) is not pinned here: add it to want", i, name)
		}
	}
	if got := Code(len(codeNames)).String(); got != "unknown_code" {
		t.Errorf("a code past the table is %q", got)
	}
}

// TestCodesDocumented keeps docs/CHAIN.md's table of codes ("| N | name |")
// complete.
func TestCodesDocumented(t *testing.T) {
	doc, err := os.ReadFile("../docs/CHAIN.md")
	if err != nil {
		t.Fatal(err)
	}
	for i, name := range codeNames {
		if name == "" {
			continue
		}
		if row := fmt.Sprintf("| %d | %s |", i, name); !strings.Contains(string(doc), row) {
			t.Errorf("docs/CHAIN.md has no row %q", row)
		}
	}
}
