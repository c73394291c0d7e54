package chain

import (
	"slices"
	"sort"

	"github.com/provernet/provernet/internal/protocol"
	"github.com/provernet/provernet/wire/address"
	"github.com/provernet/provernet/wire/txn"
)

// proposalOrder is the order of a proposal's transactions: each sender's
// in nonce order (inNonceOrder), the protocol-critical ones first
// (criticalFirst). Every transaction is decoded once (decode reads the
// admitted-transaction cache, checking a signature on a miss); one that
// does not decode keeps its place among the ordinary ones.
func proposalOrder(raws [][]byte, decode func([]byte) (*txn.Tx, error)) []proposed {
	txs := make([]proposed, len(raws))
	for i, raw := range raws {
		txs[i].raw = raw
		if tx, err := decode(raw); err == nil {
			txs[i].tx = tx
		}
	}
	return criticalFirst(inNonceOrder(txs))
}

// proposed is a mempool transaction and its decoding (nil: undecodable).
type proposed struct {
	raw []byte
	tx  *txn.Tx
}

// inNonceOrder puts each sender's transactions in nonce order, in the
// positions that sender's transactions already held, so that other
// senders' order is unchanged. CometBFT's mempool adds a checked
// transaction after CheckTx returns, outside any lock, so a sender's
// nonces n and n+1 checked back to back can reach the mempool reversed;
// proposed in that order, n+1 would fail in its block. Undecodable
// transactions keep their places.
func inNonceOrder(txs []proposed) []proposed {
	type entry struct {
		pos   int
		nonce uint64
	}
	bySender := make(map[address.Address][]entry)
	var senders []address.Address // in order of first appearance
	for i, p := range txs {
		tx := p.tx
		if tx == nil {
			continue
		}
		if _, seen := bySender[tx.Sender]; !seen {
			senders = append(senders, tx.Sender)
		}
		bySender[tx.Sender] = append(bySender[tx.Sender], entry{i, tx.Body.Nonce})
	}
	out := slices.Clone(txs)
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

// criticalFirst moves ahead, in their order, the transactions of senders
// whose every transaction here carries only protocol-critical messages
// (Accept, Decline, SubmitResult, RevealKey, Vote, SubmitNodeProof): messages with a
// window, which a spammer filling blocks with transfers or Runs must not
// push past it (docs/SECURITY.md, "Block stuffing"). A sender with any
// other transaction keeps all of its transactions in the ordinary group,
// so its nonce order holds. Undecodable transactions are ordinary.
func criticalFirst(txs []proposed) []proposed {
	mixed := map[address.Address]bool{}
	for _, p := range txs {
		if p.tx != nil && !protocol.Critical(p.tx) {
			mixed[p.tx.Sender] = true
		}
	}
	critical := func(p proposed) bool { return p.tx != nil && !mixed[p.tx.Sender] }
	out := make([]proposed, 0, len(txs))
	for _, p := range txs {
		if critical(p) {
			out = append(out, p)
		}
	}
	for _, p := range txs {
		if !critical(p) {
			out = append(out, p)
		}
	}
	return out
}
