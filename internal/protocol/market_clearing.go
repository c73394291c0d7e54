package protocol

import (
	"bytes"

	"github.com/provernet/provernet/internal/store"
	"github.com/provernet/provernet/wire/pb"
)

// Clearing prices (docs/MARKET.md): the prices market work was done at,
// per program, the last clearing_prices_kept. A price is recorded when a
// market slot's proof is final and paid, not when an ask is matched: an
// ask that wins and never delivers (a lure) sets no price. The price
// recorded is what the slot cost per mega-cycle (Slot.price divided by
// the workload's mega-cycles, rounded down): the matched ask's price, or
// the order's max_price for a slot reopened after its prover let it go
// (reopenPriced), or more when min_slot_fee set the slot's price.

// recordClearing appends the prices w's final slots were paid at to its
// program's clearing prices, keeping the last clearing_prices_kept.
func recordClearing(kv store.KV, env Env, w *pb.Workload, finals []*pb.Slot) error {
	n := int(env.Params.ClearingPricesKept)
	if n == 0 || w.Market == nil || w.Challenge || len(finals) == 0 {
		return nil
	}
	cp := &pb.ClearingPrices{}
	if err := getProto(kv, clearingKey(w.Program), cp); err != nil {
		return err
	}
	mcycles := max(MegaCycles(w.Cycles), 1)
	for _, s := range finals {
		cp.Prices = append(cp.Prices, &pb.ClearingPrice{Height: env.Height, Price: s.Price / mcycles,
			Prover: bytes.Clone(s.Prover), Workload: w.Id})
	}
	if len(cp.Prices) > n {
		cp.Prices = cp.Prices[len(cp.Prices)-n:]
	}
	return setProto(kv, clearingKey(w.Program), cp)
}
