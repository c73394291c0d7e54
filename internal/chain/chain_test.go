package chain_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	cmted25519 "github.com/cometbft/cometbft/crypto/ed25519"
	cmttypes "github.com/cometbft/cometbft/types"
	ics23 "github.com/cosmos/ics23/go"
	"google.golang.org/protobuf/proto"

	"github.com/provernet/provernet/client"
	"github.com/provernet/provernet/internal/chain"
	"github.com/provernet/provernet/internal/protocol"
	"github.com/provernet/provernet/internal/store"
	"github.com/provernet/provernet/internal/store/iavltree"
	"github.com/provernet/provernet/internal/vrf"
	"github.com/provernet/provernet/wire"
	"github.com/provernet/provernet/wire/address"
	"github.com/provernet/provernet/wire/pb"
)

const chainID = "provernet-chain-test"

var ctx = context.Background()

// keys are derived from fixed seeds so that two chains built by newChain
// hold byte-identical genesis states and sign byte-identical transactions.
func accountKey(i int) *client.Key {
	return &client.Key{Name: fmt.Sprintf("acct%d", i), Private: ed25519.NewKeyFromSeed(bytes.Repeat([]byte{byte(0x10 + i)}, 32))}
}

func addrOf(k *client.Key) address.Address { return address.FromPublicKey(k.PublicKey()) }

func validatorKey() cmted25519.PrivKey {
	return cmted25519.GenPrivKeyFromSecret([]byte("chain-test-validator"))
}

func vrfKey(t testing.TB, b byte) (secret, public []byte) {
	t.Helper()
	secret, public, err := vrf.GenerateKey(bytes.NewReader(bytes.Repeat([]byte{b}, vrf.SecretKeySize)))
	if err != nil {
		t.Fatal(err)
	}
	return secret, public
}

// testChain drives a chain.App through ABCI as CometBFT would.
type testChain struct {
	t         *testing.T
	app       *chain.App
	tree      *iavltree.Tree
	valAddr   []byte
	vrfSecret []byte
	keys      []*client.Key
	params    protocol.Params
	hashes    map[int64][]byte // app hash FinalizeBlock returned, by height
	height    int64            // last committed height
	commits   []int64          // heights AfterCommit saw
	balances  []uint64
	mempool   int64           // the mempool's byte limit the app is told (0: none)
	commit    abci.CommitInfo // the last commit finalize hands FinalizeBlock (staking review: downtime)
}

func genesisDoc(t testing.TB, params protocol.Params, valAddr, vrfPublic []byte, balances []uint64) []byte {
	t.Helper()
	g := protocol.Genesis{
		Params:     params,
		BeaconSeed: bytes.Repeat([]byte{0x17}, 32),
		Validators: []protocol.GenesisValidator{{Name: "val", Address: valAddr, VRFPublicKey: vrfPublic}},
	}
	for i, b := range balances {
		g.Accounts = append(g.Accounts, protocol.GenesisAccount{Address: addrOf(accountKey(i)), Balance: b})
	}
	b, err := json.Marshal(g)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func validatorUpdate(pk cmted25519.PrivKey) abci.ValidatorUpdate {
	return abci.ValidatorUpdate{PubKeyType: cmted25519.KeyType, PubKeyBytes: pk.PubKey().Bytes(), Power: 10}
}

// newApp makes an App over tree whose AfterCommit checks the supply
// invariant and records the heights it is called with.
func (c *testChain) newApp(tree *iavltree.Tree) *chain.App {
	c.t.Helper()
	app, err := chain.New(chain.Options{
		Store: tree, ValidatorAddress: c.valAddr, VRFSecret: c.vrfSecret, MempoolBytes: c.mempool,
		AfterCommit: func(h int64, r store.Reader) error {
			c.commits = append(c.commits, h)
			return protocol.CheckInvariants(r)
		},
	})
	if err != nil {
		c.t.Fatal(err)
	}
	c.app, c.tree = app, tree
	return app
}

// newChain starts a chain on tree (a fresh memory tree if nil) and runs
// InitChain.
func newChain(t *testing.T, tree *iavltree.Tree, balances ...uint64) *testChain {
	t.Helper()
	return newChainParams(t, tree, protocol.DefaultParams(), 0, balances...)
}

// newChainParams is newChain with the genesis params given, and the app
// told a mempool of mempool bytes (0: no limit).
func newChainParams(t *testing.T, tree *iavltree.Tree, params protocol.Params, mempool int64, balances ...uint64) *testChain {
	t.Helper()
	if tree == nil {
		tree = iavltree.OpenMemory()
	}
	val := validatorKey()
	secret, public := vrfKey(t, 0x33)
	c := &testChain{t: t, valAddr: val.PubKey().Address(), vrfSecret: secret, params: params,
		hashes: map[int64][]byte{}, balances: balances, mempool: mempool}
	for i := range balances {
		c.keys = append(c.keys, accountKey(i))
	}
	c.newApp(tree)
	resp, err := c.app.InitChain(ctx, &abci.InitChainRequest{
		Time: time.Unix(1_700_000_000, 0), ChainId: chainID, InitialHeight: 1,
		Validators:    []abci.ValidatorUpdate{validatorUpdate(val)},
		AppStateBytes: genesisDoc(t, c.params, c.valAddr, public, balances),
	})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(resp.AppHash, tree.WorkingHash()) || len(resp.AppHash) != 32 {
		t.Fatalf("InitChain app hash %x, working hash %x", resp.AppHash, tree.WorkingHash())
	}
	c.hashes[0] = resp.AppHash
	return c
}

// feeParams are p's fee parameters as a client sees them.
func feeParams(p protocol.Params) client.FeeParams {
	return client.FeeParams{FeePerByte: p.FeePerByte, FeePerMsg: p.FeePerMsg, FeePerWeight: p.FeePerWeight, AdmissionChallenges: p.AdmissionChallenges}
}

func (c *testChain) transfer(from, nonce int, to address.Address, amount uint64) []byte {
	c.t.Helper()
	m, err := client.TransferMsg(to.String(), amount)
	if err != nil {
		c.t.Fatal(err)
	}
	raw, err := client.SignTx(c.keys[from], chainID, uint64(nonce), 0,
		feeParams(c.params), m)
	if err != nil {
		c.t.Fatal(err)
	}
	return raw
}

func (c *testChain) prepare(h int64, txs [][]byte) [][]byte {
	c.t.Helper()
	resp, err := c.app.PrepareProposal(ctx, &abci.PrepareProposalRequest{
		MaxTxBytes: 1 << 20, Txs: txs, Height: h, Time: time.Unix(1_700_000_000+h, 0), ProposerAddress: c.valAddr,
	})
	if err != nil {
		c.t.Fatal(err)
	}
	return resp.Txs
}

func (c *testChain) process(h int64, proposer []byte, txs [][]byte) abci.ProcessProposalStatus {
	c.t.Helper()
	resp, err := c.app.ProcessProposal(ctx, &abci.ProcessProposalRequest{Txs: txs, Height: h, ProposerAddress: proposer})
	if err != nil {
		c.t.Fatal(err)
	}
	return resp.Status
}

// block runs one height end to end: the proposal is prepared from txs,
// checked, finalized and committed. It returns the transactions' results
// (without the beacon's).
func (c *testChain) block(txs ...[]byte) []*abci.ExecTxResult {
	c.t.Helper()
	h := c.height + 1
	proposal := c.prepare(h, txs)
	if len(proposal) != len(txs)+1 || !protocol.IsBeaconTx(proposal[0]) {
		c.t.Fatalf("height %d: proposal has %d txs for %d given", h, len(proposal), len(txs))
	}
	for i, tx := range txs {
		if !bytes.Equal(proposal[i+1], tx) {
			c.t.Fatalf("height %d: proposal reordered or changed tx %d", h, i)
		}
	}
	if st := c.process(h, c.valAddr, proposal); st != abci.PROCESS_PROPOSAL_STATUS_ACCEPT {
		c.t.Fatalf("height %d: ProcessProposal rejected PrepareProposal's block: %v", h, st)
	}
	resp, err := c.app.FinalizeBlock(ctx, &abci.FinalizeBlockRequest{
		Txs: proposal, Height: h, Time: time.Unix(1_700_000_000+h, 0), ProposerAddress: c.valAddr,
		Hash: bytes.Repeat([]byte{byte(h)}, 32),
	})
	if err != nil {
		c.t.Fatalf("height %d: FinalizeBlock: %v", h, err)
	}
	if len(resp.TxResults) != len(proposal) || resp.TxResults[0].Code != 0 {
		c.t.Fatalf("height %d: %d results for %d txs", h, len(resp.TxResults), len(proposal))
	}
	if bytes.Equal(resp.AppHash, c.hashes[h-1]) {
		c.t.Fatalf("height %d: app hash did not change (the beacon alone must change it)", h)
	}
	if _, err := c.app.Commit(ctx, &abci.CommitRequest{}); err != nil {
		c.t.Fatalf("height %d: Commit: %v", h, err)
	}
	info, err := c.app.Info(ctx, &abci.InfoRequest{})
	if err != nil {
		c.t.Fatal(err)
	}
	if info.LastBlockHeight != h || !bytes.Equal(info.LastBlockAppHash, resp.AppHash) {
		c.t.Fatalf("height %d: Info says %d %x, FinalizeBlock returned %x", h, info.LastBlockHeight, info.LastBlockAppHash, resp.AppHash)
	}
	if len(c.commits) == 0 || c.commits[len(c.commits)-1] != h {
		c.t.Fatalf("height %d: AfterCommit saw %v", h, c.commits)
	}
	c.height = h
	c.hashes[h] = resp.AppHash
	return resp.TxResults[1:]
}

func (c *testChain) query(path string, data []byte, height int64, prove bool) *abci.QueryResponse {
	c.t.Helper()
	resp, err := c.app.Query(ctx, &abci.QueryRequest{Path: path, Data: data, Height: height, Prove: prove})
	if err != nil {
		c.t.Fatal(err)
	}
	return resp
}

func (c *testChain) account(a address.Address, height int64) *pb.Account {
	c.t.Helper()
	resp := c.query(chain.PathAccount, a[:], height, false)
	if resp.Code != chain.QueryOK {
		c.t.Fatalf("account query: code %d %s", resp.Code, resp.Log)
	}
	var acct pb.Account
	if err := proto.Unmarshal(resp.Value, &acct); err != nil {
		c.t.Fatal(err)
	}
	return &acct
}

func (c *testChain) checkTx(raw []byte) *abci.CheckTxResponse {
	c.t.Helper()
	resp, err := c.app.CheckTx(ctx, &abci.CheckTxRequest{Tx: raw, Type: abci.CHECK_TX_TYPE_CHECK})
	if err != nil {
		c.t.Fatal(err)
	}
	return resp
}

func txFee(t *testing.T, raw []byte) uint64 {
	t.Helper()
	var wire pb.Tx
	var body pb.TxBody
	if err := proto.Unmarshal(raw, &wire); err != nil {
		t.Fatal(err)
	}
	if err := proto.Unmarshal(wire.Body, &body); err != nil {
		t.Fatal(err)
	}
	return body.Fee
}

func TestBlocksApplyTransfers(t *testing.T) {
	c := newChain(t, nil, 1_000_000, 500)
	a, b := addrOf(c.keys[0]), addrOf(c.keys[1])
	c.block()
	t1 := c.transfer(0, 0, b, 1234)
	t2 := c.transfer(1, 0, a, 10_000) // b cannot cover it: fails, pays
	t3 := c.transfer(0, 0, b, 1)      // replay of nonce 0
	res := c.block(t1, t2, t3)
	codes := []uint32{res[0].Code, res[1].Code, res[2].Code}
	if fmt.Sprint(codes) != fmt.Sprint([]uint32{0, uint32(wire.CodeInsufficientFunds), uint32(wire.CodeWrongNonce)}) {
		t.Fatalf("codes %v", codes)
	}
	if res[0].Codespace != "" || res[1].Codespace != wire.Codespace || res[1].Log == "" {
		t.Fatalf("results %+v", res)
	}
	var transferEvent bool
	for _, ev := range res[0].Events {
		transferEvent = transferEvent || ev.Type == "transfer"
	}
	if !transferEvent {
		t.Errorf("no transfer event in %+v", res[0].Events)
	}
	if got := c.account(a, 0); got.Balance != 1_000_000-1234-txFee(t, t1) || got.Nonce != 1 {
		t.Fatalf("a %v", got)
	}
	if got := c.account(b, 0); got.Balance != 500+1234-txFee(t, t2) || got.Nonce != 1 {
		t.Fatalf("b %v", got)
	}
	// The previous height still answers with the old state.
	if got := c.account(a, 1); got.Balance != 1_000_000 || got.Nonce != 0 {
		t.Fatalf("a at height 1: %v", got)
	}
	c.block()
	if fmt.Sprint(c.commits) != "[1 2 3]" {
		t.Fatalf("AfterCommit heights %v", c.commits)
	}
}

func TestProcessProposal(t *testing.T) {
	c := newChain(t, nil, 1_000_000)
	c.block()
	c.block(c.transfer(0, 0, addrOf(c.keys[0]), 5))
	const h = 3
	committed := c.app.Committed()
	if committed == nil || committed.Version() != h-1 {
		t.Fatalf("committed %v", committed)
	}
	propose := func(height int64, proposer, secret []byte) []byte {
		b, err := protocol.ProposeBeacon(committed, height, proposer, secret)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	otherSecret, _ := vrfKey(t, 0x44)
	stranger := cmted25519.GenPrivKeyFromSecret([]byte("stranger")).PubKey().Address()
	good := propose(h, c.valAddr, c.vrfSecret)
	tx := c.transfer(0, 1, addrOf(c.keys[0]), 5)

	before := c.tree.WorkingHash()
	cases := []struct {
		name     string
		proposer []byte
		txs      [][]byte
	}{
		{"no txs", c.valAddr, nil},
		{"first tx not a beacon", c.valAddr, [][]byte{tx, good}},
		{"only a transfer", c.valAddr, [][]byte{tx}},
		{"beacon by another VRF key", c.valAddr, [][]byte{propose(h, c.valAddr, otherSecret), tx}},
		{"beacon for the next height", c.valAddr, [][]byte{propose(h+1, c.valAddr, c.vrfSecret)}},
		{"beacon for the last height", c.valAddr, [][]byte{propose(h-1, c.valAddr, c.vrfSecret)}},
		{"second beacon", c.valAddr, [][]byte{good, tx, good}},
		{"second beacon right after", c.valAddr, [][]byte{good, good}},
		{"block by a proposer without VRF key", stranger, [][]byte{propose(h, stranger, c.vrfSecret)}},
		{"beacon of another proposer", stranger, [][]byte{good}},
	}
	for _, tc := range cases {
		if st := c.process(h, tc.proposer, tc.txs); st != abci.PROCESS_PROPOSAL_STATUS_REJECT {
			t.Errorf("%s: status %v, want REJECT", tc.name, st)
		}
	}
	for _, ok := range [][][]byte{{good}, {good, tx}, c.prepare(h, [][]byte{tx})} {
		if st := c.process(h, c.valAddr, ok); st != abci.PROCESS_PROPOSAL_STATUS_ACCEPT {
			t.Errorf("valid block of %d txs: status %v", len(ok), st)
		}
	}
	if !bytes.Equal(before, c.tree.WorkingHash()) {
		t.Fatal("proposal checks wrote to the state")
	}
	// FinalizeBlock refuses what ProcessProposal rejects, without writing.
	for _, txs := range [][][]byte{nil, {tx}, {propose(h, c.valAddr, otherSecret)}} {
		if _, err := c.app.FinalizeBlock(ctx, &abci.FinalizeBlockRequest{Txs: txs, Height: h, ProposerAddress: c.valAddr}); !errors.Is(err, protocol.ErrBadBeacon) {
			t.Errorf("FinalizeBlock of a bad block: %v", err)
		}
	}
	if !bytes.Equal(before, c.tree.WorkingHash()) {
		t.Fatal("a refused FinalizeBlock wrote to the state")
	}
	// The chain goes on.
	c.block(tx)
}

func TestPrepareProposal(t *testing.T) {
	c := newChain(t, nil, 1_000_000, 1_000_000)
	c.block()
	lookalike, err := protocol.ProposeBeacon(c.app.Committed(), 2, c.valAddr, c.vrfSecret)
	if err != nil {
		t.Fatal(err)
	}
	t1 := c.transfer(0, 0, addrOf(c.keys[1]), 1)
	t2 := c.transfer(1, 0, addrOf(c.keys[0]), 2)
	got := c.prepare(2, [][]byte{lookalike, t1, append([]byte{}, lookalike...), t2})
	if len(got) != 3 || !bytes.Equal(got[1], t1) || !bytes.Equal(got[2], t2) {
		t.Fatalf("proposal %d txs", len(got))
	}
	entry, err := protocol.VerifyBeacon(c.app.Committed(), 2, c.valAddr, got[0])
	if err != nil {
		t.Fatalf("PrepareProposal's beacon: %v", err)
	}
	if entry.Height != 2 || !bytes.Equal(entry.PrevSeed, mustSeed(t, c.app.Committed())) {
		t.Fatalf("entry %v", entry)
	}
	// The size limit is respected: with room for the beacon and one
	// transfer only, the second is left for a later block.
	limit := int64(len(got[0]) + len(t1) + len(t2) - 1)
	resp, err := c.app.PrepareProposal(ctx, &abci.PrepareProposalRequest{MaxTxBytes: limit, Txs: [][]byte{t1, t2}, Height: 2, ProposerAddress: c.valAddr})
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Txs) != 2 || !bytes.Equal(resp.Txs[1], t1) {
		t.Fatalf("with limit %d: %d txs", limit, len(resp.Txs))
	}
	// A node without a VRF key cannot propose.
	nokey, err := chain.New(chain.Options{Store: iavltree.OpenMemory()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := nokey.PrepareProposal(ctx, &abci.PrepareProposalRequest{Height: 1, MaxTxBytes: 1 << 20}); err == nil {
		t.Fatal("PrepareProposal without a VRF key succeeded")
	}
}

// TestPrepareProposalFitsCometBFTLimit: CometBFT checks the proposal with
// types.Txs.Validate(MaxTxBytes), which counts each transaction's protobuf
// framing, and refuses to propose a block that exceeds it.
func TestPrepareProposalFitsCometBFTLimit(t *testing.T) {
	c := newChain(t, nil, 1_000_000, 1_000_000, 1_000_000, 1_000_000, 1_000_000)
	c.block()
	var mempool [][]byte
	for i := range c.keys {
		mempool = append(mempool, c.transfer(i, 0, addrOf(c.keys[0]), 1))
	}
	// What CometBFT reaps fits the limit, framing included; the beacon
	// (with its framing) does not fit on top of it.
	beacon := mustPropose(t, c, 2)
	limit := cmttypes.ComputeProtoSizeForTxs(cmttypes.ToTxs(mempool)) + cmttypes.ComputeProtoSizeForTxs(cmttypes.Txs{beacon}) - 1
	resp, err := c.app.PrepareProposal(ctx, &abci.PrepareProposalRequest{MaxTxBytes: limit, Txs: mempool, Height: 2, ProposerAddress: c.valAddr})
	if err != nil {
		t.Fatal(err)
	}
	if err := cmttypes.ToTxs(resp.Txs).Validate(limit); err != nil {
		t.Fatalf("PrepareProposal must count protobuf size as CometBFT does: "+
			"%d txs, %v; CometBFT would not propose this block", len(resp.Txs), err)
	}
}

func mustSeed(t *testing.T, r store.Reader) []byte {
	t.Helper()
	s, err := protocol.Seed(r)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestInitChainRefusals(t *testing.T) {
	val := validatorKey()
	_, public := vrfKey(t, 0x33)
	other := cmted25519.GenPrivKeyFromSecret([]byte("other validator"))
	goodState := genesisDoc(t, protocol.DefaultParams(), val.PubKey().Address(), public, []uint64{100})
	badSeed := bytes.Replace(goodState, []byte(`"beacon_seed":"17`), []byte(`"beacon_seed":"`), 1)
	if bytes.Equal(badSeed, goodState) {
		t.Fatal("could not shorten the seed")
	}
	cases := []struct {
		name     string
		vals     []abci.ValidatorUpdate
		appState []byte
		wantErr  string
	}{
		{"validator without VRF key", []abci.ValidatorUpdate{validatorUpdate(val), validatorUpdate(other)}, goodState,
			fmt.Sprintf("%X", other.PubKey().Address())},
		{"only validator without VRF key", []abci.ValidatorUpdate{validatorUpdate(other)}, goodState, "VRF"},
		{"unknown app_state field", []abci.ValidatorUpdate{validatorUpdate(val)},
			append(bytes.Clone(goodState[:len(goodState)-1]), []byte(`,"surprise":1}`)...), "surprise"},
		{"31-byte seed", []abci.ValidatorUpdate{validatorUpdate(val)}, badSeed, "beacon_seed"},
		{"not JSON", []abci.ValidatorUpdate{validatorUpdate(val)}, []byte("{"), ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tree := iavltree.OpenMemory()
			empty := tree.WorkingHash()
			app, err := chain.New(chain.Options{Store: tree})
			if err != nil {
				t.Fatal(err)
			}
			_, err = app.InitChain(ctx, &abci.InitChainRequest{ChainId: chainID, InitialHeight: 1, Validators: tc.vals, AppStateBytes: tc.appState})
			if err == nil {
				t.Fatal("InitChain accepted it")
			}
			if !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("error %q does not mention %q", err, tc.wantErr)
			}
			if !bytes.Equal(tree.WorkingHash(), empty) {
				t.Error("a refused genesis wrote to the state")
			}
		})
	}
	// The control: the good genesis with its own validator is accepted.
	app, err := chain.New(chain.Options{Store: iavltree.OpenMemory()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := app.InitChain(ctx, &abci.InitChainRequest{ChainId: chainID, InitialHeight: 1,
		Validators: []abci.ValidatorUpdate{validatorUpdate(val)}, AppStateBytes: goodState}); err != nil {
		t.Fatal(err)
	}
}

func TestCheckTxThroughABCI(t *testing.T) {
	pre, err := chain.New(chain.Options{Store: iavltree.OpenMemory()})
	if err != nil {
		t.Fatal(err)
	}
	if resp, err := pre.CheckTx(ctx, &abci.CheckTxRequest{Tx: []byte("x")}); err != nil || resp.Code != uint32(wire.CodeNotAllowed) {
		t.Fatalf("CheckTx before genesis: %+v %v", resp, err)
	}

	c := newChain(t, nil, 1_000_000, 300)
	a, b := addrOf(c.keys[0]), addrOf(c.keys[1])
	c.block()
	tx0 := c.transfer(0, 0, b, 10)
	tx1 := c.transfer(0, 1, b, 20)
	for _, tc := range []struct {
		name string
		raw  []byte
		code wire.Code
	}{
		{"garbage", []byte("garbage"), wire.CodeMalformed},
		{"future nonce", c.transfer(0, 5, b, 1), wire.CodeWrongNonce},
		{"nonce 1 before 0", tx1, wire.CodeWrongNonce},
		{"nonce 0", tx0, wire.CodeOK},
		{"nonce 0 again", tx0, wire.CodeWrongNonce},
		{"nonce 1 after 0", tx1, wire.CodeOK},
		{"overdraw", c.transfer(1, 0, a, 300), wire.CodeInsufficientFunds},
		{"beacon", mustPropose(t, c, 2), wire.CodeNotAllowed},
	} {
		resp := c.checkTx(tc.raw)
		if resp.Code != uint32(tc.code) {
			t.Errorf("%s: code %d (%s), want %d", tc.name, resp.Code, resp.Log, tc.code)
			continue
		}
		if tc.code == wire.CodeOK {
			if resp.Codespace != "" || resp.Log != "" {
				t.Errorf("%s: accepted with codespace %q log %q", tc.name, resp.Codespace, resp.Log)
			}
		} else if resp.Codespace != "provernet" || resp.Log == "" {
			t.Errorf("%s: codespace %q log %q", tc.name, resp.Codespace, resp.Log)
		}
	}
	// CheckTx never touches the block state.
	if got := c.account(a, 0); got.Nonce != 0 || got.Balance != 1_000_000 {
		t.Fatalf("CheckTx leaked into committed state: %v", got)
	}
	res := c.block(tx0, tx1)
	if res[0].Code != 0 || res[1].Code != 0 {
		t.Fatalf("block: %+v", res)
	}
	// After the commit CheckTx sees the new state: nonce 1 is used, 2 is next.
	if resp := c.checkTx(tx1); resp.Code != uint32(wire.CodeWrongNonce) {
		t.Fatalf("tx1 after its block: %d", resp.Code)
	}
	if resp := c.checkTx(c.transfer(0, 2, b, 1)); resp.Code != 0 {
		t.Fatalf("nonce 2 after the block: %d %s", resp.Code, resp.Log)
	}
}

func mustPropose(t *testing.T, c *testChain, h int64) []byte {
	t.Helper()
	b, err := protocol.ProposeBeacon(c.app.Committed(), h, c.valAddr, c.vrfSecret)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestQuery(t *testing.T) {
	c := newChain(t, nil, 1_000_000, 0)
	if resp := c.query(chain.PathSupply, nil, 0, false); resp.Code != chain.QueryNoState {
		t.Fatalf("query before the first commit: %+v", resp)
	}
	a, b := addrOf(c.keys[0]), addrOf(c.keys[1])
	c.block()
	t1 := c.transfer(0, 0, b, 777)
	c.block(t1)
	c.block()
	const h = 3

	// /account
	if got := c.account(b, 0); got.Balance != 777 || got.Nonce != 0 {
		t.Fatalf("b %v", got)
	}
	// /supply
	resp := c.query(chain.PathSupply, nil, 0, false)
	var s pb.Supply
	if resp.Code != 0 || proto.Unmarshal(resp.Value, &s) != nil || s.Genesis != 1_000_000 || s.Burned != txFee(t, t1) || resp.Height != h {
		t.Fatalf("supply %+v %v", resp, &s)
	}
	// /params
	resp = c.query(chain.PathParams, nil, 0, false)
	var p protocol.Params
	if resp.Code != 0 || json.Unmarshal(resp.Value, &p) != nil || !reflect.DeepEqual(p, c.params) {
		t.Fatalf("params %s %+v", resp.Value, p)
	}
	// /beacon: the latest, and by height; entries chain seed to seed.
	var latest, first pb.BeaconEntry
	resp = c.query(chain.PathBeacon, nil, 0, false)
	if resp.Code != 0 || proto.Unmarshal(resp.Value, &latest) != nil || latest.Height != h {
		t.Fatalf("latest beacon %+v", resp)
	}
	resp = c.query(chain.PathBeacon, binary.BigEndian.AppendUint64(nil, 1), 0, false)
	if resp.Code != 0 || proto.Unmarshal(resp.Value, &first) != nil || first.Height != 1 ||
		!bytes.Equal(first.PrevSeed, bytes.Repeat([]byte{0x17}, 32)) || !bytes.Equal(first.Proposer, c.valAddr) {
		t.Fatalf("beacon 1 %+v %v", resp, &first)
	}
	if !bytes.Equal(latest.Seed, mustSeed(t, c.app.Committed())) {
		t.Fatal("latest beacon's seed is not the current seed")
	}
	// Errors.
	for _, q := range []struct {
		path string
		data []byte
		code uint32
	}{
		{chain.PathBeacon, binary.BigEndian.AppendUint64(nil, 99), chain.QueryNotFound},
		{chain.PathBeacon, []byte{1, 2, 3}, chain.QueryBadRequest},
		{chain.PathAccount, a[:19], chain.QueryBadRequest},
		{"/nothing", nil, chain.QueryBadRequest},
	} {
		if resp := c.query(q.path, q.data, 0, false); resp.Code != q.code || resp.Log == "" {
			t.Errorf("%s %x: code %d, want %d", q.path, q.data, resp.Code, q.code)
		}
	}
	if resp := c.query(chain.PathSupply, nil, 50, false); resp.Code != chain.QueryNoState {
		t.Errorf("query at a future height: %+v", resp)
	}

	// Proofs against the app hash of each height.
	for _, height := range []int64{2, 3} {
		for _, who := range []address.Address{a, b} {
			resp := c.query(chain.PathAccount, who[:], height, true)
			if resp.Code != 0 || resp.Height != height || resp.ProofOps == nil || len(resp.ProofOps.Ops) != 1 {
				t.Fatalf("proven query at %d: %+v", height, resp)
			}
			op := resp.ProofOps.Ops[0]
			if op.Type != chain.ProofOpType || !bytes.Equal(op.Key, protocol.AccountKey(who)) || !bytes.Equal(resp.Key, op.Key) {
				t.Fatalf("proof op %s %x", op.Type, op.Key)
			}
			var proof ics23.CommitmentProof
			if err := proof.Unmarshal(op.Data); err != nil {
				t.Fatal(err)
			}
			root := c.hashes[height]
			if !ics23.VerifyMembership(ics23.IavlSpec, root, &proof, op.Key, resp.Value) {
				t.Fatalf("proof of %s at %d does not verify against %x", who, height, root)
			}
			// The proof binds the value and the root.
			forged := append(append([]byte{}, resp.Value...), 0x08, 0x01)
			if ics23.VerifyMembership(ics23.IavlSpec, root, &proof, op.Key, forged) {
				t.Fatal("proof verifies a forged value")
			}
			if ics23.VerifyMembership(ics23.IavlSpec, c.hashes[height-1], &proof, op.Key, resp.Value) {
				t.Fatal("proof verifies against the previous app hash")
			}
		}
	}
	// An absent account has a non-membership proof.
	nobody := address.FromPublicKey(make([]byte, 32))
	resp = c.query(chain.PathAccount, nobody[:], 0, true)
	if resp.Code != 0 || resp.Value != nil || resp.ProofOps == nil {
		t.Fatalf("absent account: %+v", resp)
	}
	var proof ics23.CommitmentProof
	if err := proof.Unmarshal(resp.ProofOps.Ops[0].Data); err != nil {
		t.Fatal(err)
	}
	if !ics23.VerifyNonMembership(ics23.IavlSpec, c.hashes[h], &proof, protocol.AccountKey(nobody)) {
		t.Fatal("non-membership proof does not verify")
	}
	// The supply and beacon are provable too.
	for _, q := range []struct {
		path string
		data []byte
	}{{chain.PathSupply, nil}, {chain.PathBeacon, nil}} {
		resp := c.query(q.path, q.data, 0, true)
		var proof ics23.CommitmentProof
		if resp.ProofOps == nil || proof.Unmarshal(resp.ProofOps.Ops[0].Data) != nil ||
			!ics23.VerifyMembership(ics23.IavlSpec, c.hashes[h], &proof, resp.Key, resp.Value) {
			t.Fatalf("%s proof does not verify", q.path)
		}
	}
}

// TestRestart closes the store after some blocks, reopens it and goes on;
// the result is the same as a chain that never stopped.
func TestRestart(t *testing.T) {
	dir := t.TempDir()
	tree, err := iavltree.OpenDisk(dir, 0)
	if err != nil {
		t.Fatal(err)
	}
	c := newChain(t, tree, 1_000_000, 1_000)
	ref := newChain(t, nil, 1_000_000, 1_000)
	b := addrOf(c.keys[1])
	blocks := [][][]byte{
		nil,
		{c.transfer(0, 0, b, 100), c.transfer(1, 0, b, 5)},
		{c.transfer(0, 1, b, 200), c.transfer(1, 1, b, 5_000)},
	}
	for _, txs := range blocks {
		c.block(txs...)
		ref.block(txs...)
	}
	const n = 3
	if !bytes.Equal(c.hashes[n], ref.hashes[n]) {
		t.Fatalf("disk and memory chains differ at %d: %x vs %x", n, c.hashes[n], ref.hashes[n])
	}
	// An uncommitted block is lost at the restart, as it should be.
	if _, err := c.app.FinalizeBlock(ctx, &abci.FinalizeBlockRequest{Txs: c.prepare(n+1, nil), Height: n + 1, ProposerAddress: c.valAddr}); err != nil {
		t.Fatal(err)
	}
	if err := tree.Close(); err != nil {
		t.Fatal(err)
	}

	tree, err = iavltree.OpenDisk(dir, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tree.Close() })
	c.newApp(tree)
	info, err := c.app.Info(ctx, &abci.InfoRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if info.LastBlockHeight != n || !bytes.Equal(info.LastBlockAppHash, c.hashes[n]) {
		t.Fatalf("after reopening: Info height %d hash %x, want %d %x", info.LastBlockHeight, info.LastBlockAppHash, n, c.hashes[n])
	}
	if got := c.account(b, 0); got.Balance != ref.account(b, 0).Balance || got.Nonce != 2 {
		t.Fatalf("b after restart %v", got)
	}
	if got := c.account(b, 2); got.Balance != ref.account(b, 2).Balance {
		t.Fatalf("b at height 2 after restart %v", got)
	}
	// CheckTx resumes from the committed nonces.
	if resp := c.checkTx(c.transfer(0, 1, b, 1)); resp.Code != uint32(wire.CodeWrongNonce) {
		t.Fatalf("used nonce after restart: %d", resp.Code)
	}
	next := c.transfer(0, 2, b, 1)
	if resp := c.checkTx(next); resp.Code != 0 {
		t.Fatalf("next nonce after restart: %d %s", resp.Code, resp.Log)
	}
	c.block(next)
	ref.block(next)
	if !bytes.Equal(c.hashes[n+1], ref.hashes[n+1]) {
		t.Fatalf("after restart the chains diverge at %d: %x vs %x", n+1, c.hashes[n+1], ref.hashes[n+1])
	}
}

// TestInitialHeight: a genesis may start the chain at any height; the app
// must report block heights, not store versions.
func TestInitialHeight(t *testing.T) {
	val := validatorKey()
	secret, public := vrfKey(t, 0x33)
	tree := iavltree.OpenMemory()
	app, err := chain.New(chain.Options{Store: tree, ValidatorAddress: val.PubKey().Address(), VRFSecret: secret})
	if err != nil {
		t.Fatal(err)
	}
	const initial = 5
	if _, err := app.InitChain(ctx, &abci.InitChainRequest{ChainId: chainID, InitialHeight: initial,
		Validators:    []abci.ValidatorUpdate{validatorUpdate(val)},
		AppStateBytes: genesisDoc(t, protocol.DefaultParams(), val.PubKey().Address(), public, []uint64{1})}); err != nil {
		t.Fatal(err)
	}
	prep, err := app.PrepareProposal(ctx, &abci.PrepareProposalRequest{Height: initial, ProposerAddress: val.PubKey().Address(), MaxTxBytes: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := app.FinalizeBlock(ctx, &abci.FinalizeBlockRequest{Txs: prep.Txs, Height: initial, ProposerAddress: val.PubKey().Address()}); err != nil {
		t.Fatal(err)
	}
	if _, err := app.Commit(ctx, &abci.CommitRequest{}); err != nil {
		t.Fatal(err)
	}
	info, err := app.Info(ctx, &abci.InfoRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if info.LastBlockHeight != initial {
		t.Fatalf("genesis initial_height %d, after its first block Info reports LastBlockHeight %d "+
			"(store versions must be block heights, or CometBFT's handshake replays from the wrong height)", initial, info.LastBlockHeight)
	}
	resp, err := app.Query(ctx, &abci.QueryRequest{Path: chain.PathBeacon})
	if err != nil || resp.Code != 0 || resp.Height != initial {
		t.Fatalf("latest beacon: %+v %v", resp, err)
	}
}
