package node

import (
	"context"
	"testing"
	"time"

	"github.com/provernet/provernet/client"
	"github.com/provernet/provernet/internal/prover"
	"github.com/provernet/provernet/wire"
)

// TestE2EHotKey (issue 19): prover0's staking key names a hot key and goes
// offline; a daemon signing with the hot key alone takes prover0's slot of
// a k = 3 Run to final: the slot, the sealed result and the pay are
// prover0's, every transaction the hot key's (its nonce moves, prover0's
// does not), and an unbond the hot key sends is refused, the stake kept.
func TestE2EHotKey(t *testing.T) {
	t.Parallel()
	e := startE2E(t, 3)
	for i := range 3 {
		e.startProver(i, prover.FaultNone)
	}
	e.waitActive(3)
	e.stopProver(0)

	ctx := e.ctx(60 * time.Second)
	staking := e.d.ProverKeys[0]
	hot, err := client.GenerateKey("prover0-hot")
	if err != nil {
		t.Fatal(err)
	}
	fund, err := client.TransferMsg(hot.Address(), 50_000_000)
	if err != nil {
		t.Fatal(err)
	}
	e.sendOK(ctx, staking, fund)
	named, err := e.c.NameHotKey(ctx, staking, hot, 0) // the hot key's consent, signed at its nonce
	if err != nil {
		t.Fatal(err)
	}
	if tx, err := e.c.WaitTx(ctx, named.Hash); err != nil || client.TxError(tx) != nil {
		t.Fatalf("naming the hot key: %v %v", err, client.TxError(tx))
	}
	before, err := e.c.Account(ctx, staking.Address())
	if err != nil {
		t.Fatal(err)
	}
	if p := e.proverState(0); p.HotKey != hot.Address() {
		t.Fatalf("prover0's hot key is %q, want %s", p.HotKey, hot.Address())
	}

	e.hotKeys = map[int]*client.Key{0: hot}
	e.startProverAs(0, prover.FaultNone, nil) // a hot key registers nothing
	id := e.run(3)
	w := e.wait(id, 150*time.Second, "settlement", settled)
	if w.State != "final" {
		t.Fatalf("workload ended %s (%s)", w.State, w.Reason)
	}
	s := e.slotOf(w, 0)
	if s == nil || s.State != "valid" || s.FeePaid == 0 {
		t.Fatalf("prover0's slot: %+v", s)
	}
	after, err := e.c.Account(ctx, staking.Address())
	if err != nil {
		t.Fatal(err)
	}
	hotAcct, err := e.c.Account(ctx, hot.Address())
	if err != nil {
		t.Fatal(err)
	}
	if after.Nonce != before.Nonce || after.Balance < before.Balance+s.FeePaid || hotAcct.Nonce < 3 {
		t.Errorf("prover0 nonce %d -> %d, balance %d -> %d (slot paid %d); hot key nonce %d",
			before.Nonce, after.Nonce, before.Balance, after.Balance, s.FeePaid, hotAcct.Nonce)
	}

	stake := e.proverState(0).Stake
	res, err := e.c.Send(ctx, hot, 0, client.UnbondMsg())
	if err == nil {
		var tx *wire.TxResult
		if tx, err = e.c.WaitTx(ctx, res.Hash); err == nil {
			err = client.TxError(tx)
		}
	}
	if err == nil {
		t.Fatal("an unbond from the hot key was accepted")
	}
	if p := e.proverState(0); p.State != "active" || p.Stake != stake {
		t.Errorf("after the hot key's unbond prover0 is %s with stake %d (was %d): %v", p.State, p.Stake, stake, err)
	}
}

// sendOK sends msgs signed by key and waits for them to commit with code 0.
func (e *e2e) sendOK(ctx context.Context, key *client.Key, msgs ...*client.Msg) {
	e.t.Helper()
	res, err := e.c.Send(ctx, key, 0, msgs...)
	if err != nil {
		e.t.Fatal(err)
	}
	tx, err := e.c.WaitTx(ctx, res.Hash)
	if err != nil {
		e.t.Fatal(err)
	}
	if err := client.TxError(tx); err != nil {
		e.t.Fatal(err)
	}
}
