package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/provernet/provernet/internal/node"
	"github.com/provernet/provernet/wire"
)

// TestValidatorThroughCLI (issue 19): `query validators` lists the
// devnet's genesis validator as a table and as JSON; `tx validator create`
// reads a node home's keys and sends them (refused here for its small
// stake, with the chain's code: a second validator that never runs would
// halt a one-node devnet); unbond and withdraw name the validator by
// address or by keys, and refuse what is not theirs.
func TestValidatorThroughCLI(t *testing.T) {
	home, api := cliDevnet(t)
	out, stderr, code := provernet(t, "--node", api, "query", "validators")
	if code != 0 || !strings.Contains(out, "ADDRESS") || !strings.Contains(out, "bonded") || !strings.Contains(out, "(genesis, none)") {
		t.Fatalf("query validators: exit %d %q %s", code, out, stderr)
	}
	out, stderr, code = provernet(t, "--node", api, "query", "validators", "-o", "json")
	var vs []wire.Validator
	if err := json.Unmarshal([]byte(out), &vs); err != nil || code != 0 || len(vs) != 1 || vs[0].Status != "bonded" || vs[0].Power != 10 {
		t.Fatalf("query validators -o json: exit %d %q %v %s", code, out, err, stderr)
	}
	out, _, code = provernet(t, "--node", api, "query", "validators", "--limit", "1", "-o", "json")
	var page wire.ValidatorPage
	if err := json.Unmarshal([]byte(out), &page); err != nil || code != 0 || len(page.Validators) != 1 {
		t.Fatalf("a page of validators: exit %d %q %v", code, out, err)
	}

	// A home that joins the running chain: its genesis, new keys.
	joiner := filepath.Join(t.TempDir(), "joiner")
	genesis := filepath.Join(home, "config", "genesis.json")
	out, stderr, code = provernet(t, "--home", joiner, "init", "--genesis", genesis, "--peers", "abc@127.0.0.1:1", "-o", "json")
	var res node.InitResult
	if err := json.Unmarshal([]byte(out), &res); err != nil || code != 0 || res.ValidatorAddress == "" || res.ChainID == "" {
		t.Fatalf("init --genesis: exit %d %q %v %s", code, out, err, stderr)
	}
	if a, _ := os.ReadFile(genesis); !bytes.Equal(a, mustRead(t, filepath.Join(joiner, "config", "genesis.json"))) {
		t.Fatal("init --genesis did not copy the genesis as it is")
	}
	if cfg, err := node.LoadConfig(joiner); err != nil || cfg.P2P.PersistentPeers != "abc@127.0.0.1:1" {
		t.Fatalf("init --genesis --peers: %+v %v", cfg.P2P, err)
	}
	if _, stderr, code := provernet(t, "--home", t.TempDir(), "init", "--genesis", genesis, "--chain-id", "x"); code == 0 || !strings.Contains(stderr, "--chain-id makes a genesis") {
		t.Fatalf("init --genesis --chain-id: exit %d %s", code, stderr)
	}
	_, stderr, code = provernet(t, "--home", home, "--node", api, "tx", "validator", "create", "--from", "dev0",
		"--consensus-key-from", joiner, "--stake", "1prv")
	if code == 0 || !strings.Contains(stderr, "invalid_message") || !strings.Contains(stderr, "min_validator_stake") {
		t.Fatalf("create below min_validator_stake: exit %d, %s", code, stderr)
	}
	_, stderr, code = provernet(t, "--home", home, "--node", api, "tx", "validator", "create", "--from", "dev0",
		"--consensus-key-from", filepath.Join(joiner, "nothing"), "--stake", "1prv")
	if code == 0 || !strings.Contains(stderr, "hint:") {
		t.Fatalf("create with no key: exit %d, %s", code, stderr)
	}
	_, stderr, code = provernet(t, "--home", home, "--node", api, "tx", "validator", "unbond", "--from", "dev0", "--validator", vs[0].Address)
	if code == 0 || !strings.Contains(stderr, "not_allowed") || !strings.Contains(stderr, "does not operate") {
		t.Fatalf("unbond of the genesis validator by dev0: exit %d, %s", code, stderr)
	}
	_, stderr, code = provernet(t, "--home", home, "--node", api, "tx", "validator", "withdraw", "--from", "dev0", "--consensus-key-from", joiner)
	if code == 0 || !strings.Contains(stderr, "not_found") {
		t.Fatalf("withdraw of a validator that does not exist: exit %d, %s", code, stderr)
	}
	_, stderr, code = provernet(t, "--home", home, "--node", api, "tx", "validator", "withdraw", "--from", "dev0")
	if code == 0 || !strings.Contains(stderr, "name the validator") {
		t.Fatalf("withdraw naming nothing: exit %d, %s", code, stderr)
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
