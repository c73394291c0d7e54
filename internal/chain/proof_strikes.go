package chain

import (
	"fmt"
	"sync"

	"github.com/provernet/provernet/wire/address"
	"github.com/provernet/provernet/wire/txn"
)

// Strikes against senders of node proofs that failed verification here
// (the gnark review, M1). CheckTx runs a SubmitNodeProof whole, so a proof
// with bytes costs this node a Groth16 verification (about 2.5 ms) before
// it can refuse it; a refused transaction pays no fee and spends no nonce,
// so a sender could resend junk proofs as fast as the node verifies them
// and hold up every transaction with a deadline behind it. After one
// refused for its proof, this node takes no node proof with proof bytes
// from that sender for proofStrikeBlocks blocks: the sender is a staked
// prover (or its hot key), and an honest one never sends a proof that
// does not verify. The list is this node's, not consensus: a block may
// still carry such a proof, which then pays its weight.

// proofStrikeBlocks is how long a strike lasts.
const proofStrikeBlocks = 100

// maxProofStrikes bounds the list; past it the oldest strikes are dropped
// at the next commit's sweep, and a new one replaces nothing.
const maxProofStrikes = 10_000

type proofStrikes struct {
	mu    sync.Mutex
	until map[address.Address]int64 // sender -> the first height it is heard again
}

// carriesProof reports whether tx has a SubmitNodeProof with proof bytes.
func carriesProof(tx *txn.Tx) bool {
	for _, m := range tx.Body.GetMessages() {
		if len(m.GetSubmitNodeProof().GetProof()) > 0 {
			return true
		}
	}
	return false
}

// refuses reports why this node refuses tx at height h, if it does.
func (s *proofStrikes) refuses(tx *txn.Tx, h int64) (string, bool) {
	if !carriesProof(tx) {
		return "", false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	until, ok := s.until[tx.Sender]
	if !ok || h >= until {
		return "", false
	}
	return fmt.Sprintf("this node takes no node proof with proof bytes from %s until height %d: one it sent failed verification here, and each costs the node a Groth16 verification that a refused transaction does not pay for", tx.Sender, until), true
}

// strike notes that tx's node proof failed verification at height h.
func (s *proofStrikes) strike(tx *txn.Tx, h int64) {
	if !carriesProof(tx) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.until == nil {
		s.until = map[address.Address]int64{}
	}
	if len(s.until) < maxProofStrikes {
		s.until[tx.Sender] = h + proofStrikeBlocks
	}
}

// sweep forgets the strikes that ended by height h.
func (s *proofStrikes) sweep(h int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for a, until := range s.until {
		if h >= until {
			delete(s.until, a)
		}
	}
}
