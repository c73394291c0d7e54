package protocol

import (
	"bytes"

	"github.com/provernet/provernet/internal/store"
	"github.com/provernet/provernet/wire/address"
	"github.com/provernet/provernet/wire/pb"
)

// The book holds only the asks of active provers with room (docs/MARKET.md,
// "Who is in the book"): a pending, suspended, leaving or removed prover
// cannot be matched, nor one holding max_concurrent slots, and its asks in
// the book would only take the room of the bounded read a market Run makes
// of it (a busy book's cheapest asks, all full, would end every read). The
// transitions are all in indexProver (the active index's single writer,
// through writeProver, which every change of state or of held count goes
// through): a prover entering the active set with room, or an active one
// whose slot frees, has its asks indexed; one leaving it, or taking its
// last free slot, has them taken out. Matching a block's market Runs
// writes a prover that fills up at once (marketBlock.assign), so that the
// block's later Runs do not read its asks either. The records stay under
// ask/ (the prover may edit them while it is out) and are deleted when it
// exits (withdraw). Each transition costs at most max_asks_per_prover
// records read and 2 * wire.MaxAskTargets entries written or deleted per
// ask.

// bookProverAsks indexes (in) or unindexes (!in) every ask of a.
func bookProverAsks(kv store.KV, a address.Address, in bool) error {
	asks, err := ProverAsks(kv, a[:])
	if err != nil {
		return err
	}
	for _, ask := range asks {
		if in {
			err = indexAsk(kv, ask)
		} else {
			err = unindexAsk(kv, ask)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// deleteProverAsks deletes the records of a's asks (a is out of the
// book): an exited prover keeps no asks, so one that registers again,
// perhaps with other hardware, starts with none.
func deleteProverAsks(kv store.KV, a address.Address) error {
	var keys [][]byte
	p := proverAsksPrefix(a[:])
	err := kv.Iterate(p, store.PrefixEnd(p), func(k, _ []byte) bool {
		keys = append(keys, bytes.Clone(k))
		return true
	})
	if err != nil {
		return err
	}
	for _, k := range keys {
		if err := kv.Delete(k); err != nil {
			return err
		}
	}
	return nil
}

// inBook reports whether p's asks are in the book: p is active and holds
// fewer than max_concurrent slots.
func inBook(p *pb.Prover) bool { return indexEntryOf(p).booked() }

// booked reports whether the prover of entry e has its asks in the book.
func (e indexEntry) booked() bool { return e.active && e.held < e.maxConcurrent }
