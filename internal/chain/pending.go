package chain

import (
	"bytes"
	"encoding/json"

	abci "github.com/cometbft/cometbft/abci/types"

	"github.com/provernet/provernet/internal/protocol"
	"github.com/provernet/provernet/internal/store"
	"github.com/provernet/provernet/wire/address"
	"github.com/provernet/provernet/wire/txn"
)

// Bounds of the /pending query.
const (
	// PendingScan is how many of the newest admitted transactions a
	// /pending query looks at. They are decoded already (the tx cache
	// holds them), so a query costs no signature check.
	PendingScan = 1000
	// MaxPendingResults caps the results one answer carries.
	MaxPendingResults = 100
	// MaxPendingBytes caps the sealed bytes one answer carries; results
	// past it are left for the next query (or the block).
	MaxPendingBytes = 16 << 20
)

// PendingResult is one SubmitResult waiting in this node's mempool.
type PendingResult struct {
	Slot       uint32 `json:"slot"`
	Prover     []byte `json:"prover"` // 20-byte address
	Outcome    int32  `json:"outcome"`
	CyclesUsed uint64 `json:"cycles_used"`
	Sealed     []byte `json:"sealed"`
	TxHash     []byte `json:"tx_hash"` // SHA-256 of the transaction, as CometBFT names it
}

// pendingResults answers /pending: the results submitted for a workload
// among the newest PendingScan transactions CheckTx admitted that no block
// has included yet, newest first. It takes no block lock; it reads the
// committed state (snap) only to name the prover of a result its hot key
// sent (issue 19), under the tree's read lock.
func (a *App) pendingResults(snap store.Reader, id []byte) (*abci.QueryResponse, error) {
	if err := workloadID(id); err != nil {
		return nil, err
	}
	out := []PendingResult{}
	size := 0
	a.txs.newest(PendingScan, func(key [32]byte, tx *txn.Tx) bool {
		for _, m := range tx.Body.GetMessages() {
			sr := m.GetSubmitResult()
			if sr == nil || !bytes.Equal(sr.Workload, id) || size+len(sr.Sealed) > MaxPendingBytes {
				continue
			}
			size += len(sr.Sealed)
			out = append(out, PendingResult{Slot: sr.Slot, Prover: bytes.Clone(tx.Sender[:]), Outcome: int32(sr.Outcome),
				CyclesUsed: sr.CyclesUsed, Sealed: sr.Sealed, TxHash: bytes.Clone(key[:])})
		}
		return len(out) < MaxPendingResults
	})
	if len(out) > MaxPendingResults {
		out = out[:MaxPendingResults]
	}
	if err := a.actingProvers(snap, out); err != nil {
		return nil, err
	}
	b, err := json.Marshal(out)
	return &abci.QueryResponse{Value: b}, err
}

// actingProvers names, in each result sent by a prover's hot key, the
// prover it acts for rather than the key.
func (a *App) actingProvers(snap store.Reader, out []PendingResult) error {
	if len(out) == 0 {
		return nil
	}
	a.treeMu.RLock()
	defer a.treeMu.RUnlock()
	for i := range out {
		sender, err := address.FromBytes(out[i].Prover)
		if err != nil {
			return err
		}
		p, ok, err := protocol.HotKeyOf(snap, sender)
		if err != nil {
			return err
		}
		if ok {
			out[i].Prover = bytes.Clone(p[:])
		}
	}
	return nil
}
