package chain

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	abci "github.com/cometbft/cometbft/abci/types"

	"github.com/provernet/provernet/internal/alloc"
	"github.com/provernet/provernet/internal/protocol"
	"github.com/provernet/provernet/internal/store"
	"github.com/provernet/provernet/internal/store/iavltree"
	"github.com/provernet/provernet/wire/address"
	"github.com/provernet/provernet/wire/pb"
)

// The market's queries (issue 17, docs/MARKET.md). Each answer is bounded:
// a prover keeps at most max_asks_per_prover asks, a page of a book at
// most protocol.MaxBookPage, a market view MarketViewAsks per book.
const (
	PathAsks       = "/asks"       // data: an AsksRequest (JSON); value: an AskList, Info the next page's cursor in hex
	PathMarket     = "/market"     // data: the 32-byte program id; value: a MarketView
	PathReputation = "/reputation" // data: the 20-byte address; value: the prover's Reputation now
	PathPool       = "/pool"       // data: a class, cpu or gpu; value: a PoolView
)

// MarketViewAsks is how many asks a /market answer shows per book (the
// program's and its class's), the cheapest first.
const MarketViewAsks = 50

// AsksRequest is the data of an /asks query: one prover's asks (by id, all
// of them), or a page of the book of a program or of a class (by price).
type AsksRequest struct {
	Prover  []byte `json:"prover,omitempty"`  // 20 bytes
	Program []byte `json:"program,omitempty"` // 32 bytes
	Class   string `json:"class,omitempty"`   // cpu or gpu
	Limit   uint32 `json:"limit,omitempty"`   // 0: DefaultPage; at most protocol.MaxBookPage
	After   []byte `json:"after,omitempty"`   // the cursor of the previous page
}

// Encode is the request as query data.
func (r AsksRequest) Encode() []byte {
	b, _ := json.Marshal(r) // a struct of bytes and strings: cannot fail
	return b
}

// bookCursorLen is the length of a book page's cursor: price, latency,
// prover, id.
const bookCursorLen = 8 + 8 + 20 + 4

// asks answers /asks.
func asks(snap store.Reader, data []byte) (*abci.QueryResponse, error) {
	var r AsksRequest
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("asks query data must be an AsksRequest in JSON: %w", err)
	}
	if len(r.Prover) != 0 {
		if len(r.Program) != 0 || r.Class != "" || len(r.After) != 0 {
			return nil, errors.New("a prover's asks take no program, class or cursor")
		}
		addr, err := address.FromBytes(r.Prover)
		if err != nil {
			return nil, err
		}
		as, err := protocol.ProverAsks(snap, addr[:])
		return listResponse(&pb.AskList{Asks: as}, err)
	}
	target, err := protocol.BookTarget(r.Program, r.Class)
	if err != nil {
		return nil, fmt.Errorf("an asks query names a prover, a program or a class: %w", err)
	}
	if len(r.After) != 0 && len(r.After) != bookCursorLen {
		return nil, fmt.Errorf("a cursor here is %d bytes, got %d", bookCursorLen, len(r.After))
	}
	limit := int(r.Limit)
	if limit == 0 {
		limit = DefaultPage
	}
	var after []byte
	if len(r.After) != 0 {
		after = r.After
	}
	as, next, err := protocol.BookPage(snap, target, after, limit)
	if err != nil {
		return nil, err
	}
	return pageResponse(&pb.AskList{Asks: as}, next)
}

// market answers /market: the program's book and its class's, the
// cheapest MarketViewAsks of each, and its recent clearing prices.
func market(snap store.Reader, id []byte) (*abci.QueryResponse, error) {
	if len(id) != 32 {
		return nil, fmt.Errorf("a program id is 32 bytes, got %d", len(id))
	}
	prog, err := protocol.GetProgram(snap, id)
	if err != nil {
		return nil, err
	}
	return listResponse(protocol.MarketOf(snap, prog, MarketViewAsks))
}

// reputation answers /reputation: the prover's standing at the state's
// height.
func reputation(snap *iavltree.Snapshot, data []byte) (*abci.QueryResponse, error) {
	addr, err := address.FromBytes(data)
	if err != nil {
		return nil, err
	}
	p, err := protocol.GetProver(snap, addr)
	if err != nil {
		return nil, err
	}
	params, err := protocol.GetParams(snap)
	if err != nil {
		return nil, err
	}
	return listResponse(protocol.ReputationOf(params, p, snap.Version()), nil)
}

// pool answers /pool: a class's pool for the epoch of the next block and
// the top of its score index now (protocol.PoolViewOf; bounded as an
// epoch's freeze is).
func pool(snap *iavltree.Snapshot, data []byte) (*abci.QueryResponse, error) {
	params, err := protocol.GetParams(snap)
	if err != nil {
		return nil, err
	}
	if params.PoolSize == 0 || params.MaxAsksPerProver == 0 {
		return nil, fmt.Errorf("the pool is off on this chain (pool_size %d, max_asks_per_prover %d): %w", params.PoolSize, params.MaxAsksPerProver, store.ErrNotFound)
	}
	env := protocol.Env{Params: params, Height: snap.Version() + 1}
	return listResponse(protocol.PoolViewOf(snap, env, string(data)))
}

// marketFeeQuote answers /fee for a market Run: its escrow at max_price
// and the asks that would match it in the next block, were nothing to
// change before it.
func marketFeeQuote(snap *iavltree.Snapshot, params protocol.Params, prog *pb.Program, m *pb.Run) (*abci.QueryResponse, error) {
	q, err := protocol.MarketQuote(params, m.Cycles, m.Provers, m.Market.MaxPrice)
	if err != nil {
		return nil, fmt.Errorf("no quote for %d provers x %d cycles at %d uprv per mega-cycle: %w", m.Provers, m.Cycles, m.Market.MaxPrice, err)
	}
	env := protocol.Env{Params: params, Height: snap.Version() + 1}
	exp, err := protocol.MarketPreview(snap, env, prog, m)
	if err != nil {
		return nil, err
	}
	for _, a := range exp.Taken {
		ask, err := protocol.GetAsk(snap, a.Prover[:], a.ID)
		if err != nil {
			return nil, err
		}
		if ask != nil {
			q.Asks = append(q.Asks, ask)
		}
	}
	return listResponse(q, nil)
}

// marketAllocation answers /allocation for a market Run: its match
// recomputed by replaying the start of the block that matched it
// (protocol.ExplainMarket) over the state before that block.
func (a *App) marketAllocation(snap *iavltree.Snapshot, w *pb.Workload) (*abci.QueryResponse, error) {
	h := w.Height + 1 // a market Run is matched in the block after its inclusion
	switch {
	case w.State == pb.WorkloadState_WORKLOAD_STATE_PENDING:
		return nil, fmt.Errorf("market Run %x is pending: it is matched at height %d, the block after its inclusion: %w", w.Id, h, store.ErrNotFound)
	case h < 2:
		return nil, fmt.Errorf("market Run %x was matched at height %d, before any committed state: %w", w.Id, h, errNoState)
	}
	before, err := a.snapshotAt(h - 1)
	if err != nil {
		return nil, fmt.Errorf("the state at height %d, which the match of %x read, is not kept: %v: %w", h-1, w.Id, err, errNoState)
	}
	beacon, err := a.beaconAt(snap, h)
	if err != nil {
		return nil, err
	}
	exp, found, err := protocol.ExplainMarket(before, beacon, w.Id)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, fmt.Errorf("market Run %x is not among the Runs matched at height %d", w.Id, h)
	}
	ans := AllocationAnswer{Seed: beacon.Seed, Mechanism: protocol.MechanismName(w.Market.Mechanism), Market: &exp,
		Slots: make([]AllocationSlot, 0, len(w.Slots)), Agrees: len(exp.Taken) <= len(w.Slots)}
	e := &ans.Explanation
	e.Found, e.Height, e.K, e.Workload, e.Assignment.Provers = true, h, int(w.K), [32]byte(w.Id), matchTaken(&exp)
	for i, s := range w.Slots {
		ans.Slots = append(ans.Slots, AllocationSlot{Index: s.Index, AllocatedTo: s.AllocatedTo, Prover: s.Prover, State: protocol.SlotStateName(s.State)})
		var want []byte
		if i < len(exp.Taken) {
			want = exp.Taken[i].Prover[:]
		}
		if !bytes.Equal(s.AllocatedTo, want) {
			ans.Agrees = false
		}
	}
	b, err := json.Marshal(ans)
	return &abci.QueryResponse{Value: b}, err
}

// matchTaken lists the provers a match took, in slot order.
func matchTaken(e *alloc.MatchExplanation) [][20]byte {
	out := make([][20]byte, 0, len(e.Taken))
	for _, a := range e.Taken {
		out = append(out, a.Prover)
	}
	return out
}
