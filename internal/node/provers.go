package node

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"sort"
	"sync"

	"github.com/provernet/provernet/client"
	"github.com/provernet/provernet/internal/protocol"
	"github.com/provernet/provernet/internal/prover"
	"github.com/provernet/provernet/internal/sandbox"
	"github.com/provernet/provernet/wire/pb"
)

// Provers are the devnet's prover daemons, each in its own goroutine with
// its own state directory, talking to the node over its RPC and API like a
// prover on another machine would.
type Provers struct {
	Daemons []*prover.Daemon
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	errs    []error
	mu      sync.Mutex
}

// ProverOptions configure the devnet's provers.
type ProverOptions struct {
	Exe         string               // the sandbox worker binary; "" finds it with sandbox.WorkerExecutable
	Capacity    int                  // concurrent workloads per prover
	Faults      map[int]prover.Fault // test-only misbehaviour, by prover index
	Interpreter bool
	Log         *slog.Logger
	Observe     func(prover.Step)  // each daemon's steps (benchmarks)
	TreeFeeBurn func(i int) uint32 // prover i's fee_burn_bp on proof-tree node proofs (nil: 0)
	TreeKeysDir string             // the gnark tree pair's keys, shared by every daemon ("": no gnark trees)
	// Asks are the asks a daemon keeps on the market, by prover index
	// (issue 17; prover.Config.Asks).
	Asks map[int][]*pb.SetAsk
}

// StartProvers starts a daemon for every key named prover<i> in the home's
// keys, registering and staking each on its first start.
func StartProvers(n *Node, keys []*client.Key, o ProverOptions) (*Provers, error) {
	if o.Exe == "" {
		exe, err := sandbox.WorkerExecutable()
		if err != nil {
			return nil, err
		}
		o.Exe = exe
	}
	if o.Capacity <= 0 {
		o.Capacity = 2
	}
	stake := n.Params().MinProverStake
	ctx, cancel := context.WithCancel(context.Background())
	ps := &Provers{cancel: cancel}
	for i, k := range proverKeys(keys) {
		log := o.Log
		if log == nil {
			log = slog.New(slog.DiscardHandler)
		}
		d, err := prover.New(prover.Config{
			RPC: n.RPCURL(), API: n.APIURL(), Key: k, Exe: o.Exe, Capacity: o.Capacity,
			Dir:         filepath.Join(n.Home(), "provers", k.Name),
			Interpreter: o.Interpreter, Fault: o.Faults[i], Log: log.With("prover", k.Name), Observe: o.Observe, Asks: o.Asks[i],
			TreeFeeBurnBP: treeFeeBurn(o.TreeFeeBurn, i), TreeKeysDir: o.TreeKeysDir, Metrics: n.MetricsRegisterer(), // labelled by address: the daemons share the node's page
			Register: &prover.Registration{CPUCores: DevnetProver.CPUCores, MemoryMB: DevnetProver.MemoryMB, MaxConcurrent: uint32(o.Capacity), Stake: stake, BlobEndpoint: n.APIURL()},
		})
		if err != nil {
			cancel()
			return nil, err
		}
		ps.Daemons = append(ps.Daemons, d)
		ps.wg.Add(1)
		go func() {
			defer ps.wg.Done()
			if err := d.Run(ctx); err != nil && !errors.Is(err, context.Canceled) {
				ps.mu.Lock()
				ps.errs = append(ps.errs, fmt.Errorf("%s: %w", k.Name, err))
				ps.mu.Unlock()
			}
		}()
	}
	return ps, nil
}

func treeFeeBurn(f func(int) uint32, i int) uint32 {
	if f == nil {
		return 0
	}
	return f(i)
}

// Stop stops every daemon and returns what made any of them give up.
func (ps *Provers) Stop() error {
	if ps == nil {
		return nil
	}
	ps.cancel()
	ps.wg.Wait()
	ps.mu.Lock()
	defer ps.mu.Unlock()
	return errors.Join(ps.errs...)
}

// proverKeys returns the keys named prover0, prover1, ... in order.
func proverKeys(keys []*client.Key) []*client.Key {
	var out []*client.Key
	for _, k := range keys {
		var i int
		if _, err := fmt.Sscanf(k.Name, "prover%d", &i); err == nil && k.Name == fmt.Sprintf("prover%d", i) {
			out = append(out, k)
		}
	}
	sort.Slice(out, func(a, b int) bool {
		return len(out[a].Name) < len(out[b].Name) || (len(out[a].Name) == len(out[b].Name) && out[a].Name < out[b].Name)
	})
	return out
}

// Params returns the chain parameters of the last committed state, or the
// defaults before the first commit.
func (n *Node) Params() protocol.Params {
	if snap := n.App().Committed(); snap != nil {
		if p, err := protocol.GetParams(snap); err == nil {
			return p
		}
	}
	return protocol.DefaultParams()
}
