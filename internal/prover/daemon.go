package prover

import (
	"cmp"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/provernet/provernet/client"
	"github.com/provernet/provernet/internal/protocol"
	"github.com/provernet/provernet/internal/sandbox"
	"github.com/provernet/provernet/wire/address"
	"github.com/provernet/provernet/wire/pb"
)

// Daemon is one prover's daemon.
type Daemon struct {
	cfg    Config
	chain  *chain
	fetch  *fetcher
	jobs   *jobStore
	signer *signer
	addr   address.Address
	params protocol.Params
	me     *pb.Prover // this prover's record, refreshed every pass

	saved     savedState
	interest  map[string]bool               // hex ids of workloads worth looking at
	running   map[string]context.CancelFunc // job keys with a worker in this process
	verifying map[string]bool               // slot keys being verified
	voted     map[string]bool               // slot keys already voted on
	votes     []*pb.VoteEntry               // verdicts to send this pass
	proved    chan proveResult
	verified  chan verifyResult
	verifySem chan struct{}
	pool      *sandbox.Pool  // the worker processes jobs run in, kept between jobs
	out       bool           // removed or exited: said once, then idle
	lastState pb.ProverState // the state seen on the last pass, to report a suspension once
	tip       int64          // the newest height seen
}

// observe reports a step to Config.Observe.
func (d *Daemon) observe(kind, workload string, slot uint32) {
	if d.cfg.Observe == nil {
		return
	}
	id, _ := hex.DecodeString(workload)
	d.cfg.Observe(Step{Kind: kind, Workload: id, Slot: slot, Height: d.tip, At: time.Now()})
}

// savedState is what survives a restart besides the jobs.
type savedState struct {
	Height   int64    `json:"height"`   // last height whose events were read
	Interest []string `json:"interest"` // workloads still worth looking at
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
	addr, err := address.Parse(cfg.Key.Address())
	if err != nil {
		return nil, err
	}
	d := &Daemon{cfg: cfg, chain: c, jobs: jobs, addr: addr,
		fetch:    &fetcher{api: client.New(cfg.API), dir: cfg.Dir},
		signer:   &signer{key: cfg.Key, addr: addr},
		interest: map[string]bool{}, running: map[string]context.CancelFunc{}, verifying: map[string]bool{}, voted: map[string]bool{},
		proved: make(chan proveResult, 16), verified: make(chan verifyResult, 64), verifySem: make(chan struct{}, cmp.Or(cfg.Verifiers, 2))}
	if err := d.loadState(); err != nil {
		return nil, err
	}
	return d, nil
}

// Address is the prover's account address.
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
		case <-tick.C:
			if err := d.pass(ctx); err != nil && ctx.Err() == nil {
				d.cfg.Log.Warn("pass failed; retrying", "err", err)
			}
		}
	}
}

// connect waits for the node, reads the chain's parameters and registers
// the prover if asked to.
func (d *Daemon) connect(ctx context.Context) error {
	for {
		h, chainID, err := d.chain.height(ctx)
		if err == nil && h > 0 {
			d.signer.chainID = chainID
			if d.saved.Height == 0 {
				d.saved.Height = h - 1 // a new daemon starts at the present
			}
			break
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(d.cfg.Poll):
		}
	}
	var err error
	if d.params, err = d.chain.params(ctx); err != nil {
		return err
	}
	d.signer.fees = client.FeeParams{FeePerByte: d.params.FeePerByte, FeePerMsg: d.params.FeePerMsg}
	return d.register(ctx)
}

func (d *Daemon) register(ctx context.Context) error {
	r := d.cfg.Register
	if r == nil {
		return nil
	}
	if _, err := d.chain.prover(ctx, d.addr[:]); err == nil {
		return nil
	} else if !errors.Is(err, errNotFound) {
		return err
	}
	vrfKey, err := newVRFKey(d.cfg.Dir)
	if err != nil {
		return err
	}
	msgs := []*pb.Msg{
		{Kind: &pb.Msg_RegisterProver{RegisterProver: &pb.RegisterProver{VrfPublicKey: vrfKey,
			Hardware: r.Hardware(), MaxConcurrent: r.MaxConcurrent, BlobEndpoint: r.BlobEndpoint}}},
		{Kind: &pb.Msg_Stake{Stake: &pb.Stake{Amount: r.Stake}}},
	}
	if err := d.signer.send(ctx, d.chain, msgs...); err != nil {
		return fmt.Errorf("failed to register: %w", err)
	}
	d.cfg.Log.Info("registered", "prover", d.addr.String(), "stake", r.Stake)
	return nil
}

// pass reads every height it has not read yet, then looks at every
// workload of interest once, and sends the votes it gathered.
func (d *Daemon) pass(ctx context.Context) error {
	h, _, err := d.chain.height(ctx)
	if err != nil {
		return err
	}
	d.tip = h
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
	if d.me != nil && d.me.State == pb.ProverState_PROVER_STATE_SUSPENDED && d.me.State != d.lastState {
		d.cfg.Log.Warn("this prover is suspended: no new work or votes until it is reinstated", "reason", d.me.RemovedReason,
			"until", d.me.SuspendedUntil, "hint", "a suspension for stake (until 0) ends with a Stake that tops it up to min_prover_stake")
	}
	if d.me != nil {
		d.lastState = d.me.State
	}
	if d.me != nil && (d.me.State == pb.ProverState_PROVER_STATE_REMOVED || d.me.State == pb.ProverState_PROVER_STATE_EXITED) && !d.out {
		// It still reveals what it submitted: those results stay slashable.
		d.cfg.Log.Warn("this prover is out of the active set; it takes no more work", "state", protocol.StateName(d.me.State), "reason", d.me.RemovedReason)
		d.out = true
	}
	for _, id := range d.sortedInterest() {
		if err := d.review(ctx, id); err != nil {
			d.cfg.Log.Warn("workload", "id", id, "err", err)
		}
	}
	return d.flushVotes(ctx)
}

// read notes the workloads block h's events name.
func (d *Daemon) read(ctx context.Context, h int64) error {
	evs, err := d.chain.events(ctx, h)
	if err != nil {
		return err
	}
	for _, e := range evs {
		switch e.Type {
		case "run", "workload", "slot", "challenge":
		default:
			continue
		}
		for _, a := range e.Attributes {
			if a.Key == "workload" || (e.Type == "workload" && a.Key == "id") {
				d.interest[a.Value] = true
			}
		}
	}
	return nil
}

func (d *Daemon) sortedInterest() []string {
	out := make([]string, 0, len(d.interest))
	for id := range d.interest {
		out = append(out, id)
	}
	for _, j := range d.jobs.jobs { // jobs always stay of interest
		if !d.interest[j.Workload] {
			out = append(out, j.Workload)
		}
	}
	sort.Strings(out)
	return out
}

func (d *Daemon) statePath() string { return filepath.Join(d.cfg.Dir, "state.json") }

func (d *Daemon) loadState() error {
	b, err := os.ReadFile(d.statePath())
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, &d.saved); err != nil {
		return fmt.Errorf("daemon state %s: %w", d.statePath(), err)
	}
	for _, id := range d.saved.Interest {
		d.interest[id] = true
	}
	return nil
}

func (d *Daemon) saveState() error {
	d.saved.Interest = d.saved.Interest[:0]
	for id := range d.interest {
		d.saved.Interest = append(d.saved.Interest, id)
	}
	sort.Strings(d.saved.Interest)
	b, err := json.Marshal(d.saved)
	if err != nil {
		return err
	}
	tmp := d.statePath() + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, d.statePath())
}

func decodeID(id string) ([]byte, error) {
	b, err := hex.DecodeString(id)
	if err != nil || len(b) != 32 {
		return nil, fmt.Errorf("bad workload id %q", id)
	}
	return b, nil
}
