package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/provernet/provernet/wire"
)

// TestQueryVerify: `query account --verify` checks the account against a
// trust root taken from `query block`; without a root it says how to get
// one, and a wrong root or an unknown workload fail, saying why.
func TestQueryVerify(t *testing.T) {
	home, api := cliDevnet(t)
	cmd := func(args ...string) (string, string, int) {
		return provernet(t, append([]string{"--home", home, "--node", api}, args...)...)
	}
	var blk wire.Block
	out, stderr, code := cmd("query", "block", "1", "-o", "json")
	if code != 0 || json.Unmarshal([]byte(out), &blk) != nil {
		t.Fatalf("query block: %d %s %s", code, out, stderr)
	}
	out, stderr, code = cmd("query", "account", "dev0", "--verify", "--trust-height", "1", "--trust-hash", blk.Hash)
	if code != 0 || !strings.Contains(out, "verified against header ") || !strings.Contains(out, "app hash ") {
		t.Fatalf("verified account: %d %q %s", code, out, stderr)
	}
	var acct struct {
		wire.Account
		Verified *struct {
			Height       int64  `json:"height"`
			HeaderHeight int64  `json:"header_height"`
			AppHash      string `json:"app_hash"`
			Exists       bool   `json:"exists"`
		} `json:"verified"`
	}
	out, stderr, code = cmd("query", "account", "dev0", "--verify", "--trust-height", "1", "--trust-hash", blk.Hash, "-o", "json")
	if code != 0 || json.Unmarshal([]byte(out), &acct) != nil || acct.Verified == nil || !acct.Verified.Exists ||
		acct.Verified.HeaderHeight != acct.Verified.Height+1 || acct.Balance == 0 || len(acct.Verified.AppHash) != 64 {
		t.Fatalf("verified account JSON: %d %q %s", code, out, stderr)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"query", "account", "dev0", "--verify"}, "query block H"},
		{[]string{"query", "account", "dev0", "--verify", "--trust-height", "1", "--trust-hash", strings.Repeat("AB", 32)}, "trust root"},
		{[]string{"query", "account", "dev0", "--trust-height", "1"}, "only taken with --verify"},
		{[]string{"query", "workload", strings.Repeat("ab", 32), "--verify", "--trust-height", "1", "--trust-hash", blk.Hash}, "proven absent"},
	} {
		_, stderr, code := cmd(tc.args...)
		if code == 0 || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want a failure mentioning %q", tc.args, code, stderr, tc.want)
		}
	}
}
