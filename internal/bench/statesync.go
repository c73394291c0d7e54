package bench

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/provernet/provernet/client"
	"github.com/provernet/provernet/internal/node"
	"github.com/provernet/provernet/internal/protocol"
	"github.com/provernet/provernet/wire/address"
)

// StateSyncOptions size the state sync benchmark.
type StateSyncOptions struct {
	Blocks   int64 // the chain's length when the node joins
	Interval int64 // snapshot every this many heights
	Accounts int   // genesis accounts, the bulk of the state
	Progress io.Writer
}

// StateSyncReport is `provernet bench statesync`'s JSON report.
type StateSyncReport struct {
	Blocks int64 `json:"blocks"` // the validator's height when the joiner started
	// JoinS is from the joiner's start to its app at the validator's
	// height of that moment, with the validator's app hash.
	JoinS          float64 `json:"join_s"`
	DiscoveryS     float64 `json:"discovery_s"` // the configured snapshot discovery time, a floor under join_s
	SnapshotHeight int64   `json:"snapshot_height"`
	EarliestBlock  int64   `json:"earliest_block"` // the joiner's first stored block: it replayed nothing before
	SnapshotBytes  int64   `json:"snapshot_bytes"`
	Chunks         int     `json:"chunks"`
	Accounts       int     `json:"accounts"`
	ChainS         float64 `json:"chain_s"` // making the chain
	Machine        Machine `json:"machine"`
}

// statesyncDiscovery is how long the joiner looks for snapshots (CometBFT
// takes at least 5 s).
const statesyncDiscovery = 5 * time.Second

// StateSync makes a chain of o.Blocks blocks on one validator that
// snapshots every o.Interval heights, then starts a full node configured
// to state sync from a trusted recent header and times how soon its state
// is the validator's.
func StateSync(ctx context.Context, o StateSyncOptions) (*StateSyncReport, error) {
	if o.Blocks < 2*o.Interval || o.Interval < 1 {
		return nil, errors.New("statesync: --blocks must be at least twice --interval")
	}
	if o.Progress == nil {
		o.Progress = io.Discard
	}
	dir, err := os.MkdirTemp("", "provernet-bench-statesync-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	joinerHome := filepath.Join(dir, "joiner")
	ports, err := node.LoopbackPorts(6)
	if err != nil {
		return nil, err
	}
	configure := func(c *node.Config) {
		c.Chain.BlockTime = node.Duration{Duration: time.Millisecond}
		c.Log.Level = "error"
		c.State.SnapshotInterval, c.State.SnapshotKeep = o.Interval, 4
	}
	homes, err := node.InitNetworkWithFullNodes(
		node.NetworkOptions{Dir: dir, Validators: 1, ChainID: "statesync-bench",
			Ports: func(int) (int, int, int) { return ports[0], ports[1], ports[2] }, Configure: func(_ int, c *node.Config) { configure(c) }},
		node.FullNodes{Homes: []string{joinerHome}, Ports: func(int) (int, int, int) { return ports[3], ports[4], ports[5] },
			Configure: func(_ int, c *node.Config) { configure(c) }},
		node.InitOptions{Accounts: benchAccounts(o.Accounts)})
	if err != nil {
		return nil, err
	}
	val, err := node.Start(ctx, homes[0], node.Options{Log: io.Discard})
	if err != nil {
		return nil, err
	}
	defer val.Stop()
	rep := &StateSyncReport{Accounts: o.Accounts, DiscoveryS: statesyncDiscovery.Seconds(), Machine: machine()}
	t0 := time.Now()
	if err := waitChain(ctx, val, o); err != nil {
		return nil, err
	}
	rep.ChainS = round(time.Since(t0).Seconds())
	if err := configureJoiner(ctx, val, joinerHome, o.Blocks-5); err != nil {
		return nil, err
	}
	if err := join(ctx, val, joinerHome, rep); err != nil {
		return nil, err
	}
	rep.SnapshotHeight, rep.SnapshotBytes, rep.Chunks = snapshotSize(homes[0], rep.EarliestBlock)
	return rep, nil
}

// benchAccounts are n funded genesis accounts with made-up addresses.
func benchAccounts(n int) []protocol.GenesisAccount {
	out := make([]protocol.GenesisAccount, n)
	for i := range out {
		var seed [8]byte
		binary.BigEndian.PutUint64(seed[:], uint64(i))
		h := sha256.Sum256(seed[:])
		var a address.Address
		copy(a[:], h[:])
		out[i] = protocol.GenesisAccount{Address: a, Balance: 1_000_000 + uint64(i)}
	}
	return out
}

// waitChain waits for the validator to reach o.Blocks.
func waitChain(ctx context.Context, val *node.Node, o StateSyncOptions) error {
	c := client.New(val.APIURL())
	next := int64(0)
	for {
		st, err := c.Status(ctx)
		if err == nil && st.Height >= o.Blocks {
			return nil
		}
		if err == nil && st.Height >= next {
			fmt.Fprintf(o.Progress, "statesync: height %d of %d\n", st.Height, o.Blocks)
			next = st.Height + o.Blocks/10
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// configureJoiner turns on state sync in the joiner's config, trusting the
// validator's header at height trust.
func configureJoiner(ctx context.Context, val *node.Node, home string, trust int64) error {
	b, err := val.RPC().Block(ctx, &trust)
	if err != nil {
		return err
	}
	cfg, err := node.LoadConfig(home)
	if err != nil {
		return err
	}
	cfg.Sync = node.StateSync{Enable: true, RPCServers: []string{val.RPCURL(), val.RPCURL()},
		TrustHeight: trust, TrustHash: b.BlockID.Hash.String(), DiscoveryTime: node.Duration{Duration: statesyncDiscovery}}
	return node.WriteConfig(home, cfg)
}

// join starts the joiner and waits until its app holds the validator's
// state of the moment it started.
func join(ctx context.Context, val *node.Node, home string, rep *StateSyncReport) error {
	cv := client.New(val.APIURL())
	st, err := cv.Status(ctx)
	if err != nil {
		return err
	}
	rep.Blocks = st.Height
	t0 := time.Now()
	joiner, err := node.Start(ctx, home, node.Options{Log: io.Discard})
	if err != nil {
		return err
	}
	defer joiner.Stop()
	cj := client.New(joiner.APIURL())
	wctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	if _, err := cj.WaitHeight(wctx, rep.Blocks); err != nil {
		return fmt.Errorf("the joiner did not reach height %d: %w", rep.Blocks, err)
	}
	rep.JoinS = round(time.Since(t0).Seconds())
	// The restored snapshot's own block is not in the joiner's store: the
	// next one, which names the app hash of the snapshot's state, is.
	check := rep.Blocks + 1
	if _, err := cj.WaitHeight(wctx, check); err != nil {
		return err
	}
	want, err := cv.Block(ctx, check)
	if err != nil {
		return err
	}
	got, err := cj.Block(ctx, check)
	if err != nil {
		return err
	}
	if !strings.EqualFold(got.AppHash, want.AppHash) {
		return fmt.Errorf("height %d: joiner app hash %s, validator %s", check, got.AppHash, want.AppHash)
	}
	js, err := joiner.RPC().Status(ctx)
	if err != nil {
		return err
	}
	rep.EarliestBlock = js.SyncInfo.EarliestBlockHeight
	return nil
}

// snapshotSize finds, in the validator's snapshots, the newest at or below
// earliest (the snapshot the joiner restored: its first stored block is
// the snapshot's height) and sums its files: the height, the bytes and the
// chunks.
func snapshotSize(valHome string, earliest int64) (int64, int64, int) {
	entries, err := os.ReadDir(node.SnapshotDir(valHome))
	if err != nil {
		return 0, 0, 0
	}
	var best int64
	for _, e := range entries {
		var h int64
		if _, err := fmt.Sscan(e.Name(), &h); err == nil && h <= earliest && h > best {
			best = h
		}
	}
	files, err := os.ReadDir(filepath.Join(node.SnapshotDir(valHome), fmt.Sprint(best)))
	if err != nil {
		return 0, 0, 0
	}
	var bytes int64
	chunks := 0
	for _, f := range files {
		if info, err := f.Info(); err == nil {
			bytes += info.Size()
		}
		if f.Name() != "manifest.json" {
			chunks++
		}
	}
	return best, bytes, chunks
}
