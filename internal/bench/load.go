package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/provernet/provernet/client"
	"github.com/provernet/provernet/internal/localnet"
	"github.com/provernet/provernet/internal/node"
	"github.com/provernet/provernet/wire"
)

// ErrNoPrograms is returned when the example programs are not built.
var ErrNoPrograms = errors.New("no sha256-chain program")

// LoadOptions size the network load benchmark (`provernet bench load`).
type LoadOptions struct {
	Exe        string // the provernet binary the nodes run
	Programs   string // built example programs (build/programs)
	Validators int
	Provers    int
	Capacity   int // workloads each prover proves at once
	Workloads  int // tiny sha256-chain Runs to send (ignored with Duration)
	Senders    int // user accounts sending them, each to its own validator
	Window     int // Runs in flight per sender (sent, not yet final)
	K          int // provers per Run
	BlockTime  time.Duration
	// Duration, when positive, sends Runs for this long instead of
	// Workloads of them (make soak).
	Duration time.Duration
	// Chaos, when positive, kills a random node (never node0, the
	// observer) with SIGKILL every Chaos and starts it again Chaos/2
	// later; at most one node is down at a time.
	Chaos time.Duration
	// Drain bounds the wait, once every Run is sent, for the last ones to
	// reach a terminal state.
	Drain    time.Duration
	Dir      string // the localnet's directory (""; a temporary one, removed)
	Progress io.Writer
}

// LoadReport is the benchmark's JSON report. A Run is accepted when a
// node's CheckTx took it; it is lost when it was accepted and never
// reached a terminal state (settled) by the end of the drain.
type LoadReport struct {
	Workloads int `json:"workloads"` // Runs accepted
	Rejected  int `json:"rejected"`  // broadcasts refused (sent again with the same nonce)
	Included  int `json:"included"`  // accepted Runs seen in a block
	Final     int `json:"final"`
	Failed    int `json:"failed"` // terminal but not final (failed, expired, ...)
	// Failures counts the Runs that settled without a final proof by
	// "state (reason)".
	Failures       map[string]int `json:"failures,omitempty"`
	Lost           int            `json:"lost"`
	WorkloadsPerS  float64        `json:"workloads_per_s"` // final Runs per second of the sending phase and drain
	FinalP50Blocks float64        `json:"final_p50_blocks"`
	FinalP99Blocks float64        `json:"final_p99_blocks"`
	FinalP50S      float64        `json:"final_p50_s"`
	FinalP99S      float64        `json:"final_p99_s"`
	// AppHashMismatches counts heights at which two nodes' headers name
	// different app hashes; HeightsCompared how many heights were.
	AppHashMismatches int `json:"app_hash_mismatches"`
	HeightsCompared   int `json:"heights_compared"`
	// InvariantFailures counts nodes whose stopped state breaks an
	// invariant (provernet debug check-state), AppHashesAtEnd how many
	// distinct (height, hash) pairs the stopped nodes hold.
	InvariantFailures int              `json:"invariant_failures"`
	Nodes             []LoadNodeResult `json:"nodes"`
	Kills             int              `json:"kills"`
	Validators        int              `json:"validators"`
	Provers           int              `json:"provers"`
	K                 int              `json:"k"`
	BlockTimeMS       int64            `json:"block_time_ms"`
	Blocks            int64            `json:"blocks"`
	WallS             float64          `json:"wall_s"`
	Machine           Machine          `json:"machine"`
}

// LoadNodeResult is one node's state after the network stopped.
type LoadNodeResult struct {
	Name    string `json:"name"`
	Height  int64  `json:"height"`
	AppHash string `json:"app_hash"`
	Error   string `json:"error,omitempty"`
}

func (o *LoadOptions) defaults() error {
	if o.Validators < 1 || o.Provers < 1 || o.Senders < 1 || o.Window < 1 || o.K < 1 || o.K > o.Provers {
		return fmt.Errorf("load: need validators, provers, senders, window >= 1 and 1 <= k <= provers")
	}
	if o.Workloads < 1 && o.Duration <= 0 {
		return errors.New("load: need --workloads or --duration")
	}
	if o.Progress == nil {
		o.Progress = io.Discard
	}
	if o.Drain <= 0 {
		o.Drain = 5 * time.Minute
	}
	if _, err := os.Stat(filepath.Join(o.Programs, "sha256-chain", "prover.wasm")); err != nil {
		return fmt.Errorf("no sha256-chain program under %s (run `make programs`): %w", o.Programs, err)
	}
	return nil
}

// Load starts a localnet of separate node processes, sends tiny Runs
// through its validators from several users, follows each to a terminal
// state, then stops the network and checks that every node agrees on
// every block's app hash and that each node's state holds every invariant.
func Load(ctx context.Context, o LoadOptions) (*LoadReport, error) {
	if err := o.defaults(); err != nil {
		return nil, err
	}
	l, cleanup, err := startLoadNet(ctx, o)
	if err != nil {
		return nil, err
	}
	defer cleanup()
	clients := map[string]*client.Client{}
	for _, n := range l.Nodes {
		clients[n.Name] = client.New(n.API)
	}
	obs := clients["node0"]
	keys, err := client.ListKeys(node.KeysDir(l.Nodes[0].Home))
	if err != nil || len(keys) < o.Senders+1 {
		return nil, fmt.Errorf("load: dev keys: %v (%d)", err, len(keys))
	}
	fmt.Fprintf(o.Progress, "load: deploying sha256-chain, waiting for %d provers...\n", o.Provers)
	if _, err := obs.WaitHeight(ctx, 2); err != nil {
		return nil, err
	}
	progs, err := node.DeployExamples(ctx, obs, keys[0], onlySHA(o.Programs, l.Dir))
	if err != nil || len(progs) == 0 {
		return nil, fmt.Errorf("load: deploy: %v", err)
	}
	if err := node.WaitActiveProvers(ctx, obs, o.Provers); err != nil {
		return nil, err
	}
	if err := warmUp(ctx, o, obs, keys[0], progs[0]); err != nil {
		return nil, err
	}
	start := time.Now()
	run, err := runNetworkLoad(ctx, o, l, clients, keys[1:o.Senders+1], progs[0])
	if err != nil {
		return nil, err
	}
	wall := time.Since(start)
	rep := run.report(o, wall)
	fmt.Fprintf(o.Progress, "load: %d Runs accepted, %d final, %d lost in %.0fs; comparing app hashes...\n", rep.Workloads, rep.Final, rep.Lost, wall.Seconds())
	if err := compareAppHashes(ctx, l, rep); err != nil {
		return nil, err
	}
	fmt.Fprintf(o.Progress, "load: stopping the network, checking every node's state...\n")
	if _, err := localnet.Stop(l, localnet.StopOptions{Timeout: 20 * time.Second}); err != nil {
		return nil, err
	}
	checkNodes(l, rep)
	return rep, nil
}

// warmUp sends two Runs of as many provers as a Run may have, so that
// (almost surely) every daemon has fetched the program and compiled it
// before the clock starts: the figures are the network's steady state,
// not its first minute.
func warmUp(ctx context.Context, o LoadOptions, c *client.Client, key *client.Key, prog node.ExampleProgram) error {
	params, err := c.Params(ctx)
	if err != nil {
		return err
	}
	k := min(uint32(o.Provers), params.MaxProversPerWorkload)
	fmt.Fprintf(o.Progress, "load: warming up: two Runs of k = %d...\n", k)
	id, err := client.LoadOrCreateIdentity(filepath.Join(os.TempDir(), "provernet-load-warmup-"+key.Name+".age"))
	if err != nil {
		return err
	}
	wctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	for i := range 2 {
		input := fmt.Appendf(nil, `{"seed": "%02x", "iterations": 100}`, i)
		sub, err := c.SubmitRun(wctx, key, client.RunRequest{Program: prog.ID, Cycles: loadCycles, Provers: k,
			Recipient: id.Recipient().String(), Inputs: []client.RunInput{{Name: "input.json", Data: input}}})
		if err != nil {
			return fmt.Errorf("load: warm-up: %w", err)
		}
		if _, err := c.WaitWorkload(wctx, sub.Workload, 200*time.Millisecond, nil, func(w *wire.Workload) bool { return w.Settled }); err != nil {
			return fmt.Errorf("load: warm-up: %w", err)
		}
	}
	return nil
}

// startLoadNet creates and starts the localnet; cleanup stops it and, for
// a temporary directory, removes it.
func startLoadNet(ctx context.Context, o LoadOptions) (*localnet.Layout, func(), error) {
	dir, temp := o.Dir, o.Dir == ""
	if temp {
		var err error
		if dir, err = os.MkdirTemp("", "provernet-bench-load-"); err != nil {
			return nil, nil, err
		}
	}
	spec := localnet.Spec{Dir: dir, ChainID: "provernet-load", Validators: o.Validators, Provers: o.Provers,
		Accounts: o.Senders + 1, Balance: node.DevnetDefaults.Balance, BlockTime: o.BlockTime, LogLevel: "error",
		ProverCapacity: o.Capacity}
	base, err := spec.FreeBasePort()
	if err != nil {
		return nil, nil, err
	}
	spec.BasePort = base
	l, err := localnet.Create(spec)
	if err != nil {
		return nil, nil, err
	}
	cleanup := func() {
		_, _ = localnet.Stop(l, localnet.StopOptions{Timeout: 10 * time.Second})
		if temp {
			_ = os.RemoveAll(dir)
		}
	}
	fmt.Fprintf(o.Progress, "load: starting %d validators and %d provers in %s...\n", o.Validators, o.Provers, dir)
	if _, err := localnet.Start(ctx, l, localnet.StartOptions{Exe: o.Exe, Ready: 2 * time.Minute}); err != nil {
		cleanup()
		return nil, nil, err
	}
	return l, cleanup, nil
}
