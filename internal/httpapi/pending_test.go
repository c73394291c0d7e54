package httpapi

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"
	cmtbytes "github.com/cometbft/cometbft/libs/bytes"
	ctypes "github.com/cometbft/cometbft/rpc/core/types"

	"github.com/provernet/provernet/internal/chain"
	"github.com/provernet/provernet/wire"
	"github.com/provernet/provernet/wire/address"
	"github.com/provernet/provernet/wire/pb"
)

// pendingBackend answers /pending with canned results and records the
// data it was asked with.
type pendingBackend struct {
	Backend
	results []chain.PendingResult
	asked   []byte
}

func (p *pendingBackend) ABCIQuery(_ context.Context, path string, data cmtbytes.HexBytes) (*ctypes.ResultABCIQuery, error) {
	if path != chain.PathPending {
		return nil, fmt.Errorf("unexpected query %s", path)
	}
	p.asked = data
	b, err := json.Marshal(p.results)
	return &ctypes.ResultABCIQuery{Response: abci.QueryResponse{Value: b}}, err
}

// TestPendingResults: the node's /pending answer (newest first) reaches
// the API in its order, with the prover as an address, the outcome by
// name and the transaction hash as CometBFT writes it.
func TestPendingResults(t *testing.T) {
	id := sha256.Sum256([]byte("w1"))
	prover := address.Address{1, 2, 3}
	hash := sha256.Sum256([]byte("tx"))
	b := &pendingBackend{results: []chain.PendingResult{
		{Slot: 2, Prover: prover[:], Outcome: int32(pb.Outcome_OUTCOME_PROOF), CyclesUsed: 7, Sealed: []byte("newest"), TxHash: hash[:]},
		{Slot: 0, Prover: prover[:], Outcome: int32(pb.Outcome_OUTCOME_FAIL), Sealed: []byte("older")},
	}}
	h := Handler(b)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/v1/workloads/"+hex.EncodeToString(id[:])+"/pending", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	var got []wire.PendingResult
	if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if string(b.asked) != string(id[:]) || len(got) != 2 || got[0].Slot != 2 || string(got[0].Sealed) != "newest" ||
		got[0].Prover != prover.String() || got[0].Outcome != "proof" || got[0].CyclesUsed != 7 ||
		got[0].TxHash != fmt.Sprintf("%X", hash) || got[1].Outcome != "fail" {
		t.Fatalf("pending results: %+v", got)
	}

	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/v1/workloads/xyz/pending", nil))
	if rec.Code != http.StatusBadRequest {
		t.Fatalf("a bad id answered %d", rec.Code)
	}
}
