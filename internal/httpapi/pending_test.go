package httpapi

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	ctypes "github.com/cometbft/cometbft/rpc/core/types"
	"github.com/cometbft/cometbft/types"

	"github.com/provernet/provernet/client"
	"github.com/provernet/provernet/internal/address"
	"github.com/provernet/provernet/internal/pb"
	"github.com/provernet/provernet/internal/txn"
)

// mempoolOnly is a Backend whose mempool holds txs; nothing else is used.
type mempoolOnly struct {
	Backend
	txs types.Txs
}

func (m mempoolOnly) UnconfirmedTxs(context.Context, *int) (*ctypes.ResultUnconfirmedTxs, error) {
	return &ctypes.ResultUnconfirmedTxs{Txs: m.txs, Count: len(m.txs)}, nil
}

// TestPendingResults: only the SubmitResults of the asked workload come
// back, with their sender and the sealed bytes; other transactions,
// garbage and a beacon entry are skipped.
func TestPendingResults(t *testing.T) {
	want, other := sha256.Sum256([]byte("w1")), sha256.Sum256([]byte("w2"))
	key := ed25519.NewKeyFromSeed(make([]byte, 32))
	sign := func(nonce uint64, m *pb.Msg) []byte {
		raw, err := txn.Sign(key, &pb.TxBody{ChainId: "t", Nonce: nonce, Messages: []*pb.Msg{m}})
		if err != nil {
			t.Fatal(err)
		}
		return raw
	}
	submit := func(id []byte, slot uint32, sealed string) *pb.Msg {
		return &pb.Msg{Kind: &pb.Msg_SubmitResult{SubmitResult: &pb.SubmitResult{Workload: id, Slot: slot,
			Sealed: []byte(sealed), Outcome: pb.Outcome_OUTCOME_PROOF, CyclesUsed: 7}}}
	}
	to := address.FromPublicKey(key.Public().(ed25519.PublicKey))
	txs := types.Txs{
		sign(0, submit(other[:], 0, "not this one")),
		[]byte("garbage"),
		append([]byte("\x00provernet/beacon\x00"), 1, 2, 3),
		sign(1, &pb.Msg{Kind: &pb.Msg_Transfer{Transfer: &pb.Transfer{To: to[:], Amount: 1}}}),
		sign(2, submit(want[:], 2, "sealed file")),
	}
	h := Handler(mempoolOnly{txs: txs})

	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/v1/workloads/"+hex.EncodeToString(want[:])+"/pending", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	var got []client.PendingResult
	if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Slot != 2 || string(got[0].Sealed) != "sealed file" || got[0].Prover != to.String() ||
		got[0].Outcome != "proof" || got[0].CyclesUsed != 7 || got[0].TxHash == "" {
		t.Fatalf("pending results: %+v", got)
	}

	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/v1/workloads/xyz/pending", nil))
	if rec.Code != http.StatusBadRequest {
		t.Fatalf("a bad id answered %d", rec.Code)
	}
}
