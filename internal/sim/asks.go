package sim

import (
	"github.com/provernet/provernet/internal/protocol"
	"github.com/provernet/provernet/wire/pb"
)

// The provers' asks and the users' market Runs (mechanisms market and
// cheapest, issue 17, docs/MARKET.md). Every prover but the farmer's keeps
// one ask per resource class it serves, set before the first Run and never
// changed: the `cpu` class at its price (Prover.Ask) and, with a GPU, the
// `gpu` class at gpu_class_multiplier times it, as the protocol prices a
// GPU program. An ask's latency is the honest one: the blocks the prover
// needs to accept and prove the largest Run the users send (maxCycles, at
// the slowest jitter), so that no promise it makes on the ask is one it
// must break. A latency is one number for every Run of the class while
// proving time grows with cycles, so a slow prover's latency is long and
// Runs with short deadlines (max_latency 0: the deadline) do not match it.
//
// Users' market Runs ask for the protocol's price (max_price is
// price_per_mcycle times the class multiplier: every honest ask
// matches), max_latency 0 (the deadline), priority price, or time for a
// TimePriority share of them (cheapest: always price, and k = 1).

// maxCycles is the largest Run the simulated users send (makeWorkloads).
const maxCycles = 10_000_000_000

// The resource classes an ask serves, as book indices.
const (
	bookCPU = iota
	bookGPU
	numBooks
)

var bookClass = [numBooks]string{protocol.ClassCPU, protocol.ClassGPU}

// Ask is one of a prover's standing asks.
type Ask struct {
	ID      uint32
	Class   uint8  // bookCPU or bookGPU
	Price   uint64 // uprv per mega-cycle
	Latency int64  // blocks
}

// asksOf is the asks prover p keeps.
func (pop *Population) asksOf(p *Prover) []Ask {
	if p.Strategy == Farmer {
		return nil // its hardware serves the farm program only
	}
	par := pop.Opts.Params
	var out []Ask
	for class, prog := range []int{0, 1} {
		if p.Speed[prog] == 0 || (class == bookGPU && len(Classes[p.Class].Hardware.GPUs) == 0) {
			continue
		}
		price := p.Ask
		if class == bookGPU {
			price *= max(par.GPUClassMultiplier, 1)
		}
		out = append(out, Ask{ID: uint32(class), Class: uint8(class), Price: price, Latency: honestLatency(par, p.Speed[prog])})
	}
	return out
}

// honestLatency is the latency of an ask of a prover proving speed cycles
// per block: a block to accept, then the largest Run at 1.3 times its
// proving time (provingBlocks' slowest jitter), within the chain's bounds.
func honestLatency(par protocol.Params, speed uint64) int64 {
	t := (maxCycles*1300 + speed*1000 - 1) / (speed * 1000)
	return min(max(int64(t)+1, par.AcceptWindow), par.MaxDeadline)
}

// marketRun makes w a market Run: max_price the protocol's price for its
// program, priority by the seeded share, escrow protocol.MarketQuote.
func (pop *Population) marketRun(i int32, w *Workload) {
	par := pop.Opts.Params
	w.Market = true
	w.MaxPrice = par.PricePerMcycle * protocol.ClassMultiplier(par, Programs[w.Program].Proto)
	w.ByTime = pop.Opts.Mechanism == MechMarket && pop.chance(pop.Opts.TimePriority, purposePriority, uint64(i), 0, 0)
	q, err := protocol.MarketQuote(par, w.Cycles, w.K, w.MaxPrice)
	if err != nil {
		panic(err) // cycles, k and the price are small: cannot overflow
	}
	w.Fee, w.PerSlot = q.Fee, q.PerSlot
}

// marketOrder is w's market order as the chain stores it (Run.market).
func (pop *Population) marketOrder(w *Workload) *pb.MarketOrder {
	m := &pb.MarketOrder{Mechanism: pb.Mechanism_MECHANISM_MARKET, MaxPrice: w.MaxPrice, Priority: pb.Priority_PRIORITY_PRICE}
	switch pop.Opts.Mechanism {
	case MechCheapest:
		m.Mechanism = pb.Mechanism_MECHANISM_CHEAPEST
	case MechPool:
		m.Mechanism = pb.Mechanism_MECHANISM_POOL
	}
	if w.ByTime {
		m.Priority = pb.Priority_PRIORITY_TIME
	}
	return m
}

// setAskMsg is the SetAsk that puts a on the chain.
func setAskMsg(a Ask) *pb.SetAsk {
	return &pb.SetAsk{Id: a.ID, Price: a.Price, Latency: a.Latency, Classes: []string{bookClass[a.Class]}}
}
