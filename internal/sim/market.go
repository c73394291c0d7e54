package sim

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"slices"

	"github.com/provernet/provernet/internal/protocol"
)

// The mechanisms that are not the protocol, kept apart from the code that
// drives it. Each workload buys one proof (k = 1), and the proof becomes
// final two blocks after it lands (reveal, then the committee's votes), as
// in the protocol. Provers, plans and proving times are the population's.
//
//   - race: every free prover may work on any open workload. At the end of
//     each block every free unit of capacity (MaxConcurrent per prover)
//     joins a random open workload it can finish by the deadline (lazy
//     provers skip some). The first valid proof (earliest height, then
//     inclusion order) takes the whole fee and the whole network reward;
//     the other entrants stop when it lands: a proof that lands in the
//     same block is wasted, the rest is wasted partial work. Copiers
//     resubmit the winner's sealed file and are slashed, since the race
//     keeps the protocol's copy protection.
//   - bids and votes (seed 004's Scroll and B52, designs.go): at the end of
//     each block the open workloads are matched to provers, each by its
//     own rule; the matched prover answers in the next block. A decline
//     matches the workload again at once (without that prover); silence
//     through accept_window, or a missed deadline, matches it again for
//     the original deadline's length, as PROTOCOL.md 5.3 does for k = 1.
//     Each decline, silence or time-out is a miss, counted against the
//     chain's allowance (max_declines_per_epoch; past it a suspension of
//     suspend_blocks). (The simulator's own lowest-price auction is
//     retired: the chain's cheapest runs on the protocol's timeline,
//     fast_market.go.)

const (
	mOpen uint8 = iota
	mMatched
	mWon
	mFinal
	mExpired
)

// Event kinds, in the order a block applies them for one workload.
const (
	evFree uint8 = iota
	evAnswer
	evSilent
	evTimeout
	evSubmit
	evCopy
	evFinal
)

type mEvent struct {
	job   int32
	kind  uint8
	key   uint64 // inclusion order among submissions of one block
	p     int32
	start int32
	t     int32
}

type entrant struct {
	p        int32
	start, t int64
	working  bool
	copier   bool
}

type mJob struct {
	state    uint8
	window   int64 // last height a result may land
	wonH     int64
	winner   int32
	escrow   uint64
	entrants []entrant // race
	matched  int32     // bids, votes: the prover matched now, or -1
	answered bool
	round    uint32
	excluded []int32 // bids, votes: provers that declined it
	price    uint64  // bids: the clearing price it was matched at (uprv per mega-cycle)
}

type marketEngine struct {
	pop  *Population
	race bool
	mech string
	led  *ledger
	rep  *reputations // votes: the chain's formula on this engine's counts

	free   []uint32
	active []bool
	stake  []uint64
	jobs   []mJob
	events [][]mEvent
	open   []int32 // jobs open for entry or matching
	rng    *rand.Rand

	userBal    uint64
	nextRun    int
	nextOpen   int
	settledCnt int

	// The chain's allowance of misses (bids, votes): per prover the misses
	// of the epoch, and the provers whose suspension ends, by height.
	declines     []uint32
	declineEpoch []int64
	reinst       [][]int32
}

func newMarketEngine(pop *Population) *marketEngine {
	o := pop.Opts
	e := &marketEngine{pop: pop, race: o.Mechanism == MechRace, mech: o.Mechanism, led: newLedger(len(pop.Provers), len(pop.Workloads)),
		rng: rand.New(rand.NewPCG(o.Seed, 0x70726f7665726e65))}
	if o.Mechanism == MechVotes {
		e.rep = newReputations(o.Params, len(pop.Provers))
	}
	n := len(pop.Provers)
	e.free, e.active, e.stake = make([]uint32, n), make([]bool, n), make([]uint64, n)
	e.declines, e.declineEpoch = make([]uint32, n), make([]int64, n)
	for i := range pop.Provers {
		e.free[i], e.active[i], e.stake[i] = pop.Provers[i].MaxConcurrent, true, pop.Provers[i].Stake
		e.led.genesis += pop.Provers[i].Stake
	}
	e.jobs = make([]mJob, len(pop.Workloads))
	for i := range e.jobs {
		e.jobs[i] = mJob{winner: -1, matched: -1, window: pop.Workloads[i].Deadline}
		e.userBal += e.escrowOf(int32(i))
	}
	e.led.genesis += e.userBal
	return e
}

func (e *marketEngine) at(h int64, ev mEvent) {
	e.events = grow(e.events, h)
	e.events[h] = append(e.events[h], ev)
}

func (e *marketEngine) run() (*ledger, error) {
	pop := e.pop
	last, maxRel := int64(1), int64(1)
	if n := len(pop.Workloads); n > 0 {
		last = pop.Workloads[n-1].Height
		for i := range pop.Workloads {
			maxRel = max(maxRel, pop.Workloads[i].RelDeadline())
		}
	}
	limit := last + 8*maxRel + 64
	for h := int64(1); ; h++ {
		if h > last+1 && e.settledCnt == len(pop.Workloads) {
			e.led.height = h - 1
			break
		}
		if h > limit {
			return nil, fmt.Errorf("simulation did not settle by height %d (%d of %d workloads settled)", h, e.settledCnt, len(pop.Workloads))
		}
		for e.nextOpen < len(pop.Workloads) && pop.Workloads[e.nextOpen].Height == h-1 {
			e.open = append(e.open, int32(e.nextOpen))
			e.nextOpen++
		}
		for e.nextRun < len(pop.Workloads) && pop.Workloads[e.nextRun].Height == h {
			esc := e.escrowOf(int32(e.nextRun))
			e.userBal -= esc
			e.jobs[e.nextRun].escrow = esc
			e.nextRun++
			e.led.events++
		}
		e.reinstate(h)
		e.process(h)
		e.expire(h)
		if e.race {
			e.enter(h)
		} else {
			e.match(h)
		}
	}
	e.finish()
	return e.led, nil
}

func (e *marketEngine) process(h int64) {
	if h >= int64(len(e.events)) {
		return
	}
	evs := e.events[h]
	slices.SortFunc(evs, func(a, b mEvent) int {
		return cmp.Or(cmp.Compare(a.job, b.job), cmp.Compare(a.kind, b.kind), cmp.Compare(a.key, b.key), cmp.Compare(a.p, b.p))
	})
	for _, ev := range evs {
		e.led.events++
		j := &e.jobs[ev.job]
		switch ev.kind {
		case evFree:
			e.release(ev.p)
		case evAnswer:
			e.answer(h, ev)
		case evSilent:
			if j.state == mMatched && j.matched == ev.p && !j.answered {
				e.release(ev.p)
				e.miss(ev.p, h)
				e.reopen(ev.job, h)
			}
		case evTimeout:
			if j.state == mMatched && j.matched == ev.p {
				if e.pop.Provers[ev.p].Strategy == Copier {
					e.release(ev.p)
				}
				e.miss(ev.p, h)
				e.reopen(ev.job, h)
			}
		case evSubmit:
			e.submit(h, ev)
		case evCopy:
			e.rep.slashed(ev.p, h)
			e.slash(ev.p)
			e.release(ev.p)
		case evFinal:
			e.final(h, ev.job)
		}
	}
	e.events[h] = nil
}

func (e *marketEngine) release(p int32) { e.free[p]++ }

// miss counts a decline, silence or time-out against prover p's
// allowance for the epoch, as the chain does (max_declines_per_epoch);
// past it p is suspended for suspend_blocks.
func (e *marketEngine) miss(p int32, h int64) {
	e.rep.missed(p, h, 1)
	par := e.pop.Opts.Params
	if epoch := h / par.EpochLength; e.declineEpoch[p] != epoch {
		e.declineEpoch[p], e.declines[p] = epoch, 0
	}
	e.declines[p]++
	if e.declines[p] > par.MaxDeclinesPerEpoch && e.active[p] {
		e.active[p] = false
		e.led.suspended[p] = true
		until := h + par.SuspendBlocks
		e.reinst = grow(e.reinst, until)
		e.reinst[until] = append(e.reinst[until], p)
	}
}

// reinstate ends the suspensions due at h.
func (e *marketEngine) reinstate(h int64) {
	if h >= int64(len(e.reinst)) {
		return
	}
	for _, p := range e.reinst[h] {
		if !e.led.removed[p] {
			e.active[p] = true
		}
	}
	e.reinst[h] = nil
}

func (e *marketEngine) remove(p int32) {
	if e.active[p] {
		e.active[p] = false
		e.led.removed[p] = true
	}
}

func (e *marketEngine) slash(p int32) {
	amount := bpOf(e.stake[p], e.pop.Opts.Params.SlashCopyBP)
	e.stake[p] -= amount
	e.led.slashed[p] += amount
	e.led.burned += amount
	e.remove(p)
}

// reopen puts a job whose prover failed back on the market for the
// original deadline's length again.
// The prover that failed it is not matched to it again (its silence
// would otherwise keep the job alive for ever: a silent prover is the one
// with room under overload).
func (e *marketEngine) reopen(job int32, h int64) {
	j := &e.jobs[job]
	j.excluded = append(j.excluded, j.matched)
	j.state, j.matched, j.answered = mOpen, -1, false
	j.window = h + e.pop.Workloads[job].RelDeadline()
	e.open = append(e.open, job)
}

func (e *marketEngine) submit(h int64, ev mEvent) {
	j, wl := &e.jobs[ev.job], &e.pop.Workloads[ev.job]
	if e.race {
		idx := slices.IndexFunc(j.entrants, func(x entrant) bool { return x.p == ev.p })
		if idx < 0 || !j.entrants[idx].working {
			return // gave up when another proof landed
		}
		j.entrants[idx].working = false
		e.release(ev.p)
	} else {
		if j.state != mMatched || j.matched != ev.p {
			return
		}
		e.release(ev.p)
	}
	e.led.computed++
	e.led.work += wl.Cycles
	if j.state == mWon || h > j.window {
		return // lost the race in the same block
	}
	j.state, j.wonH, j.winner = mWon, h, ev.p
	e.led.out[ev.job].firstResult = h
	e.at(h+2, mEvent{job: ev.job, kind: evFinal})
	if !e.race {
		return
	}
	for i := range j.entrants {
		x := &j.entrants[i]
		if !x.working {
			continue
		}
		if x.copier {
			x.working = false
			e.at(h+1, mEvent{job: ev.job, kind: evCopy, p: x.p})
			continue
		}
		if x.start+x.t == h {
			continue // lands in this block too, and loses
		}
		x.working = false
		e.led.work += workDone(wl.Cycles, h+1-x.start, x.t)
		e.release(x.p)
	}
}

func (e *marketEngine) final(h int64, job int32) {
	j, wl, led := &e.jobs[job], &e.pop.Workloads[job], e.led
	var reward uint64
	pay := j.escrow // race and votes: the fee is the prize; nothing is minted for Runs
	if e.mech == MechBids {
		pay = min(j.escrow, max(j.price*protocol.MegaCycles(wl.Cycles), e.pop.Opts.Params.MinSlotFee))
	}
	e.rep.final(j.winner, h)
	led.priced += pay
	led.pricedMcycles += protocol.MegaCycles(wl.Cycles)
	led.reward[j.winner] += reward
	led.fees[j.winner] += pay
	led.minted += reward
	led.paid++
	led.proofs[j.winner]++
	led.paidWork += wl.Cycles
	refund := j.escrow - pay
	e.userBal += refund
	led.refunded += refund
	j.escrow = 0
	j.state = mFinal
	o := &led.out[job]
	o.state, o.finalH, o.userPaid, o.minted = outFinal, h, pay, reward
	e.settledCnt++
}

// expire ends the jobs whose window closed with no result.
func (e *marketEngine) expire(h int64) {
	keep := e.open[:0]
	for _, job := range e.open {
		j := &e.jobs[job]
		if j.state != mOpen {
			continue
		}
		if h <= j.window {
			keep = append(keep, job)
			continue
		}
		wl := &e.pop.Workloads[job]
		for i := range j.entrants {
			if x := &j.entrants[i]; x.working {
				x.working = false
				if !x.copier {
					e.led.work += workDone(wl.Cycles, h-x.start, x.t)
				}
				e.release(x.p)
			}
		}
		e.userBal += j.escrow
		e.led.refunded += j.escrow
		j.escrow = 0
		j.state = mExpired
		e.led.out[job].state = outExpired
		e.settledCnt++
	}
	e.open = keep
}

// enter lets every free unit of capacity join a random open race.
func (e *marketEngine) enter(h int64) {
	var all, cpu []int32
	for _, job := range e.open {
		if e.jobs[job].state != mOpen {
			continue
		}
		all = append(all, job)
		if !Programs[e.pop.Workloads[job].Program].GPU {
			cpu = append(cpu, job)
		}
	}
	if len(all) == 0 {
		return
	}
	width := e.pop.Opts.RaceWidth
	for pi := range e.pop.Provers {
		p := int32(pi)
		pr := &e.pop.Provers[p]
		if !e.active[p] || pr.Strategy == Silent {
			continue
		}
		pool := cpu
		if e.pop.meets[pr.Class][1] && pr.Speed[1] > 0 {
			pool = all
		}
		for n := e.free[p]; n > 0 && len(pool) > 0; n-- {
			for range 4 {
				job := pool[e.rng.IntN(len(pool))]
				j := &e.jobs[job]
				if (width > 0 && len(j.entrants) >= width) || slices.ContainsFunc(j.entrants, func(x entrant) bool { return x.p == p }) {
					continue
				}
				pl := e.pop.planFor(p, job, 0, roleRace, h+1, j.window)
				if !pl.work {
					continue
				}
				e.free[p]--
				e.led.events++
				x := entrant{p: p, start: h + 1, t: pl.t, working: true, copier: pl.copy}
				switch {
				case pl.copy:
				case pl.crash:
					x.working = false
					e.led.work += workDone(e.pop.Workloads[job].Cycles, pl.crashAt, pl.t)
					e.at(h+1+pl.crashAt, mEvent{job: job, kind: evFree, p: p})
				default:
					e.at(h+1+pl.t, mEvent{job: job, kind: evSubmit, p: p, key: e.pop.draw(purposeTie, uint64(job), uint64(p), 0)})
				}
				j.entrants = append(j.entrants, x)
				break
			}
		}
	}
}

// answer is the matched prover's reply (bids, votes).
func (e *marketEngine) answer(h int64, ev mEvent) {
	j, wl := &e.jobs[ev.job], &e.pop.Workloads[ev.job]
	if j.state != mMatched || j.matched != ev.p {
		return
	}
	round := uint64(ev.t)
	pl := e.pop.planFor(ev.p, ev.job, int(round), roleMatch+round, h, j.window)
	j.answered = true
	switch {
	case !pl.work:
		e.miss(ev.p, h)
		j.excluded = append(j.excluded, ev.p)
		j.state, j.matched = mOpen, -1
		e.open = append(e.open, ev.job)
		e.release(ev.p)
	case pl.copy: // (an event for height h, or before, would be lost: h's are being processed)
		e.at(max(j.window, h)+1, mEvent{job: ev.job, kind: evTimeout, p: ev.p})
	case pl.crash:
		e.led.work += workDone(wl.Cycles, pl.crashAt, pl.t)
		e.at(h+max(pl.crashAt, 1), mEvent{job: ev.job, kind: evFree, p: ev.p})
		e.at(max(j.window, h)+1, mEvent{job: ev.job, kind: evTimeout, p: ev.p})
	default:
		e.at(h+pl.t, mEvent{job: ev.job, kind: evSubmit, p: ev.p})
	}
}

func (e *marketEngine) finish() {
	led := e.led
	led.balances = e.userBal
	for i := range e.pop.Provers {
		led.balances += led.reward[i] + led.fees[i]
		led.stake += e.stake[i]
	}
	for i := range e.jobs {
		led.escrow += e.jobs[i].escrow
	}
	led.supplyErr = checkSupply(led)
}
