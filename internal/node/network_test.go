package node

import (
	"context"
	"testing"
	"time"

	"github.com/provernet/provernet/client"
	"github.com/provernet/provernet/internal/protocol"
	"github.com/provernet/provernet/wire/address"
)

// TestFourValidators runs four validators on loopback, each in its own home
// with its own keys and store: blocks proposed by each carry that
// proposer's beacon, the others accept them, all reach the same app hashes,
// and a transaction sent to one node is seen by the others.
func TestFourValidators(t *testing.T) {
	t.Parallel()
	const n = 4
	ports := netPorts(t, 3*n)
	alice, err := client.GenerateKey("alice")
	if err != nil {
		t.Fatal(err)
	}
	bob, _ := client.GenerateKey("bob")
	homes, err := InitNetwork(NetworkOptions{
		Dir: t.TempDir(), Validators: n, ChainID: "net-test",
		Ports:     func(i int) (int, int, int) { return ports[3*i], ports[3*i+1], ports[3*i+2] },
		Configure: func(_ int, c *Config) { c.Chain.BlockTime = Duration{100 * time.Millisecond}; c.Log.Level = "error" },
	}, InitOptions{Accounts: []protocol.GenesisAccount{{Address: address.FromPublicKey(alice.PublicKey()), Balance: 1_000_000}}})
	if err != nil {
		t.Fatal(err)
	}
	nodes := make([]*Node, n)
	for i, h := range homes {
		if nodes[i], err = Start(context.Background(), h, Options{Log: testLog(t), AfterCommit: checkSupply}); err != nil {
			t.Fatal(err)
		}
		defer nodes[i].Stop()
	}
	clients := make([]*client.Client, n)
	for i, nd := range nodes {
		clients[i] = client.New(nd.APIURL())
	}
	ctx := context.Background()
	waitHeight(t, clients[2], 2)
	res, err := clients[2].Transfer(ctx, alice, bob.Address(), 777)
	if err != nil {
		t.Fatal(err)
	}
	wctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	txr, err := clients[0].WaitTx(wctx, res.Hash)
	if err != nil || txr.Code != 0 {
		t.Fatalf("transfer sent to node 2 not committed ok on node 0: %v %+v", err, txr)
	}
	const top = 9
	for _, c := range clients {
		waitHeight(t, c, top+1)
	}
	proposers := map[string]bool{}
	for h := int64(1); h <= top; h++ {
		var appHash string
		for i, c := range clients {
			b, err := c.Block(ctx, h)
			if err != nil {
				t.Fatal(err)
			}
			if i == 0 {
				appHash = b.AppHash
				proposers[b.Proposer] = true
				beacon, err := c.Beacon(ctx, h)
				if err != nil || beacon.Proposer != b.Proposer {
					t.Fatalf("height %d: beacon %+v (%v) not by the block's proposer %s", h, beacon, err, b.Proposer)
				}
			} else if b.AppHash != appHash {
				t.Fatalf("height %d: node %d app hash %s != node 0's %s", h, i, b.AppHash, appHash)
			}
		}
	}
	if len(proposers) < 2 {
		t.Fatalf("only %d distinct proposers in %d blocks; the beacon of other validators was never exercised", len(proposers), top)
	}
	for i, c := range clients {
		a, err := c.Account(ctx, bob.Address())
		if err != nil || a.Balance != 777 {
			t.Fatalf("node %d sees bob with %+v (%v), want 777", i, a, err)
		}
	}
}

func netPorts(t *testing.T, k int) []int {
	t.Helper()
	ports, err := LoopbackPorts(k)
	if err != nil {
		t.Fatal(err)
	}
	return ports
}
