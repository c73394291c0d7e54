package protocol

import (
	"bytes"
	"encoding/binary"
	"maps"
	"slices"
	"strconv"

	"github.com/provernet/provernet/internal/alloc"
	"github.com/provernet/provernet/internal/store"
	"github.com/provernet/provernet/wire/address"
	"github.com/provernet/provernet/wire/pb"
)

// Matching the market Runs (issue 17, docs/MARKET.md). At height h+1,
// after the lottery's allocation, the market Runs included at h are
// matched in the seed's order (alloc.Order: the proposer cannot choose
// who matches first): each reads its book (readBook: a bounded walk of
// the index for its program and its class), asks alloc.Match, and gets
// its slots: slot i to the i-th ask taken at that ask's price, the slots
// no ask took open to the open market at the order's max_price. A market
// Run that takes no ask fails at once (expired, reason no_matching_ask,
// the escrow refunded) and records the nearest asks it missed and why; a
// pool Run that draws nobody opens every slot instead (pool_open.go).
// Accepts, declines, time-outs, results, votes and settlement are the
// protocol's as for any workload, except that a slot its matched prover
// lets go reopens at the order's per-slot escrow and counts two misses
// (market_default.go). Only asks set before the Run's height are matched
// (market_read.go).

// marketMissesShown is how many missed asks an unmatched Run records.
const marketMissesShown = 8

// marketProver is a prover as one block's matching sees it: its record,
// updated in memory as it is allotted slots, and its index entry as read.
type marketProver struct {
	rec   *pb.Prover
	was   indexEntry
	found bool
}

// marketBlock is one block's matching in progress.
type marketBlock struct {
	kv      store.KV
	env     Env
	provers map[[20]byte]*marketProver
	byAddr  map[[20]byte]*pb.Prover // the records allotted slots (allot)
	dirty   map[[20]byte]bool
	pools   map[string]*poolSeen // the epoch's pools, by class, as read (pool_match.go)
	// explain: a query recomputing the match (ExplainMarket), not the
	// chain: book reads do not stop at the cut, so the explanation also
	// names the asks ranked below the k taken (the same asks are taken).
	explain bool
}

// MarketInput is what matching the market Runs at height reads: the Runs
// in matching order. r must be the state after block height-1.
func marketQueue(r store.Reader, height int64) (keys, ids [][]byte, err error) {
	p := heightPrefix(prefixMarketQ, height-1)
	err = r.Iterate(p, store.PrefixEnd(p), func(k, v []byte) bool {
		keys, ids = append(keys, bytes.Clone(k)), append(ids, bytes.Clone(v))
		return true
	})
	return keys, ids, err
}

// matchQueued matches the market Runs included at the previous height.
func matchQueued(kv store.KV, env Env) ([]Event, error) { return matchQueuedSeen(kv, env, nil) }

// matchQueuedSeen is matchQueued, telling seen (if not nil) how each Run
// was matched, in matching order (ExplainMarket).
func matchQueuedSeen(kv store.KV, env Env, seen func(id []byte, exp alloc.MatchExplanation)) ([]Event, error) {
	keys, ids, err := marketQueue(kv, env.Height)
	if err != nil || len(ids) == 0 {
		return nil, err
	}
	seed, err := Seed(kv)
	if err != nil {
		return nil, err
	}
	ws := make([]alloc.Workload, len(ids))
	for i, id := range ids {
		ws[i] = alloc.Workload{ID: [32]byte(id)}
	}
	mb := &marketBlock{kv: kv, env: env, provers: map[[20]byte]*marketProver{}, byAddr: map[[20]byte]*pb.Prover{}, dirty: map[[20]byte]bool{},
		explain: seen != nil}
	type matched struct {
		w   *pb.Workload
		exp alloc.MatchExplanation
	}
	var done []matched
	for _, i := range alloc.Order(seed, ws) {
		if err := kv.Delete(keys[i]); err != nil {
			return nil, err
		}
		w, err := GetWorkload(kv, ids[i])
		if err != nil {
			return nil, err
		}
		prog, err := GetProgram(kv, w.Program)
		if err != nil {
			return nil, err
		}
		exp, err := mb.match(seed, prog, w)
		if err != nil {
			return nil, err
		}
		if len(exp.Taken) > 0 || isPool(w) {
			if err := mb.assign(w, exp.Taken); err != nil {
				return nil, err
			}
		}
		if seen != nil {
			seen(w.Id, exp)
		}
		done = append(done, matched{w, exp})
	}
	for _, a := range slices.SortedFunc(maps.Keys(mb.dirty), func(x, y [20]byte) int { return bytes.Compare(x[:], y[:]) }) {
		mp := mb.provers[a]
		if err := writeProver(kv, mp.rec, &mp.was); err != nil {
			return nil, err
		}
	}
	var evs []Event
	for _, d := range done {
		var more []Event
		if len(d.exp.Taken) == 0 && !isPool(d.w) {
			more, err = failUnmatched(kv, env, d.w, d.exp)
		} else {
			more, err = mb.finish(d.w, d.exp)
		}
		if err != nil {
			return nil, err
		}
		evs = append(evs, more...)
	}
	return evs, nil
}

// match matches one Run: a pool Run is drawn in its pool (pool_match.go),
// a market Run matched against its book.
func (mb *marketBlock) match(seed []byte, prog *pb.Program, w *pb.Workload) (alloc.MatchExplanation, error) {
	if isPool(w) {
		return mb.matchPool(seed, prog, w)
	}
	book, err := mb.readBook(prog, w, false)
	if err != nil {
		return alloc.MatchExplanation{}, err
	}
	exp := alloc.ExplainMatch(seed, orderOf(w), book)
	if len(exp.Taken) == 0 { // say what it missed, the other class's asks too
		more, err := mb.readBook(prog, w, true)
		if err != nil {
			return alloc.MatchExplanation{}, err
		}
		exp = alloc.ExplainMatch(seed, orderOf(w), append(book, more...))
	}
	return exp, nil
}

// prover returns a's standing, read once per block.
func (mb *marketBlock) prover(a [20]byte) (*marketProver, error) {
	if mp, ok := mb.provers[a]; ok {
		return mp, nil
	}
	mp := &marketProver{}
	p, err := GetProver(mb.kv, address.Address(a))
	switch {
	case isNotFound(err):
		mp.rec = &pb.Prover{Address: a[:]}
	case err != nil:
		return nil, err
	default:
		mp.rec, mp.was, mp.found = p, indexEntryOf(p), true
	}
	mb.provers[a] = mp
	return mp, nil
}

// readBook reads w's book: for each of its targets (its program, its
// class), the asks in the order of w's priority (by price, or by latency)
// until it has seen wire.MarketScan provers that can take the Run, read
// wire.MarketSkip entries that cannot, or read wire.MarketNearMisses
// beyond the priority's bound (bookRead). With other, it reads instead
// the cheapest asks of the class the program is not of (they do not
// serve it: the "program" misses).
func (mb *marketBlock) readBook(prog *pb.Program, w *pb.Workload, other bool) ([]alloc.Ask, error) {
	o := orderOf(w)
	targets := marketTargets(prog)
	byTime := o.Priority == alloc.PriorityTime
	if other {
		targets, byTime = [][]byte{classTarget(otherClass(prog))}, false
	}
	var book []alloc.Ask
	for _, t := range targets {
		r := &bookRead{mb: mb, o: o, w: w, byTime: byTime, other: other, need: HardwareOf(prog.MinHardware),
			allow: addrSet(o.Allow), deny: addrSet(o.Deny), counted: map[[20]byte]bool{}}
		if err := walkBookLevels(mb.kv, t, byTime, r.take); err != nil {
			return nil, err
		}
		if r.err != nil {
			return nil, r.err
		}
		book = append(book, r.book...)
	}
	return book, nil
}

// askOf is a book entry as the matcher sees it, with its prover's
// standing now.
func (mb *marketBlock) askOf(e bookEntry, mp *marketProver, need alloc.Hardware, serves bool) alloc.Ask {
	p := mp.rec
	a := alloc.Ask{Prover: e.prover, ID: e.id, Price: e.price, Latency: e.latency, Serves: serves,
		Active: mp.found && p.State == pb.ProverState_PROVER_STATE_ACTIVE}
	if a.Active {
		a.Meets = alloc.Meets(AllocHardware(mb.env.Params, p.Hardware), need)
		if p.Held < p.MaxConcurrent {
			a.Room = p.MaxConcurrent - p.Held
		}
		a.Reputation = ReputationOf(mb.env.Params, p, mb.env.Height).ScoreBp
	}
	return a
}

// bookEntry is one entry of the book's index.
type bookEntry struct {
	prover  [20]byte
	id      uint32
	price   uint64
	latency int64
	height  int64 // the ask was set at
}

// walkBook calls fn with target's entries by price (or by latency) until
// it returns false.
func walkBook(r store.Reader, target []byte, byTime bool, fn func(bookEntry) bool) error {
	return walkBookFrom(r, target, byTime, nil, fn)
}

// walkStep is what a walk of the book does after an entry.
type walkStep uint8

const (
	stepNext      walkStep = iota // on to the next entry
	stepStop                      // the walk ends
	stepNextLevel                 // on to the first entry of the next first key (price, or latency by time)
)

// walkBookLevels calls fn with target's entries by price (or by latency)
// until it says stop; when it says next level, the walk seeks past every
// entry with the same first key (one index seek, not a read of each).
func walkBookLevels(r store.Reader, target []byte, byTime bool, fn func(bookEntry) walkStep) error {
	p := bookTimePrefix(target)
	if !byTime {
		p = bookPricePrefix(target)
	}
	start := p
	for {
		var level uint64
		seek := false
		err := walkBookAt(r, p, start, byTime, func(e bookEntry) bool {
			switch fn(e) {
			case stepStop:
				return false
			case stepNextLevel:
				seek, level = true, uint64(e.price)
				if byTime {
					level = uint64(e.latency)
				}
				return false
			}
			return true
		})
		if err != nil || !seek || level == ^uint64(0) {
			return err
		}
		start = binary.BigEndian.AppendUint64(append([]byte{}, p...), level+1)
	}
}

// walkBookFrom is walkBook from the first entry after the key tail after
// (nil: from the start; bookTail makes one).
func walkBookFrom(r store.Reader, target []byte, byTime bool, after []byte, fn func(bookEntry) bool) error {
	p := bookPricePrefix(target)
	if byTime {
		p = bookTimePrefix(target)
	}
	start := p
	if after != nil {
		start = append(append(append([]byte{}, p...), after...), 0)
	}
	return walkBookAt(r, p, start, byTime, fn)
}

// walkBookAt walks the book under prefix p from key start on.
func walkBookAt(r store.Reader, p, start []byte, byTime bool, fn func(bookEntry) bool) error {
	return r.Iterate(start, store.PrefixEnd(p), func(k, v []byte) bool {
		tail := k[len(p):]
		if len(tail) != bookTailLen || len(v) != 8 {
			return true
		}
		var e bookEntry
		first, second := binary.BigEndian.Uint64(tail), binary.BigEndian.Uint64(tail[8:])
		if byTime {
			e.latency, e.price = int64(first), second
		} else {
			e.price, e.latency = first, int64(second)
		}
		e.height = int64(binary.BigEndian.Uint64(v))
		e.prover, e.id = [20]byte(tail[16:36]), binary.BigEndian.Uint32(tail[36:])
		return fn(e)
	})
}

// assign gives w's slots to the asks taken, in rank order; the rest open
// at the order's max_price. A prover this fills up is written at once, so
// that its asks leave the book (ask_book.go) before the block's next Run
// reads it.
func (mb *marketBlock) assign(w *pb.Workload, taken []alloc.Ask) error {
	env := mb.env
	w.AllocatedHeight, w.State = env.Height, pb.WorkloadState_WORKLOAD_STATE_ALLOCATED
	w.Slots = make([]*pb.Slot, w.K)
	for i := range w.Slots {
		s := &pb.Slot{Index: uint32(i), State: pb.SlotState_SLOT_STATE_OPEN, OpenUntil: w.Deadline, Price: w.Fee / uint64(w.K)}
		if i < len(taken) {
			a := taken[i]
			mp := mb.provers[a.Prover]
			mb.byAddr[a.Prover] = mp.rec
			allot(env, s, a.Prover, mb.byAddr, mb.dirty)
			s.Price, s.AskId, s.Promise = SlotPrice(env.Params, w.Cycles, a.Price), a.ID, env.Height+a.Latency
			if err := mb.unbookIfFull(mp); err != nil {
				return err
			}
		}
		w.Slots[i] = s
	}
	return nil
}

// unbookIfFull writes mp's record if it just took its last free slot:
// its asks leave the book now rather than at the end of the block. The
// record stays dirty; its last write changes nothing the index holds.
func (mb *marketBlock) unbookIfFull(mp *marketProver) error {
	if !mp.was.booked() || indexEntryOf(mp.rec).booked() {
		return nil
	}
	if err := writeProver(mb.kv, mp.rec, &mp.was); err != nil {
		return err
	}
	mp.was = indexEntryOf(mp.rec)
	return nil
}

// finish stores a matched workload (or a pool Run, drawn on nobody or
// not), its events and its clearing prices.
func (mb *marketBlock) finish(w *pb.Workload, exp alloc.MatchExplanation) ([]Event, error) {
	taken := exp.Taken
	evs := []Event{event("market_match", "workload", hexID(w.Id), "mechanism", MechanismName(w.Market.Mechanism),
		"matched", strconv.Itoa(len(taken)))}
	for i, a := range taken {
		evs = append(evs, event("market_ask", "workload", hexID(w.Id), "slot", strconv.Itoa(i),
			"prover", address.Address(a.Prover).String(), "ask", strconv.FormatUint(uint64(a.ID), 10),
			"price", strconv.FormatUint(a.Price, 10), "latency", strconv.FormatInt(a.Latency, 10),
			"slot_price", strconv.FormatUint(w.Slots[i].Price, 10)))
	}
	evs = append(evs, poolOpen(w, exp)...)
	evs = append(evs, workloadEvent(w))
	for _, s := range w.Slots {
		evs = append(evs, slotEvent(w, s))
	}
	res, err := finishMsg(mb.kv, mb.env, w, evs...)
	return res.Events, err
}

// failUnmatched ends a market Run no ask took: expired with reason
// no_matching_ask, its escrow refunded whole, the nearest misses kept.
func failUnmatched(kv store.KV, env Env, w *pb.Workload, exp alloc.MatchExplanation) ([]Event, error) {
	misses := recordMisses(w, exp)
	if err := credit(kv, w.Owner, w.Escrow); err != nil {
		return nil, err
	}
	w.Refunded, w.Escrow = w.Escrow, 0
	w.State, w.Reason = pb.WorkloadState_WORKLOAD_STATE_EXPIRED, "no_matching_ask"
	w.Settled, w.SettledHeight = true, env.Height
	if err := setWorkload(kv, w); err != nil {
		return nil, err
	}
	o := exp.Order
	evs := []Event{event("market_unmatched", "workload", hexID(w.Id), "mechanism", MechanismName(w.Market.Mechanism),
		"max_price", strconv.FormatUint(o.MaxPrice, 10), "max_latency", strconv.FormatInt(o.MaxLatency, 10),
		"missed", strconv.Itoa(len(w.Missed)))}
	return append(append(evs, misses...), workloadEvent(w),
		event("settle", "workload", hexID(w.Id), "state", WorkloadStateName(w.State), "minted", "0",
			"refunded", strconv.FormatUint(w.Refunded, 10), "burned", "0", "voters_paid", "0")), nil
}

// recordMisses keeps in w.Missed the first marketMissesShown asks exp
// says w did not take, and why (duplicates left out), and returns their
// market_miss events.
func recordMisses(w *pb.Workload, exp alloc.MatchExplanation) []Event {
	var misses []Event
	for _, c := range exp.Candidates {
		if len(w.Missed) == marketMissesShown {
			break
		}
		if c.Reason == alloc.MatchDuplicate || c.Reason == alloc.MatchTaken {
			continue
		}
		a := c.Ask
		w.Missed = append(w.Missed, &pb.AskMiss{Prover: bytes.Clone(a.Prover[:]), Id: a.ID, Price: a.Price, Latency: a.Latency, Reason: string(c.Reason)})
		misses = append(misses, event("market_miss", "workload", hexID(w.Id), "prover", address.Address(a.Prover).String(),
			"ask", strconv.FormatUint(uint64(a.ID), 10), "price", strconv.FormatUint(a.Price, 10),
			"latency", strconv.FormatInt(a.Latency, 10), "reason", string(c.Reason)))
	}
	return misses
}

// ClearingPricesOf reads a program's recent clearing prices, oldest first.
func ClearingPricesOf(r store.Reader, program []byte) ([]*pb.ClearingPrice, error) {
	cp := &pb.ClearingPrices{}
	err := getProto(r, clearingKey(program), cp)
	return cp.Prices, err
}
