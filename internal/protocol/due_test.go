package protocol_test

import (
	"crypto/sha256"
	"testing"

	"filippo.io/age"

	"github.com/provernet/provernet/internal/protocol"
	"github.com/provernet/provernet/wire"
	"github.com/provernet/provernet/wire/pb"
)

// TestDueWorkThatFillsABlockExcuses (review): work due at a height is
// reserved ahead of every transaction (TxRoom), and a block whose room is
// 0 is never full (Fill.Full needs Room > 0). A user's Runs that nobody
// can take all time out at deadline+1, a height the user picks, and their
// escrow comes back whole: for the Runs' transaction fees (~1 PRV) the
// block at that height carries no transaction at all, critical ones
// included, and windows closing there are not excused.
func TestDueWorkThatFillsABlockExcuses(t *testing.T) {
	p := protocol.DefaultParams()
	const balance = 1 << 50
	f := newFixture(t, p, balance)
	pv, vf := sha256.Sum256([]byte("blackout prover")), sha256.Sum256([]byte("blackout verifier"))
	deploy := &pb.Msg{Kind: &pb.Msg_Deploy{Deploy: &pb.Deploy{Name: "x", Prover: &pb.Module{Sha256: pv[:], Size: 100}, Verifier: &pb.Module{Sha256: vf[:], Size: 100}}}}
	if res, err := protocol.Apply(f.kv, f.env, f.addrs[0], 0, deploy); err != nil || !res.OK() {
		t.Fatalf("deploy: %v %v", res, err)
	}
	user, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	runs := int(p.MaxBlockWeight/wire.WeightTimer) + 1
	run := &pb.Msg{Kind: &pb.Msg_Run{Run: &pb.Run{Program: wire.ProgramID(pv[:], vf[:]), Cycles: 1_000_000, Provers: 1,
		Recipient: user.Recipient().String(), Deadline: 100, Inputs: []*pb.Input{{Name: "input", Data: []byte("x")}}}}}
	f.env.Height = 7
	for i := range runs {
		if res, err := protocol.Apply(f.kv, f.env, f.addrs[0], uint64(1+i), run); err != nil || !res.OK() {
			t.Fatalf("run %d: %v %v", i, res, err)
		}
	}
	txFee := p.MinFee(len(signMin(t, p, f.keys[0], 1, run)), []*pb.Msg{run})
	f.env.Height = 8 // allocated to nobody: the slots stay open until 107
	if _, _, err := protocol.BeginBlock(f.kv, f.env); err != nil {
		t.Fatal(err)
	}
	f.env.Height = 9 // the wait list: at most WaitRedraws of it re-drawn, and reserved for
	if due, err := protocol.DueWeight(f.kv, p, 9); err != nil || due < protocol.WaitRedraws*wire.AllocationWeight(p.MaxProversPerWorkload) {
		t.Errorf("due weight at 9 with %d Runs waiting: %d, %v; want the wait list's re-draws reserved", runs, due, err)
	}
	if _, _, err := protocol.BeginBlock(f.kv, f.env); err != nil {
		t.Fatal(err)
	}
	_, timers, err := protocol.DueWork(f.kv, 108)
	if err != nil {
		t.Fatal(err)
	}
	room, err := protocol.TxRoom(f.kv, p, 108)
	if err != nil {
		t.Fatal(err)
	}
	f.env.Height = 108
	if _, _, err := protocol.BeginBlock(f.kv, f.env); err != nil {
		t.Fatal(err)
	}
	left := account(t, f.kv, f.addrs[0]).Balance
	t.Logf("%d Runs (%d uprv of fees each, %d in all) put %d timers at 108: room %d; escrow lost %d uprv",
		runs, txFee, uint64(runs)*txFee, timers, room, balance-left)
	if room != 0 {
		t.Fatalf("room %d at 108: the case no longer fills the block", room)
	}
	if !(protocol.Fill{Room: room}).Full(p) {
		t.Errorf("for %d uprv of fees block 108 can carry no transaction and is not counted full", uint64(runs)*txFee)
	}
}
