package chain

import (
	"crypto/sha256"
	"fmt"
	"math"

	"google.golang.org/protobuf/proto"

	"github.com/provernet/provernet/internal/protocol"
	"github.com/provernet/provernet/wire/address"
	"github.com/provernet/provernet/wire/pb"
	"github.com/provernet/provernet/wire/txn"
)

// A block's size and weight. A proposal's transactions take at most
// MaxProposalTxBytes (protobuf size) and weigh at most what
// protocol.TxRoom leaves at its height: max_block_weight less the work
// due there for earlier blocks (the allocation of the last block's Runs).
// PrepareProposal fills a block up to both limits; ProcessProposal
// refuses one over either. A block's weight is a function of its bytes
// alone (protocol.Weigher: each transaction's weight from its messages,
// each ballot its votes name once), so the proposer and every validator
// compute the same figure whether or not they admitted its transactions:
// from the cache of verified decodes when it holds a transaction, else
// from the body decoded without checking the signature (a transaction
// that fails its signature in the block weighs what its messages claim,
// an overestimate that only the proposer pays for).

// messagesOf returns raw's messages: tx's when known, else decoded.
func messagesOf(raw []byte, tx *txn.Tx) []*pb.Msg {
	if tx != nil {
		return tx.Body.GetMessages()
	}
	return bodyMessages(raw)
}

// bodyMessages decodes raw's messages without checking anything else; nil
// when raw is not a transaction.
func bodyMessages(raw []byte) []*pb.Msg {
	var wire pb.Tx
	if err := proto.Unmarshal(raw, &wire); err != nil {
		return nil
	}
	var body pb.TxBody
	if err := proto.Unmarshal(wire.Body, &body); err != nil {
		return nil
	}
	return body.Messages
}

// blockRoom is the weight the transactions of a block at height may
// take, read from the state after height-1 (the working set between
// Commit and FinalizeBlock).
func (a *App) blockRoom(height int64) (uint64, error) {
	room, err := protocol.TxRoom(a.tree.Working(), a.env.Params, height)
	if err != nil {
		return 0, fmt.Errorf("block %d: weight room: %w", height, err)
	}
	return room, nil
}

// fill takes, in order, the transactions that fit bytes and weight left
// after the beacon: a transaction that does not fit is left out with
// every later one from its sender (whose nonces would then fail), and the
// rest still get their chance, so a heavy transaction does not end the
// block for lighter ones.
func fill(txs []proposed, p protocol.Params, bytesLeft int64, room uint64) [][]byte {
	var out [][]byte
	weigher := protocol.NewWeigher(p)
	skipped := map[address.Address]bool{}
	for _, t := range txs {
		if protocol.IsBeaconTx(t.raw) {
			continue
		}
		if t.tx != nil && skipped[t.tx.Sender] {
			continue
		}
		size := protoSize(t.raw)
		if size > bytesLeft || !weigher.Add(len(t.raw), messagesOf(t.raw, t.tx), room) {
			if t.tx != nil {
				skipped[t.tx.Sender] = true
			}
			continue
		}
		bytesLeft -= size
		out = append(out, t.raw)
	}
	return out
}

// proposalWeight is the weight of a proposal's transactions after the
// beacon.
func (a *App) proposalWeight(txs [][]byte) uint64 {
	weigher := protocol.NewWeigher(a.env.Params)
	for _, raw := range txs {
		if !weigher.Add(len(raw), messagesOf(raw, a.txs.lookup(sha256.Sum256(raw))), math.MaxUint64) {
			return math.MaxUint64
		}
	}
	return weigher.Weight()
}
