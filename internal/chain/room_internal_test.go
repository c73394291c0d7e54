package chain

import (
	"testing"

	"github.com/provernet/provernet/wire/address"
)

// TestSenderShare: one sender holds at most an eighth of the mempool, in
// bytes and in transactions, critical ones included, so one account cannot
// fill the count limit with small Votes; but never less than eight of the
// largest results, so a small mempool does not refuse an honest prover's
// result for good.
func TestSenderShare(t *testing.T) {
	a, b := address.Address{1}, address.Address{2}
	r := newMempoolRoom(64<<20, 50_000)
	for i := range int64(6250) {
		if ok, why := r.admits(168, a, false); !ok {
			t.Fatalf("small critical transaction %d refused: %+v", i, why)
		}
		r.hold([32]byte{byte(i), byte(i >> 8), 1}, 168, a, false)
	}
	if ok, why := r.admits(168, a, false); ok || !why.sender {
		t.Fatalf("a sender past an eighth of the mempool's count was admitted (%+v)", why)
	}
	if ok, _ := r.admits(168, b, false); !ok {
		t.Fatal("another sender was refused")
	}

	const result = 1<<20 + 8<<10
	small := newMempoolRoom(4<<20, 1000) // an eighth would be 512 KiB
	for i := range 8 {
		if ok, why := small.admits(result, b, false); !ok {
			t.Fatalf("result %d refused by a small mempool's sender share: %+v", i, why)
		}
		small.hold([32]byte{byte(i), 2}, result, b, false)
	}
	if ok, why := small.admits(result, b, false); ok || !why.sender {
		t.Fatalf("a ninth result was admitted (%+v)", why)
	}
	for i := range 8 {
		small.release([32]byte{byte(i), 2})
	}
	if ok, _ := small.admits(result, b, false); !ok || len(small.senders) != 0 || len(small.senderTxs) != 0 {
		t.Fatalf("released results still counted: %v %v", small.senders, small.senderTxs)
	}
}
