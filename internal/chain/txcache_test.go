package chain

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"testing"

	"github.com/provernet/provernet/wire/pb"
	"github.com/provernet/provernet/wire/txn"
)

func rawTx(i byte, n int) []byte { return append([]byte{i}, bytes.Repeat([]byte{0xAA}, n-1)...) }

// TestTxCacheBoundedInBytes: admitted entries are evicted oldest first
// once their cost passes the bound, and an entry larger than the bound is
// never kept.
func TestTxCacheBoundedInBytes(t *testing.T) {
	const size = 10_000
	c := newTxCache(5 * entryCost(rawTx(0, size)))
	for i := range byte(8) {
		raw := rawTx(i, size)
		c.admit(sha256.Sum256(raw), raw, &txn.Tx{})
	}
	if n, b := c.usage(); n != 5 || b != 5*entryCost(rawTx(0, size)) {
		t.Fatalf("after 8 admits: %d entries, %d bytes", n, b)
	}
	var newest []byte
	c.newest(10, func(_ [32]byte, tx *txn.Tx) bool { newest = append(newest, 0); return true })
	if len(newest) != 5 {
		t.Fatalf("newest visited %d", len(newest))
	}
	for i := range byte(3) {
		if c.lookup(keyOf(rawTx(i, size))) != nil {
			t.Errorf("tx %d (among the oldest) was not evicted", i)
		}
	}
	big := rawTx(99, 6*size)
	c.admit(sha256.Sum256(big), big, &txn.Tx{})
	if c.lookup(keyOf(rawTx(99, 6*size))) != nil {
		t.Fatal("an entry larger than the whole cache was kept")
	}
	c.forget(rawTx(7, size))
	if n, _ := c.usage(); n != 4 {
		t.Fatalf("forget left %d entries", n)
	}
}

// TestTxCacheDecodeDoesNotFill: decoding (a block's transactions, a
// rejected transaction) never adds to the cache; only admit does.
func TestTxCacheDecodeDoesNotFill(t *testing.T) {
	c := newTxCache(1 << 20)
	for i := range byte(50) {
		if _, err := c.decode(rawTx(i, 100)); err == nil {
			t.Fatal("garbage decoded")
		}
	}
	if n, b := c.usage(); n != 0 || b != 0 {
		t.Fatalf("decode filled the cache: %d entries, %d bytes", n, b)
	}
}

// TestPendingNewestFirst: /pending answers from the newest admitted
// transactions, newest first, however many older ones there are.
func TestPendingNewestFirst(t *testing.T) {
	a := &App{txs: newTxCache(1 << 30)}
	id := bytes.Repeat([]byte{9}, 32)
	result := func(slot uint32, wl []byte) *txn.Tx {
		return &txn.Tx{Body: &pb.TxBody{Messages: []*pb.Msg{{Kind: &pb.Msg_SubmitResult{SubmitResult: &pb.SubmitResult{
			Workload: wl, Slot: slot, Sealed: []byte{byte(slot)}}}}}}}
	}
	other := bytes.Repeat([]byte{8}, 32)
	for i := range 3 * PendingScan {
		wl := other
		if i == 0 || i >= 3*PendingScan-2 {
			wl = id // the oldest and the two newest
		}
		raw := rawTx(byte(i), 64+i)
		a.txs.admit(sha256.Sum256(raw), raw, result(uint32(i), wl))
	}
	resp, err := a.pendingResults(noState{}, id)
	if err != nil {
		t.Fatal(err)
	}
	var got []PendingResult
	if err := json.Unmarshal(resp.Value, &got); err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Slot != 3*PendingScan-1 || got[1].Slot != 3*PendingScan-2 {
		t.Fatalf("pending results %+v, want the two newest, newest first", got)
	}
	if _, err := a.pendingResults(noState{}, id[:5]); err == nil {
		t.Fatal("a short id was accepted")
	}
}

func keyOf(raw []byte) [32]byte { return sha256.Sum256(raw) }

// noState is a state with nothing in it: no sender is a hot key.
type noState struct{}

func (noState) Get([]byte) ([]byte, error)                          { return nil, nil }
func (noState) Iterate(_, _ []byte, _ func(k, v []byte) bool) error { return nil }
