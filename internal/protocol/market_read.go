package protocol

import (
	"github.com/provernet/provernet/internal/alloc"
	"github.com/provernet/provernet/wire"
	"github.com/provernet/provernet/wire/pb"
)

// The bounded read of one target of a market Run's book (docs/MARKET.md,
// "The bounded read"). The walk goes in the Run's priority order and
// sorts every entry into one of four kinds, so that nobody can fill the
// part of the read that counts with asks that cannot match:
//
//   - counted: the first entry of a prover that could take the Run (within
//     both bounds, allowed, not denied, active, meeting the program's
//     hardware, with room). The walk stops at wire.MarketScan of them: at
//     most one per prover, so a prover's sixteen asks count once.
//   - skipped: an entry that cannot match, or a prover's further entries:
//     beyond the other bound (latency for price priority, price for time
//     priority), denied, not on the allow list, without the hardware or
//     the room, or set at or after the Run's height. The walk stops at
//     wire.MarketSkip of them; WeightMarketMatch pays for them.
//   - beyond: past the priority's own bound (every later entry is too, by
//     the index's order); the walk stops at wire.MarketNearMisses of them,
//     kept to say what the Run missed.
//
// The index sorts by both of the matcher's first keys (ask_keys.go), so
// the walk meets the asks in the matcher's order but for ties of both,
// which reputation and the beacon break. Once k provers are counted, no
// entry past the k-th one's price and latency can be taken: the walk
// stops at the first such entry (the cut). It reads the k-th's whole tie
// group, so the cut changes nothing the Run takes; without it every
// matched Run read its MarketScan provers (64), with it a Run usually
// reads its k and their ties. A query explaining a match (ExplainMarket)
// reads past the cut, to name the asks ranked below the k.
//
// Entries set at or after the Run's height are left out of the book (a
// prover may not re-price after seeing the Run); the other skipped entries
// go in, for the matcher to screen out and name in the misses. The checks
// that need no prover record (the bounds and the lists) come first, so
// only entries that pass them cost a prover read (once per prover per
// block). Deterministic: the index's order and the block's state only.

// bookRead is one target's walk in progress.
type bookRead struct {
	mb      *marketBlock
	o       alloc.MarketOrder
	w       *pb.Workload
	byTime  bool
	other   bool // the other class's asks, read only to name misses
	need    alloc.Hardware
	allow   map[[20]byte]bool
	deny    map[[20]byte]bool
	counted map[[20]byte]bool

	book                   []alloc.Ask
	counts, skips, beyonds int
	cut                    [2]uint64 // the k-th counted entry's order keys, once k are counted
	err                    error
}

// orderKeys are e's first two keys in the walk's order.
func (r *bookRead) orderKeys(e bookEntry) [2]uint64 {
	if r.byTime {
		return [2]uint64{uint64(e.latency), e.price}
	}
	return [2]uint64{e.price, uint64(e.latency)}
}

// pastCut says whether e sorts after the k-th counted entry's ties.
func (r *bookRead) pastCut(e bookEntry) bool {
	if r.counts < r.o.K || r.other || r.mb.explain {
		return false
	}
	k := r.orderKeys(e)
	return k[0] > r.cut[0] || (k[0] == r.cut[0] && k[1] > r.cut[1])
}

// take sorts one entry and says where to read on.
func (r *bookRead) take(e bookEntry) walkStep {
	if r.other { // none serves the program: near misses only
		r.book = append(r.book, r.cheap(e, false))
		r.beyonds++
		return r.next()
	}
	if r.pastCut(e) {
		return stepStop
	}
	first, second := e.price <= r.o.MaxPrice, e.latency <= r.o.MaxLatency
	if r.byTime {
		first, second = second, first
	}
	switch {
	case !first:
		r.book = append(r.book, r.cheap(e, true))
		r.beyonds++
	case e.height >= r.w.Height: // set in or after the Run's block: not seen
		r.skips++
	case !second: // so is every later entry of its first key: one skip for all
		r.book = append(r.book, r.cheap(e, true))
		r.skips++
		if r.next() == stepNext {
			return stepNextLevel
		}
		return stepStop
	case r.deny[e.prover] || (len(r.allow) > 0 && !r.allow[e.prover]):
		r.book = append(r.book, r.cheap(e, true))
		r.skips++
	default:
		mp, err := r.mb.prover(e.prover)
		if err != nil {
			r.err = err
			return stepStop
		}
		a := r.mb.askOf(e, mp, r.need, true)
		r.book = append(r.book, a)
		if a.Active && a.Meets && a.Room > 0 && !r.counted[e.prover] {
			r.counted[e.prover] = true
			r.counts++
			if r.counts == r.o.K {
				r.cut = r.orderKeys(e)
			}
		} else {
			r.skips++
		}
	}
	return r.next()
}

// next says whether the read goes on: stop at any bound reached.
func (r *bookRead) next() walkStep {
	if r.counts < wire.MarketScan && r.skips < wire.MarketSkip && r.beyonds < wire.MarketNearMisses {
		return stepNext
	}
	return stepStop
}

// cheap is an entry the matcher screens out before it looks at the
// prover (serves, lists, bounds), built without reading the prover.
func (r *bookRead) cheap(e bookEntry, serves bool) alloc.Ask {
	return alloc.Ask{Prover: e.prover, ID: e.id, Price: e.price, Latency: e.latency, Serves: serves}
}

// addrSet is a set of addresses.
func addrSet(as [][20]byte) map[[20]byte]bool {
	m := make(map[[20]byte]bool, len(as))
	for _, a := range as {
		m[a] = true
	}
	return m
}
