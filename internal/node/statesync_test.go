package node

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/provernet/provernet/client"
)

// TestStateSync: two validators snapshot every 5th height; a new full
// node, configured with a trusted height and hash and the validators'
// RPCs, restores the newest snapshot instead of replaying the chain (its
// block store starts past height 1) and then follows the chain with the
// validators' app hashes; the snapshots it then takes itself are
// byte-identical to the validators'.
func TestStateSync(t *testing.T) {
	t.Parallel()
	const n = 2
	ports := netPorts(t, 3*(n+1))
	homes, err := InitNetwork(NetworkOptions{
		Dir: t.TempDir(), Validators: n, ChainID: "statesync-test",
		Ports: func(i int) (int, int, int) { return ports[3*i], ports[3*i+1], ports[3*i+2] },
		Configure: func(_ int, c *Config) {
			c.Chain.BlockTime = Duration{100 * time.Millisecond}
			c.Log.Level = "error"
			c.State.SnapshotInterval = 5
			c.State.SnapshotKeep = 50 // the chain moves on while the joiner discovers and fetches
		},
	}, InitOptions{})
	if err != nil {
		t.Fatal(err)
	}
	vals := make([]*Node, n)
	for i, h := range homes {
		if vals[i], err = Start(context.Background(), h, Options{Log: testLog(t), AfterCommit: checkSupply}); err != nil {
			t.Fatal(err)
		}
		defer vals[i].Stop()
	}
	c0 := client.New(vals[0].APIURL())
	waitHeight(t, c0, 12) // snapshots of 5 and 10
	if _, err := os.Stat(filepath.Join(SnapshotDir(homes[0]), "10", "manifest.json")); err != nil {
		t.Fatalf("no snapshot of height 10: %v", err)
	}
	ctx := context.Background()
	trust := int64(3)
	b, err := vals[0].RPC().Block(ctx, &trust)
	if err != nil {
		t.Fatal(err)
	}

	home := filepath.Join(t.TempDir(), "joiner")
	cfg := DefaultConfig()
	cfg.Moniker, cfg.Log.Level = "joiner", "error"
	cfg.Chain.BlockTime = Duration{100 * time.Millisecond}
	cfg.State.SnapshotInterval = 5
	cfg.P2P.Listen = fmt.Sprintf("tcp://127.0.0.1:%d", ports[3*n])
	cfg.RPC.Listen = fmt.Sprintf("tcp://127.0.0.1:%d", ports[3*n+1])
	cfg.API.Listen = fmt.Sprintf("127.0.0.1:%d", ports[3*n+2])
	cfg.P2P.AllowLoopback = true
	cfg.P2P.PersistentPeers = vals[0].P2PAddress() + "," + vals[1].P2PAddress()
	cfg.Sync = StateSync{Enable: true, RPCServers: []string{vals[0].RPCURL(), vals[1].RPCURL()},
		TrustHeight: trust, TrustHash: b.BlockID.Hash.String(), DiscoveryTime: Duration{5 * time.Second}}
	if _, err := prepareHome(home, cfg); err != nil {
		t.Fatal(err)
	}
	g, err := os.ReadFile(GenesisFile(homes[0]))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(GenesisFile(home), g, 0o600); err != nil {
		t.Fatal(err)
	}
	t0 := time.Now()
	joiner, err := Start(ctx, home, Options{Log: testLog(t), AfterCommit: checkSupply})
	if err != nil {
		t.Fatal(err)
	}
	defer joiner.Stop()
	cj := client.New(joiner.APIURL())
	wctx, cancel := context.WithTimeout(ctx, 90*time.Second)
	defer cancel()
	top, err := c0.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	target := top.Height + 3
	if _, err := cj.WaitHeight(wctx, target); err != nil {
		t.Fatalf("joiner did not reach height %d: %v", target, err)
	}
	t.Logf("joiner at height %d %v after start", target, time.Since(t0).Round(time.Millisecond))
	st, err := joiner.RPC().Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.SyncInfo.EarliestBlockHeight <= 5 {
		t.Fatalf("joiner's earliest block is %d: it replayed instead of restoring a snapshot", st.SyncInfo.EarliestBlockHeight)
	}
	for h := st.SyncInfo.EarliestBlockHeight; h <= target; h++ {
		want, err := c0.Block(ctx, h)
		if err != nil {
			t.Fatal(err)
		}
		got, err := cj.Block(ctx, h)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.EqualFold(got.AppHash, want.AppHash) {
			t.Fatalf("height %d: joiner app hash %s, validator %s", h, got.AppHash, want.AppHash)
		}
	}
	// CometBFT stores a block before the app commits it, so the API's
	// height may run a block ahead of the app for a moment (under load).
	for i := 0; joiner.App().Committed().Version() < target && i < 100; i++ {
		time.Sleep(20 * time.Millisecond)
	}
	if v := joiner.App().Committed().Version(); v < target {
		t.Fatalf("joiner's app at %d, want %d at least", v, target)
	}
	// The joiner's own snapshot of a later height is the validators'.
	h := (st.SyncInfo.EarliestBlockHeight/5 + 1) * 5
	if _, err := cj.WaitHeight(wctx, h); err != nil {
		t.Fatal(err)
	}
	joined, ours := waitManifest(t, home, h), waitManifest(t, homes[0], h)
	if !bytes.Equal(joined, ours) {
		t.Fatalf("snapshot %d differs:\njoiner    %s\nvalidator %s", h, joined, ours)
	}
}

// waitManifest waits for the manifest of home's snapshot of height h.
func waitManifest(t *testing.T, home string, h int64) []byte {
	t.Helper()
	path := filepath.Join(SnapshotDir(home), fmt.Sprint(h), "manifest.json")
	for range 100 {
		if b, err := os.ReadFile(path); err == nil {
			return b
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("no snapshot of height %d in %s", h, home)
	return nil
}
