package protocol

import (
	"github.com/provernet/provernet/internal/alloc"
	"github.com/provernet/provernet/wire"
	"github.com/provernet/provernet/wire/pb"
)

// A market Run (issue 17, docs/MARKET.md): the Run names a mechanism
// (market, cheapest or pool), a maximum price per mega-cycle, a maximum latency
// and a priority, and optionally allow and deny lists. It escrows k slots
// at its maximum price and is queued under mkt/q/ to be matched against
// the ask book at the next height (market_match.go), not drawn.

// MechanismName is a mechanism's stable name.
func MechanismName(m pb.Mechanism) string {
	switch m {
	case pb.Mechanism_MECHANISM_MARKET:
		return "market"
	case pb.Mechanism_MECHANISM_CHEAPEST:
		return "cheapest"
	case pb.Mechanism_MECHANISM_POOL:
		return "pool"
	}
	return "lottery"
}

// MarketQuote is what a market Run of cycles and k slots escrows: per
// slot max(max_price * mega-cycles, min_slot_fee).
func MarketQuote(p Params, cycles uint64, k uint32, maxPrice uint64) (*pb.FeeQuote, error) {
	mcycles := MegaCycles(cycles)
	perSlot, err := mulAll(mcycles, maxPrice)
	if err != nil {
		return nil, err
	}
	perSlot = max(perSlot, p.MinSlotFee)
	fee, err := mulAll(perSlot, uint64(k))
	if err != nil {
		return nil, err
	}
	return &pb.FeeQuote{Fee: fee, Mcycles: mcycles, ClassMultiplier: 1, MinDeadline: MinDeadline(p, cycles),
		PerSlot: perSlot, PricePerMcycle: maxPrice, MinSlotFee: p.MinSlotFee}, nil
}

// MegaCycles is ceil(cycles / 10^6).
func MegaCycles(cycles uint64) uint64 {
	m := cycles / 1_000_000
	if cycles%1_000_000 != 0 {
		m++
	}
	return m
}

// SlotPrice is what a slot matched on an ask of price per mega-cycle
// costs: price * mega-cycles, at least min_slot_fee (never above the
// order's per-slot escrow, since price <= max_price).
func SlotPrice(p Params, cycles, price uint64) uint64 {
	v, err := mulAll(MegaCycles(cycles), price)
	if err != nil {
		return ^uint64(0)
	}
	return max(v, p.MinSlotFee)
}

// checkMarket checks a Run's market order; deadline is the Run's, in
// blocks after inclusion.
func checkMarket(p Params, m *pb.Run) Result {
	o := m.Market
	switch {
	case p.MaxAsksPerProver == 0:
		return reject(wire.CodeNotAllowed, "run: the market is off on this chain (max_asks_per_prover is 0)")
	case o.Mechanism != pb.Mechanism_MECHANISM_MARKET && o.Mechanism != pb.Mechanism_MECHANISM_CHEAPEST && o.Mechanism != pb.Mechanism_MECHANISM_POOL:
		return reject(wire.CodeInvalidMessage, "run: a market order needs mechanism market, cheapest or pool; leave it out for the lottery")
	case o.Mechanism == pb.Mechanism_MECHANISM_POOL && p.PoolSize == 0:
		return reject(wire.CodeNotAllowed, "run: the pool is off on this chain (pool_size is 0)")
	case o.Mechanism == pb.Mechanism_MECHANISM_POOL && o.Priority != pb.Priority_PRIORITY_PRICE:
		return reject(wire.CodeInvalidMessage, "run: a pool Run draws its provers at random among the pool's members; leave priority out (price)")
	case o.Priority != pb.Priority_PRIORITY_PRICE && o.Priority != pb.Priority_PRIORITY_TIME:
		return reject(wire.CodeInvalidMessage, "run: priority must be price or time")
	case o.Mechanism == pb.Mechanism_MECHANISM_CHEAPEST && (m.Provers != 1 || o.Priority != pb.Priority_PRIORITY_PRICE):
		return reject(wire.CodeInvalidMessage, "run: cheapest takes one prover (k = 1), the lowest ask: provers must be 1 and priority price")
	case o.MaxPrice == 0:
		return reject(wire.CodeInvalidMessage, "run: max_price must be at least 1 uprv per mega-cycle")
	case o.MaxLatency < 0 || o.MaxLatency > m.Deadline:
		return reject(wire.CodeInvalidMessage, "run: max_latency %d blocks must be 0 (the deadline) up to the deadline %d", o.MaxLatency, m.Deadline)
	case len(o.Allow) > wire.MaxMarketList || len(o.Deny) > wire.MaxMarketList:
		return reject(wire.CodeInvalidMessage, "run: allow and deny lists take at most %d provers each", wire.MaxMarketList)
	}
	for _, list := range [][][]byte{o.Allow, o.Deny} {
		for _, a := range list {
			if len(a) != 20 {
				return reject(wire.CodeInvalidMessage, "run: an allow or deny entry is %d bytes, want a 20-byte address", len(a))
			}
		}
	}
	return Result{}
}

// orderOf is w's order as the matcher sees it.
func orderOf(w *pb.Workload) alloc.MarketOrder {
	m := w.Market
	o := alloc.MarketOrder{ID: [32]byte(w.Id), K: int(w.K), MaxPrice: m.MaxPrice, MaxLatency: m.MaxLatency}
	if o.MaxLatency == 0 {
		o.MaxLatency = w.Deadline - w.Height
	}
	if m.Priority == pb.Priority_PRIORITY_TIME {
		o.Priority = alloc.PriorityTime
	}
	for _, a := range m.Allow {
		o.Allow = append(o.Allow, [20]byte(a))
	}
	for _, a := range m.Deny {
		o.Deny = append(o.Deny, [20]byte(a))
	}
	return o
}

// marketTargets are the book targets a program's asks are under: the
// program's own, then its class's.
func marketTargets(prog *pb.Program) [][]byte {
	return [][]byte{programTarget(prog.Id), classTarget(ProgramClass(prog))}
}

// otherClass is the class a program is not of (for the misses' "program"
// reason).
func otherClass(prog *pb.Program) string {
	if ProgramClass(prog) == ClassGPU {
		return ClassCPU
	}
	return ClassGPU
}
