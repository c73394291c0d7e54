package node

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	rpcclient "github.com/cometbft/cometbft/rpc/client"
	"github.com/cometbft/cometbft/types"

	"github.com/provernet/provernet/client"
	"github.com/provernet/provernet/internal/chain"
	"github.com/provernet/provernet/internal/protocol"
	"github.com/provernet/provernet/internal/store"
	"github.com/provernet/provernet/internal/store/iavltree"
	"github.com/provernet/provernet/wire"
	"github.com/provernet/provernet/wire/address"
)

// TestReplayReachesSameAppHash runs a real devnet node, sends it some
// transactions, then feeds its genesis and every block it committed to a
// fresh App on a fresh store: after each block the fresh App must have the
// app hash (and results hash) that the node committed to in the next header.
// Two instances given the same blocks reach the same state.
func TestReplayReachesSameAppHash(t *testing.T) {
	t.Parallel()
	d := startDevnet(t, t.TempDir())
	t.Cleanup(func() { _ = d.Stop() })
	c := client.New(d.APIURL())
	ctx := context.Background()
	waitHeight(t, c, 2)
	alice, bob := d.Keys[0], d.Keys[1]

	wait := func(res *wire.BroadcastResult, err error) *wire.TxResult {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		wctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		txr, err := c.WaitTx(wctx, res.Hash)
		if err != nil {
			t.Fatal(err)
		}
		return txr
	}
	var committed []*wire.TxResult
	committed = append(committed, wait(c.Transfer(ctx, alice, bob.Address(), 4_321)))
	committed = append(committed, wait(c.Transfer(ctx, bob, alice.Address(), 1_000)))
	newcomer := address.FromPublicKey(make([]byte, 32)).String()
	m1, err := client.TransferMsg(newcomer, 77)
	if err != nil {
		t.Fatal(err)
	}
	m2, err := client.TransferMsg(bob.Address(), 5)
	if err != nil {
		t.Fatal(err)
	}
	committed = append(committed, wait(c.Send(ctx, alice, 0, m1, m2)))
	for i, r := range committed {
		if r.Code != 0 {
			t.Fatalf("tx %d: code %d %s", i, r.Code, r.Log)
		}
	}

	// A transaction the node refuses never reaches a block. (One that
	// passes CheckTx and then fails in its block cannot be produced through
	// the node: CheckTx runs the same rules over the pending state.)
	st, err := c.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	fp, err := c.FeeParams(ctx)
	if err != nil {
		t.Fatal(err)
	}
	replay, err := client.SignTx(alice, st.ChainID, 0, 0, fp, m2) // nonce 0 is used
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Broadcast(ctx, replay)
	var rej *client.RejectedError
	if !errors.As(err, &rej) || rej.Result.Code != uint32(wire.CodeWrongNonce) || rej.Result.Codespace != wire.Codespace {
		t.Fatalf("replayed nonce: %v", err)
	}

	// Let a few more blocks pass, then fix the height to replay to: the
	// node's committed height n, and wait for header n+1 (which commits to
	// block n's app hash).
	waitHeight(t, c, committed[len(committed)-1].Height+3)
	info, err := d.RPC().ABCIInfo(ctx)
	if err != nil {
		t.Fatal(err)
	}
	n := info.Response.LastBlockHeight
	nodeHash := info.Response.LastBlockAppHash
	waitHeight(t, c, n+1)

	gres, err := d.RPC().Genesis(ctx)
	if err != nil {
		t.Fatal(err)
	}
	gen := gres.Genesis
	headers := map[int64]*types.Header{}
	blocks := map[int64]*types.Block{}
	results := map[int64][]*abci.ExecTxResult{}
	for h := int64(1); h <= n+1; h++ {
		b, err := d.RPC().Block(ctx, &h)
		if err != nil {
			t.Fatalf("block %d: %v", h, err)
		}
		blocks[h], headers[h] = b.Block, &b.Block.Header
		if h <= n {
			br, err := d.RPC().BlockResults(ctx, &h)
			if err != nil {
				t.Fatalf("block results %d: %v", h, err)
			}
			results[h] = br.TxResults
		}
	}
	// Read the node's state at n for comparison before it moves on.
	nodeAccounts := map[string][]byte{}
	for _, who := range []string{alice.Address(), bob.Address(), newcomer} {
		a, err := address.Parse(who)
		if err != nil {
			t.Fatal(err)
		}
		q, err := d.RPC().ABCIQueryWithOptions(ctx, chain.PathAccount, a[:], rpcclient.ABCIQueryOptions{Height: n})
		if err != nil || q.Response.Code != 0 || q.Response.Height != n {
			t.Fatalf("node query of %s at %d: %+v %v", who, n, q, err)
		}
		nodeAccounts[who] = q.Response.Value
	}

	// A fresh App on a fresh store; it is not a validator (no VRF key).
	fresh := iavltree.OpenMemory()
	var afterCommit []int64
	app, err := chain.New(chain.Options{Store: fresh, AfterCommit: func(h int64, r store.Reader) error {
		afterCommit = append(afterCommit, h)
		return protocol.CheckInvariants(r)
	}})
	if err != nil {
		t.Fatal(err)
	}
	vals := make([]abci.ValidatorUpdate, len(gen.Validators))
	for i, v := range gen.Validators {
		vals[i] = abci.NewValidatorUpdate(v.PubKey, v.Power)
	}
	initResp, err := app.InitChain(ctx, &abci.InitChainRequest{
		Time: gen.GenesisTime, ChainId: gen.ChainID, InitialHeight: gen.InitialHeight,
		Validators: vals, AppStateBytes: gen.AppState,
	})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(initResp.AppHash, headers[1].AppHash) {
		t.Fatalf("genesis app hash %x, block 1 header says %x", initResp.AppHash, headers[1].AppHash)
	}
	if gen.InitialHeight != 1 {
		t.Fatalf("devnet initial height %d", gen.InitialHeight)
	}

	txsSeen := 0
	for h := int64(1); h <= n; h++ {
		b := blocks[h]
		resp, err := app.FinalizeBlock(ctx, &abci.FinalizeBlockRequest{
			Txs: b.Txs.ToSliceOfBytes(), Height: h, Time: b.Time, Hash: b.Hash(),
			ProposerAddress: b.ProposerAddress, NextValidatorsHash: b.NextValidatorsHash,
		})
		if err != nil {
			t.Fatalf("replaying block %d: %v", h, err)
		}
		next := headers[h+1]
		if !bytes.Equal(resp.AppHash, next.AppHash) {
			t.Fatalf("block %d: replayed app hash %X, the node committed to %X", h, resp.AppHash, next.AppHash)
		}
		if rh := types.NewResults(resp.TxResults).Hash(); !bytes.Equal(rh, next.LastResultsHash) {
			t.Fatalf("block %d: replayed results hash %X, header %d says %X", h, rh, h+1, next.LastResultsHash)
		}
		if len(resp.TxResults) != len(results[h]) {
			t.Fatalf("block %d: %d results, node had %d", h, len(resp.TxResults), len(results[h]))
		}
		for i, r := range resp.TxResults {
			if r.Code != results[h][i].Code || r.Log != results[h][i].Log {
				t.Fatalf("block %d tx %d: replay %d %q, node %d %q", h, i, r.Code, r.Log, results[h][i].Code, results[h][i].Log)
			}
		}
		if _, err := app.Commit(ctx, &abci.CommitRequest{}); err != nil {
			t.Fatalf("committing block %d: %v", h, err)
		}
		txsSeen += len(b.Txs) - 1
	}
	if txsSeen != len(committed) {
		t.Fatalf("the node's blocks hold %d transactions, %d were sent and committed", txsSeen, len(committed))
	}
	if len(afterCommit) != int(n) || afterCommit[n-1] != n {
		t.Fatalf("AfterCommit ran for %v", afterCommit)
	}
	t.Logf("replayed %d blocks holding %d transactions to app hash %X", n, txsSeen, nodeHash)
	replayInfo, err := app.Info(ctx, &abci.InfoRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if replayInfo.LastBlockHeight != n || !bytes.Equal(replayInfo.LastBlockAppHash, nodeHash) {
		t.Fatalf("replay ends at %d %X, the node's app at %d %X", replayInfo.LastBlockHeight, replayInfo.LastBlockAppHash, n, nodeHash)
	}
	for who, want := range nodeAccounts {
		a, _ := address.Parse(who)
		q, err := app.Query(ctx, &abci.QueryRequest{Path: chain.PathAccount, Data: a[:]})
		if err != nil || q.Code != 0 || !bytes.Equal(q.Value, want) {
			t.Fatalf("account %s: replay %x, node %x (%v)", who, q.Value, want, err)
		}
	}
	// The node runs with checkSupply as its AfterCommit hook: a broken
	// invariant would have failed its Commit and halted it. It still moves.
	waitHeight(t, c, n+2)
}
