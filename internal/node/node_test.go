package node

import (
	"context"
	"io"
	"testing"
	"time"

	"github.com/provernet/provernet/client"
	"github.com/provernet/provernet/internal/protocol"
	"github.com/provernet/provernet/internal/store"
	"github.com/provernet/provernet/wire"
)

// freePorts configures a node to listen on free loopback ports, with fast
// blocks.
func freePorts(t *testing.T) func(*Config) {
	t.Helper()
	onLoopback, err := OnLoopback()
	if err != nil {
		t.Fatal(err)
	}
	return func(c *Config) {
		onLoopback(c)
		c.Chain.BlockTime = Duration{100 * time.Millisecond}
	}
}

// checkSupply is the AfterCommit hook of every test node: PROTOCOL.md 9's
// supply invariant after every block.
func checkSupply(_ int64, r store.Reader) error { return protocol.CheckInvariants(r) }

func startDevnet(t *testing.T, home string) *Devnet {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	d, err := StartDevnet(ctx, DevnetOptions{
		Home: home, Accounts: 2, Balance: 1_000_000_000,
		Node: Options{Log: testLog(t), Configure: freePorts(t), AfterCommit: checkSupply},
	})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// transfer sends amount from key to addr and waits until it is committed
// ok.
func transfer(t *testing.T, c *client.Client, key *client.Key, to string, amount uint64) *wire.TxResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	res, err := c.Transfer(ctx, key, to, amount)
	if err != nil {
		t.Fatal(err)
	}
	txr, err := c.WaitTx(ctx, res.Hash)
	if err != nil || txr.Code != 0 {
		t.Fatalf("transfer not committed ok: %v %+v", err, txr)
	}
	return txr
}

func waitHeight(t *testing.T, c *client.Client, h int64) *wire.Status {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	st, err := c.WaitHeight(ctx, h)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// TestTransferAndRestart sends a transfer through the real node, then stops
// and restarts it: the height continues and the balances are kept.
func TestTransferAndRestart(t *testing.T) {
	t.Parallel()
	home := t.TempDir()
	d := startDevnet(t, home)
	c := client.New(d.APIURL())
	ctx := context.Background()
	waitHeight(t, c, 2)
	alice, bob := d.Keys[0], d.Keys[1]

	txr := transfer(t, c, alice, bob.Address(), 12345)
	a, _ := c.Account(ctx, alice.Address())
	b, _ := c.Account(ctx, bob.Address())
	if b.Balance != 1_000_000_000+12345 || a.Nonce != 1 || a.Balance >= 1_000_000_000-12345 {
		t.Fatalf("after transfer: alice %+v bob %+v", a, b)
	}
	before := waitHeight(t, c, txr.Height+1)
	if err := d.Stop(); err != nil {
		t.Fatal(err)
	}

	d = startDevnet(t, home)
	defer d.Stop()
	c = client.New(d.APIURL())
	after := waitHeight(t, c, before.Height+2)
	b2, err := c.Account(ctx, bob.Address())
	if err != nil || b2.Balance != b.Balance {
		t.Fatalf("bob after restart: %+v %v, want balance %d", b2, err, b.Balance)
	}
	if _, err := c.Beacon(ctx, after.Height-1); err != nil {
		t.Fatalf("beacon after restart: %v", err)
	}
}

type tlog struct{ t *testing.T }

func (l tlog) Write(p []byte) (int, error) { l.t.Log(string(p)); return len(p), nil }

func testLog(t *testing.T) io.Writer {
	if testing.Verbose() {
		return tlog{t}
	}
	return io.Discard
}
