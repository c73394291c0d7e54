package sim

import (
	"bytes"
	"cmp"
	"fmt"
	"slices"

	"github.com/provernet/provernet/internal/alloc"
	"github.com/provernet/provernet/internal/protocol"
	"github.com/provernet/provernet/wire/pb"
)

// The fast fidelity of mechanisms vrf and vrf-noexcl (and of market and
// cheapest, whose matching is fast_market.go's): the simulator keeps
// the workloads' slots and the provers' counters in compact arrays and
// follows the timeline of PROTOCOL.md 5 (internal/protocol's advance,
// expire, settle) block by block, calling the real alloc.Allocate for
// every block's allocation and the real protocol.TiersFor and DecayBP for
// every payment. TestFastMatchesFull runs it against the full fidelity,
// which drives the protocol itself, and requires identical payouts.

// Slot states (those of pb.SlotState the simulator reaches).
const (
	slAssigned uint8 = iota + 1
	slAccepted
	slOpen
	slSubmitted
	slVerifying
	slValid
	slEmpty
	slUnrevealed
	slUndecided
	slFailed
	slInvalid
)

func decided(s uint8) bool { return s >= slValid }

func fillable(s uint8) bool { return s == slAssigned || s == slAccepted || s == slOpen }

// Intent kinds, in the order a block applies them within one slot.
const (
	kAnswer uint8 = iota // accept or decline an allocation
	kSubmit              // a result (allocated prover or open-market filler)
	kCopy                // a copier resubmits another slot's sealed file
	kReveal              // the slot's prover reveals its temporary key
)

// intent is one message a prover will send at a height.
type intent struct {
	w     int32
	slot  int16
	kind  uint8
	fill  bool // kSubmit of an open-market filler
	p     int32
	start int32 // kSubmit: height proving started
	t     int32 // kSubmit: blocks of proving
	fail  bool  // kSubmit: the outcome is fail
}

func intentOrder(a, b intent) int {
	return cmp.Or(cmp.Compare(a.w, b.w), cmp.Compare(a.slot, b.slot), cmp.Compare(a.kind, b.kind), cmp.Compare(a.p, b.p))
}

type fProver struct {
	active       bool
	suspended    bool
	until        int64 // a suspension ends (0: when topped up, never in the simulator)
	held         uint32
	declines     uint32
	lastAlloc    int64
	declineEpoch int64
	stake        uint64
}

type fWork struct {
	allocH, revealFrom, timer, firstSubmit int64
	escrow                                 uint64
	state                                  uint8 // outPending.. (outFinal is also "terminal")
	queued, settled                        bool
	firstSlot                              int32
}

type fSlot struct {
	state                                 uint8
	filled                                bool
	prover                                int32 // -1: none
	acceptBy, openUntil, revealBy, voteBy int64
	submitH                               int64
	seq                                   uint64
	fail                                  bool
	closedH                               int64   // closed at the lag end (its prover stops then)
	price                                 uint64  // a market Run's: what the slot pays (protocol Slot.price)
	promise                               int64   // a market slot's: due by, from its ask's latency (0: none)
	due                                   int64   // accepted: the height its prover promised
	failClaim                             int32   // the prover whose fail re-opened it (-1: none)
	allocatedTo                           int32   // the prover the allocator chose (-1: never one)
	waited                                bool    // allotted from the wait list: declining it is no miss
	round                                 uint32  // verification round
	committee                             []int32 // drawn at reveal, in address order
	deciders                              []int32 // voted with the decision
	voted                                 []int32 // voted, while undecided
}

type slotRef struct {
	w    int32
	slot int16
	// unmatched: a market Run's slot no ask took, open to the open market
	// from its matching block.
	unmatched bool
}

// fastEngine runs mechanisms vrf and vrf-noexcl, and market and cheapest
// (fast_market.go).
type fastEngine struct {
	pop    *Population
	par    protocol.Params
	noExcl bool
	led    *ledger

	ps    []fProver
	ws    []fWork
	slots []fSlot

	intents     [][]intent // by height
	reveals     [][]int32  // by height: workloads whose provers reveal
	votes       [][]int32  // by height: workloads whose committees vote
	timers      [][]int32  // by height
	waiting     []int32    // workloads with slots nobody could be allocated, in the order they started waiting
	waitSince   []int64    // per workload: the height it started waiting
	reinst      [][]int32  // by height: provers whose suspension ends
	active      []int32    // active provers by address, as of the end of the block's BeginBlock
	inBlock     bool       // past BeginBlock: committees come from active
	activeAddrs [][20]byte // the addresses of active

	opened     []slotRef // slots that opened during the current block
	firstNow   []int32   // workloads whose first result landed this block
	seq        uint64
	seed       []byte
	userBal    uint64
	nextRun    int // first workload not yet included
	nextAlloc  int // first workload not yet allocated
	settledCnt int
	ap         []alloc.Prover
	aw         []alloc.Workload
	load       fillLoad

	// Mechanisms market and cheapest (fast_market.go).
	market    bool
	books     [numBooks]book
	rep       *reputations
	unmatched int // market Runs that matched no ask
	drawnNone int // pool Runs drawn on nobody (fast_pool.go)
	// Mechanism pool (fast_pool.go): the pools frozen, by class.
	pool  bool
	pools [numBooks]frozenPool
	// onMatch, when set (tests), sees every match: the seed, the order,
	// every entry the chain's read hands the matcher, and what was taken.
	onMatch func(seed []byte, o alloc.MarketOrder, read, taken []alloc.Ask)
}

func newFastEngine(pop *Population) *fastEngine {
	o := pop.Opts
	e := &fastEngine{pop: pop, par: o.Params, noExcl: o.Mechanism == MechVRFNoExclusion,
		led: newLedger(len(pop.Provers), len(pop.Workloads)), seed: genesisSeed(o.Seed), load: newFillLoad(len(pop.Provers))}
	e.ps = make([]fProver, len(pop.Provers))
	for i := range e.ps {
		e.ps[i] = fProver{active: true, stake: pop.Provers[i].Stake}
		e.led.genesis += pop.Provers[i].Stake + e.par.RegistrationFee // the registration fee is burned at once
		e.led.burned += e.par.RegistrationFee
	}
	e.ws = make([]fWork, len(pop.Workloads))
	e.waitSince = make([]int64, len(pop.Workloads))
	n := 0
	for i := range pop.Workloads {
		e.ws[i].firstSlot = int32(n)
		n += int(pop.Workloads[i].K)
		e.userBal += pop.Workloads[i].Fee
	}
	e.led.genesis += e.userBal
	e.slots = make([]fSlot, n)
	if marketMech(o.Mechanism) {
		e.market, e.books, e.rep = true, buildBooks(pop), newReputations(e.par, len(pop.Provers))
		e.pool = o.Mechanism == MechPool
	}
	return e
}

func grow[T any](s [][]T, h int64) [][]T {
	for int64(len(s)) <= h {
		s = append(s, nil)
	}
	return s
}

func (e *fastEngine) push(h int64, in intent) {
	e.intents = grow(e.intents, h)
	e.intents[h] = append(e.intents[h], in)
}

func (e *fastEngine) run() (*ledger, error) {
	pop := e.pop
	last, limit := runSpan(pop, e.par)
	for h := int64(1); ; h++ {
		if h > last+1 && e.settledCnt == len(pop.Workloads) {
			e.led.height = h - 1
			break
		}
		if h > limit {
			return nil, fmt.Errorf("simulation did not settle by height %d (%d of %d workloads settled)", h, e.settledCnt, len(pop.Workloads))
		}
		if h > 1 {
			e.seed = beaconSeed(e.seed, h)
			e.inBlock = false
			e.beginBlock(h)
		}
		e.block(h)
		e.endBlock(h)
	}
	e.finish()
	return e.led, nil
}

// beginBlock allocates the Runs of the previous height, then runs the
// timers that fall due (protocol.BeginBlock's order).
func (e *fastEngine) beginBlock(h int64) {
	pop := e.pop
	lo := e.nextAlloc
	for e.nextAlloc < len(pop.Workloads) && pop.Workloads[e.nextAlloc].Height == h-1 {
		e.nextAlloc++
	}
	e.allocate(h, lo, e.nextAlloc)
	if e.pool {
		e.freezePools(h) // protocol freezePools: before the block's pool Runs
	}
	if e.market {
		var runs []int32
		for i := lo; i < e.nextAlloc; i++ {
			if pop.Workloads[i].Market {
				runs = append(runs, int32(i))
			}
		}
		e.matchMarket(h, runs)
	}
	if h < int64(len(e.timers)) {
		// protocol runTimers visits timer/<h>/<id> in workload id order:
		// the order matters once a timer can draw a committee from the
		// provers' current states.
		ts := e.timers[h]
		slices.SortFunc(ts, func(a, b int32) int { return bytes.Compare(e.pop.Workloads[a].ID[:], e.pop.Workloads[b].ID[:]) })
		for _, w := range slices.Compact(ts) {
			if e.ws[w].timer == h {
				e.led.events++
				e.advance(w, h)
			}
		}
		e.timers[h] = nil
	}
	if h < int64(len(e.reinst)) {
		for _, p := range e.reinst[h] {
			ps := &e.ps[p]
			if ps.suspended && ps.until == h {
				ps.until = 0
				if ps.stake >= e.par.MinProverStake {
					ps.suspended, ps.active = false, true
				}
			}
		}
		e.reinst[h] = nil
	}
	e.active = e.activeNow(e.active[:0]) // protocol Block.Active: the block's committees are drawn from it
	e.activeAddrs = e.addrsOf(e.active, e.activeAddrs[:0])
	e.inBlock = true
}

// addrsOf appends the addresses of provers ps.
func (e *fastEngine) addrsOf(ps []int32, out [][20]byte) [][20]byte {
	for _, p := range ps {
		out = append(out, e.pop.Provers[p].Address)
	}
	return out
}

// activeNow appends the provers active now, by address.
func (e *fastEngine) activeNow(out []int32) []int32 {
	for _, i := range e.pop.Order {
		if e.ps[i].active {
			out = append(out, i)
		}
	}
	return out
}

func (e *fastEngine) allocate(h int64, lo, hi int) {
	pop := e.pop
	// protocol allocationInput: the waiting workloads first, in the order
	// they started waiting, at most protocol.WaitRedraws of them, then the
	// Runs of the previous height.
	e.aw = e.aw[:0]
	var order []int32
	var waiting []bool
	examined := min(len(e.waiting), protocol.WaitRedraws)
	for _, wi := range e.waiting[:examined] {
		wl := &pop.Workloads[wi]
		if n := len(e.unassigned(wi, h)); n > 0 && e.waitLive(wi, h) && protocol.TimeToProve(e.par, wl.Cycles, wl.Deadline, h) {
			e.aw = append(e.aw, alloc.Workload{ID: wl.ID, K: n, MinHardware: Programs[wl.Program].Min, Rank: uint64(len(e.aw))})
			order, waiting = append(order, wi), append(waiting, true)
		}
	}
	for i := lo; i < hi; i++ {
		w := &pop.Workloads[i]
		if w.Market {
			continue // matched after the lottery (matchMarket)
		}
		e.aw = append(e.aw, alloc.Workload{ID: w.ID, K: int(w.K), MinHardware: Programs[w.Program].Min, Rank: protocol.NewRunsRank})
		order, waiting = append(order, int32(i)), append(waiting, false)
	}
	if len(e.aw) > 0 {
		as := alloc.Allocate(e.seed, h, e.allocProvers(), e.aw)
		for j, a := range as {
			if waiting[j] {
				e.assignWaiting(h, order[j], a.Provers)
			} else {
				e.assign(h, order[j], a.Provers)
			}
		}
		for j, wi := range order {
			e.advance(wi, h)
			if !waiting[j] && e.stillWaiting(wi, h+1) {
				e.addWait(wi, h)
			}
		}
	}
	// protocol dropStaleWaits, over the entries the block examined; the
	// rest wait their turn untouched.
	rest := slices.Clone(e.waiting[examined:])
	keep := e.waiting[:0]
	for _, wi := range e.waiting[:examined] {
		if e.waitLive(wi, h+1) && e.stillWaiting(wi, h+1) {
			keep = append(keep, wi)
		}
	}
	e.waiting = append(keep, rest...)
}

// allocProvers is the active provers as the allocator sees them.
func (e *fastEngine) allocProvers() []alloc.Prover {
	e.ap = e.ap[:0]
	for _, i := range e.pop.Order {
		p := &e.ps[i]
		if !p.active {
			continue
		}
		last := p.lastAlloc
		if e.noExcl {
			last = 0
		}
		pr := &e.pop.Provers[i]
		e.ap = append(e.ap, alloc.Prover{Address: pr.Address, Hardware: Classes[pr.Class].Hardware,
			MaxConcurrent: pr.MaxConcurrent, Active: p.held, LastAllocated: last})
	}
	return e.ap
}

// stillWaiting is protocol stillWaiting.
func (e *fastEngine) stillWaiting(w int32, next int64) bool {
	wl := &e.pop.Workloads[w]
	return len(e.unassigned(w, next)) > 0 && protocol.TimeToProve(e.par, wl.Cycles, wl.Deadline, next)
}

// unassigned is protocol unassignedSlots: w's open slots no prover was
// ever allocated, while they can still be delivered at height h.
func (e *fastEngine) unassigned(w int32, h int64) []int16 {
	ws, wl := &e.ws[w], &e.pop.Workloads[w]
	if ws.settled || ws.revealFrom != 0 {
		return nil
	}
	var out []int16
	for k := range int(wl.K) {
		s := e.slot(w, int16(k))
		if s.state == slOpen && s.allocatedTo < 0 && h <= s.openUntil && h <= wl.Deadline {
			out = append(out, int16(k))
		}
	}
	return out
}

// assign creates a new workload's slots from the provers drawn for it;
// slots nobody could take stay open and wait.
func (e *fastEngine) assign(h int64, wi int32, drawn [][20]byte) {
	w, wl := &e.ws[wi], &e.pop.Workloads[wi]
	w.allocH, w.queued = h, false
	for k := range int(wl.K) {
		s := &e.slots[int(w.firstSlot)+k]
		s.prover, s.openUntil, s.failClaim, s.allocatedTo = -1, wl.Deadline, -1, -1
		s.state = slOpen
		if k < len(drawn) {
			e.allot(h, wi, int16(k), drawn[k])
		}
	}
}

// assignWaiting is protocol assignWaiting: the unassigned slots, in slot
// order, to the drawn provers holding no slot of w and no fail claim.
func (e *fastEngine) assignWaiting(h int64, wi int32, drawn [][20]byte) {
	slots := e.unassigned(wi, h)
	for _, a := range drawn {
		if len(slots) == 0 {
			return
		}
		p := e.pop.byAddr[a]
		if e.holds(wi, p) || e.claimant(wi, p) {
			continue
		}
		e.allot(h, wi, slots[0], a)
		e.slot(wi, slots[0]).waited = true
		slots = slots[1:]
	}
}

func (e *fastEngine) claimant(w int32, p int32) bool {
	for k := range int(e.pop.Workloads[w].K) {
		if e.slot(w, int16(k)).failClaim == p {
			return true
		}
	}
	return false
}

// allot assigns slot k of w to the drawn prover a, who will answer next
// block.
func (e *fastEngine) allot(h int64, wi int32, k int16, a [20]byte) {
	s := e.slot(wi, k)
	p := e.pop.byAddr[a]
	s.state, s.prover, s.allocatedTo, s.acceptBy = slAssigned, p, p, h+e.par.AcceptWindow
	s.promise = 0 // a market match sets its promise after
	e.ps[p].held++
	e.ps[p].lastAlloc = h
	e.led.events++
	if e.pop.Provers[p].Strategy != Silent {
		e.push(h+1, intent{w: wi, slot: k, kind: kAnswer, p: p})
	}
}

// block applies the messages of height h: Runs, then the provers'
// messages in canonical order, then the committees' votes.
func (e *fastEngine) block(h int64) {
	pop := e.pop
	for e.nextRun < len(pop.Workloads) && pop.Workloads[e.nextRun].Height == h {
		w := &pop.Workloads[e.nextRun]
		e.userBal -= w.Fee
		e.ws[e.nextRun].escrow = w.Fee
		e.ws[e.nextRun].queued = true
		e.nextRun++
		e.led.events++
	}
	if h < int64(len(e.intents)) {
		ins := e.intents[h]
		slices.SortFunc(ins, intentOrder)
		for _, in := range ins {
			e.led.events++
			switch in.kind {
			case kAnswer:
				e.answer(h, in)
			case kSubmit:
				e.submit(h, in)
			case kCopy:
				e.copyRefused(in.p)
			}
		}
		e.intents[h] = nil
	}
	if h < int64(len(e.reveals)) {
		for _, w := range e.reveals[h] {
			e.led.events++
			e.reveal(h, w)
		}
		e.reveals[h] = nil
	}
	if h < int64(len(e.votes)) {
		slices.Sort(e.votes[h])
		var decided []fDecision
		for _, w := range slices.Compact(e.votes[h]) {
			e.led.events++
			decided = append(decided, e.vote(h, w)...)
		}
		e.votes[h] = nil
		e.decideVotes(h, decided)
	}
}

// endBlock is what the provers decide after seeing block h: who races
// for the slots that opened, and which copiers copy a first result.
func (e *fastEngine) endBlock(h int64) {
	slices.SortFunc(e.opened, func(a, b slotRef) int { return cmp.Or(cmp.Compare(a.w, b.w), cmp.Compare(a.slot, b.slot)) })
	for _, r := range e.opened {
		s := e.slot(r.w, r.slot)
		if s.state != slOpen || (s.allocatedTo < 0 && !r.unmatched) { // unallotted slots are left to the wait list
			continue
		}
		e.fill(h, r.w, r.slot, s.openUntil)
	}
	e.opened = e.opened[:0]
	for _, w := range e.firstNow {
		for k := range int(e.pop.Workloads[w].K) {
			s := e.slot(w, int16(k))
			if s.state == slAccepted && e.pop.Provers[s.prover].Strategy == Copier && e.ps[s.prover].active {
				e.push(h+1, intent{w: w, slot: int16(k), kind: kCopy, p: s.prover})
			}
		}
	}
	e.firstNow = e.firstNow[:0]
}

func (e *fastEngine) slot(w int32, k int16) *fSlot { return &e.slots[int(e.ws[w].firstSlot)+int(k)] }

func (e *fastEngine) holds(w int32, p int32) bool { // protocol holds
	for k := range int(e.pop.Workloads[w].K) {
		if s := e.slot(w, int16(k)); s.prover == p || s.failClaim == p {
			return true
		}
	}
	return false
}

// backToWait is protocol backToWait: a slot allotted from the wait list
// and let go returns to it.
func (e *fastEngine) backToWait(w int32, s *fSlot, h int64) {
	if !s.waited {
		return
	}
	s.allocatedTo = -1
	e.addWait(w, h)
}

// addWait is protocol addWait: a workload already waiting keeps its
// place (and the height it started waiting).
func (e *fastEngine) addWait(w int32, h int64) {
	if !slices.Contains(e.waiting, w) {
		e.waiting = append(e.waiting, w)
		e.waitSince[w] = h
	}
}

// waitLive is protocol waitLive.
func (e *fastEngine) waitLive(w int32, h int64) bool { return e.waitSince[w]+e.par.WaitBlocks >= h }

func (e *fastEngine) fill(h int64, w int32, k int16, until int64) {
	for _, f := range e.pop.fillCandidates(w, int(k), h, until, func(p int32) bool {
		return e.ps[p].active && !e.holds(w, p) && int(e.ps[p].held)+e.load.busy(p, h) < int(e.pop.Provers[p].MaxConcurrent)
	}) {
		e.load.add(f.p, f.plan.end(h+1, until))
		e.schedule(w, k, f, h+1, true)
	}
}

// schedule books the submission of a prover that starts proving at start,
// or the work it wastes when it will not submit.
func (e *fastEngine) schedule(w int32, k int16, f filler, start int64, fill bool) {
	cycles := e.pop.Workloads[w].Cycles
	switch {
	case f.plan.crash:
		e.led.work += workDone(cycles, f.plan.crashAt, f.plan.t)
	case start+f.plan.t > f.limit:
		e.led.work += workDone(cycles, f.limit-start, f.plan.t) // gives up at the deadline
	default:
		e.push(start+f.plan.t, submitIntent(w, k, f, start, fill))
	}
}

func (e *fastEngine) declinesLeft(p int32, h int64) uint32 {
	ps := &e.ps[p]
	if ps.declineEpoch != h/e.par.EpochLength {
		return e.par.MaxDeclinesPerEpoch
	}
	if ps.declines >= e.par.MaxDeclinesPerEpoch {
		return 0
	}
	return e.par.MaxDeclinesPerEpoch - ps.declines
}

// countMiss is protocol countMisses: n misses (a decline, silence,
// time-out or refuted fail; two for a market slot's) against the epoch's
// allowance and the reputation; past the allowance, a suspension.
func (e *fastEngine) countMiss(p int32, h int64, n uint32) {
	ps := &e.ps[p]
	if epoch := h / e.par.EpochLength; ps.declineEpoch != epoch {
		ps.declineEpoch, ps.declines = epoch, 0
	}
	ps.declines += n
	e.rep.missed(p, h, n)
	if ps.declines > e.par.MaxDeclinesPerEpoch {
		e.suspend(p, h+e.par.SuspendBlocks)
	}
}

// suspend is protocol suspend: out of the active set until until (0: a
// top-up, which the simulator's provers never make).
func (e *fastEngine) suspend(p int32, until int64) {
	ps := &e.ps[p]
	if !ps.active {
		return
	}
	ps.active, ps.suspended, ps.until = false, true, until
	e.led.suspended[p] = true
	if until != 0 {
		e.reinst = grow(e.reinst, until)
		e.reinst[until] = append(e.reinst[until], p)
	}
}

func (e *fastEngine) remove(p int32) {
	if e.ps[p].active || e.ps[p].suspended {
		e.ps[p].active, e.ps[p].suspended = false, false
		e.led.removed[p] = true
	}
}

func (e *fastEngine) releaseHold(s *fSlot) {
	if s.filled || s.prover < 0 {
		return
	}
	if e.ps[s.prover].held > 0 {
		e.ps[s.prover].held--
	}
}

func (e *fastEngine) openSlot(w int32, k int16, s *fSlot, until int64) {
	s.state, s.openUntil = slOpen, until
	e.opened = append(e.opened, slotRef{w: w, slot: k})
}

func (e *fastEngine) answer(h int64, in intent) {
	s := e.slot(in.w, in.slot)
	if s.state != slAssigned || s.prover != in.p || h > s.acceptBy {
		return
	}
	e.led.msgs[in.p]++
	wl := &e.pop.Workloads[in.w]
	limit := dueCap(s.promise, h, wl.Deadline)
	pl := e.pop.planFor(in.p, in.w, int(in.slot), roleAlloc, h, limit)
	if !pl.work && (s.waited || e.declinesLeft(in.p, h) > 0) {
		e.releaseHold(s)
		if !s.waited {
			e.countMiss(in.p, h, e.missesFor(in.w, s))
		}
		e.reopenPriced(in.w, s)
		e.openSlot(in.w, in.slot, s, wl.Deadline)
		e.backToWait(in.w, s, h)
		e.advance(in.w, h)
		return
	}
	s.state, s.due = slAccepted, min(e.pop.promise(in.p, pl, h, wl.Deadline), limit)
	e.advance(in.w, h)
	if !pl.copy {
		e.schedule(in.w, in.slot, filler{p: in.p, plan: pl, limit: limit}, h, false)
	}
}

// submitIntent is the submission of a prover that starts at start with
// plan pl.
func submitIntent(w int32, k int16, f filler, start int64, fill bool) intent {
	return intent{w: w, slot: k, kind: kSubmit, fill: fill, p: f.p, start: int32(start), t: int32(f.plan.t), fail: f.plan.fail}
}

func (e *fastEngine) submit(h int64, in intent) {
	w, wl := &e.ws[in.w], &e.pop.Workloads[in.w]
	s := e.slot(in.w, in.slot)
	if in.fill && fillerAborts(s.state == slOpen, s.submitH, h) {
		e.led.work += workDone(wl.Cycles, s.submitH+1-int64(in.start), int64(in.t))
		return
	}
	if !in.fill && s.closedH > 0 && s.prover == in.p { // its slot closed at the lag end: it stopped then
		e.led.work += workDone(wl.Cycles, s.closedH-int64(in.start), int64(in.t))
		return
	}
	if !in.fail {
		e.led.computed++
		e.led.work += wl.Cycles
	}
	e.led.msgs[in.p]++
	ok := false
	switch s.state {
	case slAssigned:
		ok = s.prover == in.p && h <= wl.Deadline
	case slAccepted:
		ok = s.prover == in.p && h <= s.due
	case slOpen: // protocol submitter; a fail on a re-opened slot only from its drawn prover
		ok = h <= s.openUntil && !e.holds(in.w, in.p) && e.ps[in.p].active && !(in.fail && s.failClaim >= 0)
	}
	if !ok {
		return
	}
	e.seq++
	if s.state == slOpen {
		s.prover, s.filled = in.p, true
	} else {
		e.releaseHold(s)
	}
	s.state, s.submitH, s.seq, s.fail = slSubmitted, h, e.seq, in.fail
	if in.fail && s.failClaim < 0 && h < wl.Deadline { // protocol reopenForConfirmation
		s.failClaim, s.allocatedTo, s.filled = in.p, -1, false
		e.reopenPriced(in.w, s)
		s.state, s.openUntil = slOpen, wl.Deadline // left to the wait list, not to racers
		e.addWait(in.w, h)
		e.advance(in.w, h)
		return
	}
	if w.firstSubmit == 0 && !in.fail {
		w.firstSubmit = h
		e.firstNow = append(e.firstNow, in.w)
	}
	e.advance(in.w, h)
}

// fillerAborts reports whether an open-market filler due to submit at h
// gave up before: its slot was filled at an earlier height.
func fillerAborts(stillOpen bool, filledAt, h int64) bool {
	return !stillOpen && filledAt > 0 && filledAt < h
}

// copyRefused is a copier resubmitting another slot's file: the chain
// refuses a repeated file and slashes nobody (WORKLOADS.md), so the
// copier's slot stays accepted without a result and times out like a
// crash.
func (e *fastEngine) copyRefused(p int32) { e.led.msgs[p]++ }

func (e *fastEngine) slash(p int32, h int64, bp uint32, remove bool) {
	e.rep.slashed(p, h)
	amount := bpOf(e.ps[p].stake, bp)
	e.ps[p].stake -= amount
	e.led.slashed[p] += amount
	e.led.burned += amount
	if remove {
		e.remove(p)
	} else if e.ps[p].active && e.ps[p].stake < e.par.MinProverStake {
		e.suspend(p, 0)
	}
}

func (e *fastEngine) reveal(h int64, w int32) {
	for k := range int(e.pop.Workloads[w].K) {
		s := e.slot(w, int16(k))
		if s.state != slSubmitted || h > s.revealBy {
			continue
		}
		e.led.msgs[s.prover]++
		if s.fail {
			s.state = slFailed
			continue
		}
		e.startVote(h, w, int16(k), s)
	}
	e.advance(w, h)
}

// startVote is protocol startVote: a committee drawn for the slot's
// round votes the next block; with nobody to ask the proof is valid.
func (e *fastEngine) startVote(h int64, w int32, k int16, s *fSlot) {
	s.state, s.voteBy = slVerifying, h+e.par.VoteWindow
	s.committee, s.voted = e.committee(h, w, k), nil
	if len(s.committee) == 0 {
		e.valid(h, w, s)
		return
	}
	e.votes = grow(e.votes, h+1)
	e.votes[h+1] = append(e.votes[h+1], w)
}

// committee is protocol.Committee over the provers active at the start
// of block h, as prover indices in address order.
func (e *fastEngine) committee(h int64, w int32, k int16) []int32 {
	ids, addrs := e.active, e.activeAddrs
	if !e.inBlock { // a round drawn in BeginBlock's timers: the state as it is then
		ids = e.activeNow(nil)
		addrs = e.addrsOf(ids, nil)
	}
	wl := e.pop.Workloads[w]
	pw := &pb.Workload{Id: wl.ID[:], Slots: make([]*pb.Slot, wl.K)}
	for j := range int(wl.K) {
		pw.Slots[j] = &pb.Slot{Index: uint32(j), Round: e.slot(w, int16(j)).round}
		if q := e.slot(w, int16(j)).prover; q >= 0 {
			pw.Slots[j].Prover = e.pop.Provers[q].Address[:]
		}
		if q := e.slot(w, int16(j)).failClaim; q >= 0 {
			pw.Slots[j].FailClaim = e.pop.Provers[q].Address[:]
		}
	}
	pos := protocol.CommitteePositions(addrs, pw, pw.Slots[k], e.seed, int(e.par.CommitteeSize))
	out := make([]int32, len(pos))
	for i, x := range pos {
		out[i] = ids[x]
	}
	return out
}

// vote counts the committees' votes of block h on w's verifying slots:
// each member active at the start of the block votes, in address order,
// until two thirds agree (honest members valid, a griefing minority
// invalid). As on the chain, the decisions take effect at the end of the
// block (decideVotes): a member slashed for a wrong vote still voted on
// everything else in the block.
func (e *fastEngine) vote(h int64, w int32) []fDecision {
	var out []fDecision
	for k := range int(e.pop.Workloads[w].K) {
		s := e.slot(w, int16(k))
		if s.state != slVerifying || h > s.voteBy {
			continue
		}
		var valid, invalid []int32
		n := len(s.committee)
		for _, m := range s.committee {
			if !e.ps[m].active {
				continue
			}
			if e.pop.Provers[m].Strategy == GriefingMinority {
				invalid = append(invalid, m)
			} else {
				valid = append(valid, m)
			}
			e.led.votes[m]++
			if protocol.Decides(uint32(len(valid)), n) || protocol.Decides(uint32(len(invalid)), n) {
				break
			}
		}
		s.voted = append(s.voted, valid...)
		s.voted = append(s.voted, invalid...)
		if protocol.Decides(uint32(len(valid)), n) || protocol.Decides(uint32(len(invalid)), n) {
			out = append(out, fDecision{w: w, s: s, valid: valid, invalid: invalid})
		}
	}
	return out
}

// fDecision is a slot whose votes reached two thirds in the block.
type fDecision struct {
	w              int32
	s              *fSlot
	valid, invalid []int32
}

// decideVotes applies the block's decisions in the order they were
// reached (protocol.EndBlock): the members that voted against a decision
// are slashed, those with it are paid at settlement; then each workload
// decided on advances once, in the order first decided.
func (e *fastEngine) decideVotes(h int64, ds []fDecision) {
	var order []int32
	for _, d := range ds {
		if !slices.Contains(order, d.w) {
			order = append(order, d.w)
		}
		n := len(d.s.committee)
		if protocol.Decides(uint32(len(d.valid)), n) {
			d.s.deciders = d.valid
			e.valid(h, d.w, d.s)
			for _, m := range d.invalid {
				e.slash(m, h, e.par.SlashWrongVoteBP, false)
			}
			continue
		}
		d.s.deciders = d.invalid
		d.s.state = slInvalid
		e.slash(d.s.prover, h, e.par.SlashInvalidBP, false)
		for _, m := range d.valid {
			e.slash(m, h, e.par.SlashWrongVoteBP, false)
		}
	}
	for _, w := range order {
		e.advance(w, h)
	}
}

// valid decides a slot valid; the workload is final at its first.
func (e *fastEngine) valid(h int64, w int32, s *fSlot) {
	s.state = slValid
	if e.ws[w].state == outPending {
		e.ws[w].state = outFinal
		e.led.out[w].finalH = h
	}
}

// advance is the protocol's advance: windows that closed, reveals, and
// settlement once every slot is decided; then the next timer.
func (e *fastEngine) advance(w int32, h int64) {
	ws := &e.ws[w]
	if ws.queued || ws.settled {
		e.setTimer(w, 0)
		return
	}
	wl := &e.pop.Workloads[w]
	for k := range int(wl.K) {
		e.expire(w, int16(k), h)
	}
	e.openReveals(w, h)
	all := true
	for k := range int(wl.K) {
		all = all && decided(e.slot(w, int16(k)).state)
	}
	if all {
		e.settle(w, h)
	}
	e.setTimer(w, e.nextTimer(w))
}

func (e *fastEngine) reopenLength(wl *Workload) int64 {
	if e.par.ReopenWindow > 0 {
		return e.par.ReopenWindow
	}
	return wl.RelDeadline()
}

func (e *fastEngine) expire(w int32, k int16, h int64) {
	wl, s := &e.pop.Workloads[w], e.slot(w, k)
	for range 4 {
		switch {
		case s.state == slAssigned && (h > s.acceptBy || h > wl.Deadline): // silent
			missed, p := e.poolMiss(w, s), s.prover
			e.releaseHold(s)
			e.countMiss(s.prover, h, e.missesFor(w, s))
			e.slashPoolMiss(p, h, missed)
			e.reopenPriced(w, s)
			e.openSlot(w, k, s, wl.Deadline)
			e.backToWait(w, s, h)
			if wl.K == 1 {
				s.openUntil = h + e.reopenLength(wl)
			}
		case s.state == slAccepted && h > s.due: // timed out
			missed, p := e.poolMiss(w, s), s.prover
			e.releaseHold(s)
			e.countMiss(s.prover, h, e.missesFor(w, s))
			e.slashPoolMiss(p, h, missed)
			e.reopenPriced(w, s)
			until := h + e.reopenLength(wl)
			if wl.K == 1 {
				until = h + wl.RelDeadline()
			}
			e.openSlot(w, k, s, until)
			e.backToWait(w, s, h)
		case s.state == slOpen && h > s.openUntil:
			s.state = slEmpty
		case s.state == slSubmitted && e.ws[w].revealFrom != 0 && h > s.revealBy:
			s.state = slUnrevealed
			e.slash(s.prover, h, e.par.SlashNoRevealBP, false)
			return
		case s.state == slVerifying && h > s.voteBy: // protocol expireVote
			if s.round+1 < e.par.VoteRounds {
				s.round++
				e.startVote(h, w, k, s)
				return
			}
			s.state = slUndecided
		default:
			return
		}
	}
}

// closeAt is protocol closeAt.
func (e *fastEngine) closeAt(w int32) int64 {
	ws, wl := &e.ws[w], &e.pop.Workloads[w]
	end := protocol.LagEnd(e.par, ws.allocH, ws.firstSubmit, wl.Cycles)
	for k := range int(wl.K) {
		if s := e.slot(w, int16(k)); s.state == slAssigned || s.state == slAccepted {
			end = max(end, protocol.SlotFloor(e.par, s.acceptBy-e.par.AcceptWindow, wl.Cycles))
		}
	}
	return end
}

// openReveals is protocol openReveals: once no slot can be filled, or
// result_lag after the first result (closing the slots still fillable).
func (e *fastEngine) openReveals(w int32, h int64) {
	ws := &e.ws[w]
	n := int(e.pop.Workloads[w].K)
	if ws.revealFrom != 0 || !slices.ContainsFunc(e.slots[ws.firstSlot:int(ws.firstSlot)+n], func(s fSlot) bool { return s.state == slSubmitted }) {
		return
	}
	lagged := ws.firstSubmit > 0 && h > e.closeAt(w)
	for k := range n {
		s := e.slot(w, int16(k))
		if !fillable(s.state) {
			continue
		}
		if !lagged {
			return
		}
		if s.state != slOpen {
			e.releaseHold(s)
		}
		s.state, s.closedH = slEmpty, h
	}
	ws.revealFrom = h
	for k := range n {
		if s := e.slot(w, int16(k)); s.state == slSubmitted {
			s.revealBy = h + e.par.RevealWindow
		}
	}
	e.reveals = grow(e.reveals, h+1)
	e.reveals[h+1] = append(e.reveals[h+1], w)
}

func (e *fastEngine) nextTimer(w int32) int64 {
	ws, wl := &e.ws[w], &e.pop.Workloads[w]
	if ws.settled {
		return 0
	}
	var next int64
	at := func(h int64) {
		if next == 0 || h+1 < next {
			next = h + 1
		}
	}
	if ws.firstSubmit > 0 && ws.revealFrom == 0 {
		at(e.closeAt(w))
	}
	for k := range int(wl.K) {
		s := e.slot(w, int16(k))
		switch s.state {
		case slAssigned:
			at(min(s.acceptBy, wl.Deadline))
		case slAccepted:
			at(s.due)
		case slOpen:
			at(s.openUntil)
		case slSubmitted:
			if ws.revealFrom != 0 {
				at(s.revealBy)
			}
		case slVerifying:
			at(s.voteBy)
		}
	}
	return next
}

func (e *fastEngine) setTimer(w int32, at int64) {
	ws := &e.ws[w]
	if ws.timer == at {
		return
	}
	ws.timer = at
	if at != 0 {
		e.timers = grow(e.timers, at)
		e.timers[at] = append(e.timers[at], w)
	}
}

// settle pays a workload whose slots are all decided (protocol settle,
// with protocol.PayoutFor's arithmetic).
func (e *fastEngine) settle(w int32, h int64) {
	ws, wl, led := &e.ws[w], &e.pop.Workloads[w], e.led
	var finals []*fSlot
	submitted, fails := 0, 0
	for k := range int(wl.K) {
		s := e.slot(w, int16(k))
		if s.state == slValid {
			finals = append(finals, s)
		}
		if s.submitH > 0 {
			submitted++
			if s.fail {
				fails++
			}
		}
	}
	slices.SortFunc(finals, func(a, b *fSlot) int { return cmp.Compare(a.seq, b.seq) })
	switch {
	case len(finals) > 0:
		ws.state = outFinal
	case submitted > 0 && fails == submitted:
		ws.state = outFailed
	case submitted > 0:
		ws.state = outRejected
	default:
		ws.state = outExpired
	}
	o := &led.out[w]
	lottery := protocol.PayoutFor(e.par, wl.Fee, wl.K, false)
	payout := func(s *fSlot) protocol.Payout { // protocol slotPayout
		if wl.Market {
			return protocol.MarketPayout(e.par, s.price)
		}
		return lottery
	}
	for i, s := range finals {
		po := payout(s)
		pay := po.ProverPay(i, ws.allocH, wl.Deadline, s.submitH)
		led.fees[s.prover] += pay
		led.burned += po.Burn
		ws.escrow -= pay + po.Burn
		led.paid++
		led.proofs[s.prover]++
		led.paidWork += wl.Cycles
		led.priced += pay + po.Burn + po.VotePool
		led.pricedMcycles += protocol.MegaCycles(wl.Cycles)
		e.rep.final(s.prover, h)
	}
	for k := range int(wl.K) {
		s := e.slot(w, int16(k))
		if len(s.deciders) == 0 || (s.state != slValid && s.state != slInvalid) {
			continue
		}
		po := payout(s)
		each, rest := po.VoterPay(len(s.deciders))
		for _, m := range s.deciders {
			led.fees[m] += each
		}
		led.burned += rest
		ws.escrow -= po.VotePool
		s.committee, s.deciders = nil, nil
	}
	for k := range int(wl.K) {
		if s := e.slot(w, int16(k)); (s.state == slUndecided || s.state == slInvalid) && !s.fail && s.prover >= 0 {
			led.denied[s.prover] += deniedPay(payout(s))
		}
	}
	forfeit := uint64(0) // confirmed fails: their shares are burned
	for k := range int(wl.K) {
		if s := e.slot(w, int16(k)); s.state == slFailed && s.failClaim >= 0 {
			forfeit += payout(s).Share
		}
	}
	burnt := min(ws.escrow, forfeit)
	led.burned += burnt
	refund := ws.escrow - burnt
	led.refunded += refund
	e.userBal += refund
	ws.escrow = 0
	ws.settled = true
	e.settledCnt++
	o.state, o.firstResult, o.userPaid = ws.state, ws.firstSubmit, wl.Fee-refund
}

// finish totals the supply from the per-account figures, which checks the
// accounting: balances + escrow + stake + burned = genesis + minted.
func (e *fastEngine) finish() {
	led := e.led
	led.unmatched, led.drawnNone = e.unmatched, e.drawnNone
	led.balances = e.userBal
	for i := range e.ps {
		led.balances += led.reward[i] + led.fees[i]
		led.stake += e.ps[i].stake
	}
	for i := range e.ws {
		led.escrow += e.ws[i].escrow
	}
	led.supplyErr = checkSupply(led)
}

func checkSupply(led *ledger) error {
	if have, want := led.balances+led.escrow+led.stake+led.burned, led.genesis+led.minted; have != want {
		return fmt.Errorf("supply broken: balances %d + escrow %d + stake %d + burned %d = %d, genesis %d + minted %d = %d",
			led.balances, led.escrow, led.stake, led.burned, have, led.genesis, led.minted, want)
	}
	return nil
}

// runSpan returns the height of the last Run and the height by which every
// workload must have settled (a bound that only a bug can reach): both
// engines stop at the same place.
func runSpan(pop *Population, par protocol.Params) (last, limit int64) {
	last, maxRel := int64(1), int64(1)
	if n := len(pop.Workloads); n > 0 {
		last = pop.Workloads[n-1].Height
		for i := range pop.Workloads {
			maxRel = max(maxRel, pop.Workloads[i].RelDeadline())
		}
	}
	return last, last + 4*maxRel + 4*(par.RevealWindow+par.VoteWindow+par.AcceptWindow) + 16
}
