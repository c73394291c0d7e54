package bench

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/bits"
	"os"
	"time"

	"github.com/provernet/provernet/client"
	"github.com/provernet/provernet/internal/node"
)

// The proof-tree benchmark (issue 16, docs/TREES.md): a devnet with
// prover daemons proves one tree of the hash pair, asked with the
// smallest node_deadline the chain allows, and the report says how many
// blocks the tree took from its ProveTree to final and how much kept work
// the winning tree left out. The hash pair proves nothing (its "proving"
// is a hash in the daemon), so the figures are the protocol's latency and
// waste, with no proving time in them.

// TreeOptions size the tree benchmark.
type TreeOptions struct {
	N         int                // the tree's inputs: a power of two, 2..max_tree_inputs
	Provers   int                // prover daemons
	Capacity  int                // each daemon's concurrent jobs (tree nodes per pass)
	Reward    uint64             // R, in uprv
	FeeBurn   func(i int) uint32 // prover i's fee_burn_bp (nil: 0)
	BlockTime time.Duration      // the devnet's block time
	// MinNodeDeadline, when set, overrides the devnet's min_node_deadline
	// (a chain parameter, 5 by default): the tree asks for it.
	MinNodeDeadline int64
	Timeout         time.Duration // for the tree to end (0: 10 minutes)
	Progress        io.Writer
	Log             io.Writer // the node's and the provers' logs (nil: discarded)
}

// TreeFeeBurns is bench tree's default fee burns: prover i offers
// (i mod 3) x 1000 bp, so the report shows the burn at three values.
func TreeFeeBurns(i int) uint32 { return uint32(i%3) * 1000 }

// Tree starts a devnet with o.Provers prover daemons, submits one
// ProveTree of o.N inputs with the chain's min_node_deadline, waits for
// it to end and reports it.
func Tree(ctx context.Context, o TreeOptions) (*TreeReport, error) {
	if o.N < 2 || bits.OnesCount(uint(o.N)) != 1 || o.Provers < 1 {
		return nil, fmt.Errorf("need a power of two n >= 2 and provers >= 1, got n=%d provers=%d", o.N, o.Provers)
	}
	home, err := os.MkdirTemp("", "provernet-bench-tree-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(home)
	d, ps, err := startTreeDevnet(ctx, home, o)
	if err != nil {
		return nil, err
	}
	defer d.Stop()
	defer ps.Stop()
	c := client.New(d.APIURL())
	if err := node.WaitActiveProvers(ctx, c, o.Provers); err != nil {
		return nil, err
	}
	deadline := d.Params().MinNodeDeadline
	start := time.Now()
	r, err := proveOneTree(ctx, c, d.Keys[0], o, deadline)
	if err != nil {
		return nil, err
	}
	r.Provers, r.BlockTimeMS = o.Provers, o.BlockTime.Milliseconds()
	r.WallS, r.Machine = round(time.Since(start).Seconds()), machine()
	return r, nil
}

// startTreeDevnet starts the devnet and its prover daemons.
func startTreeDevnet(ctx context.Context, home string, o TreeOptions) (*node.Devnet, *node.Provers, error) {
	onLoopback, err := node.OnLoopback()
	if err != nil {
		return nil, nil, err
	}
	logw := o.Log
	if logw == nil {
		logw = io.Discard
	}
	params := node.DevnetParams()
	if o.MinNodeDeadline > 0 {
		params.MinNodeDeadline = o.MinNodeDeadline
	}
	d, err := node.StartDevnet(ctx, node.DevnetOptions{Home: home, Accounts: 1, Provers: o.Provers, Params: &params,
		Balance: node.DevnetDefaults.Balance, BlockTime: o.BlockTime, Node: node.Options{Log: logw, Configure: onLoopback}})
	if err != nil {
		return nil, nil, err
	}
	if _, err := client.New(d.APIURL()).WaitHeight(ctx, 2); err != nil {
		d.Stop()
		return nil, nil, err
	}
	ps, err := node.StartProvers(d.Node, d.ProverKeys, node.ProverOptions{Capacity: o.Capacity, TreeFeeBurn: o.FeeBurn,
		Log: slog.New(slog.NewTextHandler(logw, nil))})
	if err != nil {
		d.Stop()
		return nil, nil, err
	}
	return d, ps, nil
}

// proveOneTree submits the tree and waits for it to end.
func proveOneTree(ctx context.Context, c *client.Client, from *client.Key, o TreeOptions, deadline int64) (*TreeReport, error) {
	inputs := make([][]byte, o.N)
	for i := range inputs {
		inputs[i] = fmt.Appendf(nil, "bench tree transaction %d", i)
	}
	id, res, err := c.ProveTree(ctx, from, 0, client.ProveTreeMsg(inputs, o.Reward, deadline))
	if err != nil {
		return nil, fmt.Errorf("tree: %w", err)
	}
	if tx, err := c.WaitTx(ctx, res.Hash); err != nil || tx.Code != 0 {
		return nil, fmt.Errorf("tree: the ProveTree did not commit: %v %v", err, client.TxError(tx))
	}
	timeout := o.Timeout
	if timeout <= 0 {
		timeout = 10 * time.Minute
	}
	wctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	t, err := c.WaitTree(wctx, id, 100*time.Millisecond, nil, client.TreeEnded)
	if err != nil {
		return nil, fmt.Errorf("tree %s: %w", id, err)
	}
	if o.Progress != nil {
		fmt.Fprintf(o.Progress, "tree: %s %s at height %d (asked at %d)\n", id[:12], t.State, t.EndHeight, t.Height)
	}
	r := summarizeTree(t)
	if r.Txs, err = scanTreeTxs(ctx, c, t); err != nil {
		return nil, err
	}
	if t.NumNodes > 0 {
		r.EvictedPerNode = float64(r.Txs.Evicted) / float64(t.NumNodes)
	}
	return r, nil
}
