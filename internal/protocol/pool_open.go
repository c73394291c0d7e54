package protocol

import (
	"strconv"

	"github.com/provernet/provernet/internal/alloc"
	"github.com/provernet/provernet/wire/pb"
)

// A pool Run's slots no member takes (docs/MARKET.md, "The pool"). The
// draw gives slot j to the j-th member drawn; the slots left, when fewer
// members could take the Run than its k, open at once to the open market
// at the order's max_price, as a partly matched market Run's do: any
// active prover, in the pool or not, may fill them (the permissionless
// fallback, which seed 004 opens only on a drawn prover's miss). This
// holds when no member can take any slot too (no pool frozen for the
// epoch, every member full, priced above max_price, past max_latency,
// lacking the program's hardware, denied or not allowed, suspended): the
// Run is allocated with every slot open instead of failing at once. The
// Run records the members it did not draw and why (Workload.missed, the
// first marketMissesShown, and market_miss events) beside event pool_open,
// so that its user sees why its slots went to the open market; query
// allocation explains every member as for any pool Run.

// poolOpen records, for a pool Run whose draw left slots open, the
// members it did not draw and why, and returns event pool_open followed
// by their market_miss events; nothing for any other Run.
func poolOpen(w *pb.Workload, exp alloc.MatchExplanation) []Event {
	open := int(w.K) - len(exp.Taken)
	if !isPool(w) || open <= 0 {
		return nil
	}
	misses := recordMisses(w, exp)
	class, epoch, members := "", int64(0), 0
	if p := exp.Pool; p != nil {
		class, epoch, members = p.Class, p.Epoch, p.Members
	}
	ev := event("pool_open", "workload", hexID(w.Id), "class", class, "epoch", strconv.FormatInt(epoch, 10),
		"members", strconv.Itoa(members), "drawn", strconv.Itoa(len(exp.Taken)), "open", strconv.Itoa(open),
		"max_price", strconv.FormatUint(w.Market.MaxPrice, 10), "missed", strconv.Itoa(len(w.Missed)))
	return append([]Event{ev}, misses...)
}
