package sim

import (
	"cmp"
	"math"
	"slices"

	"github.com/provernet/provernet/internal/protocol"
)

// Seed 004's remaining designs, as the simulator's own mechanisms on
// marketEngine (market.go): k = 1, the matched prover answers in the next
// block, declines, silences and time-outs as that engine handles them.
//
//   - bids (Scroll): demand competes instead of supply. Every Run carries
//     its user's bid, a price per mega-cycle: the protocol's price times a
//     valuation drawn log-uniformly over 0.5..2 (Workload.Bid); the user
//     escrows it. Each block the open Runs are served highest bid first, the
//     prover of each drawn by VRF (a seeded draw over all provers, as the
//     seed's "which prover is elected ... is decided via a VRF"; a prover
//     that is busy or cannot finish in time is passed over). Every Run of a
//     class served in the block pays one clearing price: the highest bid of
//     that class the block could not serve, at least the network's reserve
//     (half the protocol's price) and at most its own bid, so bidding one's
//     value is safe. Provers do not compete on price at all.
//   - votes (B52): supply competes on reputation inside a VRF lottery. Each
//     block every active prover with room votes for work; each vote is
//     weighted by a VRF draw (an exponential draw of rate stake, so a
//     stake split over many provers draws no better than it would whole:
//     the seed's defence against "spawning as many provers as work units").
//     The block's builder may choose only among the best-drawn voters, twice
//     as many as the open Runs, and, to protect its liveness as the seed
//     says, takes them by reputation (the chain's formula on this engine's
//     counts of final proofs, misses and slashes), one Run each. The prover
//     is paid the Run's protocol price.

// bidOf is workload i's bid: the protocol's price for its program times a
// valuation log-uniform over 0.5..2.
func (pop *Population) bidOf(i int32, program uint8) uint64 {
	par := pop.Opts.Params
	f := math.Pow(2, 2*pop.unit(purposeBid, uint64(i), 0, 0)-1)
	return max(1, uint64(math.Round(float64(par.PricePerMcycle*protocol.ClassMultiplier(par, Programs[program].Proto))*f)))
}

// escrowOf is what job's user escrows: its bid for its cycles under bids,
// else the protocol's per-slot fee.
func (e *marketEngine) escrowOf(job int32) uint64 {
	wl := &e.pop.Workloads[job]
	if e.mech == MechBids {
		return max(wl.Bid*protocol.MegaCycles(wl.Cycles), e.pop.Opts.Params.MinSlotFee)
	}
	return wl.PerSlot
}

// match matches the open jobs by the mechanism's rule, then keeps the
// jobs still open.
func (e *marketEngine) match(h int64) {
	switch e.mech {
	case MechBids:
		e.matchBids(h)
	case MechVotes:
		e.matchVotes(h)
	}
	keep := e.open[:0]
	for _, job := range e.open {
		if e.jobs[job].state == mOpen {
			keep = append(keep, job)
		}
	}
	e.open = keep
}

// openJobs lists the jobs open for matching, in arrival order.
func (e *marketEngine) openJobs() []int32 {
	var out []int32
	for _, job := range e.open {
		if e.jobs[job].state == mOpen {
			out = append(out, job)
		}
	}
	return out
}

// takes reports whether prover p would be matched to job now: free, able
// to run it, not a prover that declined it, and finishing in time (a
// silent prover or a copier is matched, and fails later). pl is its plan.
func (e *marketEngine) takes(h int64, job, p int32) (plan, bool) {
	j, wl, pr := &e.jobs[job], &e.pop.Workloads[job], &e.pop.Provers[p]
	if !e.active[p] || e.free[p] == 0 || slices.Contains(j.excluded, p) || !e.pop.meets[pr.Class][wl.Program] || pr.Speed[wl.Program] == 0 {
		return plan{}, false
	}
	pl := e.pop.planFor(p, job, int(j.round), roleMatch+uint64(j.round), h+1, j.window)
	return pl, pl.silent || pl.copy || h+1+pl.t <= j.window
}

// give matches job to prover p, who answers in the next block.
func (e *marketEngine) give(h int64, job, p int32, pl plan) {
	j := &e.jobs[job]
	e.led.events++
	j.state, j.matched, j.answered = mMatched, p, false
	j.round++
	e.free[p]--
	if pl.silent {
		e.at(h+e.pop.Opts.Params.AcceptWindow+1, mEvent{job: job, kind: evSilent, p: p})
		return
	}
	e.at(h+1, mEvent{job: job, kind: evAnswer, p: p, start: int32(h + 1), t: int32(j.round - 1)})
}

// matchBids serves the open jobs highest bid first, each with a prover
// drawn by VRF, at one clearing price per class for the block.
func (e *marketEngine) matchBids(h int64) {
	open := e.openJobs()
	slices.SortStableFunc(open, func(a, b int32) int {
		return cmp.Or(cmp.Compare(e.pop.Workloads[b].Bid, e.pop.Workloads[a].Bid),
			cmp.Compare(e.pop.draw(purposeTie, uint64(a), 0, 2), e.pop.draw(purposeTie, uint64(b), 0, 2)))
	})
	par := e.pop.Opts.Params
	var clearing [numBooks]uint64
	for c := range clearing {
		clearing[c] = par.PricePerMcycle * protocol.ClassMultiplier(par, Programs[c].Proto) / 2 // the reserve
	}
	var served []int32
	n := uint64(len(e.pop.Provers))
	for _, job := range open {
		j, wl := &e.jobs[job], &e.pop.Workloads[job]
		c := classOf(wl.Program)
		if wl.Bid < clearing[c] {
			continue // below the reserve, or below what the block already turned away
		}
		found := false
		for a := uint64(0); a < 64 && !found; a++ {
			p := int32(e.pop.draw(purposeVote, uint64(job), uint64(j.round), uint64(h)<<8|a) % n)
			if pl, ok := e.takes(h, job, p); ok {
				e.give(h, job, p, pl)
				served, found = append(served, job), true
			}
		}
		if !found {
			clearing[c] = max(clearing[c], wl.Bid) // unserved: its bid sets the class's price
		}
	}
	for _, job := range served {
		wl := &e.pop.Workloads[job]
		e.jobs[job].price = min(wl.Bid, clearing[classOf(wl.Program)])
	}
}

// voter is a prover voting for work in a block, with its VRF key (lower
// is better) and reputation.
type voter struct {
	p   int32
	key float64
	rep uint32
}

// matchVotes gives the open jobs to the best-drawn voters, by reputation,
// one job each.
func (e *marketEngine) matchVotes(h int64) {
	open := e.openJobs()
	if len(open) == 0 {
		return
	}
	var vs []voter
	for i := range e.pop.Provers {
		p := int32(i)
		if !e.active[p] || e.free[p] == 0 || e.pop.Provers[p].Strategy == Silent || e.stake[p] == 0 {
			continue // a silent prover never votes
		}
		u := (float64(e.pop.draw(purposeVote, uint64(p), uint64(h), 0)>>11) + 0.5) / (1 << 53)
		vs = append(vs, voter{p: p, key: -math.Log(u) / float64(e.stake[p])})
	}
	slices.SortFunc(vs, func(a, b voter) int { return cmp.Or(cmp.Compare(a.key, b.key), cmp.Compare(a.p, b.p)) })
	vs = vs[:min(len(vs), 2*len(open))]
	for i := range vs {
		vs[i].rep = e.rep.scoreAt(vs[i].p, h)
	}
	slices.SortStableFunc(vs, func(a, b voter) int { return cmp.Compare(b.rep, a.rep) })
	used := make([]bool, len(vs))
	for _, job := range open {
		for i := range vs {
			if used[i] {
				continue
			}
			if pl, ok := e.takes(h, job, vs[i].p); ok {
				used[i] = true
				e.give(h, job, vs[i].p, pl)
				break
			}
		}
	}
}
