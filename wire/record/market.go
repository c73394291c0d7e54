package record

import (
	"encoding/hex"

	"github.com/provernet/provernet/wire"
	"github.com/provernet/provernet/wire/pb"
)

// Conversions of the market's records (issue 17).

// Ask converts a stored ask to the API's form.
func Ask(a *pb.Ask) wire.Ask {
	out := wire.Ask{Prover: addrString(a.GetProver()), ID: a.GetId(), Price: a.GetPrice(), Latency: a.GetLatency(),
		Programs: make([]string, 0, len(a.GetPrograms())), Classes: append([]string{}, a.GetClasses()...), Height: a.GetHeight()}
	for _, p := range a.GetPrograms() {
		out.Programs = append(out.Programs, hex.EncodeToString(p))
	}
	return out
}

// Asks converts a list of asks (never nil).
func Asks(as []*pb.Ask) []wire.Ask {
	out := make([]wire.Ask, 0, len(as))
	for _, a := range as {
		out = append(out, Ask(a))
	}
	return out
}

// Reputation converts a prover's standing (nil stays nil).
func Reputation(r *pb.Reputation) *wire.Reputation {
	if r == nil {
		return nil
	}
	return &wire.Reputation{ScoreBp: r.ScoreBp, Allocated: r.Allocated, Final: r.Final, Declined: r.Declined,
		Slashed: r.Slashed, Window: r.Window}
}

// Market converts the /market answer.
func Market(v *pb.MarketView) wire.Market {
	out := wire.Market{Program: hex.EncodeToString(v.GetProgram()), Class: v.GetClass(), ProgramAsks: Asks(v.GetProgramAsks()),
		ClassAsks: Asks(v.GetClassAsks()), Clearing: make([]wire.ClearingPrice, 0, len(v.GetClearing())), Truncated: v.GetTruncated()}
	for _, c := range v.GetClearing() {
		out.Clearing = append(out.Clearing, wire.ClearingPrice{Height: c.GetHeight(), Price: c.GetPrice(),
			Prover: addrString(c.GetProver()), Workload: hex.EncodeToString(c.GetWorkload())})
	}
	return out
}

// MechanismName is a mechanism's stable name: lottery, market, cheapest,
// pool.
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

// PoolView converts a class's pool view (/v1/pool).
func PoolView(v *pb.PoolView, class string) wire.PoolView {
	out := wire.PoolView{Class: class, Next: PoolEntries(v.GetNext())}
	if p := v.GetPool(); p != nil {
		out.Pool = &wire.Pool{Epoch: p.GetEpoch(), Height: p.GetHeight(), Members: PoolEntries(p.GetMembers())}
	}
	return out
}

// PoolEntries converts pool members, in their order.
func PoolEntries(ms []*pb.PoolMember) []wire.PoolEntry {
	out := make([]wire.PoolEntry, 0, len(ms))
	for _, m := range ms {
		out = append(out, wire.PoolEntry{Prover: addrString(m.GetProver()), Score: m.GetScore(), Stake: m.GetStake(),
			Reputation: m.GetReputation(), Ask: m.GetAskId(), Price: m.GetPrice(), Latency: m.GetLatency()})
	}
	return out
}

// PriorityName is a market order's priority: price or time.
func PriorityName(p pb.Priority) string {
	if p == pb.Priority_PRIORITY_TIME {
		return "time"
	}
	return "price"
}

// MarketOrder converts a Run's market order (nil stays nil).
func MarketOrder(o *pb.MarketOrder) *wire.MarketOrder {
	if o == nil {
		return nil
	}
	out := &wire.MarketOrder{Mechanism: MechanismName(o.Mechanism), MaxPrice: o.MaxPrice, MaxLatency: o.MaxLatency,
		Priority: PriorityName(o.Priority)}
	for _, a := range o.Allow {
		out.Allow = append(out.Allow, addrString(a))
	}
	for _, a := range o.Deny {
		out.Deny = append(out.Deny, addrString(a))
	}
	return out
}

// AskMisses converts the asks a market Run missed (nil for none).
func AskMisses(ms []*pb.AskMiss) []wire.AskMiss {
	var out []wire.AskMiss
	for _, m := range ms {
		out = append(out, wire.AskMiss{Prover: addrString(m.GetProver()), ID: m.GetId(), Price: m.GetPrice(),
			Latency: m.GetLatency(), Reason: m.GetReason()})
	}
	return out
}
