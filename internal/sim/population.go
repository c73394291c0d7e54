package sim

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math"
	"slices"

	"github.com/provernet/provernet/internal/alloc"
	"github.com/provernet/provernet/internal/protocol"
	"github.com/provernet/provernet/wire"
	"github.com/provernet/provernet/wire/address"
	"github.com/provernet/provernet/wire/pb"
)

// Strategy is how a prover behaves.
type Strategy uint8

const (
	// Honest accepts what it can finish by the deadline (declining the
	// rest while it has declines left), proves, reveals and votes.
	Honest Strategy = iota
	// Lazy is honest but also declines at random (LazyDeclineRate).
	Lazy
	// Silent never answers an allocation and never fills an open slot.
	Silent
	// Copier accepts, never proves, and resubmits another prover's
	// sealed result for the same workload.
	Copier
	// Sybil is an honest prover run by the one sybil operator.
	Sybil
	// Undercutter is an honest prover run by the one undercutting
	// operator; it asks UndercutFactor of an honest ask (market, cheapest).
	Undercutter
	// GriefingMinority proves honestly but votes invalid on every proof
	// its committees judge, hoping to get honest provers slashed.
	GriefingMinority
	// FalseFail accepts its allocations and answers fail at once, without
	// doing the work.
	FalseFail
	// Holder accepts its allocations and never delivers, holding the slot
	// until the deadline (a user's own sybil delaying everyone's pay).
	Holder
	// Farmer is a sybil of the farming user: it declares a hardware class
	// only the farmer's provers have and proves the farmer's own 1-cycle,
	// accept-all Runs, to collect whatever the chain pays for them.
	Farmer
	// Cartel is an honest prover of the one cartel, whose members all ask
	// CartelPrice of the protocol's price and never undercut each other.
	Cartel
	numStrategies
)

var strategyNames = [...]string{"honest", "lazy", "silent", "copier", "sybil", "undercutter",
	"griefing-minority", "false-fail", "holder", "farmer", "cartel"}

func (s Strategy) String() string {
	if int(s) < len(strategyNames) {
		return strategyNames[s]
	}
	return "unknown"
}

// HardwareClass is a kind of machine: what it declares and how fast it
// proves.
type HardwareClass struct {
	Name     string
	Hardware alloc.Hardware
	// CPUSpeed, GPUSpeed and FarmSpeed are cycles proven per block for a
	// CPU, a GPU and the farm program (0: cannot run it).
	CPUSpeed, GPUSpeed, FarmSpeed uint64
	MaxConcurrent                 uint32
	Share                         float64 // of the population
}

// Classes are the hardware classes of every population. The protocol's
// cycles_per_block (5*10^8, what a Run's minimum deadline assumes) sits
// between the laptop and the workstation.
var Classes = []HardwareClass{
	{Name: "cpu-8", Hardware: alloc.Hardware{CPUCores: 8, MemoryMB: 16 << 10, DiskGB: 256}, CPUSpeed: 250_000_000, MaxConcurrent: 2, Share: 0.40},
	{Name: "cpu-32", Hardware: alloc.Hardware{CPUCores: 32, MemoryMB: 64 << 10, DiskGB: 1024}, CPUSpeed: 1_000_000_000, MaxConcurrent: 4, Share: 0.35},
	{Name: "cpu-64", Hardware: alloc.Hardware{CPUCores: 64, MemoryMB: 256 << 10, DiskGB: 2048}, CPUSpeed: 2_000_000_000, MaxConcurrent: 8, Share: 0.15},
	{Name: "gpu", Hardware: alloc.Hardware{CPUCores: 32, MemoryMB: 128 << 10, DiskGB: 2048, GPUs: []alloc.GPU{{Model: "rtx-4090", MemoryMB: 24 << 10}}},
		CPUSpeed: 1_000_000_000, GPUSpeed: 4_000_000_000, MaxConcurrent: 4, Share: 0.10},
	// The farmer's sybils declare hardware nobody else has (and too little
	// memory for the users' programs), so the allocator gives the farm
	// program's slots to them alone. Never drawn for other provers.
	{Name: "farm", Hardware: alloc.Hardware{CPUCores: 4096, MemoryMB: 1}, FarmSpeed: 1 << 40, MaxConcurrent: 8},
}

// farmClass is the index of the farmer's class in Classes.
const farmClass = 4

// Program is one of the two programs the simulated users run.
type Program struct {
	Name  string
	Min   alloc.Hardware
	Proto *pb.Program // what protocol.Quote prices
	GPU   bool
}

// Programs: a CPU program and a GPU program (priced gpu_class_multiplier
// times higher), and the farmer's program, whose verifier accepts
// anything and whose hardware only its sybils declare.
var Programs = []Program{
	{Name: "cpu-prog", Min: alloc.Hardware{CPUCores: 4, MemoryMB: 8 << 10}},
	{Name: "gpu-prog", Min: alloc.Hardware{CPUCores: 8, MemoryMB: 16 << 10, GPUs: []alloc.GPU{{MemoryMB: 16 << 10}}}, GPU: true},
	{Name: "farm-prog", Min: alloc.Hardware{CPUCores: 4096, MemoryMB: 1}},
}

// farmProgram is the index of the farm program in Programs.
const farmProgram = 2

func init() {
	for i := range Programs {
		Programs[i].Proto = &pb.Program{Name: Programs[i].Name, MinHardware: pbHardware(Programs[i].Min)}
	}
}

func pbHardware(h alloc.Hardware) *pb.Hardware {
	out := &pb.Hardware{CpuCores: h.CPUCores, MemoryMb: h.MemoryMB, DiskGb: h.DiskGB}
	for _, g := range h.GPUs {
		out.Gpus = append(out.Gpus, &pb.Gpu{Model: g.Model, MemoryMb: g.MemoryMB})
	}
	return out
}

// Prover is one simulated prover.
type Prover struct {
	Address  address.Address
	Class    uint8
	Strategy Strategy
	Operator int32
	// Speed is cycles per block for each program (0: cannot run it).
	Speed         [3]uint64
	MaxConcurrent uint32
	// Ask is its price, uprv per mega-cycle of a CPU program (market.go,
	// asks.go); Asks are the asks it keeps on the chain (market, cheapest).
	Ask   uint64
	Asks  []Ask
	Stake uint64
}

// Operator runs one or more provers.
type Operator struct {
	Name    string
	Provers int
}

// Workload is one Run of the demand.
type Workload struct {
	ID       [32]byte
	Height   int64 // the Run's inclusion height
	Deadline int64 // absolute
	Cycles   uint64
	K        uint32
	Program  uint8
	Fee      uint64 // protocol.Quote for k
	PerSlot  uint64 // protocol.Quote per slot (the fee for k = 1)
	Farmed   bool   // a farmer's Run (sent by Population.Farmer)
	Nonce    uint64 // the owner's nonce of the Run
	// A market Run (mechanisms market and cheapest): its maximum price per
	// mega-cycle and whether it sorts the asks by latency first. Fee and
	// PerSlot are then protocol.MarketQuote's.
	Market   bool
	MaxPrice uint64
	ByTime   bool
	// Bid is a bids Run's offer, uprv per mega-cycle (designs.go).
	Bid uint64
}

// Population is the seeded world: provers, operators and the demand. It
// is a pure function of the Options, and every behavioural draw is a hash
// of the seed and what it concerns (prover, workload, slot, role), never
// a position in a shared random stream, so the two fidelities, which
// visit things in different orders, see the same behaviour.
type Population struct {
	Opts      Options
	Provers   []Prover
	Operators []Operator
	Workloads []Workload
	User      address.Address
	Farmer    address.Address // the farming user
	// Order lists prover indices by address (the allocator's order).
	Order []int32
	// meets[class][program] says whether a class runs a program.
	meets  [][3]bool
	byAddr map[address.Address]int32
	seed   uint64
}

// Draw purposes: each decision hashes its own constant.
const (
	purposeStrategy uint64 = iota + 1
	purposeClass
	purposeAsk
	purposeCycles
	purposeK
	purposeProgram
	purposeJitter
	purposeDecline
	purposeCrash
	purposeCrashAt
	purposeFill
	purposeTie
	purposeBeacon
	purposePriority
	purposeBid
	purposeVote
)

// NewPopulation builds the population of o (which must be valid).
func NewPopulation(o Options) *Population {
	pop := &Population{Opts: o, seed: o.Seed, byAddr: make(map[address.Address]int32, o.Provers)}
	pop.User = address.Address(hash20("provernet/sim/user", o.Seed, 0))
	pop.Farmer = address.Address(hash20("provernet/sim/farmer", o.Seed, 0))
	pop.meets = make([][3]bool, len(Classes))
	for c := range Classes {
		for p := range Programs {
			pop.meets[c][p] = alloc.Meets(Classes[c].Hardware, Programs[p].Min)
		}
	}
	var sybilOp, underOp, farmOp int32 = -1, -1, -1
	opFor := func(name string, shared *int32) int32 {
		if shared != nil && *shared >= 0 {
			pop.Operators[*shared].Provers++
			return *shared
		}
		pop.Operators = append(pop.Operators, Operator{Name: name, Provers: 1})
		id := int32(len(pop.Operators) - 1)
		if shared != nil {
			*shared = id
		}
		return id
	}
	cuts := []struct {
		share float64
		s     Strategy
	}{{o.SybilShare, Sybil}, {o.UndercutterShare, Undercutter}, {o.LazyShare, Lazy}, {o.SilentShare, Silent}, {o.CopierShare, Copier},
		{o.GriefingShare, GriefingMinority}, {o.FalseFailShare, FalseFail}, {o.HolderShare, Holder}, {o.FarmerShare, Farmer},
		{o.CartelShare, Cartel}}
	var cartelOp int32 = -1
	pop.Provers = make([]Prover, o.Provers)
	for i := range pop.Provers {
		p := &pop.Provers[i]
		p.Address = address.Address(hash20("provernet/sim/prover", o.Seed, uint64(i)))
		u := pop.unit(purposeStrategy, uint64(i), 0, 0)
		p.Strategy = Honest
		acc := 0.0
		for _, c := range cuts {
			acc += c.share
			if u < acc {
				p.Strategy = c.s
				break
			}
		}
		u = pop.unit(purposeClass, uint64(i), 0, 0)
		acc = 0
		p.Class = uint8(farmClass - 1)
		for c := range Classes[:farmClass] {
			acc += Classes[c].Share
			if u < acc {
				p.Class = uint8(c)
				break
			}
		}
		if p.Strategy == Farmer {
			p.Class = farmClass
		}
		cl := Classes[p.Class]
		p.Speed = [3]uint64{cl.CPUSpeed, cl.GPUSpeed, cl.FarmSpeed}
		p.MaxConcurrent = cl.MaxConcurrent
		p.Stake = o.Params.MinProverStake + o.Params.MinProverStake/10 // a margin above the floor, as an operator keeps
		// An honest ask is 40-100% of the protocol's price; the
		// undercutter asks UndercutFactor of that.
		ask := float64(o.Params.PricePerMcycle) * (0.4 + 0.6*pop.unit(purposeAsk, uint64(i), 0, 0))
		switch {
		case i == 0 && o.FastProver >= 1:
			p.Strategy = Honest
			p.Class = uint8(farmClass - 1)
			top := uint64(0)
			for _, c := range Classes[:farmClass] {
				top = max(top, c.CPUSpeed, c.GPUSpeed)
			}
			f := uint64(math.Round(o.FastProver * float64(top)))
			p.Speed = [3]uint64{f, f, 0}
			// Speed beyond a block per proof only shows as throughput, so
			// the fast prover also holds F times the jobs: one operator's
			// cluster, the "very powerful machines" of seed 004.
			p.MaxConcurrent = uint32(math.Ceil(o.FastProver)) * Classes[p.Class].MaxConcurrent
			p.Operator = opFor("fast-prover", nil)
		case p.Strategy == Sybil:
			p.Operator = opFor("sybil-operator", &sybilOp)
		case p.Strategy == Farmer:
			p.Operator = opFor("farmer", &farmOp)
		case p.Strategy == Undercutter:
			ask *= o.UndercutFactor
			p.Operator = opFor("undercutter", &underOp)
		case p.Strategy == Cartel:
			ask = float64(o.Params.PricePerMcycle) * o.CartelPrice
			p.Operator = opFor("cartel", &cartelOp)
		default:
			p.Operator = opFor(fmt.Sprintf("%s-%d", p.Strategy, i), nil)
		}
		p.Ask = max(1, uint64(ask))
		p.Asks = pop.asksOf(p)
		pop.byAddr[p.Address] = int32(i)
	}
	pop.Order = make([]int32, o.Provers)
	for i := range pop.Order {
		pop.Order[i] = int32(i)
	}
	slices.SortFunc(pop.Order, func(a, b int32) int {
		return bytes.Compare(pop.Provers[a].Address[:], pop.Provers[b].Address[:])
	})
	pop.makeWorkloads()
	return pop
}

func (pop *Population) makeWorkloads() {
	o := pop.Opts
	pop.Workloads = make([]Workload, o.Workloads)
	for i := range pop.Workloads {
		w := &pop.Workloads[i]
		w.Height = firstHeight(o) + int64(uint64(i)*uint64(o.Blocks)/uint64(max(o.Workloads, 1)))
		// Cycles: log-uniform over 10^8..10^10 (0.2 to 20 blocks at the
		// protocol's cycles_per_block), in whole mega-cycles.
		mc := math.Round(100 * math.Pow(100, pop.unit(purposeCycles, uint64(i), 0, 0)))
		w.Cycles = uint64(mc) * 1_000_000
		switch u := pop.unit(purposeK, uint64(i), 0, 0); {
		case o.K > 0:
			w.K = uint32(o.K)
		case u < 0.3:
			w.K = 1
		case u < 0.5:
			w.K = 2
		default:
			w.K = 3
		}
		if pop.unit(purposeProgram, uint64(i), 0, 0) < o.GPUShare {
			w.Program = 1
		}
		if o.Mechanism == MechCheapest {
			w.K = 1 // the chain takes cheapest with one prover only
		}
		q, err := protocol.Quote(o.Params, Programs[w.Program].Proto, w.Cycles, w.K)
		if err != nil {
			panic(err) // cycles and k are small: cannot overflow
		}
		w.Fee, w.PerSlot = q.Fee, q.PerSlot
		w.Bid = pop.bidOf(int32(i), w.Program)
		// The user leaves room for a prover at half the reference speed:
		// the minimum deadline plus twice the reference proving time.
		ref := int64((w.Cycles + o.Params.CyclesPerBlock - 1) / o.Params.CyclesPerBlock)
		w.Deadline = w.Height + q.MinDeadline + 2*ref + 4
		w.ID = [32]byte(wire.WorkloadID(pop.User, uint64(i), 0))
		w.Nonce = uint64(i)
		if marketMech(o.Mechanism) {
			pop.marketRun(int32(i), w)
		}
	}
	pop.addFarmedRuns()
}

// addFarmedRuns adds the farmer's Runs: over Blocks heights from firstHeight, one
// 1-mega-cycle Run with the largest k per block for every five of its
// sybils, interleaved by height with the users' Runs.
func (pop *Population) addFarmedRuns() {
	o := pop.Opts
	sybils := 0
	for i := range pop.Provers {
		if pop.Provers[i].Strategy == Farmer {
			sybils++
		}
	}
	k := o.Params.MaxProversPerWorkload
	if sybils < int(k) {
		return
	}
	q, err := protocol.Quote(o.Params, Programs[farmProgram].Proto, 1_000_000, k)
	if err != nil {
		panic(err) // one mega-cycle: cannot overflow
	}
	var out []Workload
	next, nonce := 0, uint64(0)
	for h := firstHeight(o); h < firstHeight(o)+int64(o.Blocks); h++ {
		for next < len(pop.Workloads) && pop.Workloads[next].Height == h {
			out = append(out, pop.Workloads[next])
			next++
		}
		for range max(sybils/5, 1) {
			w := Workload{Height: h, Cycles: 1_000_000, K: k, Program: farmProgram, Fee: q.Fee, PerSlot: q.PerSlot,
				Deadline: h + q.MinDeadline + 4, Farmed: true, Nonce: nonce}
			w.ID = [32]byte(wire.WorkloadID(pop.Farmer, nonce, 0))
			out = append(out, w)
			nonce++
		}
	}
	pop.Workloads = append(out, pop.Workloads[next:]...)
}

// RelDeadline is the Run's deadline in blocks after inclusion.
func (w *Workload) RelDeadline() int64 { return w.Deadline - w.Height }

func hash20(domain string, seed, i uint64) [20]byte {
	h := sha256.New()
	h.Write([]byte(domain))
	_ = binary.Write(h, binary.BigEndian, seed)
	_ = binary.Write(h, binary.BigEndian, i)
	var out [20]byte
	copy(out[:], h.Sum(nil))
	return out
}

// mix is splitmix64's finaliser.
func mix(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

// draw is the seeded hash of one decision.
func (pop *Population) draw(purpose, a, b, c uint64) uint64 {
	h := mix(pop.seed ^ purpose*0x9e3779b97f4a7c15)
	h = mix(h ^ a)
	h = mix(h ^ (b + 0x632be59bd9b4e019))
	return mix(h ^ (c + 0x2545f4914f6cdd1d))
}

// unit is draw as a float in [0, 1).
func (pop *Population) unit(purpose, a, b, c uint64) float64 {
	return float64(pop.draw(purpose, a, b, c)>>11) / (1 << 53)
}

// chance reports whether the decision happens, with probability p.
func (pop *Population) chance(p float64, purpose, a, b, c uint64) bool {
	if p <= 0 {
		return false
	}
	return p >= 1 || pop.draw(purpose, a, b, c) < uint64(p*(1<<63))*2
}

// beaconSeed is seed[h] of the simulated chain: seed[0] from the options'
// seed, then seed[h] = SHA-256(seed[h-1] || h). Both fidelities use it.
func beaconSeed(prev []byte, h int64) []byte {
	s := sha256.Sum256(binary.BigEndian.AppendUint64(append([]byte{}, prev...), uint64(h)))
	return s[:]
}

func genesisSeed(seed uint64) []byte {
	s := sha256.Sum256(binary.BigEndian.AppendUint64([]byte("provernet/sim/beacon"), seed))
	return s[:]
}

// Roles a prover works in, for its draws.
const (
	roleAlloc uint64 = 1
	roleFill  uint64 = 2
	roleRace  uint64 = 3
	roleMatch uint64 = 4 // + the match round (bids, votes)
)

// plan is what a prover will do with one piece of work.
type plan struct {
	work    bool  // takes it (accept, fill, enter); false: decline or skip
	silent  bool  // does not answer at all
	copy    bool  // accepts and copies instead of proving
	fail    bool  // accepts and answers fail at once, without proving
	crash   bool  // takes it but never submits
	t       int64 // blocks of proving: submits at start+t
	crashAt int64 // blocks proven before a crash
}

// provingBlocks is how long prover p takes for workload w in a role:
// cycles over its speed, times a 0.9-1.3 jitter, at least one block.
func (pop *Population) provingBlocks(p int32, w int32, role, slot uint64) int64 {
	wl := &pop.Workloads[w]
	speed := pop.Provers[p].Speed[wl.Program]
	if speed == 0 || !pop.meets[pop.Provers[p].Class][wl.Program] {
		return math.MaxInt32
	}
	jit := 900 + pop.draw(purposeJitter, uint64(p), uint64(w)<<8|slot, role)%401
	t := (wl.Cycles*jit + speed*1000 - 1) / (speed * 1000)
	return int64(max(t, 1))
}

// planFor decides what prover p does with workload w's slot in role when
// it would start proving at height start and must submit by limit.
func (pop *Population) planFor(p int32, w int32, slot int, role uint64, start, limit int64) plan {
	pr := &pop.Provers[p]
	s, r := uint64(slot), role
	switch pr.Strategy {
	case Silent:
		return plan{silent: true}
	case Copier:
		return plan{work: true, copy: true}
	case FalseFail:
		return plan{work: true, fail: true, t: 1}
	case Holder:
		return plan{work: true, crash: true, t: 1}
	}
	pl := plan{work: true, t: pop.provingBlocks(p, w, r, s)}
	if start+pl.t > limit {
		pl.work = false // cannot make the deadline: decline
	}
	if pr.Strategy == Lazy && pop.chance(pop.Opts.LazyDeclineRate, purposeDecline, uint64(p), uint64(w)<<8|s, r) {
		pl.work = false
	}
	if pop.chance(pop.Opts.FailRate, purposeCrash, uint64(p), uint64(w)<<8|s, r) {
		pl.crash = true
		pl.crashAt = int64(pop.draw(purposeCrashAt, uint64(p), uint64(w)<<8|s, r) % uint64(min(pl.t, 1<<30)))
	}
	return pl
}

// promise is the height prover p promises, when it accepts at h with plan
// pl, to deliver by (Accept.by): its proving time with a quarter more and
// a block of slack, at most the deadline. A holder promises the deadline,
// to hold the slot as long as it can.
func (pop *Population) promise(p int32, pl plan, h, deadline int64) int64 {
	if pop.Provers[p].Strategy == Holder || pl.copy {
		return deadline
	}
	return min(deadline, h+pl.t+pl.t/4+1)
}

// canFill reports whether prover p would race for an open slot of w.
func (pop *Population) canFill(p int32, w int32) bool {
	pr := &pop.Provers[p]
	switch pr.Strategy {
	case Silent, Copier, FalseFail, Holder:
		return false
	}
	return pop.meets[pr.Class][pop.Workloads[w].Program] &&
		pr.Speed[pop.Workloads[w].Program] > 0
}

// filler is a prover that will race for an open slot, with its plan and
// the last height it may submit.
type filler struct {
	p     int32
	plan  plan
	limit int64
}

// fillCandidates returns, in order, the provers that race for slot of w
// opened at height h and open until until: up to OpenRacers of them,
// drawn from the whole population by hash, skipping those ok rejects (not
// active, or holding a slot of w) and those that would not take it (they
// cannot run the program, cannot finish in time, or are lazy this time).
func (pop *Population) fillCandidates(w int32, slot int, h, until int64, ok func(p int32) bool) []filler {
	want := pop.Opts.OpenRacers
	var out []filler
	n := uint64(len(pop.Provers))
	for a := uint64(0); a < 64 && len(out) < want; a++ {
		p := int32(pop.draw(purposeFill, uint64(w), uint64(slot), uint64(h)<<8|a) % n)
		if slices.ContainsFunc(out, func(f filler) bool { return f.p == p }) || !pop.canFill(p, w) || !ok(p) {
			continue
		}
		pl := pop.planFor(p, w, slot, roleFill, h+1, until)
		if !pl.work || pl.copy || pl.silent {
			continue
		}
		out = append(out, filler{p: p, plan: pl, limit: until})
	}
	return out
}

// fillLoad counts each prover's open-market jobs in progress, so that a
// prover only races for an open slot while its allocated slots (the
// chain's held count) and these jobs leave room under MaxConcurrent. A
// job counts until its planned end (its submission, its crash, or the
// deadline it gives up at), even if it stops earlier because another
// prover filled the slot first.
type fillLoad struct{ until [][]int64 }

func newFillLoad(n int) fillLoad { return fillLoad{until: make([][]int64, n)} }

// busy is prover p's number of fill jobs still running after height h.
func (f *fillLoad) busy(p int32, h int64) int {
	keep := f.until[p][:0]
	for _, u := range f.until[p] {
		if u > h {
			keep = append(keep, u)
		}
	}
	f.until[p] = keep
	return len(keep)
}

func (f *fillLoad) add(p int32, until int64) { f.until[p] = append(f.until[p], until) }

// end is the height a job planned as pl, started at start, stops.
func (pl plan) end(start, limit int64) int64 {
	switch {
	case pl.crash:
		return start + pl.crashAt
	case start+pl.t > limit:
		return limit
	}
	return start + pl.t
}

// workDone is the cycles proven of a job of t blocks that ran for ran
// blocks.
func workDone(cycles uint64, ran, t int64) uint64 {
	if t <= 0 || ran >= t {
		return cycles
	}
	if ran <= 0 {
		return 0
	}
	return uint64(float64(cycles) * float64(ran) / float64(t))
}
