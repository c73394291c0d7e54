package protocol_test

import (
	"strconv"
	"strings"
	"testing"

	"github.com/cockroachdb/datadriven"

	"github.com/provernet/provernet/internal/protocol"
	"github.com/provernet/provernet/wire/pb"
	"github.com/provernet/provernet/wire/txn"
)

// run runs one scenario command line and returns its output.
func (s *scenario) runLine(t *testing.T, line string) string {
	t.Helper()
	cmd, args, err := datadriven.ParseLine(line)
	if err != nil {
		t.Fatal(err)
	}
	out := s.handle(t, &datadriven.TestData{Pos: "review:" + line, Cmd: cmd, CmdArgs: args})
	t.Logf("%s\n%s", line, out)
	return out
}

// sendMsgs signs msgs as one transaction from name and delivers it.
func (s *scenario) sendMsgs(t *testing.T, from string, msgs ...*pb.Msg) protocol.Result {
	t.Helper()
	a, err := protocol.GetAccount(s.tree.Working(), s.addr(t, from))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := txn.Sign(s.key(from), &pb.TxBody{ChainId: s.env.ChainID, Nonce: a.Nonce, Messages: msgs})
	if err != nil {
		t.Fatal(err)
	}
	res, err := protocol.DeliverTx(s.tree.Working(), s.env, raw)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// TestVoterPayGoesWithItsTransaction: settlement inside a message handler
// queues the voters' pay in env.Block.voterPay, outside the transaction's
// store cache. When a later message of the same transaction fails, the
// settlement is rolled back but the queued pay is not: EndBlock credits
// the voters anyway (money from nothing), and the real settlement later
// pays them again.
func TestVoterPayGoesWithItsTransaction(t *testing.T) {
	s := &scenario{}
	s.runLine(t, "genesis accounts=alice:1000000,bob:5000,carol:5000,dave:5000,erin:5000,frank:5000 min_prover_stake=1000 result_lag=1000")
	s.runLine(t, "provers names=bob,carol,dave,erin,frank")
	s.runLine(t, "deploy from=alice as=prog")
	s.runLine(t, "run from=alice program=prog as=w1 k=2 cycles=1 deadline=20")
	s.runLine(t, "finalize-block")
	w, err := protocol.GetWorkload(s.tree.Working(), s.workloads["w1"])
	if err != nil {
		t.Fatal(err)
	}
	p0, p1 := s.byAddr[[20]byte(w.Slots[0].Prover)], s.byAddr[[20]byte(w.Slots[1].Prover)]
	s.runLine(t, "submit from="+p0+" workload=w1 slot=0")
	s.runLine(t, "accept from="+p1+" workload=w1 slot=1")
	for s.env.Height < w.Deadline {
		s.runLine(t, "finalize-block")
	}
	// At the deadline a fail does not re-open its slot: it is the last result.
	if out := s.runLine(t, "submit from="+p1+" workload=w1 slot=1 outcome=fail"); !strings.HasPrefix(out, "ok") {
		t.Fatal(out)
	}
	s.runLine(t, "finalize-block")
	s.runLine(t, "reveal from="+p0+" workload=w1 slot=0")
	s.runLine(t, "finalize-block")
	var voters []string
	for _, name := range []string{"bob", "carol", "dave", "erin", "frank"} {
		if name != p0 && name != p1 {
			voters = append(voters, name)
		}
	}
	for _, v := range voters {
		s.runLine(t, "vote from="+v+" w1/0=valid")
	}
	s.runLine(t, "finalize-block") // slot 0 decided valid; slot 1 still unrevealed
	s.runLine(t, "workload w1")

	// p1 reveals its fail (the last undecided slot: the workload settles and
	// its voters' pay is queued in the block), then a transfer it cannot pay
	// fails the transaction. It does so three times in the block, then
	// reveals for real in the next.
	balance := func(name string) uint64 {
		a, err := protocol.GetAccount(s.tree.Working(), s.addr(t, name))
		if err != nil {
			t.Fatal(err)
		}
		return a.Balance
	}
	before := map[string]uint64{}
	for _, v := range voters {
		before[v] = balance(v)
	}
	reveal := &pb.Msg{Kind: &pb.Msg_RevealKey{RevealKey: &pb.RevealKey{Workload: w.Id, Slot: 1, Identity: s.sealed["w1/1"].identity.String()}}}
	for range 3 {
		res := s.sendMsgs(t, p1, reveal,
			&pb.Msg{Kind: &pb.Msg_Transfer{Transfer: &pb.Transfer{To: s.addr(t, "alice").Bytes(), Amount: 1 << 60}}})
		if res.OK() {
			t.Fatal("the transaction should fail")
		}
		t.Logf("failed tx: %s %s", res.Code, res.Log)
	}
	if out := s.runLine(t, "finalize-block"); strings.HasPrefix(out, "invariant broken") {
		t.Errorf("failed transactions' settlements paid their voters at EndBlock: %s", out)
	}
	if res := s.sendMsgs(t, p1, reveal); !res.OK() {
		t.Fatal(res.Log)
	}
	s.runLine(t, "finalize-block")
	wl := s.runLine(t, "workload w1")
	var gained uint64
	for _, v := range voters {
		gained += balance(v) - before[v]
	}
	final, err := protocol.GetWorkload(s.tree.Working(), w.Id)
	if err != nil {
		t.Fatal(err)
	}
	if !final.Settled || gained != final.VotersPaid-w.VotersPaid {
		t.Errorf("the voters gained %d after the failed transactions; the workload paid %d (%s)", gained, final.VotersPaid-w.VotersPaid, wl)
	}
}

// TestUnconfirmedCopiedStandsAsInvalid: with every active prover in the
// workload, a slot is judged by the workload's other provers (its
// competitors for the tiers). Two of three vote `copied` on an honest,
// sound proof: the chain no longer opens the file, so the verdict stands,
// and the honest prover loses its whole stake (slash_copy_bp 10000) and is
// removed, while the two are paid as deciders. Before, the chain judged
// copies itself and a dishonest two thirds could at most vote `invalid`
// (slash_invalid_bp 1000).
func TestUnconfirmedCopiedStandsAsInvalid(t *testing.T) {
	s := &scenario{}
	s.runLine(t, "genesis accounts=alice:1000000,bob:5000,carol:5000,dave:5000,erin:5000 min_prover_stake=1000 result_lag=1")
	s.runLine(t, "provers names=bob,carol,dave,erin")
	s.runLine(t, "deploy from=alice as=prog")
	s.runLine(t, "run from=alice program=prog as=w1 k=4 cycles=1 deadline=20")
	s.runLine(t, "finalize-block")
	w, err := protocol.GetWorkload(s.tree.Working(), s.workloads["w1"])
	if err != nil {
		t.Fatal(err)
	}
	names := make([]string, len(w.Slots))
	for i, sl := range w.Slots {
		names[i] = s.byAddr[[20]byte(sl.Prover)]
		s.runLine(t, "submit from="+names[i]+" workload=w1 slot="+strconv.Itoa(i))
	}
	s.runLine(t, "finalize-block")
	victim := names[0]
	s.runLine(t, "reveal from="+victim+" workload=w1 slot=0")
	s.runLine(t, "finalize-block")
	s.runLine(t, "committee w1/0")
	s.runLine(t, "vote from="+names[1]+" w1/0=copied")
	s.runLine(t, "vote from="+names[2]+" w1/0=copied")
	s.runLine(t, "finalize-block")
	s.runLine(t, "workload w1")
	p, err := protocol.GetProver(s.tree.Working(), s.addr(t, victim))
	if err != nil {
		t.Fatal(err)
	}
	if p.State == pb.ProverState_PROVER_STATE_REMOVED || p.Slashed != 100 {
		t.Errorf("a prover with a sound file, voted copied by two competitors: state %s, slashed %d; want slash_invalid (100) and no removal", p.State, p.Slashed)
	}
	sl, err := protocol.GetWorkload(s.tree.Working(), s.workloads["w1"])
	if err != nil {
		t.Fatal(err)
	}
	if st := sl.Slots[0].State; st != pb.SlotState_SLOT_STATE_INVALID {
		t.Errorf("slot 0 is %s; want invalid", st)
	}
}
