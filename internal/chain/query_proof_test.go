package chain_test

import (
	"bytes"
	"testing"

	ics23 "github.com/cosmos/ics23/go"

	"github.com/provernet/provernet/internal/chain"
	"github.com/provernet/provernet/internal/protocol"
	"github.com/provernet/provernet/wire/address"
)

// TestProvenAbsence: a proven query of an unknown prover or workload is
// not found, and carries the proof of the key's absence against the app
// hash (so a client need not trust a "not found"); unproven, it is a bare
// not found as before.
func TestProvenAbsence(t *testing.T) {
	c := newChain(t, nil, 1_000_000)
	c.block()
	c.block()
	const h = 2
	nobody := address.FromPublicKey(make([]byte, 32))
	id := bytes.Repeat([]byte{0xab}, 32)
	for _, q := range []struct {
		path string
		data []byte
		key  []byte
	}{
		{chain.PathProver, nobody[:], append(protocol.ProverPrefix(), nobody[:]...)},
		{chain.PathWorkload, id, protocol.WorkloadKey(id)},
	} {
		if resp := c.query(q.path, q.data, 0, false); resp.Code != chain.QueryNotFound || resp.ProofOps != nil {
			t.Fatalf("%s unproven: %+v", q.path, resp)
		}
		resp := c.query(q.path, q.data, h, true)
		if resp.Code != chain.QueryNotFound || resp.Value != nil || resp.Height != h || resp.ProofOps == nil || len(resp.ProofOps.Ops) != 1 {
			t.Fatalf("%s proven: %+v", q.path, resp)
		}
		op := resp.ProofOps.Ops[0]
		var proof ics23.CommitmentProof
		if op.Type != chain.ProofOpType || !bytes.Equal(op.Key, q.key) || proof.Unmarshal(op.Data) != nil {
			t.Fatalf("%s: proof op %s %x", q.path, op.Type, op.Key)
		}
		if !ics23.VerifyNonMembership(ics23.IavlSpec, c.hashes[h], &proof, q.key) {
			t.Fatalf("%s: the absence proof does not verify against the app hash of %d", q.path, h)
		}
		if ics23.VerifyNonMembership(ics23.IavlSpec, c.hashes[h-1], &proof, q.key) {
			t.Fatalf("%s: the absence proof verifies against the previous app hash", q.path)
		}
	}
}

// TestZeroGenesisAccountProves: a genesis account of balance 0 is not
// stored (a record of no bytes could not be proven present), so an
// honest node's proof of it shows it absent, and a verifier believes it.
func TestZeroGenesisAccountProves(t *testing.T) {
	c := newChain(t, nil, 1_000_000, 0)
	c.block()
	c.block()
	a := addrOf(accountKey(1))
	key := protocol.AccountKey(a)
	resp := c.query(chain.PathAccount, a[:], 2, true)
	if resp.ProofOps == nil || len(resp.ProofOps.Ops) != 1 {
		t.Fatalf("no proof: %+v", resp)
	}
	var p ics23.CommitmentProof
	if err := p.Unmarshal(resp.ProofOps.Ops[0].Data); err != nil {
		t.Fatal(err)
	}
	if len(resp.Value) != 0 || !ics23.VerifyNonMembership(ics23.IavlSpec, c.hashes[2], &p, key) {
		t.Fatalf("the zero account's proof (value %x) does not prove it absent", resp.Value)
	}
}
