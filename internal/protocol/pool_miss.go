package protocol

import (
	"github.com/provernet/provernet/internal/store"
	"github.com/provernet/provernet/wire/pb"
)

// A pool member that misses (docs/MARKET.md, "The pool"). The draw
// chose it instead of the open market, on a stake it ranked by: a member
// drawn for a slot that stays silent through its accept window, or that
// accepts and misses the latency it promised, is slashed slash_miss_bp of
// its stake (burned, through the protocol's slash: its reputation counts
// it), besides the two misses any matched slot's let-go counts. The slot
// then reopens as a market slot does (market_default.go): to any active
// prover, in or out of the pool, at the order's max_price (the
// permissionless fallback). A decline is not slashed: it gives the slot
// back at once, while the user still has time, and slashing it too would
// leave a member that cannot prove no reason to say so early. A miss the
// chain excuses (every block of the window full) is not slashed either.

// poolMiss reports whether s's prover, letting it go now, is slashed:
// s is a pool Run's slot still held on the member's draw (its promise
// set; a slot reopened or allotted from the wait list has none) and the
// miss is not excused.
func poolMiss(env Env, w *pb.Workload, s *pb.Slot) bool {
	return isPool(w) && s.Promise > 0 && !s.Excused && env.Params.SlashMissBP > 0
}

// slashPoolMiss slashes the member that held s, when poolMiss said so
// before the slot was released (release clears the promise).
func slashPoolMiss(kv store.KV, env Env, prover []byte, missed bool) ([]Event, error) {
	if !missed {
		return nil, nil
	}
	ev, err := slash(kv, env, prover, env.Params.SlashMissBP, "pool_miss", false)
	if err != nil {
		return nil, err
	}
	return []Event{ev}, nil
}
