package sim

import (
	"cmp"
	"container/heap"
	"fmt"
	"math/rand/v2"
	"slices"
)

// The two mechanisms that are not the protocol, kept apart from the code
// that drives it. Each workload buys one proof (k = 1), at the protocol's
// price (protocol.Quote) as the user's budget, and the proof becomes final
// two blocks after it lands (reveal, then the committee's votes), as in
// the protocol. Provers, plans and proving times are the population's.
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
//   - auction (the snarketplace): at the end of each block every open
//     workload is matched, in arrival order, to the cheapest free prover
//     (lowest ask, uprv per mega-cycle) that can finish by the deadline;
//     it is paid its ask (pay as bid, at most the budget, the rest
//     refunded) and nothing is minted. A decline re-auctions the workload
//     at once; silence through accept_window, or a missed deadline,
//     removes the prover and re-auctions the workload for the original
//     deadline's length again, as PROTOCOL.md 5.3 does for k = 1. There
//     is no limit on declines.

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
	matched  int32     // auction: the prover matched now, or -1
	answered bool
	round    uint32
	excluded []int32 // auction: provers that declined it
}

type marketEngine struct {
	pop  *Population
	race bool
	led  *ledger

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

	heaps  [2]askHeap // auction: free provers by ask; [1] runs GPU programs
	inHeap []bool
}

func newMarketEngine(pop *Population) *marketEngine {
	o := pop.Opts
	e := &marketEngine{pop: pop, race: o.Mechanism == MechRace, led: newLedger(len(pop.Provers), len(pop.Workloads)),
		rng: rand.New(rand.NewPCG(o.Seed, 0x70726f7665726e65))}
	n := len(pop.Provers)
	e.free, e.active, e.stake, e.inHeap = make([]uint32, n), make([]bool, n), make([]uint64, n), make([]bool, n)
	for i := range pop.Provers {
		e.free[i], e.active[i], e.stake[i] = pop.Provers[i].MaxConcurrent, true, pop.Provers[i].Stake
		e.led.genesis += pop.Provers[i].Stake
		e.pushHeap(int32(i))
	}
	e.jobs = make([]mJob, len(pop.Workloads))
	for i := range e.jobs {
		e.jobs[i] = mJob{winner: -1, matched: -1, window: pop.Workloads[i].Deadline}
		e.userBal += pop.Workloads[i].PerSlot
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
			e.userBal -= pop.Workloads[e.nextRun].PerSlot
			e.jobs[e.nextRun].escrow = pop.Workloads[e.nextRun].PerSlot
			e.nextRun++
			e.led.events++
		}
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
				e.remove(ev.p)
				e.reopen(ev.job, h)
			}
		case evTimeout:
			if j.state == mMatched && j.matched == ev.p {
				if e.pop.Provers[ev.p].Strategy == Copier {
					e.release(ev.p)
				}
				e.remove(ev.p)
				e.reopen(ev.job, h)
			}
		case evSubmit:
			e.submit(h, ev)
		case evCopy:
			e.slash(ev.p)
			e.release(ev.p)
		case evFinal:
			e.final(h, ev.job)
		}
	}
	e.events[h] = nil
}

func (e *marketEngine) release(p int32) {
	e.free[p]++
	e.pushHeap(p)
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
func (e *marketEngine) reopen(job int32, h int64) {
	j := &e.jobs[job]
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
	var reward, pay uint64
	if e.race {
		pay = j.escrow // nothing is minted for Runs any more: the fee is the prize
	} else {
		mult := uint64(1)
		if Programs[wl.Program].GPU {
			mult = max(e.pop.Opts.Params.GPUClassMultiplier, 1)
		}
		pay = min(j.escrow, e.pop.Provers[j.winner].Ask*((wl.Cycles+999_999)/1_000_000)*mult)
	}
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

// match gives each open job to the cheapest free prover that can finish
// it in time.
func (e *marketEngine) match(h int64) {
	var aside []int32
	for _, job := range e.open {
		j := &e.jobs[job]
		if j.state != mOpen {
			continue
		}
		wl := &e.pop.Workloads[job]
		gpu := Programs[wl.Program].GPU
		var chosen int32 = -1
		var pl plan
		for tries := 0; tries < 32; tries++ {
			p := e.popCheapest(gpu)
			if p < 0 {
				break
			}
			aside = append(aside, p)
			if slices.Contains(j.excluded, p) || !e.pop.meets[e.pop.Provers[p].Class][wl.Program] {
				continue
			}
			pl = e.pop.planFor(p, job, int(j.round), roleMatch+uint64(j.round), h+1, j.window)
			if pl.silent || pl.copy || h+1+pl.t <= j.window { // the ask's latency fits
				chosen = p
				break
			}
		}
		for _, p := range aside {
			e.inHeap[p] = false
			e.pushHeap(p)
		}
		aside = aside[:0]
		if chosen < 0 {
			continue
		}
		e.led.events++
		j.state, j.matched, j.answered = mMatched, chosen, false
		j.round++
		e.free[chosen]--
		switch {
		case pl.silent:
			e.at(h+e.pop.Opts.Params.AcceptWindow+1, mEvent{job: job, kind: evSilent, p: chosen})
		default:
			e.at(h+1, mEvent{job: job, kind: evAnswer, p: chosen, start: int32(h + 1), t: int32(j.round - 1)})
		}
	}
	keep := e.open[:0]
	for _, job := range e.open {
		if e.jobs[job].state == mOpen {
			keep = append(keep, job)
		}
	}
	e.open = keep
}

// answer is the matched prover's reply in the auction.
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
		j.excluded = append(j.excluded, ev.p)
		j.state, j.matched = mOpen, -1
		e.open = append(e.open, ev.job)
		e.release(ev.p)
	case pl.copy:
		e.at(j.window+1, mEvent{job: ev.job, kind: evTimeout, p: ev.p})
	case pl.crash:
		e.led.work += workDone(wl.Cycles, pl.crashAt, pl.t)
		e.at(h+pl.crashAt, mEvent{job: ev.job, kind: evFree, p: ev.p})
		e.at(j.window+1, mEvent{job: ev.job, kind: evTimeout, p: ev.p})
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

// askHeap orders free provers by ask, then by a seeded key.
type askHeap struct {
	e  *marketEngine
	ps []int32
}

func (a askHeap) Len() int { return len(a.ps) }
func (a askHeap) Less(i, j int) bool {
	pi, pj := &a.e.pop.Provers[a.ps[i]], &a.e.pop.Provers[a.ps[j]]
	if pi.Ask != pj.Ask {
		return pi.Ask < pj.Ask
	}
	return a.e.pop.draw(purposeTie, uint64(a.ps[i]), 0, 1) < a.e.pop.draw(purposeTie, uint64(a.ps[j]), 0, 1)
}
func (a askHeap) Swap(i, j int) { a.ps[i], a.ps[j] = a.ps[j], a.ps[i] }
func (a *askHeap) Push(x any)   { a.ps = append(a.ps, x.(int32)) }
func (a *askHeap) Pop() any {
	x := a.ps[len(a.ps)-1]
	a.ps = a.ps[:len(a.ps)-1]
	return x
}

func (e *marketEngine) pushHeap(p int32) {
	if e.race || e.inHeap[p] || e.free[p] == 0 || !e.active[p] {
		return
	}
	i := 0
	if pr := &e.pop.Provers[p]; e.pop.meets[pr.Class][1] && pr.Speed[1] > 0 {
		i = 1
	}
	e.heaps[i].e = e
	heap.Push(&e.heaps[i], p)
	e.inHeap[p] = true
}

// popCheapest removes and returns the cheapest usable free prover for a
// CPU (gpu false) or GPU job, or -1.
func (e *marketEngine) popCheapest(gpu bool) int32 {
	for {
		var h *askHeap
		switch {
		case gpu:
			h = &e.heaps[1]
		case e.heaps[0].Len() == 0:
			h = &e.heaps[1]
		case e.heaps[1].Len() == 0 || e.heaps[0].Less2(&e.heaps[1]):
			h = &e.heaps[0]
		default:
			h = &e.heaps[1]
		}
		if h.Len() == 0 {
			return -1
		}
		p := heap.Pop(h).(int32)
		e.inHeap[p] = false
		if e.free[p] > 0 && e.active[p] {
			e.inHeap[p] = true // held aside by the caller, pushed back after
			return p
		}
	}
}

// Less2 reports whether a's top is cheaper than b's.
func (a *askHeap) Less2(b *askHeap) bool {
	pa, pb := &a.e.pop.Provers[a.ps[0]], &b.e.pop.Provers[b.ps[0]]
	if pa.Ask != pb.Ask {
		return pa.Ask < pb.Ask
	}
	return a.e.pop.draw(purposeTie, uint64(a.ps[0]), 0, 1) < a.e.pop.draw(purposeTie, uint64(b.ps[0]), 0, 1)
}
