package chain_test

import (
	"bytes"
	"testing"
)

// TestPrepareProposalNonceOrder: a sender's transactions that reached the
// mempool out of nonce order are proposed in order, in the positions that
// sender's transactions held; other senders keep their places.
func TestPrepareProposalNonceOrder(t *testing.T) {
	c := newChain(t, nil, 1_000_000, 1_000_000)
	bob := addrOf(c.keys[1])
	a0, a1, a2 := c.transfer(0, 0, bob, 1), c.transfer(0, 1, bob, 2), c.transfer(0, 2, bob, 3)
	b0 := c.transfer(1, 0, addrOf(c.keys[0]), 4)
	got := c.prepare(1, [][]byte{a2, b0, a0, a1})
	want := [][]byte{a0, b0, a1, a2}
	if len(got) != len(want)+1 {
		t.Fatalf("proposal has %d txs, want %d and the beacon", len(got), len(want))
	}
	for i, tx := range want {
		if !bytes.Equal(got[i+1], tx) {
			t.Fatalf("position %d is not the expected transaction (want order alice0 bob0 alice1 alice2)", i)
		}
	}
	if garbage := []byte("not a transaction"); !bytes.Equal(c.prepare(1, [][]byte{garbage, a1, a0})[1], garbage) {
		t.Fatal("an undecodable transaction moved")
	}
}
