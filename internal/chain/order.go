package chain

import (
	"sort"

	"github.com/provernet/provernet/internal/address"
	"github.com/provernet/provernet/internal/pb"
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

// criticalFirst moves ahead, in their order, the transactions of senders
// whose every transaction here carries only protocol-critical messages
// (Accept, Decline, SubmitResult, RevealKey, Vote): messages with a
// window, which a spammer filling blocks with transfers or Runs must not
// push past it (docs/SECURITY.md, "Block stuffing"). A sender with any
// other transaction keeps all of its transactions in the ordinary group,
// so its nonce order holds. Undecodable transactions are ordinary.
func criticalFirst(txs [][]byte, decode func([]byte) (*txn.Tx, error)) [][]byte {
	mixed := map[address.Address]bool{}
	senders := make([]*address.Address, len(txs))
	for i, raw := range txs {
		tx, err := decode(raw)
		if err != nil {
			continue
		}
		senders[i] = &tx.Sender
		if !allCritical(tx) {
			mixed[tx.Sender] = true
		}
	}
	out := make([][]byte, 0, len(txs))
	for i, raw := range txs {
		if senders[i] != nil && !mixed[*senders[i]] {
			out = append(out, raw)
		}
	}
	for i, raw := range txs {
		if senders[i] == nil || mixed[*senders[i]] {
			out = append(out, raw)
		}
	}
	return out
}

// allCritical reports whether every message of tx has a window to meet.
func allCritical(tx *txn.Tx) bool {
	for _, m := range tx.Body.GetMessages() {
		switch m.GetKind().(type) {
		case *pb.Msg_Accept, *pb.Msg_Decline, *pb.Msg_SubmitResult, *pb.Msg_RevealKey, *pb.Msg_Vote:
		default:
			return false
		}
	}
	return len(tx.Body.GetMessages()) > 0
}
