package sim

import (
	"bytes"
	"cmp"
	"slices"

	"github.com/provernet/provernet/internal/alloc"
	"github.com/provernet/provernet/internal/protocol"
	"github.com/provernet/provernet/wire"
)

// The fast fidelity of mechanisms market and cheapest: the chain's market
// matching (internal/protocol market_match.go and market_read.go) on the
// simulator's compact state. At height h+1, after the lottery's
// allocation, the market Runs included at h are matched in the seed's
// order (alloc.Order); each reads its book the way the chain reads it (a
// walk of the class's asks in the Run's priority order, stopping at
// wire.MarketScan provers that could take it, wire.MarketSkip entries that
// cannot, or wire.MarketNearMisses beyond its bound) and the chain's
// alloc.Match picks its provers from what was read. Slot i goes to the
// i-th ask taken at protocol.SlotPrice, due by the allocation height plus
// the ask's latency; slots no ask took are open at the order's per-slot
// escrow; a Run that takes no ask fails at once, refunded whole. A matched
// prover that lets its slot go counts two misses and the slot reopens at
// the per-slot escrow (market_default.go). Settlement pays each final
// slot protocol.MarketPayout of its price. TestFastMatchesFull holds all
// of it to the chain's own code at fidelity full.

// bookEntry is one ask in a class's book, as the chain's index holds it.
type bookEntry struct {
	p       int32
	id      uint32
	price   uint64
	latency int64
	height  int64 // set at
}

// book is one class's asks in the index's two orders: by price (then
// latency, prover address, ask id) and by latency (then price, address,
// id).
type book struct {
	byPrice, byTime []bookEntry
}

// buildBooks indexes every prover's asks, all set at height 0.
func buildBooks(pop *Population) [numBooks]book {
	var bs [numBooks]book
	for i := range pop.Provers {
		for _, a := range pop.Provers[i].Asks {
			e := bookEntry{p: int32(i), id: a.ID, price: a.Price, latency: a.Latency}
			bs[a.Class].byPrice = append(bs[a.Class].byPrice, e)
		}
	}
	for c := range bs {
		addr := func(x, y bookEntry) int {
			return cmp.Or(bytes.Compare(pop.Provers[x.p].Address[:], pop.Provers[y.p].Address[:]), cmp.Compare(x.id, y.id))
		}
		slices.SortFunc(bs[c].byPrice, func(x, y bookEntry) int {
			return cmp.Or(cmp.Compare(x.price, y.price), cmp.Compare(x.latency, y.latency), addr(x, y))
		})
		bs[c].byTime = slices.Clone(bs[c].byPrice)
		slices.SortFunc(bs[c].byTime, func(x, y bookEntry) int {
			return cmp.Or(cmp.Compare(x.latency, y.latency), cmp.Compare(x.price, y.price), addr(x, y))
		})
	}
	return bs
}

// orderOf is workload w's order as the chain's matcher sees it.
func (pop *Population) orderOf(w *Workload) alloc.MarketOrder {
	o := alloc.MarketOrder{ID: w.ID, K: int(w.K), MaxPrice: w.MaxPrice, MaxLatency: w.RelDeadline()}
	if w.ByTime {
		o.Priority = alloc.PriorityTime
	}
	return o
}

// classOf is the book a program's Runs read (protocol.ProgramClass).
func classOf(program uint8) int {
	if Programs[program].GPU {
		return bookGPU
	}
	return bookCPU
}

// inBook reports whether prover p's asks are in the book now: the chain's
// book holds the asks of active provers with room (protocol inBook: a
// prover holding max_concurrent slots is out until one frees); BookRoom is
// now the same book.
func (e *fastEngine) inBook(p int32) bool {
	return e.ps[p].active && e.ps[p].held < e.pop.Provers[p].MaxConcurrent
}

// askOf is a book entry as the matcher sees it (protocol askOf).
func (e *fastEngine) askOf(be bookEntry, w *Workload, h int64) alloc.Ask {
	pr := &e.pop.Provers[be.p]
	a := alloc.Ask{Prover: pr.Address, ID: be.id, Price: be.price, Latency: be.latency, Serves: true, Active: true,
		Meets: e.pop.meets[pr.Class][w.Program]}
	if held := e.ps[be.p].held; held < pr.MaxConcurrent {
		a.Room = pr.MaxConcurrent - held
	}
	a.Reputation = e.rep.scoreAt(be.p, h)
	return a
}

// readBook is w's book as the matcher gets it at height h. It returns the
// candidates (the asks alloc.Match may take: the entries that pass every
// check of its rule 1) and, with all, every entry the matcher would be
// handed, for the differential test (with BookAll: every active
// prover's ask).
func (e *fastEngine) readBook(w *Workload, o alloc.MarketOrder, h int64, all bool) (cands, read []alloc.Ask) {
	b := &e.books[classOf(w.Program)]
	entries := b.byPrice
	if o.Priority == alloc.PriorityTime {
		entries = b.byTime
	}
	if e.pop.Opts.MarketBook == BookAll {
		return e.readAll(entries, w, o, h, all)
	}
	return e.readBounded(entries, w, o, h, all)
}

// readBounded is the chain's bounded read (protocol bookRead.take), with
// BookRoom leaving full provers out of the book.
func (e *fastEngine) readBounded(entries []bookEntry, w *Workload, o alloc.MarketOrder, h int64, all bool) (cands, read []alloc.Ask) {
	byTime := o.Priority == alloc.PriorityTime
	keys := func(be bookEntry) [2]int64 {
		if byTime {
			return [2]int64{be.latency, int64(be.price)}
		}
		return [2]int64{int64(be.price), be.latency}
	}
	counted := map[int32]bool{}
	var counts, skips, beyonds int
	var cut [2]int64
	for i := 0; i < len(entries); i++ {
		be := entries[i]
		if !e.inBook(be.p) {
			continue // not in the book at all
		}
		if k := keys(be); counts >= o.K && (k[0] > cut[0] || (k[0] == cut[0] && k[1] > cut[1])) {
			break // past the cut
		}
		first, second := be.price <= o.MaxPrice, be.latency <= o.MaxLatency
		if byTime {
			first, second = second, first
		}
		switch {
		case !first:
			beyonds++
			if all {
				read = append(read, e.cheapAsk(be))
			}
		case be.height >= w.Height:
			skips++
		case !second: // the level skip: the rest of its first key, at once
			skips++
			if all {
				read = append(read, e.cheapAsk(be))
			}
			for i+1 < len(entries) && keys(entries[i+1])[0] == keys(be)[0] {
				i++
			}
		default:
			a := e.askOf(be, w, h)
			if all {
				read = append(read, a)
			}
			if a.Meets && a.Room > 0 {
				cands = append(cands, a)
			}
			if a.Meets && a.Room > 0 && !counted[be.p] {
				counted[be.p] = true
				if counts++; counts == o.K {
					cut = keys(be)
				}
			} else {
				skips++
			}
		}
		if counts >= wire.MarketScan || skips >= wire.MarketSkip || beyonds >= wire.MarketNearMisses {
			break
		}
	}
	return cands, read
}

// readAll is BookAll: the candidates among every active prover's asks.
// It walks in the priority's order and stops once k provers are among the
// candidates and the priority's own key has moved past the one that made
// k: nothing later can rank above them (the test holds Match on these to
// MatchNaive on everything).
func (e *fastEngine) readAll(entries []bookEntry, w *Workload, o alloc.MarketOrder, h int64, all bool) (cands, read []alloc.Ask) {
	key := func(be bookEntry) int64 {
		if o.Priority == alloc.PriorityTime {
			return be.latency
		}
		return int64(be.price)
	}
	provers := map[int32]bool{}
	var bound int64 = -1
	for _, be := range entries {
		if !e.ps[be.p].active {
			continue
		}
		if bound >= 0 && key(be) > bound && !all {
			break
		}
		if all {
			read = append(read, e.askOf(be, w, h))
		}
		if bound >= 0 && key(be) > bound {
			continue
		}
		pr := &e.pop.Provers[be.p]
		if be.price > o.MaxPrice || be.latency > o.MaxLatency || be.height >= w.Height || !e.pop.meets[pr.Class][w.Program] ||
			e.ps[be.p].held >= pr.MaxConcurrent {
			continue
		}
		cands = append(cands, e.askOf(be, w, h))
		if !provers[be.p] {
			provers[be.p] = true
			if len(provers) == o.K {
				bound = key(be)
			}
		}
	}
	return trimCands(cands, o), read
}

// trimCands drops the candidates that rank below k provers' asks on
// price, latency and reputation alone (prices are few integers, so
// thousands of asks may tie on price): none of them can be taken, and
// Match ranks the rest as it would have. The beacon's tie-break among
// the asks left still decides.
func trimCands(cands []alloc.Ask, o alloc.MarketOrder) []alloc.Ask {
	type triple struct {
		first, second int64
		rep           uint32
	}
	key := func(a alloc.Ask) triple {
		t := triple{int64(a.Price), a.Latency, a.Reputation}
		if o.Priority == alloc.PriorityTime {
			t.first, t.second = t.second, t.first
		}
		return t
	}
	less := func(x, y triple) int {
		return cmp.Or(cmp.Compare(x.first, y.first), cmp.Compare(x.second, y.second), cmp.Compare(y.rep, x.rep))
	}
	sorted := slices.Clone(cands)
	slices.SortFunc(sorted, func(x, y alloc.Ask) int { return less(key(x), key(y)) })
	seen := map[[20]byte]bool{}
	for _, a := range sorted {
		if seen[a.Prover] {
			continue
		}
		seen[a.Prover] = true
		if len(seen) == o.K {
			t := key(a)
			return slices.DeleteFunc(cands, func(x alloc.Ask) bool { return less(key(x), t) > 0 })
		}
	}
	return cands
}

// cheapAsk is an entry the chain's read hands the matcher without
// reading its prover (beyond a bound).
func (e *fastEngine) cheapAsk(be bookEntry) alloc.Ask {
	return alloc.Ask{Prover: e.pop.Provers[be.p].Address, ID: be.id, Price: be.price, Latency: be.latency, Serves: true}
}

// matchMarket matches the market Runs included at h-1 (protocol
// matchQueued), in the seed's order.
func (e *fastEngine) matchMarket(h int64, runs []int32) {
	if len(runs) == 0 {
		return
	}
	ws := make([]alloc.Workload, len(runs))
	for i, wi := range runs {
		ws[i] = alloc.Workload{ID: e.pop.Workloads[wi].ID}
	}
	for _, i := range alloc.Order(e.seed, ws) {
		wi := runs[i]
		wl := &e.pop.Workloads[wi]
		o := e.pop.orderOf(wl)
		var taken []alloc.Ask
		if e.pool {
			taken = alloc.PoolDraw(e.seed, o, e.poolMembers(wl, h)) // fast_pool.go
			if len(taken) == 0 {
				e.drawnNone++ // every slot opens to the open market (protocol poolOpen)
			}
		} else {
			cands, read := e.readBook(wl, o, h, e.onMatch != nil)
			taken = alloc.Match(e.seed, o, cands)
			if e.onMatch != nil {
				e.onMatch(e.seed, o, read, taken)
			}
		}
		e.led.events++
		if len(taken) == 0 && !e.pool {
			e.failUnmatched(wi)
			continue
		}
		e.assignMarket(h, wi, taken)
	}
}

// assignMarket gives w's slots to the asks taken (protocol
// marketBlock.assign); the rest are open to the open market.
func (e *fastEngine) assignMarket(h int64, wi int32, taken []alloc.Ask) {
	w, wl := &e.ws[wi], &e.pop.Workloads[wi]
	w.allocH, w.queued = h, false
	for k := range int(wl.K) {
		s := &e.slots[int(w.firstSlot)+k]
		s.prover, s.openUntil, s.failClaim, s.allocatedTo = -1, wl.Deadline, -1, -1
		s.state, s.price = slOpen, wl.Fee/uint64(wl.K)
		if k >= len(taken) {
			e.opened = append(e.opened, slotRef{w: wi, slot: int16(k), unmatched: true})
			continue
		}
		a := taken[k]
		e.allot(h, wi, int16(k), a.Prover)
		s.price, s.promise = protocol.SlotPrice(e.par, wl.Cycles, a.Price), h+a.Latency
	}
	e.advance(wi, h)
}

// failUnmatched ends a market Run no ask took (protocol failUnmatched):
// expired, its escrow refunded whole.
func (e *fastEngine) failUnmatched(wi int32) {
	w := &e.ws[wi]
	w.queued, w.settled, w.state = false, true, outExpired
	e.userBal += w.escrow
	e.led.refunded += w.escrow
	w.escrow = 0
	e.settledCnt++
	e.led.out[wi].state = outExpired
	e.unmatched++
}

// missesFor is how many misses letting slot s of w go counts (protocol
// missesFor): two for a slot matched on its prover's ask.
func (e *fastEngine) missesFor(w int32, s *fSlot) uint32 {
	if e.pop.Workloads[w].Market && s.promise > 0 {
		return 2
	}
	return 1
}

// reopenPriced is protocol reopenPriced: a slot let go keeps nothing of
// its prover's ask; a market slot is worth the per-slot escrow again.
func (e *fastEngine) reopenPriced(w int32, s *fSlot) {
	s.promise = 0
	if wl := &e.pop.Workloads[w]; wl.Market {
		s.price = wl.Fee / uint64(wl.K)
	}
}

// dueCap is the last height the holder of s may deliver once it accepts
// at h: its ask's promise when that is still to come and before the
// deadline (protocol accept), else the deadline.
func dueCap(promise, h, deadline int64) int64 {
	if promise >= h && promise < deadline {
		return promise
	}
	return deadline
}

// payoutOf is how a slot of workload wl priced price divides at
// settlement (protocol slotPayout): a market slot's own price, else the
// workload's fee. (fastEngine.settle computes the lottery's once.)
func payoutOf(par protocol.Params, wl *Workload, price uint64) protocol.Payout {
	if wl.Market {
		return protocol.MarketPayout(par, price)
	}
	return protocol.PayoutFor(par, wl.Fee, wl.K, false)
}
