package httpapi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/provernet/provernet/internal/chain"
	"github.com/provernet/provernet/wire"
	"github.com/provernet/provernet/wire/pb"
)

// pending lists the results submitted for a workload that are still in
// this node's mempool, newest first: a user opens a sealed proof from here
// before its block is even proposed. The node looks at its newest
// chain.PendingScan admitted transactions (already decoded; no signature is
// checked again) and answers at most chain.MaxPendingResults results.
// Nothing here is final or even checked by a block: a result in the
// mempool passed CheckTx, no more.
func (s *server) pending(w http.ResponseWriter, r *http.Request) {
	id, ok := workloadID(w, r)
	if !ok {
		return
	}
	resp, ok := s.query(w, r.Context(), chain.PathPending, id)
	if !ok {
		return
	}
	var rs []chain.PendingResult
	if err := json.Unmarshal(resp.Value, &rs); err != nil {
		fail(w, http.StatusInternalServerError, "failed to decode "+chain.PathPending+": "+err.Error(), "")
		return
	}
	out := make([]wire.PendingResult, 0, len(rs))
	for _, p := range rs {
		out = append(out, wire.PendingResult{Slot: p.Slot, Prover: addrString(p.Prover),
			Outcome:    strings.ToLower(strings.TrimPrefix(pb.Outcome(p.Outcome).String(), "OUTCOME_")),
			CyclesUsed: p.CyclesUsed, Sealed: p.Sealed, TxHash: fmt.Sprintf("%X", p.TxHash)})
	}
	reply(w, out)
}
