package prover

import (
	"cmp"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/provernet/provernet/client"
	"github.com/provernet/provernet/internal/protocol"
	"github.com/provernet/provernet/internal/sandbox"
	"github.com/provernet/provernet/internal/vrf"
	"github.com/provernet/provernet/wire/address"
	"github.com/provernet/provernet/wire/pb"
)

// Daemon is one prover's daemon.
type Daemon struct {
	cfg     Config
	chain   *chain
	fetch   *fetcher
	jobs    *jobStore
	signer  *signer
	addr    address.Address
	params  protocol.Params
	me      *pb.Prover // this prover's record, refreshed every pass
	metrics *metrics   // nil: none (Config.Metrics)

	saved     savedState
	interest  map[string]bool               // hex ids of workloads worth looking at
	running   map[string]context.CancelFunc // job keys with a worker in this process
	ballot    ballot                        // committee work in hand
	proved    chan proveResult
	verified  chan verifyResult
	verifySem chan struct{}
	pool      *sandbox.Pool        // the worker processes jobs run in, kept between jobs
	out       bool                 // removed or exited: said once, then it only reveals
	lastState pb.ProverState       // the state seen on the last pass, to report a suspension once
	tip       int64                // the newest height seen
	pace      pace                 // its measured proving speed and block time (promise.go)
	trees     map[string]*treeWork // hex ids of proof trees of interest (tree_follow.go)
	vrfKey    *vrf.Key             // the prover's VRF key, once checked against its record (proof trees)
	vrfWarned bool                 // a missing or wrong VRF key was reported

	treeDone    chan treeProved // background node proofs (the gnark pair)
	treeProving int             // node proofs in the background
}

// observe reports a step to Config.Observe.
func (d *Daemon) observe(kind, workload string, slot uint32) {
	if d.cfg.Observe == nil {
		return
	}
	id, _ := hex.DecodeString(workload)
	d.cfg.Observe(Step{Kind: kind, Workload: id, Slot: slot, Height: d.tip, At: time.Now()})
}

// New prepares a daemon; Run starts it.
func New(cfg Config) (*Daemon, error) {
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(cfg.Dir, 0o700); err != nil {
		return nil, err
	}
	c, err := dialChain(cfg.RPC)
	if err != nil {
		return nil, err
	}
	jobs, err := openJobs(cfg.Dir)
	if err != nil {
		return nil, err
	}
	addr, err := address.Parse(cmp.Or(cfg.Prover, cfg.Key.Address()))
	if err != nil {
		return nil, fmt.Errorf("prover: %w", err)
	}
	signerAddr, err := address.Parse(cfg.Key.Address())
	if err != nil {
		return nil, err
	}
	m, err := newMetrics(cfg.Metrics, addr.String())
	if err != nil {
		return nil, fmt.Errorf("prover: registering its metrics: %w", err)
	}
	d := &Daemon{cfg: cfg, chain: c, jobs: jobs, addr: addr, metrics: m,
		fetch:    &fetcher{api: client.New(cfg.API), dir: cfg.Dir},
		signer:   &signer{key: cfg.Key, addr: signerAddr, metrics: m},
		interest: map[string]bool{}, trees: map[string]*treeWork{}, running: map[string]context.CancelFunc{}, ballot: newBallot(),
		proved: make(chan proveResult, 16), treeDone: make(chan treeProved, 16), verified: make(chan verifyResult, 64), verifySem: make(chan struct{}, cmp.Or(cfg.Verifiers, 2))}
	d.pace.cyclesPerSec = cfg.CyclesPerSecond // refined by its own jobs (promise.go)
	if err := d.loadState(); err != nil {
		return nil, err
	}
	d.noteState()
	return d, nil
}

// Address is the prover's account address (with a hot key, the prover's,
// not the key's).
func (d *Daemon) Address() string { return d.addr.String() }

// Run follows the chain until ctx ends. Errors talking to the node are
// logged and retried: the daemon resumes at the first height it has not
// read.
func (d *Daemon) Run(ctx context.Context) error {
	if err := d.connect(ctx); err != nil {
		return err
	}
	// Workers are kept between jobs: a prover serving many Runs of one
	// program compiles it, and parses its keys, once per worker.
	d.pool = sandbox.NewPool(d.cfg.Exe, 2)
	defer d.pool.Close()
	tick := time.NewTicker(d.cfg.Poll)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case r := <-d.proved:
			d.onProved(ctx, r)
		case r := <-d.verified:
			d.onVerified(r)
		case r := <-d.treeDone:
			d.onTreeProved(ctx, r)
		case <-tick.C:
			if err := d.pass(ctx); err != nil && ctx.Err() == nil {
				d.cfg.Log.Warn("pass failed; retrying", "err", err)
			}
		}
		d.noteState()
	}
}

// pass reads every height it has not read yet, then tends every workload
// of interest once, and sends the votes it gathered.
func (d *Daemon) pass(ctx context.Context) error {
	h, _, err := d.chain.height(ctx)
	if err != nil {
		return err
	}
	d.tip = h
	d.pace.sawHeight(h, time.Now())
	for next := d.saved.Height + 1; next <= h; next++ {
		if err := d.read(ctx, next); err != nil {
			if next == h {
				break // the newest block's results are not stored yet: next pass
			}
			return err
		}
		d.saved.Height = next
	}
	if err := d.saveState(); err != nil {
		return err
	}
	if d.me, err = d.chain.prover(ctx, d.addr[:]); err != nil && !errors.Is(err, errNotFound) {
		return err
	}
	if err := d.stillHotKey(); err != nil {
		return err
	}
	d.noteStanding()
	for _, id := range d.sortedInterest() {
		if err := d.tend(ctx, id); err != nil {
			d.cfg.Log.Warn("workload", "id", id, "err", err)
		}
	}
	d.tendTrees(ctx, d.cfg.Capacity-d.jobs.active()-d.treeProving)
	return d.flushVotes(ctx)
}

// noteStanding follows this prover's record: a suspension is reported
// once when it starts, and leaving the active set (removed, exited) once
// and for good.
func (d *Daemon) noteStanding() {
	if d.me == nil {
		return
	}
	if d.me.State == pb.ProverState_PROVER_STATE_SUSPENDED && d.me.State != d.lastState {
		d.cfg.Log.Warn("this prover is suspended: no new work or votes until it is reinstated", "reason", d.me.RemovedReason,
			"until", d.me.SuspendedUntil, "hint", "a suspension for stake (until 0) ends with a Stake that tops it up to min_prover_stake")
	}
	d.lastState = d.me.State
	if outOfSet(d.me) && !d.out {
		// It still reveals what it submitted: those results stay slashable.
		d.cfg.Log.Warn("this prover is out of the active set; it takes no more work", "state", protocol.StateName(d.me.State), "reason", d.me.RemovedReason)
		d.out = true
	}
}
