package chain

import (
	"sort"

	"github.com/provernet/provernet/internal/address"
	"github.com/provernet/provernet/internal/txn"
)

// inNonceOrder puts each sender's transactions in nonce order, in the
// positions that sender's transactions already held, so that other
// senders' order is unchanged. CometBFT's mempool adds a checked
// transaction after CheckTx returns, outside any lock, so a sender's
// nonces n and n+1 checked back to back can reach the mempool reversed;
// proposed in that order, n+1 would fail in its block. Undecodable
// transactions keep their places.
func inNonceOrder(txs [][]byte, decode func([]byte) (*txn.Tx, error)) [][]byte {
	type entry struct {
		pos   int
		nonce uint64
	}
	bySender := make(map[address.Address][]entry)
	var senders []address.Address // in order of first appearance
	for i, raw := range txs {
		tx, err := decode(raw)
		if err != nil {
			continue
		}
		if _, seen := bySender[tx.Sender]; !seen {
			senders = append(senders, tx.Sender)
		}
		bySender[tx.Sender] = append(bySender[tx.Sender], entry{i, tx.Body.Nonce})
	}
	out := append([][]byte(nil), txs...)
	for _, s := range senders {
		es := bySender[s]
		if len(es) < 2 {
			continue
		}
		sorted := append([]entry(nil), es...)
		sort.SliceStable(sorted, func(a, b int) bool { return sorted[a].nonce < sorted[b].nonce })
		for j, e := range es {
			out[e.pos] = txs[sorted[j].pos]
		}
	}
	return out
}
