package alloc

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"encoding/binary"
	"slices"
)

// The market matcher (PROTOCOL.md 6, after nil's proof market; the
// `cheapest` mechanism is the same with k = 1 and price first). A Run's
// order is matched against the asks its program can use: the asks naming
// the program and those serving its resource class. It is a pure function
// of the seed, the order and the book: the chain calls it once per market
// Run, `query allocation` recomputes it, and MatchNaive is its reference.
//
// The rules, in order:
//  1. An ask is a candidate when it serves the program (or its class), its
//     prover is not denied and is allowed (when the order has an allow
//     list), its price is at most max_price and its latency at most
//     max_latency, and its prover is active, meets the program's hardware
//     and has room (holds fewer than its maximum of concurrent slots).
//  2. Candidates sort by the order's priority: price then latency, or
//     latency then price; ties by reputation (higher first), then by the
//     beacon: SHA-256(domain || seed || order id || prover || ask id), lower
//     first, so no address is favoured for ever.
//  3. Walking that order, each prover's first candidate is taken until k
//     are: one prover never holds two slots of a workload.

// Priority is what an order sorts the asks by first.
type Priority uint8

const (
	// PriorityPrice: the lowest price first, then the lowest latency.
	PriorityPrice Priority = iota
	// PriorityTime: the lowest latency first, then the lowest price.
	PriorityTime
)

// Ask is one standing ask as the matcher sees it, with its prover's
// standing at the time of the match.
type Ask struct {
	Prover  [20]byte
	ID      uint32
	Price   uint64 // uprv per mega-cycle
	Latency int64  // blocks
	// Serves: the ask names the program or serves its resource class.
	Serves bool
	// Active: its prover is in the active set; Meets: its declared
	// hardware meets the program's minimum; Room: the slots it may still
	// take (max_concurrent less what it holds).
	Active bool
	Meets  bool
	Room   uint32
	// Reputation is its prover's score in basis points (higher is better).
	Reputation uint32
}

// MarketOrder is a market Run as the matcher sees it.
type MarketOrder struct {
	ID         [32]byte
	K          int
	MaxPrice   uint64
	MaxLatency int64
	Priority   Priority
	Allow      [][20]byte // if not empty, only these provers
	Deny       [][20]byte
}

// MatchReason says why an ask was or was not taken.
type MatchReason string

// The reasons, in the order the matcher checks them.
const (
	MatchTaken       MatchReason = "matched"
	MatchDuplicate   MatchReason = "duplicate"    // the same prover and ask id given twice: the first counts
	MatchProgram     MatchReason = "program"      // serves neither the program nor its class
	MatchDenied      MatchReason = "denied"       // on the order's deny list
	MatchNotAllowed  MatchReason = "not_allowed"  // the order has an allow list without it
	MatchPrice       MatchReason = "price"        // above max_price
	MatchLatency     MatchReason = "latency"      // above max_latency
	MatchInactive    MatchReason = "inactive"     // its prover is not active
	MatchHardware    MatchReason = "hardware"     // its prover does not meet the program's hardware
	MatchCapacity    MatchReason = "capacity"     // its prover has no room
	MatchSameProver  MatchReason = "same_prover"  // its prover's better ask was ranked first
	MatchRankedBelow MatchReason = "ranked_below" // a candidate, below the k taken
)

// Candidate is one ask of the book with the matcher's verdict on it.
type Candidate struct {
	Ask    Ask         `json:"ask"`
	Reason MatchReason `json:"reason"`
	// Rank is its place among the candidates in the order's sort (0 the
	// best), -1 when it is no candidate.
	Rank int `json:"rank"`
	// Tie is the beacon's tie-break key (its first 8 bytes).
	Tie uint64 `json:"tie"`
}

// MatchExplanation is how an order was matched: every ask of the book with
// its verdict, the candidates first in rank order, then the rest in the
// order's sort of price and latency (the nearest misses first).
type MatchExplanation struct {
	Order      MarketOrder `json:"order"`
	Candidates []Candidate `json:"candidates"`
	Taken      []Ask       `json:"taken"` // slot i goes to Taken[i]
	// Pool is the pool a pool Run was drawn in (pool.go); nil for a
	// market Run.
	Pool *PoolInfo `json:"pool,omitempty"`
}

// PoolInfo names the pool a draw was made in: its class, its epoch, and
// how many members it had (0: none was frozen for the epoch).
type PoolInfo struct {
	Class   string `json:"class"`
	Epoch   int64  `json:"epoch"`
	Members int    `json:"members"`
}

const marketDomain = "provernet/market/v1"

// MatchTieKey is the beacon's tie-break between equal asks of an order.
func MatchTieKey(seed []byte, order [32]byte, prover [20]byte, id uint32) uint64 {
	h := sha256.New()
	h.Write([]byte(marketDomain))
	h.Write(seed)
	h.Write(order[:])
	h.Write(prover[:])
	var b [4]byte
	binary.BigEndian.PutUint32(b[:], id)
	h.Write(b[:])
	return binary.BigEndian.Uint64(h.Sum(nil)[:8])
}

// Match returns the asks taken for o from book, at most o.K, in rank
// order (slot i goes to the i-th). It never modifies its arguments.
func Match(seed []byte, o MarketOrder, book []Ask) []Ask {
	return ExplainMatch(seed, o, book).Taken
}

// ExplainMatch matches o against book and says what became of every ask.
func ExplainMatch(seed []byte, o MarketOrder, book []Ask) MatchExplanation {
	allow, deny := addrSet(o.Allow), addrSet(o.Deny)
	seen := map[[24]byte]bool{}
	cs := make([]Candidate, len(book))
	for i, a := range book {
		cs[i] = Candidate{Ask: a, Rank: -1, Tie: MatchTieKey(seed, o.ID, a.Prover, a.ID)}
		key := askKey(a)
		if seen[key] {
			cs[i].Reason = MatchDuplicate
			continue
		}
		seen[key] = true
		cs[i].Reason = screen(o, a, allow, deny)
	}
	slices.SortStableFunc(cs, func(x, y Candidate) int {
		if xc, yc := x.Reason == "", y.Reason == ""; xc != yc {
			if xc {
				return -1 // candidates first
			}
			return 1
		}
		return compareAsks(o.Priority, x, y)
	})
	taken := map[[20]byte]bool{}
	var out []Ask
	rank := 0
	for i := range cs {
		c := &cs[i]
		if c.Reason != "" {
			continue
		}
		c.Rank = rank
		rank++
		switch {
		case taken[c.Ask.Prover]:
			c.Reason = MatchSameProver
		case len(out) < o.K:
			c.Reason = MatchTaken
			taken[c.Ask.Prover] = true
			out = append(out, c.Ask)
		default:
			c.Reason = MatchRankedBelow
		}
	}
	return MatchExplanation{Order: o, Candidates: cs, Taken: out}
}

// screen is rule 1: "" for a candidate, else why not.
func screen(o MarketOrder, a Ask, allow, deny map[[20]byte]bool) MatchReason {
	switch {
	case !a.Serves:
		return MatchProgram
	case deny[a.Prover]:
		return MatchDenied
	case len(allow) > 0 && !allow[a.Prover]:
		return MatchNotAllowed
	case a.Price > o.MaxPrice:
		return MatchPrice
	case a.Latency > o.MaxLatency:
		return MatchLatency
	case !a.Active:
		return MatchInactive
	case !a.Meets:
		return MatchHardware
	case a.Room == 0:
		return MatchCapacity
	}
	return ""
}

// compareAsks is rule 2's order.
func compareAsks(p Priority, x, y Candidate) int {
	first, second := cmp.Compare(x.Ask.Price, y.Ask.Price), cmp.Compare(x.Ask.Latency, y.Ask.Latency)
	if p == PriorityTime {
		first, second = second, first
	}
	if first != 0 {
		return first
	}
	if second != 0 {
		return second
	}
	if c := cmp.Compare(y.Ask.Reputation, x.Ask.Reputation); c != 0 {
		return c
	}
	if c := cmp.Compare(x.Tie, y.Tie); c != 0 {
		return c
	}
	// Equal 64-bit keys (astronomically rare): address, then ask id.
	if c := bytes.Compare(x.Ask.Prover[:], y.Ask.Prover[:]); c != 0 {
		return c
	}
	return cmp.Compare(x.Ask.ID, y.Ask.ID)
}

func askKey(a Ask) [24]byte {
	var k [24]byte
	copy(k[:20], a.Prover[:])
	binary.BigEndian.PutUint32(k[20:], a.ID)
	return k
}

func addrSet(as [][20]byte) map[[20]byte]bool {
	m := make(map[[20]byte]bool, len(as))
	for _, a := range as {
		m[a] = true
	}
	return m
}
