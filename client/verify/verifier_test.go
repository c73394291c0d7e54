package verify

import (
	"context"
	"encoding/hex"
	"errors"
	"testing"
	"time"

	"github.com/cometbft/cometbft/crypto"
	"google.golang.org/protobuf/proto"

	"github.com/provernet/provernet/client"
	"github.com/provernet/provernet/wire/address"
	"github.com/provernet/provernet/wire/pb"
	"github.com/provernet/provernet/wire/record"
)

var later = WithClock(func() time.Time { return t0.Add(time.Hour) })

func emptyBlocks(n int) []map[string]proto.Message { return make([]map[string]proto.Message, n) }

// TestVerifierBisects: with the validators replaced in two steps, no
// trusted validator signs the last header, so the Verifier verifies a
// header in between first; with one set throughout it skips straight.
func TestVerifierBisects(t *testing.T) {
	ctx := context.Background()
	rotating := newFakeNode(t, map[int64][]crypto.PrivKey{1: keys(0, 4), 4: keys(2, 4), 7: keys(4, 4)}, emptyBlocks(9))
	v, err := New(rotating.client(), rotating.rootOf(1), later)
	if err != nil {
		t.Fatal(err)
	}
	h, err := v.VerifiedHeader(ctx, 10)
	if err != nil || h.Height != 10 {
		t.Fatalf("header 10: %+v %v", h, err)
	}
	if middle := len(rotating.hits) - 2; middle < 1 {
		t.Fatalf("fetched heights %v: no bisection", rotating.hits)
	}
	// Later headers start from the newest verified one.
	if _, err := v.VerifiedHeader(ctx, 5); err != nil {
		t.Fatalf("header 5 after 10: %v", err)
	}

	steady := newFakeNode(t, map[int64][]crypto.PrivKey{1: keys(0, 4)}, emptyBlocks(9))
	v, _ = New(steady.client(), steady.rootOf(1), later)
	if _, err := v.VerifiedHeader(ctx, 0); err != nil {
		t.Fatal(err)
	}
	if len(steady.hits) != 2 || steady.hits[1] != 1 || steady.hits[10] != 1 {
		t.Fatalf("fetched heights %v, want the root and the newest", steady.hits)
	}
	if _, err := v.VerifiedHeader(ctx, 1); err != nil {
		t.Fatalf("the root's own header: %v", err)
	}

	// A root the node's chain does not have, one after the height asked,
	// and an expired one.
	bad := steady.rootOf(1)
	bad.Hash = make([]byte, 32)
	v, _ = New(steady.client(), bad, later)
	if _, err := v.VerifiedHeader(ctx, 0); !errors.Is(err, ErrTrustRoot) {
		t.Fatalf("wrong root hash: %v", err)
	}
	v, _ = New(steady.client(), steady.rootOf(5), later)
	if _, err := v.VerifiedHeader(ctx, 3); !errors.Is(err, ErrTrustRoot) {
		t.Fatalf("header before the root: %v", err)
	}
	v, _ = New(steady.client(), steady.rootOf(1), WithClock(func() time.Time { return t0.Add(8 * 24 * time.Hour) }))
	if _, err := v.VerifiedHeader(ctx, 0); !errors.Is(err, ErrTrustRoot) {
		t.Fatalf("expired root: %v", err)
	}
	v, _ = New(steady.client(), steady.rootOf(1), later, WithChainID("another"))
	if _, err := v.VerifiedHeader(ctx, 0); !errors.Is(err, ErrTrustRoot) {
		t.Fatalf("root of another chain: %v", err)
	}
}

// TestVerifiedRecordsHandBuilt verifies records of a hand-built state,
// including one stored under another record's key (ErrValue).
func TestVerifiedRecordsHandBuilt(t *testing.T) {
	ctx := context.Background()
	alice, bob := address.Address{1}, address.Address{2}
	id := make([]byte, 32)
	id[0] = 7
	other := append([]byte{8}, id[1:]...)
	writes := []map[string]proto.Message{
		{string(record.AccountKey(alice)): &pb.Account{Balance: 5}},
		{string(record.AccountKey(alice)): &pb.Account{Balance: 4, Nonce: 1}},
		{string(record.ProverKey(alice)): &pb.Prover{Address: alice[:], Stake: 9, State: pb.ProverState_PROVER_STATE_ACTIVE},
			string(record.ProverKey(bob)):     &pb.Prover{Address: alice[:]}, // a record under the wrong key
			string(record.WorkloadKey(id)):    &pb.Workload{Id: id, K: 2, Owner: alice[:]},
			string(record.WorkloadKey(other)): &pb.Workload{Id: id}},
	}
	n := newFakeNode(t, map[int64][]crypto.PrivKey{1: keys(0, 4)}, writes)
	v, err := New(n.client(), n.rootOf(1), later)
	if err != nil {
		t.Fatal(err)
	}
	if a, an, err := v.VerifiedAccount(ctx, alice.String(), 0); err != nil || a.Balance != 4 || a.Nonce != 1 || an.Height != 3 || an.Header.Height != 4 {
		t.Fatalf("alice now: %+v %+v %v", a, an, err)
	}
	if a, _, err := v.VerifiedAccount(ctx, alice.String(), 1); err != nil || a.Balance != 5 || a.Nonce != 0 {
		t.Fatalf("alice at 1: %+v %v", a, err)
	}
	if a, an, err := v.VerifiedAccount(ctx, bob.String(), 0); err != nil || an.Exists || a.Balance != 0 {
		t.Fatalf("bob (never written): %+v %+v %v", a, an, err)
	}
	if p, _, err := v.VerifiedProver(ctx, alice.String(), 0); err != nil || p.Stake != 9 || p.State != "active" || p.Address != alice.String() {
		t.Fatalf("prover alice: %+v %v", p, err)
	}
	if _, _, err := v.VerifiedProver(ctx, alice.String(), 2); !errors.Is(err, ErrAbsent) || !errors.Is(err, client.ErrNotFound) {
		t.Fatalf("prover alice before registering: %v", err)
	}
	if _, _, err := v.VerifiedProver(ctx, bob.String(), 0); !errors.Is(err, ErrValue) {
		t.Fatalf("bob's key holding alice's record: %v, want ErrValue", err)
	}
	if w, _, err := v.VerifiedWorkload(ctx, hex.EncodeToString(id), 0); err != nil || w.K != 2 || w.Owner != alice.String() {
		t.Fatalf("workload: %+v %v", w, err)
	}
	if _, _, err := v.VerifiedWorkload(ctx, hex.EncodeToString(other), 0); !errors.Is(err, ErrValue) {
		t.Fatalf("workload under another id: %v, want ErrValue", err)
	}
	if _, _, err := v.VerifiedWorkload(ctx, "xyz", 0); err == nil {
		t.Fatal("a malformed id verified")
	}
	if _, _, err := v.VerifiedAccount(ctx, alice.String(), 9); err == nil {
		t.Fatal("a height past the chain verified")
	}
}
