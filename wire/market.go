package wire

// The market's answers (issue 17, docs/MARKET.md): asks, a program's book
// and clearing prices, a prover's reputation, a market Run's order and
// the asks it missed, and how it was matched.

// Ask is one standing ask of a prover: a price per mega-cycle and a
// latency for some programs and resource classes.
type Ask struct {
	Prover   string   `json:"prover"`
	ID       uint32   `json:"id"`
	Price    uint64   `json:"price"`    // uprv per mega-cycle
	Latency  int64    `json:"latency"`  // blocks from allocation to result
	Programs []string `json:"programs"` // hex program ids
	Classes  []string `json:"classes"`  // cpu, gpu
	Height   int64    `json:"height"`   // set at
}

// AskPage is one page of /v1/asks: a prover's asks by id, or a book by
// price (cheapest first).
type AskPage struct {
	Asks []Ask  `json:"asks"`
	Next string `json:"next"` // the cursor of the next page; empty on the last
}

// ClearingPrice is what one market slot was matched at.
type ClearingPrice struct {
	Height   int64  `json:"height"`
	Price    uint64 `json:"price"` // uprv per mega-cycle
	Prover   string `json:"prover"`
	Workload string `json:"workload"`
}

// Market is /v1/market: a program's ask book per target, the cheapest
// first, and its recent clearing prices, oldest first.
type Market struct {
	Program     string          `json:"program"`
	Class       string          `json:"class"`        // the program's resource class: cpu or gpu
	ProgramAsks []Ask           `json:"program_asks"` // asks naming the program
	ClassAsks   []Ask           `json:"class_asks"`   // asks serving its class
	Clearing    []ClearingPrice `json:"clearing"`
	Truncated   bool            `json:"truncated"` // a book has more asks than shown (GET /v1/asks pages them)
}

// Reputation is a prover's standing over reputation_window blocks: final
// proofs among the slots it answered for, slashes against it.
type Reputation struct {
	ScoreBp   uint32 `json:"score_bp"` // (final + 1) * 10000 / (allocated + 4 * slashed + 2), at most 10000
	Allocated uint64 `json:"allocated"`
	Final     uint64 `json:"final"`
	Declined  uint64 `json:"declined"`
	Slashed   uint64 `json:"slashed"`
	Window    int64  `json:"window"` // blocks
}

// MarketOrder is a market Run's order to the ask book.
type MarketOrder struct {
	Mechanism  string   `json:"mechanism"` // market, cheapest or pool
	MaxPrice   uint64   `json:"max_price"` // uprv per mega-cycle
	MaxLatency int64    `json:"max_latency"`
	Priority   string   `json:"priority"` // price or time
	Allow      []string `json:"allow,omitempty"`
	Deny       []string `json:"deny,omitempty"`
}

// AskMiss is an ask a market Run did not take, and why: program, denied,
// not_allowed, price, latency, inactive, hardware, capacity, same_prover,
// ranked_below.
type AskMiss struct {
	Prover  string `json:"prover"`
	ID      uint32 `json:"id"`
	Price   uint64 `json:"price"`
	Latency int64  `json:"latency"`
	Reason  string `json:"reason"`
}

// MarketMatch is how a market Run was matched (Allocation.Market): every
// ask of the book it read with the matcher's verdict, the candidates
// first in rank order.
type MarketMatch struct {
	MaxPrice   uint64           `json:"max_price"`
	MaxLatency int64            `json:"max_latency"` // the bound applied (the deadline's when the order said 0)
	Priority   string           `json:"priority"`
	Candidates []MatchCandidate `json:"candidates"`
	Taken      []string         `json:"taken"` // slot i goes to Taken[i]
	// Pool is the pool a pool Run was drawn in; absent for a market Run.
	// Its candidates are the pool's members in its order: matched (drawn,
	// Tie the draw key), not_drawn, or why they could not take the Run.
	Pool *PoolDraw `json:"pool,omitempty"`
}

// PoolDraw names the pool a pool Run was drawn in.
type PoolDraw struct {
	Class   string `json:"class"`   // cpu or gpu
	Epoch   int64  `json:"epoch"`   // height / epoch_length
	Members int    `json:"members"` // 0: none was frozen for the epoch
}

// PoolView is /v1/pool: a class's pool for the current epoch (frozen at
// its first block; absent before the first freeze) and the top of its
// score index now, ranked as the next epoch's first block would rank it if
// nothing moved (its seed decides ties then).
type PoolView struct {
	Class string      `json:"class"`
	Pool  *Pool       `json:"pool,omitempty"`
	Next  []PoolEntry `json:"next"`
}

// Pool is one epoch's pool of a class, best first.
type Pool struct {
	Epoch   int64       `json:"epoch"`
	Height  int64       `json:"height"` // frozen at
	Members []PoolEntry `json:"members"`
}

// PoolEntry is one prover of a pool or of the score index, with the ask it
// is drawn on (the cheapest it has serving the class).
type PoolEntry struct {
	Prover     string `json:"prover"`
	Score      uint64 `json:"score,string"` // stake * 10^6 / price
	Stake      uint64 `json:"stake"`
	Reputation uint32 `json:"reputation"` // score_bp, the first tie-break
	Ask        uint32 `json:"ask"`
	Price      uint64 `json:"price"`   // uprv per mega-cycle
	Latency    int64  `json:"latency"` // blocks
}

// MatchCandidate is one ask of the book as the matcher judged it. Reason
// is matched, ranked_below, same_prover or why it was no candidate (as
// AskMiss's); Rank its place among the candidates, -1 for none.
type MatchCandidate struct {
	Prover     string `json:"prover"`
	Ask        uint32 `json:"ask"`
	Price      uint64 `json:"price"`
	Latency    int64  `json:"latency"`
	Reputation uint32 `json:"reputation"` // score_bp
	Reason     string `json:"reason"`
	Rank       int    `json:"rank"`
	Tie        uint64 `json:"tie,string"` // the beacon's tie-break key, lower first
}
