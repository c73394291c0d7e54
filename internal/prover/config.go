package prover

import (
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/provernet/provernet/client"
	"github.com/provernet/provernet/internal/protocol"
	"github.com/provernet/provernet/wire"
	"github.com/provernet/provernet/wire/pb"
)

// Config configures a daemon.
type Config struct {
	// RPC is a node's CometBFT RPC address (http://host:port); API is its
	// provernet HTTP API (blobs).
	RPC, API string
	// Key signs the daemon's transactions: the prover's own (staking) key,
	// or, with Prover set, the prover's hot key (issue 19,
	// docs/PROVER.md "Hot keys"), which pays the fees.
	Key *client.Key
	// Prover, if set, is the prover the daemon works for when Key is its
	// hot key (empty: Key's own address). The daemon checks at start that
	// the chain names Key as the prover's hot key; it cannot register.
	Prover string
	// Dir keeps the daemon's state: the last height, the jobs and their
	// temporary identities, and the modules and inputs it fetched.
	Dir string
	// Exe is the provernet executable that runs sandbox workers.
	Exe string
	// Capacity is how many workloads it proves at once (0: 1).
	Capacity int
	// Verifiers is how many committee verifications it runs at once (0:
	// 2). Each is bounded by its program's verifier budget, so a verifier
	// that loops holds one slot for a bounded time, not the daemon.
	Verifiers int
	// Register, if set, registers and stakes the prover at start when it is
	// not yet registered.
	Register *Registration
	// Asks, if any, are the asks the prover keeps on the market (issue
	// 17): at start, after registering, it sets those the chain does not
	// hold as given (asks.go).
	Asks []*pb.SetAsk
	// CyclesPerSecond is this machine's proving speed as `provernet prover
	// calibrate` measured it (0: unknown); the daemon promises from it
	// (Accept.by) until its own jobs measure the speed (promise.go).
	CyclesPerSecond float64
	// Poll is how often it looks for new heights (0: 200 ms).
	Poll time.Duration
	// Interpreter runs wasm under wazero's interpreter (slower; no
	// compilation).
	Interpreter bool
	// TreeFeeBurnBP is the FEE_BURN this prover offers on its proof-tree
	// node proofs, in basis points (0..10000): it raises its score by that
	// share and gives up that share of its pay (docs/TREES.md, "Scores").
	TreeFeeBurnBP uint32
	// TreeKeysDir holds the gnark pair's keys (`provernet tree keys`):
	// without it the daemon proves no node of a gnark tree.
	TreeKeysDir string
	// TreeCycles is the cycle budget of one node proof of a tree of
	// deployed programs (0: DefaultTreeCycles). A tree names no budget for
	// its provers (its programs declare only their verifiers'), so each
	// prover chooses how much it spends on a node before it gives up.
	TreeCycles uint64
	// VRFKeyFile is the prover's VRF key (empty: DIR/vrf.json, the one the
	// daemon registers with); proof trees need it for the node scores.
	VRFKeyFile string
	// Fault makes the daemon misbehave on purpose (tests only).
	Fault Fault
	// Log receives what it does; nil discards.
	Log *slog.Logger
	// Metrics, if set, receives the daemon's Prometheus metrics
	// (metrics.go), labelled prover with its address, so that daemons of
	// one process can share a registry; nil records none.
	Metrics prometheus.Registerer
	// Observe, if set, is told of each step of the daemon's work as it
	// happens, with the newest chain height the daemon knows (benchmarks).
	Observe func(Step)
}

// Step is one step of a daemon's work on a slot.
type Step struct {
	Kind     string // proving, proved, submitted
	Workload []byte
	Slot     uint32
	Height   int64 // the newest height the daemon knew
	At       time.Time
}

// Registration is what to declare when registering. The chain challenges
// the cores and memory before admitting the prover (one piece of the
// benchmark per core, all at once, their buffers adding up to the memory:
// declare what this machine can give them together); GPUs are recorded
// but untested, and the allocator does not rely on them (docs/PROVER.md,
// "Hardware").
type Registration struct {
	CPUCores      uint32
	MemoryMB      uint64
	GPUs          []wire.GPU
	MaxConcurrent uint32
	Stake         uint64 // uprv
	BlobEndpoint  string
	Label         string // optional name on the chain (wire.CheckProverLabel)
}

// Hardware is the declaration as the chain records it.
func (r *Registration) Hardware() *pb.Hardware {
	hw := &pb.Hardware{CpuCores: r.CPUCores, MemoryMb: r.MemoryMB}
	for _, g := range r.GPUs {
		hw.Gpus = append(hw.Gpus, &pb.Gpu{Model: g.Model, MemoryMb: g.MemoryMB})
	}
	return hw
}

// Validate checks the declaration against what the chain accepts, so a
// bad one fails at start rather than in a refused transaction.
func (r *Registration) Validate() error {
	if r.CPUCores == 0 || r.MemoryMB == 0 || r.MaxConcurrent == 0 {
		return errors.New("prover: registration must declare at least one core, some memory and a max concurrency of at least 1")
	}
	if err := protocol.CheckHardwareClaim(r.Hardware()); err != nil {
		return fmt.Errorf("prover: invalid hardware declaration: %w", err)
	}
	return nil
}

// vrfKeyFile is where the prover's VRF key is kept.
func (c *Config) vrfKeyFile() string {
	if c.VRFKeyFile != "" {
		return c.VRFKeyFile
	}
	return filepath.Join(c.Dir, "vrf.json")
}

// DefaultTreeCycles is Config.TreeCycles's default: 10^10 cycles, a few
// seconds to minutes of wasm.
const DefaultTreeCycles = 10_000_000_000

func (c *Config) defaults() error {
	if c.RPC == "" || c.API == "" || c.Key == nil || c.Dir == "" || c.Exe == "" {
		return errors.New("prover: RPC, API, Key, Dir and Exe are required")
	}
	if c.Capacity <= 0 {
		c.Capacity = 1
	}
	if c.Poll <= 0 {
		c.Poll = 200 * time.Millisecond
	}
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
	if c.TreeCycles == 0 {
		c.TreeCycles = DefaultTreeCycles
	}
	if c.TreeFeeBurnBP > 10000 {
		return fmt.Errorf("prover: a tree fee burn of %d bp exceeds 10000", c.TreeFeeBurnBP)
	}
	if c.Prover != "" && c.Prover != c.Key.Address() && len(c.Asks) > 0 {
		return errors.New("prover: a hot key cannot set asks: prices are the staking key's (provernet tx prover ask --from <the prover's key>)")
	}
	if c.Register != nil {
		if c.Prover != "" && c.Prover != c.Key.Address() {
			return errors.New("prover: a hot key cannot register its prover; register and stake with the prover's own key, then name the hot key (provernet tx prover hot-key)")
		}
		return c.Register.Validate()
	}
	return nil
}
