package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/spf13/cobra"

	"github.com/provernet/provernet/client"
	"github.com/provernet/provernet/internal/cli"
	"github.com/provernet/provernet/internal/node"
	"github.com/provernet/provernet/internal/prover"
	"github.com/provernet/provernet/internal/sandbox"
	"github.com/provernet/provernet/wire"
	"github.com/provernet/provernet/wire/pb"
)

// startProverOpts are `start --prover`'s flags.
type startProverOpts struct {
	on         bool
	key        string
	capacity   int
	stake      string
	cpu        uint32
	memoryMB   uint64
	gpus       []string
	label      string
	treeBurn   uint32   // fee_burn_bp on its proof-tree node proofs
	treeCycles uint64   // cycle budget of one node proof of a deployed tree
	treeKeys   string   // the gnark tree pair's keys (--tree-keys)
	asks       []string // issue 17: --ask
	forProver  string   // issue 19: --prover-for, when --prover-key is that prover's hot key
}

// startInfo is what `start` prints: the endpoints and, with --prover, the
// prover daemon.
type startInfo struct {
	endpointInfo
	Prover *startProverInfo `json:"prover,omitempty"`
}

type startProverInfo struct {
	Key      string `json:"key"`
	Address  string `json:"address"`
	Dir      string `json:"dir"`
	Capacity int    `json:"capacity"`
	Stake    uint64 `json:"stake"` // bonded on first start if not registered
}

// startSyncOpts are `start --state-sync`'s flags; they override the
// config's state_sync section.
type startSyncOpts struct {
	on          bool
	trustHeight int64
	trustHash   string
	rpcServers  []string
}

func (o startSyncOpts) apply(c *node.Config) {
	if !o.on {
		return
	}
	c.Sync.Enable = true
	if o.trustHeight != 0 {
		c.Sync.TrustHeight = o.trustHeight
	}
	if o.trustHash != "" {
		c.Sync.TrustHash = o.trustHash
	}
	if len(o.rpcServers) > 0 {
		c.Sync.RPCServers = o.rpcServers
	}
}

func newStartCmd(g *globals) *cobra.Command {
	var po startProverOpts
	var so startSyncOpts
	var blobListen string
	cmd := &cobra.Command{
		Use:   "start",
		Short: "Run the node in --home until interrupted (with --prover, a prover daemon beside it)",
		Long: `Runs the node in --home until interrupted.

With --prover it also runs a prover daemon for the key --prover-key (from
HOME/keys), with its state in HOME/prover, talking to this node's RPC and API.
On its first start, if the key is not yet a registered prover, the daemon
registers it (declaring --prover-cpu, --prover-memory-mb, --prover-gpu and
--prover-capacity) and bonds --prover-stake, so the account must hold the
stake plus fees. When the chain has a challenge_program the prover is then
pending until it passes its admission challenge: one piece of the benchmark
per declared core, all at once, their buffers adding up to the declared
memory (at most 1024 MiB per core). Declared GPUs are recorded, untested.

With --prover-for PROVER, --prover-key is that prover's hot key (named with
provernet tx prover hot-key): the daemon works for PROVER, signs with the hot
key, which pays the fees, and registers nothing; the staking key stays
offline. Copy the prover's VRF key (HOME/keys/PROVER.vrf.json) beside the
hot key for proof trees.

With --state-sync a new node (empty data directory) restores a recent
snapshot served by its peers instead of replaying every block: a light
client checks it against --trust-height and --trust-hash (a block hash
read from a node you trust) through the CometBFT RPCs --rpc-servers (two at
least). See docs/OPERATIONS.md, "State sync".`,
		Example: `  provernet start --home ./node
  provernet start --home ./node --prover --prover-key alice --prover-capacity 2 --prover-stake 1000prv
  provernet start --home ./node --prover --prover-key alice-hot --prover-for prv1...
  provernet start --home ./new --state-sync --trust-height 12000 --trust-hash 4F3C... --rpc-servers http://a:26657,http://b:26657`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runStart(g, cmd, po, so, blobListen) },
	}
	f := cmd.Flags()
	f.StringVar(&blobListen, "blob-listen", "", "serve blob uploads on this address of their own (blobs.listen in config.toml); the API then redirects uploads there")
	f.BoolVar(&so.on, "state-sync", false, "start from a snapshot served by peers instead of replaying the chain (state_sync in config.toml)")
	f.Int64Var(&so.trustHeight, "trust-height", 0, "with --state-sync: a trusted block height (state_sync.trust_height)")
	f.StringVar(&so.trustHash, "trust-hash", "", "with --state-sync: the hex hash of the block at --trust-height (state_sync.trust_hash)")
	f.StringSliceVar(&so.rpcServers, "rpc-servers", nil, "with --state-sync: two or more CometBFT RPC URLs the light client reads (state_sync.rpc_servers)")
	f.BoolVar(&po.on, "prover", false, "also run a prover daemon for --prover-key")
	f.StringVar(&po.key, "prover-key", "", "with --prover: the prover's account key in HOME/keys (required with --prover)")
	f.IntVar(&po.capacity, "prover-capacity", 1, "with --prover: workloads it proves at once (declared as its max concurrency)")
	f.StringVar(&po.stake, "prover-stake", "", "with --prover: stake bonded when it registers, e.g. 1000prv (default: the chain's min_prover_stake)")
	f.Uint32Var(&po.cpu, "prover-cpu", uint32(min(runtime.NumCPU(), 64)), "with --prover: CPU cores it declares when it registers")
	f.Uint64Var(&po.memoryMB, "prover-memory-mb", 0, "with --prover: memory (MiB) it declares when it registers, at most 1024 per core (default: 1024 per core, at most 4096)")
	f.StringArrayVar(&po.gpus, "prover-gpu", nil, "with --prover: "+gpuFlagHelp)
	f.StringVar(&po.label, "prover-label", "", "with --prover: a name it registers with, for explorers and lists (printable ASCII, at most 64 bytes)")
	f.StringVar(&po.treeKeys, "tree-keys", "", "with --prover: the gnark tree pair's keys (`provernet tree keys`); without them it proves no node of a gnark tree")
	f.Uint64Var(&po.treeCycles, "tree-cycles", prover.DefaultTreeCycles, "with --prover: the cycle budget of one node proof of a tree of deployed programs (a tree names no budget; docs/TREES.md)")
	f.Uint32Var(&po.treeBurn, "tree-fee-burn-bp", 0, "with --prover: FEE_BURN on its proof-tree node proofs, 0..10000 bp: raises its score by that share and gives up that share of its pay (docs/TREES.md)")
	f.StringVar(&po.forProver, "prover-for", "", "with --prover: the prover (address or key name) the daemon works for when --prover-key is its hot key (`provernet tx prover hot-key`); it registers nothing")
	f.StringArrayVar(&po.asks, "ask", nil, "with --prover: an ask it keeps on the market, set at start if the chain lacks it: price=P,latency=L,class=cpu|gpu or program=ID (repeatable; id=N, default its position 1, 2, ...)")
	return cmd
}

func runStart(g *globals, cmd *cobra.Command, po startProverOpts, so startSyncOpts, blobListen string) error {
	if !so.on {
		for _, name := range []string{"trust-height", "trust-hash", "rpc-servers"} {
			if cmd.Flags().Changed(name) {
				return cli.WithHint(fmt.Errorf("--%s needs --state-sync", name), "add --state-sync to start from a snapshot")
			}
		}
	}
	if !po.on {
		for _, name := range []string{"prover-key", "prover-capacity", "prover-stake", "prover-cpu", "prover-memory-mb", "prover-gpu", "prover-label", "tree-fee-burn-bp", "tree-cycles", "tree-keys", "ask", "prover-for"} {
			if cmd.Flags().Changed(name) {
				return cli.WithHint(fmt.Errorf("--%s needs --prover", name), "add --prover to run a prover daemon beside the node")
			}
		}
	}
	var stake uint64
	var key *client.Key
	var reg *prover.Registration
	var asks []*pb.SetAsk
	var exe, forAddr string
	if po.on {
		if po.key == "" {
			return cli.WithHint(errors.New("--prover needs --prover-key"), "create a key with `provernet keys add NAME`, fund it, then pass --prover-key NAME")
		}
		// The prover's jobs run in provernet-sandbox: find it before the
		// node starts.
		var err error
		if exe, err = sandbox.WorkerExecutable(); err != nil {
			return err
		}
		if po.capacity < 1 {
			return cli.WithHint(fmt.Errorf("--prover-capacity must be at least 1, got %d", po.capacity), "it is how many workloads the prover proves at once")
		}
		if po.treeBurn > 10000 {
			return cli.WithHint(fmt.Errorf("--tree-fee-burn-bp %d exceeds 10000", po.treeBurn), "it is a share in basis points: 2500 burns a quarter of its pay")
		}
		if po.stake != "" {
			if stake, err = parseAmount(po.stake); err != nil {
				return err
			}
		}
		if po.forProver != "" { // a hot key registers nothing
			for _, name := range []string{"prover-stake", "prover-cpu", "prover-memory-mb", "prover-gpu", "prover-label"} {
				if cmd.Flags().Changed(name) {
					return cli.WithHint(fmt.Errorf("--%s declares a registration, which a hot key (--prover-for) cannot send", name),
						"register and stake with the prover's own key: provernet tx prover register/stake --from PROVER")
				}
			}
			if forAddr, err = g.resolveAddress(po.forProver); err != nil {
				return err
			}
		} else if reg, err = startRegistration(po); err != nil {
			return err
		}
		if asks, err = parseAskFlags(po.asks); err != nil {
			return err
		}
		if key, err = g.loadKey(po.key); err != nil {
			return err
		}
		if err := startClaimProverDir(filepath.Join(g.home, "prover"), cmp.Or(forAddr, key.Address())); err != nil {
			return err
		}
	}
	n, err := node.Start(cmd.Context(), g.home, node.Options{Log: g.stderr, Configure: func(c *node.Config) {
		if blobListen != "" {
			c.Blobs.Listen = blobListen
		}
		so.apply(c)
	}})
	if err != nil {
		return err
	}
	info := startInfo{endpointInfo: endpoints(n)}
	var proverDone chan error
	var stopProver context.CancelFunc = func() {}
	if po.on {
		if stake == 0 {
			stake = n.Params().MinProverStake
		}
		dir := filepath.Join(g.home, "prover")
		if reg != nil {
			reg.Stake, reg.BlobEndpoint = stake, n.APIURL()
		}
		cal, err := prover.LoadCalibration(prover.CalibrationFile(g.home)) // `prover calibrate`, if it ran
		if err != nil {
			_ = n.Stop()
			return cli.WithHint(err, "run `provernet prover calibrate` again, or delete the file")
		}
		var speed float64
		if cal != nil {
			speed = cal.CyclesPerSecond
		}
		d, err := prover.New(prover.Config{
			RPC: n.RPCURL(), API: n.APIURL(), Key: key, Prover: forAddr, Dir: dir, Exe: exe, Capacity: po.capacity, CyclesPerSecond: speed,
			TreeFeeBurnBP: po.treeBurn, TreeCycles: po.treeCycles, VRFKeyFile: startVRFKeyFile(g, po.forProver, po.key), TreeKeysDir: po.treeKeys,
			Register: reg,
			Asks:     asks,                          // issue 17: --ask
			Log:      n.Config().Log.Slog(g.stderr), // log.format and log.level, like the node's
			Metrics:  n.MetricsRegisterer(),         // on the node's /metrics page, labelled with its address
		})
		if err != nil {
			_ = n.Stop()
			return err
		}
		info.Prover = &startProverInfo{Key: po.key, Address: d.Address(), Dir: dir, Capacity: po.capacity, Stake: stake}
		var pctx context.Context
		pctx, stopProver = context.WithCancel(context.Background())
		proverDone = make(chan error, 1)
		go func() { proverDone <- d.Run(pctx) }()
	}
	if err := g.emit(info, func(w io.Writer) {
		fmt.Fprintf(w, "provernet node running (home %s)\n", g.home)
		printEndpoints(w, info.endpointInfo)
		if p := info.Prover; p != nil {
			fmt.Fprintf(w, "prover daemon for %s (%s), state in %s\n", p.Key, p.Address, p.Dir)
			fmt.Fprintf(w, "  proves %d workload(s) at once; registers and bonds %s on its first start if not registered\n", p.Capacity, formatAmount(p.Stake))
			fmt.Fprintf(w, "  check it: provernet query prover %s\n", p.Address)
		}
	}); err != nil {
		stopProver()
		return err
	}
	var runErr error
	select {
	case <-cmd.Context().Done():
		fmt.Fprintln(g.stderr, "stopping...")
		stopProver()
		if proverDone != nil {
			runErr = <-proverDone
		}
	case runErr = <-proverDone: // only with --prover: the daemon gave up
		fmt.Fprintln(g.stderr, "the prover daemon stopped; stopping the node...")
		stopProver()
	}
	stopErr := n.Stop()
	if runErr != nil && !errors.Is(runErr, context.Canceled) {
		return cli.WithHint(fmt.Errorf("prover: %w", runErr),
			"the prover's account pays the stake and fees when it registers: `provernet query account "+po.key+"`")
	}
	return stopErr
}

// startVRFKeyFile is the prover's VRF key: the one `prover register`
// wrote beside the first of the named keys that has one (with a hot key:
// the prover's name, then the hot key's, where an operator copies the
// prover's NAME.vrf.json as HOT.vrf.json); else the daemon's own (it
// makes one in its directory when it registers).
func startVRFKeyFile(g *globals, names ...string) string {
	for _, name := range names {
		if name == "" {
			continue
		}
		p := filepath.Join(client.DefaultKeysDir(g.home), name+".vrf.json")
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return ""
}

// startRegistration is what `start --prover` declares, checked as the
// chain will check it.
func startRegistration(po startProverOpts) (*prover.Registration, error) {
	mem := po.memoryMB
	if mem == 0 {
		mem = min(uint64(po.cpu)*1024, 4096)
	}
	gpus, err := parseGPUs(po.gpus)
	if err != nil {
		return nil, err
	}
	hw := wire.Hardware{CPUCores: po.cpu, MemoryMB: mem, GPUs: gpus}
	if err := checkHardware(hw); err != nil {
		return nil, err
	}
	if err := wire.CheckProverLabel(po.label); err != nil {
		return nil, fmt.Errorf("--prover-label: %w", err)
	}
	return &prover.Registration{CPUCores: po.cpu, MemoryMB: mem, GPUs: gpus, MaxConcurrent: uint32(po.capacity), Label: po.label}, nil
}

// startClaimProverDir keeps one prover's state in dir: it records the
// prover's address there on the first start and refuses another key later
// (the jobs, temporary identities and VRF key there are that prover's).
func startClaimProverDir(dir, addr string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	marker := filepath.Join(dir, "address")
	b, err := os.ReadFile(marker)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return os.WriteFile(marker, []byte(addr+"\n"), 0o600)
	case err != nil:
		return err
	}
	if owner := strings.TrimSpace(string(b)); owner != addr {
		return cli.WithHint(fmt.Errorf("%s holds the state of prover %s, not of --prover-key's %s", dir, owner, addr),
			"pass that prover's key as --prover-key, or move "+dir+" away to run another prover from this home")
	}
	return nil
}

type endpointInfo struct {
	Home string `json:"home"`
	API  string `json:"api"`
	RPC  string `json:"rpc"`
	P2P  string `json:"p2p"`
}

func endpoints(n *node.Node) endpointInfo {
	return endpointInfo{Home: n.Home(), API: n.APIURL(), RPC: n.RPCURL(), P2P: n.P2PAddress()}
}

func printEndpoints(w io.Writer, e endpointInfo) {
	fmt.Fprintf(w, "  API   %s   (provernet HTTP JSON API)\n", e.API)
	fmt.Fprintf(w, "  RPC   %s   (CometBFT RPC)\n", e.RPC)
	fmt.Fprintf(w, "  P2P   %s\n", e.P2P)
}
