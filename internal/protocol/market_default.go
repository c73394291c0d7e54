package protocol

import (
	"github.com/provernet/provernet/wire/pb"
)

// A market slot whose prover lets it go (docs/MARKET.md, "When a matched
// prover lets go"). An ask is a promise the chain took instead of a draw:
// a prover that wins a slot on it and then declines, stays silent, times
// out or claims fail leaves the user with a slot priced at that ask, which
// nobody else would take if the ask was a lure far below the market. So
// the slot reopens at the order's per-slot escrow (what the user agreed
// to pay, its max_price), without the ask or its promise, for the open
// market and the wait list as any released slot; and the miss counts
// marketMissWeight times against the prover's allowance and reputation.

// marketMissWeight is how many misses letting go of a slot matched on
// one's own ask counts.
const marketMissWeight = 2

// missesFor is how many misses letting go of s counts: marketMissWeight
// when s was matched on its prover's ask (only then is its promise set),
// else 1.
func missesFor(w *pb.Workload, s *pb.Slot) uint32 {
	if w.Market != nil && s.Promise > 0 {
		return marketMissWeight
	}
	return 1
}

// reopenPriced clears what s kept of the prover that let it go: its
// promise (the next prover's due height is its own) and, in a market Run,
// the ask it was matched on and that ask's price: the slot is worth the
// order's per-slot escrow again. A no-op for a lottery slot, which has
// neither.
func reopenPriced(w *pb.Workload, s *pb.Slot) {
	s.Promise = 0
	if w.Market != nil && w.K > 0 {
		s.Price, s.AskId = w.Fee/uint64(w.K), 0
	}
}
