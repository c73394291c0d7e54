package chain_test

import (
	"bytes"
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	cmtproto "github.com/cometbft/cometbft/api/cometbft/types/v1"
	cmted25519 "github.com/cometbft/cometbft/crypto/ed25519"
	"google.golang.org/protobuf/proto"

	"github.com/provernet/provernet/client"
	"github.com/provernet/provernet/internal/chain"
	"github.com/provernet/provernet/internal/protocol"
	"github.com/provernet/provernet/internal/vrf"
	"github.com/provernet/provernet/wire"
	"github.com/provernet/provernet/wire/pb"
)

// stakingParams turn validator staking on with small figures: a stake of
// 5000 gives power 4, below a third with the genesis validator's 10 (the
// power cap).
func stakingParams() protocol.Params {
	p := protocol.DefaultParams()
	p.ValidatorParams = &protocol.ValidatorParams{MaxValidators: 4, MinValidatorStake: 1250, PowerReduction: 1250,
		ValidatorUnbondCooldown: 3, ProposerFeeBP: 2000, SlashDoubleSignBP: 1000, DowntimeWindow: 10, DowntimeMaxMissedBP: 5000}
	return p
}

// createValidator is a CreateValidator by account from of the consensus
// key v and the VRF key (secret, public), with both proofs of possession.
func (c *testChain) createValidator(from int, v cmted25519.PrivKey, secret, public []byte, stake uint64) *client.Msg {
	c.t.Helper()
	op := addrOf(c.keys[from])
	sig, err := v.Sign(wire.ValidatorPoPMessage(chainID, op, public))
	if err != nil {
		c.t.Fatal(err)
	}
	pi, err := vrf.Prove(secret, wire.ValidatorVRFPoPAlpha(chainID, op))
	if err != nil {
		c.t.Fatal(err)
	}
	return client.CreateValidatorMsg(v.PubKey().Bytes(), public, stake, sig, pi)
}

// finalize runs height c.height+1 proposed by proposer (signing the beacon
// with secret) with txs and misbehavior, commits it and returns
// FinalizeBlock's response.
func (c *testChain) finalize(proposer, secret []byte, misbehavior []abci.Misbehavior, txs ...[]byte) *abci.FinalizeBlockResponse {
	c.t.Helper()
	h := c.height + 1
	beacon, err := protocol.ProposeBeacon(c.app.Committed(), h, proposer, secret)
	if err != nil {
		c.t.Fatal(err)
	}
	block := append([][]byte{beacon}, txs...)
	if st := c.process(h, proposer, block); st != abci.PROCESS_PROPOSAL_STATUS_ACCEPT {
		c.t.Fatalf("height %d: proposal by %X rejected", h, proposer)
	}
	resp, err := c.app.FinalizeBlock(ctx, &abci.FinalizeBlockRequest{Txs: block, Height: h, Time: time.Unix(1_700_000_000+h, 0),
		ProposerAddress: proposer, Misbehavior: misbehavior, Hash: bytes.Repeat([]byte{byte(h)}, 32), DecidedLastCommit: c.commit})
	if err != nil {
		c.t.Fatalf("height %d: FinalizeBlock: %v", h, err)
	}
	for i, r := range resp.TxResults[1:] {
		if r.Code != 0 {
			c.t.Fatalf("height %d: tx %d: code %d %s", h, i, r.Code, r.Log)
		}
	}
	if _, err := c.app.Commit(ctx, &abci.CommitRequest{}); err != nil {
		c.t.Fatal(err)
	}
	c.height, c.hashes[h] = h, resp.AppHash
	return resp
}

func (c *testChain) sign(from, nonce int, msgs ...*client.Msg) []byte {
	c.t.Helper()
	raw, err := client.SignTx(c.keys[from], chainID, uint64(nonce), 0, feeParams(c.params), msgs...)
	if err != nil {
		c.t.Fatal(err)
	}
	return raw
}

func (c *testChain) validators() []*pb.Validator {
	c.t.Helper()
	resp := c.query(chain.PathValidators, nil, 0, false)
	if resp.Code != chain.QueryOK {
		c.t.Fatalf("/validators: %d %s", resp.Code, resp.Log)
	}
	var list pb.ValidatorList
	if err := proto.Unmarshal(resp.Value, &list); err != nil {
		c.t.Fatal(err)
	}
	return list.Validators
}

func wantUpdates(t *testing.T, resp *abci.FinalizeBlockResponse, want ...abci.ValidatorUpdate) {
	t.Helper()
	if len(resp.ValidatorUpdates) != len(want) {
		t.Fatalf("validator updates %v, want %v", resp.ValidatorUpdates, want)
	}
	for i, u := range resp.ValidatorUpdates {
		if u.PubKeyType != want[i].PubKeyType || !bytes.Equal(u.PubKeyBytes, want[i].PubKeyBytes) || u.Power != want[i].Power {
			t.Fatalf("validator update %d is %v, want %v", i, u, want[i])
		}
	}
}

// TestFinalizeBlockReturnsValidatorUpdates: a CreateValidator's power goes
// to CometBFT in its block's FinalizeBlock response, and the new
// validator's beacon verifies as soon as CometBFT can make it proposer (its
// VRF key is in the state from that block on); an unbond sends power 0 and
// its key stays until the withdrawal; evidence slashes, jails and removes
// it, and evidence naming an unknown or malformed address does nothing.
// A genesis without validator parameters writes no validator records.
func TestFinalizeBlockReturnsValidatorUpdates(t *testing.T) {
	c := newChainParams(t, nil, stakingParams(), 0, 1_000_000, 1_000_000)
	c.block()
	if got := c.validators(); len(got) != 1 || got[0].Power != 10 || !bytes.Equal(got[0].ConsensusAddress, c.valAddr) {
		t.Fatalf("genesis validator record %v", got)
	}
	newVal := cmted25519.GenPrivKeyFromSecret([]byte("joining validator"))
	newAddr := newVal.PubKey().Address()
	newSecret, newPublic := vrfKey(t, 0x55)
	// A proposer without a registered VRF key cannot propose a valid block.
	early, err := protocol.ProposeBeacon(c.app.Committed(), c.height+1, newAddr, newSecret)
	if err != nil {
		t.Fatal(err)
	}
	if st := c.process(c.height+1, newAddr, [][]byte{early}); st != abci.PROCESS_PROPOSAL_STATUS_REJECT {
		t.Fatalf("a beacon by a key not yet registered: %v", st)
	}

	create := c.sign(0, 0, c.createValidator(0, newVal, newSecret, newPublic, 5000))
	resp := c.finalize(c.valAddr, c.vrfSecret, nil, create)
	wantUpdates(t, resp, abci.ValidatorUpdate{PubKeyType: cmted25519.KeyType, PubKeyBytes: newVal.PubKey().Bytes(), Power: 4})
	// CometBFT applies it from two heights later; the key is there already.
	c.finalize(c.valAddr, c.vrfSecret, nil)
	resp = c.finalize(newAddr, newSecret, nil, c.transfer(1, 0, addrOf(c.keys[0]), 7))
	if len(resp.ValidatorUpdates) != 0 {
		t.Fatalf("a block without validator messages returned updates %v", resp.ValidatorUpdates)
	}
	// Its operator (account 0) earned a fifth of the transfer's fee.
	fee := txFee(t, c.transfer(1, 0, addrOf(c.keys[0]), 7))
	if got, want := c.account(addrOf(c.keys[0]), 0).Balance, uint64(1_000_000-5000-txFee(t, create)+7+fee/5); got != want {
		t.Fatalf("operator balance %d, want %d (its share of a %d fee)", got, want, fee)
	}

	// Unbond: power 0 at once; the VRF key stays, so the proposals it may
	// still make (before CometBFT applies the removal) verify.
	resp = c.finalize(c.valAddr, c.vrfSecret, nil, c.sign(0, 1, client.ValidatorUnbondMsg(newAddr)))
	wantUpdates(t, resp, abci.ValidatorUpdate{PubKeyType: cmted25519.KeyType, PubKeyBytes: newVal.PubKey().Bytes(), Power: 0})
	c.finalize(newAddr, newSecret, nil)

	// Evidence during the cooldown: slashed (10% of 5000) and jailed; it
	// is at power 0 already, so no second update.
	burned := supplyBurned(t, c)
	unknown := cmted25519.GenPrivKeyFromSecret([]byte("nobody")).PubKey().Address()
	resp = c.finalize(c.valAddr, c.vrfSecret, []abci.Misbehavior{
		{Type: abci.MISBEHAVIOR_TYPE_DUPLICATE_VOTE, Validator: abci.Validator{Address: newAddr, Power: 4}, Height: c.height},
		{Type: abci.MISBEHAVIOR_TYPE_DUPLICATE_VOTE, Validator: abci.Validator{Address: newAddr, Power: 4}, Height: c.height},
		{Type: abci.MISBEHAVIOR_TYPE_LIGHT_CLIENT_ATTACK, Validator: abci.Validator{Address: unknown, Power: 1}, Height: 1},
		{Type: abci.MISBEHAVIOR_TYPE_DUPLICATE_VOTE, Validator: abci.Validator{Address: []byte{1, 2, 3}}, Height: 1},
		{Type: abci.MISBEHAVIOR_TYPE_UNKNOWN, Validator: abci.Validator{Address: c.valAddr}, Height: 1},
	})
	wantUpdates(t, resp)
	if got := supplyBurned(t, c) - burned; got != 500 {
		t.Fatalf("evidence burned %d, want 500 (10%% of the stake, once)", got)
	}
	for _, v := range c.validators() {
		if bytes.Equal(v.ConsensusAddress, newAddr) && (!v.Jailed || v.Stake != 4500 || v.Slashed != 500) {
			t.Fatalf("slashed validator %v", v)
		}
		if bytes.Equal(v.ConsensusAddress, c.valAddr) && (v.Jailed || v.Power != 10) {
			t.Fatalf("the genesis validator was touched: %v", v)
		}
	}
}

// TestEvidenceJailsBondedValidator: evidence against a bonded validator
// returns its power-0 update in the same block's response.
func TestEvidenceJailsBondedValidator(t *testing.T) {
	c := newChainParams(t, nil, stakingParams(), 0, 1_000_000)
	c.block()
	v := cmted25519.GenPrivKeyFromSecret([]byte("double signer"))
	secret, public := vrfKey(t, 0x66)
	c.finalize(c.valAddr, c.vrfSecret, nil, c.sign(0, 0, c.createValidator(0, v, secret, public, 2000)))
	resp := c.finalize(c.valAddr, c.vrfSecret, []abci.Misbehavior{
		{Type: abci.MISBEHAVIOR_TYPE_DUPLICATE_VOTE, Validator: abci.Validator{Address: v.PubKey().Address(), Power: 1}, Height: c.height},
	})
	wantUpdates(t, resp, abci.ValidatorUpdate{PubKeyType: cmted25519.KeyType, PubKeyBytes: v.PubKey().Bytes(), Power: 0})
	// The genesis validator is now the last bonded one: evidence leaves
	// it bonded (CometBFT refuses an empty set).
	resp = c.finalize(c.valAddr, c.vrfSecret, []abci.Misbehavior{
		{Type: abci.MISBEHAVIOR_TYPE_DUPLICATE_VOTE, Validator: abci.Validator{Address: c.valAddr, Power: 10}, Height: c.height},
	})
	wantUpdates(t, resp)
}

// TestOldGenesisHasNoValidatorRecords: a genesis without validator
// parameters (from before issue 19) keeps the validator set fixed: no
// records, CreateValidator refused, evidence ignored.
func TestOldGenesisHasNoValidatorRecords(t *testing.T) {
	p := protocol.DefaultParams()
	p.ValidatorParams = nil
	c := newChainParams(t, nil, p, 0, 1_000_000)
	c.block()
	if got := c.validators(); len(got) != 0 {
		t.Fatalf("records on a chain without staking: %v", got)
	}
	v := cmted25519.GenPrivKeyFromSecret([]byte("would-be validator"))
	_, public := vrfKey(t, 0x77)
	results := c.block(c.sign(0, 0, client.CreateValidatorMsg(v.PubKey().Bytes(), public, 20_000_000_000, nil, nil)))
	if results[0].Code != uint32(11) {
		t.Fatalf("CreateValidator on a chain without staking: code %d %s", results[0].Code, results[0].Log)
	}
	resp := c.finalize(c.valAddr, c.vrfSecret, []abci.Misbehavior{
		{Type: abci.MISBEHAVIOR_TYPE_DUPLICATE_VOTE, Validator: abci.Validator{Address: c.valAddr, Power: 10}, Height: 1},
	})
	wantUpdates(t, resp)
}

func supplyBurned(t *testing.T, c *testChain) uint64 {
	t.Helper()
	resp := c.query(chain.PathSupply, nil, 0, false)
	var s pb.Supply
	if err := proto.Unmarshal(resp.Value, &s); err != nil {
		t.Fatal(err)
	}
	return s.Burned
}

// TestDowntimeJailsFromLastCommit (staking review): FinalizeBlock reads
// DecidedLastCommit; a bonded validator CometBFT reports absent more than
// downtime_max_missed_bp of downtime_window heights (5 of 10 here) is
// jailed, its power-0 update in that block's response, its stake not
// slashed; the one that signs is untouched.
func TestDowntimeJailsFromLastCommit(t *testing.T) {
	c := newChainParams(t, nil, stakingParams(), 0, 1_000_000)
	c.block()
	v := cmted25519.GenPrivKeyFromSecret([]byte("validator nobody runs"))
	secret, public := vrfKey(t, 0x67)
	c.finalize(c.valAddr, c.vrfSecret, nil, c.sign(0, 0, c.createValidator(0, v, secret, public, 5000)))
	c.finalize(c.valAddr, c.vrfSecret, nil)
	c.commit = abci.CommitInfo{Votes: []abci.VoteInfo{
		{Validator: abci.Validator{Address: c.valAddr, Power: 10}, BlockIdFlag: cmtproto.BlockIDFlagCommit},
		{Validator: abci.Validator{Address: v.PubKey().Address(), Power: 4}, BlockIdFlag: cmtproto.BlockIDFlagAbsent},
	}}
	for miss := 1; miss <= 5; miss++ {
		if resp := c.finalize(c.valAddr, c.vrfSecret, nil); len(resp.ValidatorUpdates) != 0 {
			t.Fatalf("miss %d of the 5 allowed: updates %v", miss, resp.ValidatorUpdates)
		}
	}
	resp := c.finalize(c.valAddr, c.vrfSecret, nil)
	wantUpdates(t, resp, abci.ValidatorUpdate{PubKeyType: cmted25519.KeyType, PubKeyBytes: v.PubKey().Bytes(), Power: 0})
	jailed := false
	for _, e := range resp.Events {
		jailed = jailed || e.Type == "validator_jailed"
	}
	if !jailed {
		t.Fatalf("no validator_jailed event in %v", resp.Events)
	}
	for _, r := range c.validators() {
		if bytes.Equal(r.ConsensusAddress, v.PubKey().Address()) && (!r.Jailed || !r.JailedForDowntime || r.Stake != 5000 || r.Power != 0) {
			t.Fatalf("the validator that missed: %v", r)
		}
		if bytes.Equal(r.ConsensusAddress, c.valAddr) && (r.Jailed || r.Power != 10) {
			t.Fatalf("the validator that signed: %v", r)
		}
	}
}
