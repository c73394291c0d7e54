package protocol

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/provernet/provernet/internal/alloc"
	"github.com/provernet/provernet/internal/store"
	"github.com/provernet/provernet/wire/pb"
)

// Reading the market for queries (issue 17, docs/MARKET.md): a page of a
// book by price, a program's book per target with its clearing prices, a
// fee quote's preview of the asks a Run would match now, and a market
// Run's match recomputed for `query allocation`. Every read is bounded by
// its page; none changes the state it reads.

// MaxBookPage bounds the asks one page of a book holds.
const MaxBookPage = 200

// bookTail is the key tail of an entry of a book by price: the cursor of
// BookPage.
func bookTail(e bookEntry) []byte {
	b := binary.BigEndian.AppendUint64(nil, e.price)
	b = binary.BigEndian.AppendUint64(b, uint64(e.latency))
	return binary.BigEndian.AppendUint32(append(b, e.prover[:]...), e.id)
}

// GetAsk reads one of a prover's asks, or nil.
func GetAsk(r store.Reader, prover []byte, id uint32) (*pb.Ask, error) { return getAsk(r, prover, id) }

// BookTarget is the book of a program (a 32-byte id) or, with program
// empty, of a resource class.
func BookTarget(program []byte, class string) ([]byte, error) {
	switch {
	case len(program) == 32 && class == "":
		return programTarget(program), nil
	case len(program) == 0 && (class == ClassCPU || class == ClassGPU):
		return classTarget(class), nil
	case len(program) != 0 && class != "":
		return nil, errors.New("a book is a program's or a class's, not both")
	case len(program) != 0:
		return nil, fmt.Errorf("a program id is 32 bytes, got %d", len(program))
	}
	return nil, fmt.Errorf("class %q is not cpu or gpu", class)
}

// BookPage reads up to limit (1..MaxBookPage) asks of target's book by
// price, after the cursor after (nil: from the cheapest), and the cursor
// of the next page (nil on the last).
func BookPage(r store.Reader, target, after []byte, limit int) ([]*pb.Ask, []byte, error) {
	limit = min(max(limit, 1), MaxBookPage)
	var entries []bookEntry
	err := walkBookFrom(r, target, false, after, func(e bookEntry) bool {
		entries = append(entries, e)
		return len(entries) <= limit // one more tells whether a next page exists
	})
	if err != nil {
		return nil, nil, err
	}
	var next []byte
	if len(entries) > limit {
		entries, next = entries[:limit], bookTail(entries[limit-1])
	}
	asks := make([]*pb.Ask, 0, len(entries))
	for _, e := range entries {
		a, err := getAsk(r, e.prover[:], e.id)
		if err != nil {
			return nil, nil, err
		}
		if a != nil {
			asks = append(asks, a)
		}
	}
	return asks, next, nil
}

// MarketOf is a program's market: the cheapest n asks naming it, the
// cheapest n serving its class, and its recent clearing prices.
func MarketOf(r store.Reader, prog *pb.Program, n int) (*pb.MarketView, error) {
	class := ProgramClass(prog)
	v := &pb.MarketView{Program: prog.Id, Class: class}
	var more []byte
	var err error
	if v.ProgramAsks, more, err = BookPage(r, programTarget(prog.Id), nil, n); err != nil {
		return nil, err
	}
	v.Truncated = more != nil
	if v.ClassAsks, more, err = BookPage(r, classTarget(class), nil, n); err != nil {
		return nil, err
	}
	v.Truncated = v.Truncated || more != nil
	if v.Clearing, err = ClearingPricesOf(r, prog.Id); err != nil {
		return nil, err
	}
	return v, nil
}

// MarketPreview matches a Run not yet sent against the book now, as the
// next block would if nothing changed before it (the order's tie-breaks
// use the current seed and an all-zero workload id, so equal asks may
// rank otherwise then). env is the state's params and height; a Run
// without a deadline is taken to allow max_deadline.
func MarketPreview(r store.Reader, env Env, prog *pb.Program, run *pb.Run) (alloc.MatchExplanation, error) {
	if res := checkMarket(env.Params, withDeadline(env.Params, run)); !res.OK() {
		return alloc.MatchExplanation{}, errors.New(res.Log)
	}
	seed, err := Seed(r)
	if err != nil {
		return alloc.MatchExplanation{}, err
	}
	// env.Height is the height a Run sent now is included at, at the
	// earliest: the asks set before it are the ones it could match.
	w := &pb.Workload{Id: make([]byte, 32), K: run.Provers, Deadline: env.Height + withDeadline(env.Params, run).Deadline, Market: run.Market,
		Height: env.Height}
	mb := &marketBlock{kv: store.NewCache(r), env: env, provers: map[[20]byte]*marketProver{}}
	if isPool(w) {
		// Included at env.Height, it is drawn at the next height in that
		// epoch's pool: frozen by then if either height starts an epoch.
		for _, h := range []int64{env.Height, env.Height + 1} {
			mb.env.Height = h
			if _, err := freezePools(mb.kv, mb.env); err != nil {
				return alloc.MatchExplanation{}, err
			}
		}
		return mb.matchPool(seed, prog, w)
	}
	book, err := mb.readBook(prog, w, false)
	if err != nil {
		return alloc.MatchExplanation{}, err
	}
	return alloc.ExplainMatch(seed, orderOf(w), book), nil
}

// withDeadline is run with max_deadline for a deadline of 0.
func withDeadline(p Params, run *pb.Run) *pb.Run {
	if run.Deadline != 0 {
		return run
	}
	return &pb.Run{Program: run.Program, Cycles: run.Cycles, Provers: run.Provers, Deadline: p.MaxDeadline, Market: run.Market}
}

// ExplainMarket recomputes how the market Run id was matched at height:
// it replays the start of that block (its beacon entry, the lottery's
// allocation, the pools' freeze at an epoch's first block, then the
// market and pool Runs matched before id) on a cache over
// before, the state after height-1, exactly as BeginBlock ran it.
// Nothing is written to before. found is false when id was not among the
// Runs matched at height.
func ExplainMarket(before store.Reader, beacon *pb.BeaconEntry, id []byte) (exp alloc.MatchExplanation, found bool, err error) {
	params, err := GetParams(before)
	if err != nil {
		return exp, false, err
	}
	env := Env{Params: params, Height: beacon.Height}
	kv := store.NewCache(before)
	if _, err := ApplyBeacon(kv, beacon); err != nil {
		return exp, false, err
	}
	if _, err := allocateQueued(kv, env); err != nil {
		return exp, false, fmt.Errorf("replaying the allocation at height %d: %w", beacon.Height, err)
	}
	if _, err := freezePools(kv, env); err != nil {
		return exp, false, fmt.Errorf("replaying the pools' freeze at height %d: %w", beacon.Height, err)
	}
	_, err = matchQueuedSeen(kv, env, func(wid []byte, e alloc.MatchExplanation) {
		if string(wid) == string(id) {
			exp, found = e, true
		}
	})
	if err != nil {
		return exp, false, fmt.Errorf("replaying the market at height %d: %w", beacon.Height, err)
	}
	return exp, found, nil
}
