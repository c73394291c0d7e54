package protocol

import (
	"github.com/provernet/provernet/internal/alloc"
	"github.com/provernet/provernet/wire/pb"
)

// Drawing a pool Run (docs/MARKET.md, "The pool"). A Run with mechanism
// pool is queued and matched with the market Runs, in the same seed
// order, but reads no book: its members are its class's pool for the
// current epoch, each with the ask it was frozen with and its prover's
// standing now (read once per block, and updated as the block's earlier
// Runs allot it slots). alloc.ExplainPool screens them with the market's
// rule 1 and draws k among the candidates with the beacon. Slot j goes to
// the j-th drawn at its frozen ask's price, with the promise of its
// latency; slots no member took open at once to the open market at
// max_price, all of them when the draw takes nobody (pool_open.go: the Run
// names the members it did not draw and why).

// poolSeen is a class's pool as one block's draws see it: its members'
// provers (read once per block) and what does not change within the
// block's matching (reputation, hardware, activity), so that each Run
// only checks room and the program's hardware.
type poolSeen struct {
	info    *alloc.PoolInfo
	provers []*marketProver
	base    []alloc.Ask      // Active and Reputation set; Meets and Room per Run
	hw      []alloc.Hardware // as the matcher sees each member's
}

// poolMembers is prog's class's pool as the draw sees it now: empty when
// the epoch has none.
func (mb *marketBlock) poolMembers(prog *pb.Program) ([]alloc.Ask, *alloc.PoolInfo, error) {
	ps, err := mb.poolOf(ProgramClass(prog))
	if err != nil {
		return nil, nil, err
	}
	need := HardwareOf(prog.MinHardware)
	out := make([]alloc.Ask, len(ps.base))
	for i, a := range ps.base {
		if p := ps.provers[i].rec; a.Active {
			a.Meets, a.Room = alloc.Meets(ps.hw[i], need), 0
			if p.Held < p.MaxConcurrent {
				a.Room = p.MaxConcurrent - p.Held
			}
		}
		out[i] = a
	}
	return out, ps.info, nil
}

// poolOf reads class's pool for the block's epoch, once per block.
func (mb *marketBlock) poolOf(class string) (*poolSeen, error) {
	if ps, ok := mb.pools[class]; ok {
		return ps, nil
	}
	pool, err := GetPool(mb.kv, class)
	if err != nil {
		return nil, err
	}
	epoch := mb.env.Height / mb.env.Params.EpochLength
	if pool != nil && pool.Epoch != epoch {
		pool = nil // frozen for an epoch that is over (none was frozen since)
	}
	ps := &poolSeen{info: &alloc.PoolInfo{Class: class, Epoch: epoch, Members: len(pool.GetMembers())}}
	for _, m := range pool.GetMembers() {
		a := [20]byte(m.Prover)
		mp, err := mb.prover(a)
		if err != nil {
			return nil, err
		}
		ask := mb.askOf(bookEntry{prover: a, id: m.AskId, price: m.Price, latency: m.Latency}, mp, alloc.Hardware{}, true)
		ps.provers, ps.base = append(ps.provers, mp), append(ps.base, ask)
		ps.hw = append(ps.hw, AllocHardware(mb.env.Params, mp.rec.GetHardware()))
	}
	if mb.pools == nil {
		mb.pools = map[string]*poolSeen{}
	}
	mb.pools[class] = ps
	return ps, nil
}

// matchPool draws w's provers.
func (mb *marketBlock) matchPool(seed []byte, prog *pb.Program, w *pb.Workload) (alloc.MatchExplanation, error) {
	members, info, err := mb.poolMembers(prog)
	if err != nil {
		return alloc.MatchExplanation{}, err
	}
	exp := alloc.ExplainPool(seed, orderOf(w), members)
	exp.Pool = info
	return exp, nil
}

// isPool reports whether w is a pool Run.
func isPool(w *pb.Workload) bool {
	return w.GetMarket().GetMechanism() == pb.Mechanism_MECHANISM_POOL
}
