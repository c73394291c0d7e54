package sim

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/provernet/provernet/internal/protocol"
)

// The mechanisms a run can compare (Options.Mechanism).
const (
	// MechVRF is the protocol: VRF allocation with previous-round
	// exclusion, speed tiers, the open market for declined slots.
	MechVRF = "vrf"
	// MechVRFNoExclusion is the protocol with every prover's last
	// allocation height hidden from the allocator, so no exclusion.
	MechVRFNoExclusion = "vrf-noexcl"
	// MechRace is a pure proof race: every free prover may work on any
	// open workload and the first valid proof takes the whole fee and the
	// whole network reward. Not a protocol rule: the simulator's own.
	MechRace = "race"
	// MechMarket is the chain's market (issue 17, docs/MARKET.md, after
	// nil's proof market): every Run is a market Run matched against the
	// provers' asks by the chain's own alloc.Match on a book read the way
	// the chain reads it (fast_market.go), the matched asks paid.
	MechMarket = "market"
	// MechCheapest is the chain's cheapest (Mina's snarketplace): a market
	// Run with k = 1 and price priority. It replaced the simulator's own
	// lowest-price auction, which chose with knowledge no chain has.
	MechCheapest = "cheapest"
	// MechPool is the chain's pool (Taiko's, seed 004): per epoch the top
	// pool_size provers of each class by a score of stake and ask, a
	// beacon draw among them per Run, a member that misses slashed
	// slash_miss_bp and its slot open to anyone; the slots no member is
	// drawn for open to anyone at once (fast_pool.go).
	MechPool = "pool"
	// MechBids is Scroll's design (seed 004): users bid for proving, the
	// highest bids are served first at one clearing price per block, and
	// the prover of each is drawn by VRF. Not a protocol rule:
	// the simulator's own (designs.go).
	MechBids = "bids"
	// MechVotes is B52's design (seed 004): each block the provers with
	// room vote for work, the votes weighted by a VRF draw; the block's
	// work goes to the best-drawn voters, by reputation, one workload
	// each. Not a protocol rule: the simulator's own (designs.go).
	MechVotes = "votes"
	// MechTree is proof trees (issue 16, tree.go): not an allocation of
	// Runs, so not among Mechanisms (all) and with a report of its own.
	MechTree = "tree"
)

// Mechanisms lists the mechanisms in the order reports show them.
var Mechanisms = []string{MechVRF, MechVRFNoExclusion, MechRace, MechMarket, MechCheapest, MechPool, MechBids, MechVotes}

// marketMech reports whether m sends market Runs (the chain's asks and
// alloc.Match).
func marketMech(m string) bool { return m == MechMarket || m == MechCheapest || m == MechPool }

// ownEngine reports whether m runs on the simulator's own engine
// (market.go, designs.go), not the protocol's timeline.
func ownEngine(m string) bool { return m == MechRace || m == MechBids || m == MechVotes }

// The market books a run can read (Options.MarketBook).
const (
	// BookChain is the chain's bounded read as built (market_read.go in
	// internal/protocol): only the asks of active provers with room are in
	// the book (a full prover's asks leave it until a slot frees).
	BookChain = "chain"
	// BookRoom was the what-if of a book without full provers; the chain
	// has been built that way since, so it reads the chain's book.
	BookRoom = "room"
	// BookAll is a what-if, not the chain: the matcher sees every active
	// prover's asks (no bound on the read: PROTOCOL.md 6 as written, what
	// alloc.MatchNaive over the whole book gives).
	BookAll = "all"
)

// The fidelities (Options.Fidelity).
const (
	// FidelityFast keeps the simulator's own compact state and calls the
	// protocol's pure functions (alloc.Allocate, TiersFor, Quote, DecayBP,
	// MinDeadline): the default, and the only one at large scale.
	FidelityFast = "fast"
	// FidelityFull drives protocol.Apply and protocol.BeginBlock on an
	// in-memory store with real age-sealed results, reveals and votes,
	// checking the section 9 invariants; small scale only, mechanism vrf.
	FidelityFull = "full"
)

// Options describe one run: the population, the demand and the mechanism.
// Zero values are not defaults; start from DefaultOptions.
type Options struct {
	Provers   int    `json:"provers"`
	Workloads int    `json:"workloads"`
	Blocks    int    `json:"blocks"` // workloads arrive evenly over Blocks heights from 1 (pool: from epoch_length)
	Mechanism string `json:"mechanism"`
	Seed      uint64 `json:"seed"`
	Fidelity  string `json:"fidelity"`

	// Behaviour of the population. Shares are of the provers; the rest
	// are honest solo operators.
	FailRate         float64 `json:"fail_rate"`         // an accepted job crashes (never submitted)
	LazyShare        float64 `json:"lazy_share"`        // lazy decliners
	LazyDeclineRate  float64 `json:"lazy_decline_rate"` // how often a lazy prover declines
	SilentShare      float64 `json:"silent_share"`      // never answer
	CopierShare      float64 `json:"copier_share"`      // copy other provers' results
	SybilShare       float64 `json:"sybil_share"`       // provers run by one operator
	UndercutterShare float64 `json:"undercutter_share"` // provers of one operator asking far below cost
	UndercutFactor   float64 `json:"undercut_factor"`   // the undercutter's ask as a share of an honest one
	// A cartel: provers of one operator that all ask CartelPrice of the
	// protocol's price (so never undercut each other) and otherwise behave
	// honestly.
	CartelShare float64 `json:"cartel"`
	CartelPrice float64 `json:"cartel_price"`
	// TimePriority is the share of market Runs that sort the asks by
	// latency first (the rest by price); cheapest is always by price.
	TimePriority float64 `json:"time_priority"`
	// MarketBook is how a market Run's book is read: BookChain (as built)
	// or BookRoom (what-if).
	MarketBook string `json:"market_book"`
	// The adversaries of docs/ECONOMICS.md, "Attacks": shares of the
	// provers.
	GriefingShare  float64 `json:"griefing_minority"` // vote invalid on every proof
	FalseFailShare float64 `json:"false_fail"`        // answer fail without working
	HolderShare    float64 `json:"holder"`            // accept and never deliver
	FarmerShare    float64 `json:"farmer"`            // a farming user's sybil provers
	// FastProver, if at least 1, makes prover 0 a solo operator this many
	// times faster than the fastest hardware class, holding this many
	// times the GPU class's concurrent jobs.
	FastProver float64 `json:"fast_prover"`
	// GPUShare is the share of workloads whose program needs a GPU.
	GPUShare float64 `json:"gpu_share"`
	// K fixes every workload's k; 0 draws it (k=1 30%, k=2 20%, k=3 50%).
	K int `json:"k"`
	// OpenRacers is how many provers race for each open slot (the open
	// market of PROTOCOL.md 5.3); the first valid submission fills it.
	OpenRacers int `json:"open_racers"`
	// RaceWidth caps the entrants of one workload in MechRace; 0: no cap
	// (every free prover may enter).
	RaceWidth int `json:"race_width"`

	// Mechanism tree: how many trees, of how many inputs, each's reward R
	// (uprv), and the fee burns the provers offer (prover i the
	// (i mod len)-th). FailRate and SilentShare apply; the other
	// strategies do not.
	Trees        int      `json:"trees,omitempty"`
	TreeN        int      `json:"tree_n,omitempty"`
	TreeReward   uint64   `json:"tree_reward,omitempty"`
	TreeFeeBurns []uint32 `json:"tree_fee_burns,omitempty"`

	// Params are the chain parameters (protocol.DefaultParams). Random
	// challenges are not simulated: ChallengeProgram must be empty.
	Params protocol.Params `json:"-"`
	// ParamArgs are the name=value overrides SetParam applied to Params.
	ParamArgs []string `json:"params,omitempty"`

	// CheckEveryBlock makes the full fidelity run protocol.CheckInvariants
	// after every block (it always does at the end).
	CheckEveryBlock bool `json:"-"`
}

// DefaultOptions is the population the docs use: mostly honest solo
// provers, one sybil operator, one undercutter, a few lazy, silent and
// copying provers, and a 2% crash rate.
func DefaultOptions() Options {
	return Options{
		Provers: 1000, Workloads: 10000, Blocks: 200, Mechanism: MechVRF, Seed: 1, Fidelity: FidelityFast,
		FailRate: 0.02, LazyShare: 0.05, LazyDeclineRate: 0.5, SilentShare: 0.02, CopierShare: 0.01,
		SybilShare: 0.10, UndercutterShare: 0.05, UndercutFactor: 0.25, GPUShare: 0.10,
		CartelPrice: 1, MarketBook: BookChain,
		OpenRacers: 2, Params: protocol.DefaultParams(),
		Trees: 1000, TreeN: 32, TreeReward: 93_000_000, TreeFeeBurns: []uint32{0, 1000, 2000, 4000},
	}
}

// Validate checks o and says what to change.
func (o *Options) Validate() error {
	var errs []error
	if o.Provers < 2 && !(o.Mechanism == MechTree && o.Provers == 1) { // a tree needs no committee
		errs = append(errs, fmt.Errorf("provers must be at least 2 (verification needs a committee); got %d", o.Provers))
	}
	if o.Workloads < 0 || o.Blocks < 1 {
		errs = append(errs, fmt.Errorf("workloads must be >= 0 and blocks >= 1; got %d and %d", o.Workloads, o.Blocks))
	}
	if o.Provers > 1<<24 || o.Workloads > 1<<28 {
		errs = append(errs, errors.New("at most 16M provers and 256M workloads"))
	}
	switch o.Mechanism {
	case MechVRF, MechVRFNoExclusion, MechRace, MechMarket, MechCheapest, MechPool, MechBids, MechVotes:
	case "auction":
		errs = append(errs, errors.New("mechanism auction was retired: use cheapest, the chain's lowest-ask market (docs/ECONOMICS.md)"))
	case MechTree:
		errs = append(errs, o.validateTree()...)
	default:
		errs = append(errs, fmt.Errorf("unknown mechanism %q (one of %s)", o.Mechanism, strings.Join(Mechanisms, ", ")))
	}
	switch o.Fidelity {
	case FidelityFast:
	case FidelityFull:
		if o.Mechanism == MechTree {
			errs = append(errs, errors.New("mechanism tree runs at fidelity fast only (it calls the chain's tree rules on its own records)"))
		} else if o.Mechanism != MechVRF && !marketMech(o.Mechanism) {
			errs = append(errs, fmt.Errorf("fidelity full drives the protocol, which has mechanisms vrf, market, cheapest and pool; %s runs at fidelity fast", o.Mechanism))
		} else if o.MarketBook != BookChain {
			errs = append(errs, errors.New("fidelity full reads the chain's book: market_book room and all are what-ifs of fidelity fast"))
		}
	default:
		errs = append(errs, fmt.Errorf("unknown fidelity %q (fast or full)", o.Fidelity))
	}
	shares := o.LazyShare + o.SilentShare + o.CopierShare + o.SybilShare + o.UndercutterShare +
		o.GriefingShare + o.FalseFailShare + o.HolderShare + o.FarmerShare + o.CartelShare
	for _, f := range []struct {
		name string
		v    float64
	}{{"fail_rate", o.FailRate}, {"lazy_share", o.LazyShare}, {"lazy_decline_rate", o.LazyDeclineRate},
		{"silent_share", o.SilentShare}, {"copier_share", o.CopierShare}, {"sybil_share", o.SybilShare},
		{"undercutter_share", o.UndercutterShare}, {"undercut_factor", o.UndercutFactor}, {"gpu_share", o.GPUShare},
		{"griefing_minority", o.GriefingShare}, {"false_fail", o.FalseFailShare}, {"holder", o.HolderShare}, {"farmer", o.FarmerShare},
		{"cartel", o.CartelShare}, {"time_priority", o.TimePriority}} {
		if !(f.v >= 0 && f.v <= 1) {
			errs = append(errs, fmt.Errorf("%s must be in [0, 1]; got %v", f.name, f.v))
		}
	}
	if shares > 1 {
		errs = append(errs, fmt.Errorf("the strategy shares add up to %.2f, above 1", shares))
	}
	if !(o.CartelPrice > 0 && o.CartelPrice <= 100) {
		errs = append(errs, fmt.Errorf("cartel_price must be in (0, 100] (a share of price_per_mcycle); got %v", o.CartelPrice))
	}
	if o.MarketBook != BookChain && o.MarketBook != BookRoom && o.MarketBook != BookAll {
		errs = append(errs, fmt.Errorf("market_book must be %s, %s or %s; got %q", BookChain, BookRoom, BookAll, o.MarketBook))
	}
	if marketMech(o.Mechanism) && o.Params.MaxAsksPerProver == 0 {
		errs = append(errs, errors.New("params: mechanisms market, cheapest and pool need the market on (max_asks_per_prover > 0)"))
	}
	if o.Mechanism == MechPool && o.Params.PoolSize == 0 {
		errs = append(errs, errors.New("params: mechanism pool needs pool_size > 0"))
	}
	if o.FastProver != 0 && !(o.FastProver >= 1 && o.FastProver <= 1e6) {
		errs = append(errs, fmt.Errorf("fast_prover must be 0 (none) or a speed factor in [1, 1e6]; got %v", o.FastProver))
	}
	if o.K < 0 || o.K > int(o.Params.MaxProversPerWorkload) {
		errs = append(errs, fmt.Errorf("k must be 0 (mixed) or 1..%d (max_provers_per_workload); got %d", o.Params.MaxProversPerWorkload, o.K))
	}
	if o.OpenRacers < 0 || o.RaceWidth < 0 {
		errs = append(errs, errors.New("open_racers and race_width must be >= 0"))
	}
	if err := o.Params.Validate(); err != nil {
		errs = append(errs, fmt.Errorf("params: %w", err))
	}
	if o.Params.ChallengeProgram != "" {
		errs = append(errs, errors.New("params: the simulator does not simulate challenges; leave challenge_program empty"))
	}
	return errors.Join(errs...)
}

// SetParam overrides one chain parameter, given as name=value with the
// name of its genesis JSON field (for example result_lag=20), and records
// it so that Command replays it.
func (o *Options) SetParam(arg string) error {
	name, value, ok := strings.Cut(arg, "=")
	if !ok || name == "" {
		return fmt.Errorf("param %q: want name=value, e.g. result_lag=20", arg)
	}
	raw, err := json.Marshal(o.Params)
	if err != nil {
		return err
	}
	fields := map[string]json.RawMessage{}
	if err := json.Unmarshal(raw, &fields); err != nil {
		return err
	}
	if _, known := fields[name]; !known {
		return fmt.Errorf("param %q: no chain parameter %q (see docs/CHAIN.md)", arg, name)
	}
	v := json.RawMessage(value)
	if !json.Valid(v) {
		v, _ = json.Marshal(value) // a bare string
	}
	fields[name] = v
	raw, _ = json.Marshal(fields)
	var p protocol.Params
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return fmt.Errorf("param %q: %w", arg, err)
	}
	o.Params = p
	o.ParamArgs = append(o.ParamArgs, arg)
	return nil
}

// validateTree checks mechanism tree's options.
func (o *Options) validateTree() []error {
	var errs []error
	tp, ok := o.Params.Trees()
	if !ok {
		return []error{errors.New("mechanism tree needs the tree parameters (protocol.DefaultTreeParams)")}
	}
	if o.Trees < 1 || o.Trees > 1<<20 {
		errs = append(errs, fmt.Errorf("trees must be 1..%d; got %d", 1<<20, o.Trees))
	}
	if o.TreeN < 2 || o.TreeN&(o.TreeN-1) != 0 || o.TreeN > int(tp.MaxTreeInputs) {
		errs = append(errs, fmt.Errorf("tree_n must be a power of two, 2..max_tree_inputs (%d); got %d", tp.MaxTreeInputs, o.TreeN))
	}
	if o.TreeN >= 2 && o.TreeReward < uint64(o.TreeN-1)*uint64(tp.ProofsPerNode) {
		errs = append(errs, fmt.Errorf("tree_reward must be at least one uprv per proof (%d); got %d", uint64(o.TreeN-1)*uint64(tp.ProofsPerNode), o.TreeReward))
	}
	if len(o.TreeFeeBurns) == 0 {
		errs = append(errs, errors.New("tree_fee_burns must name at least one fee burn"))
	}
	for _, b := range o.TreeFeeBurns {
		if b > 10000 {
			errs = append(errs, fmt.Errorf("a fee burn is 0..10000 bp; got %d", b))
		}
	}
	if tp.TreeUncleRewardBP != 0 {
		errs = append(errs, errors.New("mechanism tree does not simulate uncle rewards; leave tree_uncle_reward_bp at 0"))
	}
	return errs
}
