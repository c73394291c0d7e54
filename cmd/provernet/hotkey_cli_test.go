package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/provernet/provernet/wire"
)

// TestHotKeyThroughCLI (issue 19): a prover names a hot key held in the
// same home (the consent signed there), names it again from a consent
// `keys consent` printed (as on another machine), and the hot key
// resigns; naming nothing, or two things, is refused with a hint before
// anything is sent.
func TestHotKeyThroughCLI(t *testing.T) {
	home, api := cliDevnet(t)
	run := func(args ...string) string {
		t.Helper()
		out, stderr, code := provernet(t, append([]string{"--home", home, "--node", api}, args...)...)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, stderr)
		}
		return out
	}
	hotKeyOf := func() string {
		t.Helper()
		var p wire.Prover
		if err := json.Unmarshal([]byte(run("query", "prover", "dev0", "-o", "json")), &p); err != nil {
			t.Fatal(err)
		}
		return p.HotKey
	}
	run("keys", "add", "hot")
	var hot struct{ Address string }
	if err := json.Unmarshal([]byte(run("keys", "show", "hot", "-o", "json")), &hot); err != nil || hot.Address == "" {
		t.Fatalf("keys show hot: %v", err)
	}
	run("tx", "prover", "register", "--from", "dev0", "--cpu", "2", "--memory-mb", "2048", "--wait")
	run("tx", "prover", "hot-key", "hot", "--from", "dev0", "--wait")
	if got := hotKeyOf(); got != hot.Address {
		t.Fatalf("hot key named in one home: %q, want %s", got, hot.Address)
	}

	var consent consentReport
	if err := json.Unmarshal([]byte(run("keys", "consent", "hot", "--prover", "dev0", "-o", "json")), &consent); err != nil || consent.Consent == "" {
		t.Fatalf("keys consent: %v %+v", err, consent)
	}
	run("tx", "prover", "hot-key", "--revoke", "--from", "dev0", "--wait")
	if got := hotKeyOf(); got != "" {
		t.Fatalf("after the revocation the hot key is %q", got)
	}
	run("tx", "prover", "hot-key", "--hot-public-key", consent.HotPublicKey, "--consent", consent.Consent, "--from", "dev0", "--wait")
	if got := hotKeyOf(); got != hot.Address {
		t.Fatalf("hot key named from a printed consent: %q, want %s", got, hot.Address)
	}
	run("tx", "transfer", "--from", "dev1", "--to", "hot", "--amount", "1prv", "--wait")
	run("tx", "prover", "hot-key", "--revoke", "--from", "hot", "--wait") // it resigns
	if got := hotKeyOf(); got != "" {
		t.Fatalf("after resigning the hot key is %q", got)
	}
	// Its consent was spent by its first transaction.
	_, stderr, code := provernet(t, "--home", home, "--node", api, "tx", "prover", "hot-key", "--hot-public-key", consent.HotPublicKey,
		"--consent", consent.Consent, "--from", "dev0", "--wait")
	if code == 0 || !strings.Contains(stderr, "bad_possession") {
		t.Fatalf("a spent consent: exit %d, %s", code, stderr)
	}
	for _, args := range [][]string{{"--from", "dev0"}, {"hot", "--revoke", "--from", "dev0"}, {"--consent", "00", "--from", "dev0"}} {
		_, stderr, code := provernet(t, append([]string{"--home", home, "--node", api, "tx", "prover", "hot-key"}, args...)...)
		if code == 0 || !strings.Contains(stderr, "hint:") {
			t.Errorf("hot-key %v: exit %d, %s", args, code, stderr)
		}
	}
}

// TestStartProverForRefusesARegistration: `start --prover-for` runs a
// daemon on a hot key, which registers nothing, so a registration flag
// beside it is refused before the node starts, with a hint.
func TestStartProverForRefusesARegistration(t *testing.T) {
	_, stderr, code := provernet(t, "--home", t.TempDir(), "start", "--prover", "--prover-key", "hot",
		"--prover-for", "prv1qyqszqgpqyqszqgpqyqszqgpqyqszqgpjp7ccy", "--prover-stake", "1prv")
	if code == 0 || !strings.Contains(stderr, "--prover-stake declares a registration") || !strings.Contains(stderr, "hint:") {
		t.Fatalf("exit %d: %s", code, stderr)
	}
}
