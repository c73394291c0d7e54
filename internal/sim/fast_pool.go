package sim

import (
	"bytes"
	"cmp"
	"slices"

	"github.com/provernet/provernet/internal/alloc"
	"github.com/provernet/provernet/internal/protocol"
	"github.com/provernet/provernet/wire"
)

// The fast fidelity of mechanism pool (Taiko's, seed 004; docs/MARKET.md,
// "The pool"), on the chain's own pure functions: protocol.PoolScore for
// the score index, alloc.PoolRank for the freeze and alloc.PoolDraw for
// the draw, with the chain's bounded read of the index (protocol
// poolCandidates) and its members' standing (protocol poolMembers) rebuilt
// on the simulator's compact state. At every height h with h %
// epoch_length == 0, after the lottery's allocation and before the
// block's pool Runs, each class's pool is frozen: the active provers with
// an ask serving the class, by score (stake * 10^6 / price) then address,
// read from the top as the chain reads its index (the first pool_size,
// then those tied with the last, at most wire.PoolTieFactor * pool_size),
// ranked by alloc.PoolRank with the block's seed. A pool Run is matched
// with the market Runs (fast_market.go matchMarket): alloc.PoolDraw among
// its class's members, each on the ask it was frozen with, active and
// with room now; slot j goes to the j-th drawn at protocol.SlotPrice with
// the promise of its latency, as a market match; the slots no member was
// drawn for, all of them when none could take the Run (no room, no pool
// frozen, priced above max_price), open at once to the open market at
// max_price (protocol poolOpen), as a market match's. A drawn member that stays
// silent or misses its promise is slashed slash_miss_bp (slashPoolMiss)
// besides its two misses, and the slot reopens at the per-slot escrow to
// the open market (the permissionless fallback). The genesis epoch has no
// pool, so a pool population's Runs start at epoch_length (firstHeight).
// drawnNone counts the Runs drawn on nobody.
// TestFastMatchesFullPool holds all of it to the chain's own code.

// poolMember is a frozen member: its prover and the ask it ranked by.
type poolMember struct {
	p   int32
	ask bookEntry
}

// frozenPool is one class's pool as frozen for an epoch.
type frozenPool struct {
	epoch   int64
	members []poolMember
}

// poolFreezeDue is protocol poolFreezeDue.
func poolFreezeDue(par protocol.Params, h int64) bool {
	return par.PoolSize > 0 && par.EpochLength > 0 && h > 0 && h%par.EpochLength == 0
}

// freezePools is protocol freezePools at height h.
func (e *fastEngine) freezePools(h int64) {
	if !poolFreezeDue(e.par, h) {
		return
	}
	for c := range numBooks {
		entries := e.poolCandidates(c, h)
		ranked := alloc.PoolRank(e.seed, entries, int(e.par.PoolSize))
		fp := frozenPool{epoch: h / e.par.EpochLength}
		for _, m := range ranked {
			fp.members = append(fp.members, poolMember{p: e.pop.byAddr[m.Prover], ask: bookEntry{p: e.pop.byAddr[m.Prover], id: m.AskID, price: m.Price, latency: m.Latency}})
		}
		e.pools[c] = fp
	}
}

// poolCandidates is protocol poolCandidates: class c's score index (the
// active provers with an ask serving c, under PoolScore of their stake
// and that ask, in the index's order: score, higher first, then address)
// read from the top, each with its reputation and stake now.
func (e *fastEngine) poolCandidates(c int, h int64) []alloc.PoolEntry {
	size := int(e.par.PoolSize)
	type indexed struct {
		p     int32
		score uint64
		ask   Ask
	}
	var index []indexed
	for i := range e.pop.Provers {
		if !e.ps[i].active {
			continue
		}
		if a, ok := e.pop.Provers[i].askFor(c); ok {
			index = append(index, indexed{p: int32(i), score: protocol.PoolScore(e.ps[i].stake, a.Price), ask: a})
		}
	}
	slices.SortFunc(index, func(x, y indexed) int {
		return cmp.Or(cmp.Compare(y.score, x.score), bytes.Compare(e.pop.Provers[x.p].Address[:], e.pop.Provers[y.p].Address[:]))
	})
	limit := wire.PoolTieFactor * size
	var out []alloc.PoolEntry
	for _, x := range index {
		if len(out) >= size && x.score != out[size-1].Score {
			break
		}
		out = append(out, alloc.PoolEntry{Prover: e.pop.Provers[x.p].Address, Score: x.score, AskID: x.ask.ID, Price: x.ask.Price,
			Latency: x.ask.Latency, Reputation: e.rep.scoreAt(x.p, h), Stake: e.ps[x.p].stake})
		if len(out) >= limit {
			break
		}
	}
	return out
}

// askFor is p's ask serving class c (its standing: the cheapest, and the
// simulator's provers keep one per class).
func (p *Prover) askFor(c int) (Ask, bool) {
	var best Ask
	has := false
	for _, a := range p.Asks {
		if int(a.Class) == c && (!has || a.Price < best.Price || (a.Price == best.Price && (a.Latency < best.Latency ||
			(a.Latency == best.Latency && a.ID < best.ID)))) {
			best, has = a, true
		}
	}
	return best, has
}

// poolMembers is protocol poolMembers: w's class's pool for the epoch of
// h, each member on its frozen ask with its standing now (empty in an
// epoch with no pool).
func (e *fastEngine) poolMembers(w *Workload, h int64) []alloc.Ask {
	fp := &e.pools[classOf(w.Program)]
	if fp.epoch != h/e.par.EpochLength {
		return nil
	}
	out := make([]alloc.Ask, len(fp.members))
	for i, m := range fp.members {
		pr, ps := &e.pop.Provers[m.p], &e.ps[m.p]
		a := alloc.Ask{Prover: pr.Address, ID: m.ask.id, Price: m.ask.price, Latency: m.ask.latency, Serves: true, Active: ps.active}
		if a.Active {
			a.Meets, a.Reputation = e.pop.meets[pr.Class][w.Program], e.rep.scoreAt(m.p, h)
			if ps.held < pr.MaxConcurrent {
				a.Room = pr.MaxConcurrent - ps.held
			}
		}
		out[i] = a
	}
	return out
}

// poolMiss is protocol poolMiss: letting slot s of w go now is slashed
// when s is a pool Run's slot still held on its member's draw (its
// promise set). (The simulator's blocks are never full, so no miss is
// excused.)
func (e *fastEngine) poolMiss(w int32, s *fSlot) bool {
	return e.pool && e.pop.Workloads[w].Market && s.promise > 0 && e.par.SlashMissBP > 0
}

// firstHeight is the height of a population's first Runs: 1, or for
// mechanism pool epoch_length, the first block of the first epoch with a
// pool (the chain freezes none for the genesis epoch, where every pool
// Run would go whole to the open market, which would not measure the
// pool). The chain has then run one epoch, empty.
func firstHeight(o Options) int64 {
	if o.Mechanism == MechPool && o.Params.EpochLength > 1 {
		return o.Params.EpochLength
	}
	return 1
}

// slashPoolMiss is protocol slashPoolMiss: the member that let its drawn
// slot go is slashed slash_miss_bp (burned; the stake floor may suspend
// it), when poolMiss said so before the slot was released.
func (e *fastEngine) slashPoolMiss(p int32, h int64, missed bool) {
	if missed {
		e.slash(p, h, e.par.SlashMissBP, false)
	}
}
