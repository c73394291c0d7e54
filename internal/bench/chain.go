// Package bench holds the benchmarks behind `provernet bench`. They run the
// real node on loopback and report figures; they never assert a speed.
package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cometbft/cometbft/abci/example/kvstore"
	abci "github.com/cometbft/cometbft/abci/types"

	"github.com/provernet/provernet/client"
	"github.com/provernet/provernet/internal/node"
	"github.com/provernet/provernet/internal/protocol"
	"github.com/provernet/provernet/wire/address"
)

// ChainOptions size the chain benchmark.
type ChainOptions struct {
	Txs       int           // transactions per application
	Senders   int           // concurrent senders, one account each
	BlockTime time.Duration // CometBFT timeout_commit for both runs
	Progress  io.Writer     // progress lines; nil discards
	Only      string        // "app" or "kvstore" runs just that one (profiling)
}

// ChainResult is the benchmark's JSON report.
type ChainResult struct {
	AppTxPerS     float64  `json:"app_tx_per_s"`
	KVStoreTxPerS float64  `json:"kvstore_tx_per_s"`
	Ratio         float64  `json:"ratio"`
	App           RunStats `json:"app"`
	KVStore       RunStats `json:"kvstore"`
	Txs           int      `json:"txs"`
	Senders       int      `json:"senders"`
	BlockTime     string   `json:"block_time"`
	Machine       Machine  `json:"machine"`
}

// RunStats describes one application's run.
type RunStats struct {
	TxPerS    float64 `json:"tx_per_s"`
	Committed int     `json:"committed"`
	Seconds   float64 `json:"seconds"`
	Blocks    int64   `json:"blocks"`
	TxBytes   int     `json:"tx_bytes"` // average size of one transaction
	Rejected  int64   `json:"rejected"` // refused by CheckTx (should be 0)
}

// Machine records where the figures were measured.
type Machine struct {
	CPUs int    `json:"cpus"`
	OS   string `json:"os"`
	Arch string `json:"arch"`
	Go   string `json:"go"`
	CPU  string `json:"cpu,omitempty"`
}

// Chain measures committed transfers per second through the full provernet
// node, and the same load of same-sized transactions through CometBFT's
// example kvstore application, both broadcast over CometBFT's RPC on
// 127.0.0.1 by concurrent senders.
func Chain(ctx context.Context, o ChainOptions) (*ChainResult, error) {
	if o.Txs <= 0 || o.Senders <= 0 || o.Txs < o.Senders {
		return nil, fmt.Errorf("need txs >= senders > 0, got txs=%d senders=%d", o.Txs, o.Senders)
	}
	if o.Progress == nil {
		o.Progress = io.Discard
	}
	keys, txs, err := signedTransfers(o.Txs, o.Senders)
	if err != nil {
		return nil, err
	}
	app, kv := &RunStats{}, &RunStats{}
	if o.Only != "kvstore" {
		fmt.Fprintf(o.Progress, "provernet app: %d transfers from %d senders\n", o.Txs, o.Senders)
		if app, err = runLoad(ctx, o, keys, txs, nil); err != nil {
			return nil, fmt.Errorf("provernet run: %w", err)
		}
		fmt.Fprintf(o.Progress, "provernet app: %.0f tx/s\n", app.TxPerS)
	}
	if o.Only != "app" {
		fmt.Fprintf(o.Progress, "kvstore: %d transactions from %d senders\n", o.Txs, o.Senders)
		kv, err = runLoad(ctx, o, keys, kvstoreTxs(txs), func(home string) abci.Application {
			return kvstore.NewPersistentApplication(filepath.Join(home, "data", "kvstore"))
		})
		if err != nil {
			return nil, fmt.Errorf("kvstore run: %w", err)
		}
		fmt.Fprintf(o.Progress, "kvstore: %.0f tx/s\n", kv.TxPerS)
	}
	res := &ChainResult{
		AppTxPerS: round(app.TxPerS), KVStoreTxPerS: round(kv.TxPerS), App: *app, KVStore: *kv,
		Txs: o.Txs, Senders: o.Senders, BlockTime: o.BlockTime.String(), Machine: machine(),
	}
	if kv.TxPerS > 0 {
		res.Ratio = float64(int(app.TxPerS/kv.TxPerS*1000)) / 1000
	}
	return res, nil
}

// signedTransfers makes one key per sender and, per sender, a sequence of
// signed transfers with consecutive nonces.
func signedTransfers(n, senders int) ([]*client.Key, [][][]byte, error) {
	keys := make([]*client.Key, senders)
	for i := range keys {
		k, err := client.GenerateKey(fmt.Sprintf("bench%d", i))
		if err != nil {
			return nil, nil, err
		}
		keys[i] = k
	}
	dp := protocol.DefaultParams()
	fp := client.FeeParams{FeePerByte: dp.FeePerByte, FeePerMsg: dp.FeePerMsg, FeePerWeight: dp.FeePerWeight, AdmissionChallenges: dp.AdmissionChallenges}
	txs := make([][][]byte, senders)
	for i := 0; i < n; i++ {
		s := i % senders
		to := keys[(s+1)%senders].Address()
		m, err := client.TransferMsg(to, 1)
		if err != nil {
			return nil, nil, err
		}
		raw, err := client.SignTx(keys[s], benchChainID, uint64(len(txs[s])), 0, fp, m)
		if err != nil {
			return nil, nil, err
		}
		txs[s] = append(txs[s], raw)
	}
	return keys, txs, nil
}

// kvstoreTxs makes key=value transactions of the same sizes as txs.
func kvstoreTxs(txs [][][]byte) [][][]byte {
	out := make([][][]byte, len(txs))
	for s, seq := range txs {
		for i, tx := range seq {
			kv := fmt.Sprintf("s%d-%d=", s, i)
			pad := len(tx) - len(kv)
			if pad < 1 {
				pad = 1
			}
			out[s] = append(out[s], []byte(kv+strings.Repeat("x", pad)))
		}
	}
	return out
}

const benchChainID = "provernet-bench"

// runLoad runs one application under load; newApp nil means provernet's.
func runLoad(ctx context.Context, o ChainOptions, keys []*client.Key, txs [][][]byte, newApp func(home string) abci.Application) (*RunStats, error) {
	home, err := os.MkdirTemp("", "provernet-bench-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(home)
	var app abci.Application
	if newApp != nil {
		app = newApp(home)
	}
	n, err := startBenchNode(ctx, home, o, keys, app)
	if err != nil {
		return nil, err
	}
	defer n.Stop()
	rpc := newBroadcaster(n.RPCURL(), len(txs))
	start, err := waitHeight(ctx, n, 2)
	if err != nil {
		return nil, err
	}
	total := 0
	for _, seq := range txs {
		total += len(seq)
	}
	stats := &RunStats{TxBytes: avgSize(txs)}
	t0 := time.Now()
	sendErr := make(chan error, 1)
	go func() { sendErr <- send(ctx, rpc, txs, &stats.Rejected) }()
	committed, last, err := countCommitted(ctx, n, start, total, app == nil, sendErr)
	if err != nil {
		return nil, err
	}
	secs := time.Since(t0).Seconds()
	stats.Committed, stats.Seconds, stats.Blocks = committed, float64(int64(secs*1000))/1000, last-start
	stats.TxPerS = round(float64(committed) / secs)
	return stats, nil
}

func startBenchNode(ctx context.Context, home string, o ChainOptions, keys []*client.Key, app abci.Application) (*node.Node, error) {
	onLoopback, err := node.OnLoopback()
	if err != nil {
		return nil, err
	}
	cfg := node.DefaultConfig()
	onLoopback(&cfg)
	cfg.Chain.BlockTime = node.Duration{Duration: o.BlockTime}
	cfg.Log.Level = "error"
	accounts := make([]protocol.GenesisAccount, len(keys))
	for i, k := range keys {
		accounts[i] = protocol.GenesisAccount{Address: address.FromPublicKey(k.PublicKey()), Balance: 1 << 50}
	}
	if _, err := node.Init(home, node.InitOptions{ChainID: benchChainID, Config: &cfg, Accounts: accounts}); err != nil {
		return nil, err
	}
	return node.Start(ctx, home, node.Options{Log: io.Discard, App: app})
}

// send broadcasts each sender's sequence in order, senders concurrently.
func send(ctx context.Context, rpc *broadcaster, txs [][][]byte, rejected *int64) error {
	var wg sync.WaitGroup
	errs := make(chan error, len(txs))
	for _, seq := range txs {
		wg.Add(1)
		go func(seq [][]byte) {
			defer wg.Done()
			for _, tx := range seq {
				ok, err := rpc.broadcastSync(ctx, tx)
				if err != nil {
					errs <- err
					return
				}
				if !ok {
					atomic.AddInt64(rejected, 1)
				}
			}
		}(seq)
	}
	wg.Wait()
	close(errs)
	return <-errs
}

// countCommitted follows the chain from height start until total
// successful transactions are committed; provernet blocks also carry the
// beacon entry, which is not counted.
func countCommitted(ctx context.Context, n *node.Node, start int64, total int, beacon bool, sendErr <-chan error) (int, int64, error) {
	committed, h := 0, start
	stall := time.Now()
	for committed < total {
		select {
		case err := <-sendErr:
			if err != nil {
				return 0, 0, fmt.Errorf("failed to broadcast: %w", err)
			}
			sendErr = nil
		default:
		}
		next := h + 1
		res, err := n.RPC().BlockResults(ctx, &next)
		if err != nil {
			if time.Since(stall) > 60*time.Second {
				return 0, 0, fmt.Errorf("no block after height %d for 60s (%d/%d committed)", h, committed, total)
			}
			time.Sleep(5 * time.Millisecond)
			continue
		}
		for i, r := range res.TxResults {
			if (beacon && i == 0) || r.Code != 0 {
				continue
			}
			committed++
		}
		h, stall = next, time.Now()
	}
	return committed, h, nil
}

// waitHeight asks CometBFT's RPC, not the provernet API that
// client.WaitHeight uses: the baseline runs CometBFT's kvstore app, which
// serves no provernet API.
func waitHeight(ctx context.Context, n *node.Node, h int64) (int64, error) {
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		st, err := n.RPC().Status(ctx)
		if err == nil && st.SyncInfo.LatestBlockHeight >= h {
			return st.SyncInfo.LatestBlockHeight, nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return 0, errors.New("the node did not start producing blocks")
}

func avgSize(txs [][][]byte) int {
	sum, n := 0, 0
	for _, seq := range txs {
		for _, tx := range seq {
			sum += len(tx)
			n++
		}
	}
	if n == 0 {
		return 0
	}
	return sum / n
}

func round(f float64) float64 { return float64(int64(f*10+0.5)) / 10 }

func machine() Machine {
	m := Machine{CPUs: runtime.NumCPU(), OS: runtime.GOOS, Arch: runtime.GOARCH, Go: runtime.Version()}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPU = strings.TrimSpace(v)
				break
			}
		}
	}
	return m
}
