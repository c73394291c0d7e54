package chain

import (
	"testing"

	"github.com/provernet/provernet/wire/address"
	"github.com/provernet/provernet/wire/pb"
	"github.com/provernet/provernet/wire/txn"
)

// TestProofStrikes: after a node proof of a sender's failed verification
// at height h, this node refuses its node proofs with proof bytes until
// h + proofStrikeBlocks, and only those: its other transactions, and
// other senders', pass; the sweep then forgets the strike.
func TestProofStrikes(t *testing.T) {
	withProof := func(sender address.Address, proof []byte) *txn.Tx {
		return &txn.Tx{Sender: sender, Body: &pb.TxBody{Messages: []*pb.Msg{{Kind: &pb.Msg_SubmitNodeProof{SubmitNodeProof: &pb.SubmitNodeProof{Proof: proof}}}}}}
	}
	bad, other := address.Address{1}, address.Address{2}
	var s proofStrikes
	if _, refused := s.refuses(withProof(bad, []byte{1}), 10); refused {
		t.Fatal("refused before any strike")
	}
	s.strike(withProof(bad, []byte{1}), 10)
	for _, c := range []struct {
		tx      *txn.Tx
		h       int64
		refused bool
	}{
		{withProof(bad, []byte{2}), 11, true},
		{withProof(bad, []byte{2}), 10 + proofStrikeBlocks - 1, true},
		{withProof(bad, []byte{2}), 10 + proofStrikeBlocks, false},
		{withProof(bad, nil), 11, false}, // the hash pair's proofs cost nothing to check
		{withProof(other, []byte{2}), 11, false},
	} {
		if why, refused := s.refuses(c.tx, c.h); refused != c.refused {
			t.Errorf("sender %v, proof %d bytes, height %d: refused %v (%s), want %v", c.tx.Sender, len(c.tx.Body.Messages[0].GetSubmitNodeProof().GetProof()), c.h, refused, why, c.refused)
		}
	}
	s.sweep(10 + proofStrikeBlocks)
	if len(s.until) != 0 {
		t.Errorf("after the sweep %d strikes are kept", len(s.until))
	}
}
