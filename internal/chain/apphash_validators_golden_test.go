package chain_test

import (
	"fmt"
	"os"
	"strings"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"
	cmted25519 "github.com/cometbft/cometbft/crypto/ed25519"

	"github.com/provernet/provernet/client"
)

const validatorsHashFile = "testdata/apphash_validators.txt"

// TestAppHashGoldenValidators pins, like TestAppHashGolden, the app hash of
// every height of a fixed story, here of validator staking (issue 19): a
// CreateValidator, the new validator proposing a block whose transfer
// pays its operator the fee share, an unbond, evidence against it while it
// unbonds, and its withdrawal; and the validator updates each block
// returned. A differing hash or update is a consensus change: made on
// purpose, with -update, and reviewed.
func TestAppHashGoldenValidators(t *testing.T) {
	c := newChainParams(t, nil, stakingParams(), 0, 1_000_000, 1_000_000)
	v := cmted25519.GenPrivKeyFromSecret([]byte("golden validator"))
	vSecret, vPublic := vrfKey(t, 0x5a)
	var out strings.Builder
	fmt.Fprintf(&out, "# App hash and validator updates after each height of TestAppHashGoldenValidators\n")
	fmt.Fprintf(&out, "# (internal/chain). Regenerate with: go test ./internal/chain -run TestAppHashGolden -update\n")
	fmt.Fprintf(&out, "genesis %x\n", c.hashes[0])
	record := func(resp *abci.FinalizeBlockResponse, what string) {
		fmt.Fprintf(&out, "height %d %x %s\n", c.height, resp.AppHash, what)
		for _, u := range resp.ValidatorUpdates {
			fmt.Fprintf(&out, "  update %s %x power %d\n", u.PubKeyType, u.PubKeyBytes, u.Power)
		}
	}
	c.block() // the first block (no committed state to propose from yet)
	fmt.Fprintf(&out, "height 1 %x empty\n", c.hashes[1])
	record(c.finalize(c.valAddr, c.vrfSecret, nil, c.sign(0, 0, c.createValidator(0, v, vSecret, vPublic, 5000))), "create")
	record(c.finalize(c.valAddr, c.vrfSecret, nil), "empty")
	record(c.finalize(v.PubKey().Address(), vSecret, nil, c.transfer(1, 0, addrOf(c.keys[1]), 3)), "proposed by the new validator, a transfer")
	record(c.finalize(c.valAddr, c.vrfSecret, nil, c.sign(0, 1, client.ValidatorUnbondMsg(v.PubKey().Address()))), "unbond")
	record(c.finalize(v.PubKey().Address(), vSecret, []abci.Misbehavior{
		{Type: abci.MISBEHAVIOR_TYPE_DUPLICATE_VOTE, Validator: abci.Validator{Address: v.PubKey().Address(), Power: 4}, Height: 4},
	}), "its last proposal, evidence against it")
	record(c.finalize(c.valAddr, c.vrfSecret, nil), "empty")
	record(c.finalize(c.valAddr, c.vrfSecret, nil), "empty")
	record(c.finalize(c.valAddr, c.vrfSecret, nil, c.sign(0, 2, client.ValidatorWithdrawMsg(v.PubKey().Address()))), "withdraw")
	got := out.String()
	if *update {
		if err := os.WriteFile(validatorsHashFile, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(validatorsHashFile)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("the app hashes or updates differ from %s: a consensus change.\n"+
			"If intended, run go test ./internal/chain -run TestAppHashGolden -update and review the diff.\n--- file\n%s--- code\n%s",
			validatorsHashFile, want, got)
	}
}
