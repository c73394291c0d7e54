package httpapi

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"net/http"
	"strings"

	"github.com/provernet/provernet/client"
	"github.com/provernet/provernet/internal/protocol"
	"github.com/provernet/provernet/internal/txn"
)

// pendingScan bounds how many mempool transactions one request decodes.
const pendingScan = 100

// pending lists the results submitted for a workload that are still in
// this node's mempool: a user opens a sealed proof from here before its
// block is even proposed. Nothing here is final or even checked by a
// block: a result in the mempool passed CheckTx, no more.
func (s *server) pending(w http.ResponseWriter, r *http.Request) {
	id, err := hex.DecodeString(r.PathValue("id"))
	if err != nil || len(id) != 32 {
		fail(w, http.StatusBadRequest, "a workload id is 64 hex digits", "")
		return
	}
	limit := pendingScan
	res, err := s.b.UnconfirmedTxs(r.Context(), &limit)
	if err != nil {
		unavailable(w, err)
		return
	}
	out := []client.PendingResult{}
	for _, raw := range res.Txs {
		if protocol.IsBeaconTx(raw) {
			continue
		}
		tx, err := txn.Decode(raw)
		if err != nil {
			continue
		}
		for _, m := range tx.Body.Messages {
			sr := m.GetSubmitResult()
			if sr == nil || !bytes.Equal(sr.Workload, id) {
				continue
			}
			out = append(out, client.PendingResult{Slot: sr.Slot, Prover: tx.Sender.String(),
				Outcome: strings.ToLower(strings.TrimPrefix(sr.Outcome.String(), "OUTCOME_")), CyclesUsed: sr.CyclesUsed, Sealed: sr.Sealed,
				TxHash: fmt.Sprintf("%X", raw.Hash())})
		}
	}
	reply(w, out)
}
