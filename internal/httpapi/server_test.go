package httpapi_test

import (
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/provernet/provernet/client"
	"github.com/provernet/provernet/internal/node"
)

// startNode runs a real devnet node and returns its API base URL.
func startNode(t *testing.T) (string, *node.Devnet) {
	t.Helper()
	onLoopback, err := node.OnLoopback()
	if err != nil {
		t.Fatal(err)
	}
	d, err := node.StartDevnet(context.Background(), node.DevnetOptions{
		Home: t.TempDir(), Accounts: 2, Balance: 1_000_000,
		Node: node.Options{Log: io.Discard, Configure: func(c *node.Config) {
			onLoopback(c)
			c.Chain.BlockTime = node.Duration{Duration: 100 * time.Millisecond}
		}},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Stop() })
	c := client.New(d.APIURL())
	// CometBFT stores a block before the app commits it: wait for the
	// second block so that the first is committed state.
	if err := waitHeight(c, 2); err != nil {
		t.Fatal(err)
	}
	return d.APIURL(), d
}

// waitHeight waits up to 30 s for the devnet's chain to reach h.
func waitHeight(c *client.Client, h int64) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, err := c.WaitHeight(ctx, h)
	return err
}

func TestAPIAnswers(t *testing.T) {
	api, d := startNode(t)
	c := client.New(api)
	ctx := context.Background()
	a, err := c.Account(ctx, d.Keys[0].Address())
	if err != nil || a.Balance != 1_000_000 || a.Nonce != 0 {
		t.Fatalf("account: %+v %v", a, err)
	}
	b, err := c.Block(ctx, 1)
	if err != nil || b.Height != 1 || b.NumTxs < 1 || len(b.TxHashes) != b.NumTxs {
		t.Fatalf("block 1: %+v %v", b, err)
	}
	bc, err := c.Beacon(ctx, 1)
	if err != nil || bc.Height != 1 || len(bc.Pi) != 160 || len(bc.Seed) != 64 || bc.Proposer != b.Proposer {
		t.Fatalf("beacon 1: %+v %v (block proposer %s)", bc, err, b.Proposer)
	}
	s, err := c.Supply(ctx)
	if err != nil || s.Genesis != 2_000_000 {
		t.Fatalf("supply: %+v %v", s, err)
	}
	// A transaction sent twice is refused the second time as a duplicate.
	st, _ := c.Status(ctx)
	fp, _ := c.FeeParams(ctx)
	m, _ := client.TransferMsg(d.Keys[1].Address(), 5)
	raw, err := client.SignTx(d.Keys[0], st.ChainID, 0, 0, fp, m)
	if err != nil {
		t.Fatal(err)
	}
	res, err := c.Broadcast(ctx, raw)
	if err != nil || res.Hash != client.TxHash(raw) {
		t.Fatalf("broadcast: %+v %v", res, err)
	}
	if _, err := c.Broadcast(ctx, raw); err == nil || !strings.Contains(err.Error(), "already received") {
		t.Fatalf("second broadcast of the same bytes: %v, want a duplicate error", err)
	}
	if r, err := c.WaitTx(ctx, res.Hash); err != nil || r.Code != 0 {
		t.Fatalf("transfer: %+v %v", r, err)
	}
}
