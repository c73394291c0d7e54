package chain_test

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"errors"
	"flag"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"testing/cryptotest"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"

	"filippo.io/age"

	"github.com/provernet/provernet/internal/protocol"
	"github.com/provernet/provernet/wire"
	"github.com/provernet/provernet/wire/address"
	"github.com/provernet/provernet/wire/pb"
	"github.com/provernet/provernet/wire/seal"
	"github.com/provernet/provernet/wire/txn"
)

var update = flag.Bool("update", false, "rewrite testdata/apphash.txt (review the diff: a changed app hash is a consensus change)")

const appHashFile = "testdata/apphash.txt"

// TestAppHashGolden runs a fixed story through the App as CometBFT drives
// it (InitChain, then Prepare/Process/FinalizeBlock and Commit per height)
// and compares the app hash of every height with testdata/apphash.txt.
// The story touches every message kind: transfers, a deploy, provers
// registering and staking, a Run of two slots (one accepted, one declined
// and filled on the open market) that honest provers prove, reveal and
// get voted final, and a prover leaving. Randomness (age
// keys, sealed files) comes from a fixed seed (testing/cryptotest), and
// keys and the beacon's VRF key from fixed seeds, so the hashes are a
// function of the code alone. A differing hash means two releases would
// not agree on the state: a consensus change, to be made on purpose, with
// -update, and reviewed.
func TestAppHashGolden(t *testing.T) {
	cryptotest.SetGlobalRandom(t, 14)
	g := newGoldenStory(t)
	got := g.play()
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(appHashFile, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(appHashFile)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("the app hashes differ from %s: the same blocks no longer give the same state.\n"+
			"If that is intended (a consensus change), run go test ./internal/chain -run TestAppHashGolden -update and review the diff.\n--- file\n%s--- code\n%s",
			appHashFile, want, got)
	}
}

// goldenStory is the fixed scenario: account 0 is the user, 1..5 provers.
type goldenStory struct {
	t        *testing.T
	c        *testChain
	user     *age.X25519Identity
	prog     []byte
	run      []byte
	temps    map[uint32]*age.X25519Identity
	voted    map[string]bool
	votes    map[int][]wire.Ballot // verdicts per member, sent as one Vote
	declined bool
	out      strings.Builder
	pending  map[int][]*pb.Msg // messages per account for the next block
}

func goldenParams() protocol.Params {
	p := protocol.DefaultParams()
	p.MinProverStake, p.RegistrationFee, p.UnbondCooldown = 10_000, 500, 2
	p.CommitteeSize, p.AcceptWindow, p.RevealWindow, p.VoteWindow = 3, 3, 5, 5
	p.CyclesPerBlock = 1_000_000
	p.TreeParams = nil               // the story predates proof trees (issue 16): its genesis stores no tree parameters
	p.PoolSize, p.SlashMissBP = 0, 0 // and the pool (issue 17): its params record leaves them out
	p.ValidatorParams = nil          // and validator staking (issue 19): its validator set stays the genesis's
	return p
}

func newGoldenStory(t *testing.T) *goldenStory {
	c := newChainParams(t, nil, goldenParams(), 0, 50_000_000, 1_000_000, 1_000_000, 1_000_000, 1_000_000, 1_000_000)
	user, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	g := &goldenStory{t: t, c: c, user: user, temps: map[uint32]*age.X25519Identity{}, voted: map[string]bool{}, votes: map[int][]wire.Ballot{}, pending: map[int][]*pb.Msg{}}
	fmt.Fprintf(&g.out, "# App hash after each height of TestAppHashGolden (internal/chain), then the\n")
	fmt.Fprintf(&g.out, "# height's transactions as account:message kinds (all succeed). Regenerate with:\n")
	fmt.Fprintf(&g.out, "#   go test ./internal/chain -run TestAppHashGolden -update\n")
	fmt.Fprintf(&g.out, "genesis %x\n", c.hashes[0])
	return g
}

func (g *goldenStory) send(acct int, m *pb.Msg) {
	if v := m.GetVote(); v != nil {
		for _, p := range g.pending[acct] {
			if pv := p.GetVote(); pv != nil { // one Vote per member and block, all its ballots in it
				a, err1 := wire.DecodeVote(pv, 4096)
				b, err2 := wire.DecodeVote(v, 4096)
				all := append(a, b...)
				slices.SortFunc(all, func(x, y wire.Ballot) int { return cmp.Compare(x.Number, y.Number) })
				merged, err3 := wire.EncodeVote(all)
				if err := errors.Join(err1, err2, err3); err != nil {
					g.t.Fatal(err)
				}
				p.Kind = &pb.Msg_Vote{Vote: merged}
				return
			}
		}
	}
	g.pending[acct] = append(g.pending[acct], m)
}

func (g *goldenStory) play() string {
	pv, vf := sha256.Sum256([]byte("golden prover")), sha256.Sum256([]byte("golden verifier"))
	g.prog = wire.ProgramID(pv[:], vf[:])
	g.block() // genesis commits with the first height
	g.send(0, &pb.Msg{Kind: &pb.Msg_Transfer{Transfer: &pb.Transfer{To: g.addr(5).Bytes(), Amount: 20_000}}})
	g.send(0, &pb.Msg{Kind: &pb.Msg_Deploy{Deploy: &pb.Deploy{Name: "golden",
		Prover: &pb.Module{Sha256: pv[:], Size: 1000}, Verifier: &pb.Module{Sha256: vf[:], Size: 1000}}}})
	g.block()
	for i := 1; i <= 5; i++ {
		vk := sha256.Sum256([]byte(fmt.Sprintf("golden vrf %d", i)))
		g.send(i, &pb.Msg{Kind: &pb.Msg_RegisterProver{RegisterProver: &pb.RegisterProver{VrfPublicKey: vk[:],
			Hardware: &pb.Hardware{CpuCores: 4, MemoryMb: 4096}, MaxConcurrent: 2, BlobEndpoint: fmt.Sprintf("http://p%d.example", i)}}})
		g.send(i, &pb.Msg{Kind: &pb.Msg_Stake{Stake: &pb.Stake{Amount: 10_000 + uint64(i)}}})
	}
	g.block()
	acct := g.account(0)
	g.run = wire.WorkloadID(g.addr(0), acct.Nonce, 0)
	g.send(0, &pb.Msg{Kind: &pb.Msg_Run{Run: &pb.Run{Program: g.prog, Cycles: 1_000_000, Provers: 2,
		Recipient: g.user.Recipient().String(), Deadline: 12, Inputs: []*pb.Input{{Name: "input", Data: []byte("golden")}}}}})
	g.block()
	for range 20 {
		w, err := protocol.WorkloadView(g.c.app.Committed(), g.run)
		if err != nil {
			g.t.Fatal(err)
		}
		if w.Settled {
			break
		}
		g.act(w)
		g.block()
	}
	if w, err := protocol.GetWorkload(g.c.app.Committed(), g.run); err != nil || !w.Settled || w.State != pb.WorkloadState_WORKLOAD_STATE_FINAL {
		g.t.Fatalf("the golden Run did not settle final: %v %v", w, err)
	}
	g.leave()
	return g.out.String()
}

// act is every prover doing its honest part for the Run's slots.
func (g *goldenStory) act(w *pb.Workload) {
	for _, s := range w.Slots {
		who := g.index(s.Prover)
		switch s.State {
		case pb.SlotState_SLOT_STATE_ASSIGNED:
			if s.Index == 1 && !g.declined { // slot 1's first prover declines: it is drawn for again
				g.declined = true
				g.send(who, &pb.Msg{Kind: &pb.Msg_Decline{Decline: &pb.Decline{Workload: w.Id, Slot: s.Index}}})
				continue
			}
			g.send(who, &pb.Msg{Kind: &pb.Msg_Accept{Accept: &pb.Accept{Workload: w.Id, Slot: s.Index}}})
		case pb.SlotState_SLOT_STATE_ACCEPTED:
			g.send(who, g.submit(w, s, s.Prover))
		case pb.SlotState_SLOT_STATE_OPEN: // the open market: the first prover outside the workload fills it
			if filler := g.outsider(w); filler > 0 {
				g.send(filler, g.submit(w, s, g.addr(filler).Bytes()))
			}
		case pb.SlotState_SLOT_STATE_SUBMITTED:
			if tmp := g.temps[s.Index]; tmp != nil && allSubmitted(w) {
				g.send(who, &pb.Msg{Kind: &pb.Msg_RevealKey{RevealKey: &pb.RevealKey{Workload: w.Id, Slot: s.Index, Identity: tmp.String()}}})
			}
		case pb.SlotState_SLOT_STATE_VERIFYING:
			for _, m := range s.Committee {
				key := fmt.Sprintf("%d/%x", s.Index, m)
				if !g.voted[key] {
					g.voted[key] = true
					g.votes[g.index(m)] = append(g.votes[g.index(m)], wire.Ballot{Number: s.Ballot, Verdict: wire.VerdictValid})
				}
			}
		}
	}
	// Each member sends its verdicts in one Vote, which travels alone.
	for who, entries := range g.votes {
		slices.SortFunc(entries, func(a, b wire.Ballot) int { return cmp.Compare(a.Number, b.Number) })
		v, err := wire.EncodeVote(entries)
		if err != nil {
			g.t.Fatal(err)
		}
		g.send(who, &pb.Msg{Kind: &pb.Msg_Vote{Vote: v}})
	}
	clear(g.votes)
}

// allSubmitted: reveals open once no slot can still be filled.
func allSubmitted(w *pb.Workload) bool {
	for _, s := range w.Slots {
		switch s.State {
		case pb.SlotState_SLOT_STATE_ASSIGNED, pb.SlotState_SLOT_STATE_ACCEPTED, pb.SlotState_SLOT_STATE_OPEN:
			return false
		}
	}
	return true
}

// outsider is the first prover that holds no slot of w (0: none).
func (g *goldenStory) outsider(w *pb.Workload) int {
	for i := 1; i < len(g.c.keys); i++ {
		holds := false
		for _, s := range w.Slots {
			holds = holds || bytes.Equal(s.Prover, g.addr(i).Bytes())
		}
		if !holds {
			return i
		}
	}
	return 0
}

// submit seals a proof of slot s by prover (its address).
func (g *goldenStory) submit(w *pb.Workload, s *pb.Slot, by []byte) *pb.Msg {
	tmp, err := seal.NewIdentity()
	if err != nil {
		g.t.Fatal(err)
	}
	prover, err := address.FromBytes(by)
	if err != nil {
		g.t.Fatal(err)
	}
	hdr := seal.Header{Workload: [32]byte(w.Id), Slot: s.Index, Prover: prover, Outcome: seal.OutcomeProof, CyclesUsed: w.Cycles / 2}
	file, err := seal.Seal(hdr, []byte(fmt.Sprintf("golden proof %d", s.Index)), w.Recipient, tmp)
	if err != nil {
		g.t.Fatal(err)
	}
	g.temps[s.Index] = tmp
	c := seal.Commit(tmp.String())
	return &pb.Msg{Kind: &pb.Msg_SubmitResult{SubmitResult: &pb.SubmitResult{Workload: w.Id, Slot: s.Index,
		Sealed: file, Commit: c[:], Outcome: pb.Outcome_OUTCOME_PROOF, CyclesUsed: hdr.CyclesUsed}}}
}

// leave has prover 5 unbond, a second account send it funds, and prover 5
// withdraw once its cooldown is over.
func (g *goldenStory) leave() {
	g.send(5, &pb.Msg{Kind: &pb.Msg_Unbond{Unbond: &pb.Unbond{}}})
	g.send(1, &pb.Msg{Kind: &pb.Msg_Transfer{Transfer: &pb.Transfer{To: g.addr(5).Bytes(), Amount: 777}}})
	g.block()
	g.block()
	g.block()
	g.send(5, &pb.Msg{Kind: &pb.Msg_Withdraw{Withdraw: &pb.Withdraw{}}})
	g.block()
	p, err := protocol.GetProver(g.c.app.Committed(), g.addr(5))
	if err != nil || p.State != pb.ProverState_PROVER_STATE_EXITED {
		g.t.Fatalf("prover 5 did not exit: %v %v", p, err)
	}
}

// block signs each account's pending messages into one transaction (and
// each Vote into one of its own),
// checks each in the mempool, and runs one height through the App; every
// transaction must succeed. It records the height's app hash.
func (g *goldenStory) block() {
	t, c := g.t, g.c
	var txs [][]byte
	var sent []string // account:message kinds, per transaction
	for i := range c.keys {
		if len(g.pending[i]) == 0 {
			continue
		}
		nonce := g.account(i).Nonce
		for _, msgs := range splitVotes(g.pending[i]) {
			kinds := make([]string, len(msgs))
			for j, m := range msgs {
				kinds[j] = string(m.ProtoReflect().WhichOneof(m.ProtoReflect().Descriptor().Oneofs().ByName("kind")).Name())
			}
			sent = append(sent, fmt.Sprintf("%d:%s", i, strings.Join(kinds, ",")))
			raw := g.sign(i, nonce, msgs)
			nonce++
			if res := c.checkTx(raw); res.Code != 0 {
				t.Fatalf("height %d: account %d: CheckTx refused: %s", c.height+1, i, res.Log)
			}
			txs = append(txs, raw)
		}
	}
	clear(g.pending)
	h := c.height + 1
	proposal := c.prepare(h, txs)
	if st := c.process(h, c.valAddr, proposal); st != abci.PROCESS_PROPOSAL_STATUS_ACCEPT {
		t.Fatalf("height %d: proposal rejected", h)
	}
	resp, err := c.app.FinalizeBlock(ctx, &abci.FinalizeBlockRequest{Txs: proposal, Height: h,
		Time: time.Unix(1_700_000_000+h, 0), ProposerAddress: c.valAddr, Hash: bytes.Repeat([]byte{byte(h)}, 32)})
	if err != nil {
		t.Fatalf("height %d: %v", h, err)
	}
	for i, r := range resp.TxResults[1:] {
		if r.Code != 0 {
			t.Fatalf("height %d tx %d: %s: %s", h, i, wire.Code(r.Code), r.Log)
		}
	}
	if _, err := c.app.Commit(ctx, &abci.CommitRequest{}); err != nil {
		t.Fatal(err)
	}
	c.height, c.hashes[h] = h, resp.AppHash
	fmt.Fprintf(&g.out, "height %d %x\n", h, resp.AppHash)
	for _, tx := range sent {
		fmt.Fprintf(&g.out, "  %s\n", tx)
	}
}

// splitVotes groups an account's messages into transactions: the others
// together, then each Vote alone (tx.go: a Vote travels alone).
func splitVotes(msgs []*pb.Msg) [][]*pb.Msg {
	var others []*pb.Msg
	var out [][]*pb.Msg
	for _, m := range msgs {
		if m.GetVote() != nil {
			out = append(out, []*pb.Msg{m})
		} else {
			others = append(others, m)
		}
	}
	if len(others) > 0 {
		out = append([][]*pb.Msg{others}, out...)
	}
	return out
}

// sign makes acct's transaction of msgs with nonce and the smallest fee
// the chain accepts.
func (g *goldenStory) sign(acct int, nonce uint64, msgs []*pb.Msg) []byte {
	var fee uint64
	for {
		raw, err := txn.Sign(g.c.keys[acct].Private, &pb.TxBody{ChainId: chainID, Nonce: nonce, Fee: fee, Messages: msgs})
		if err != nil {
			g.t.Fatal(err)
		}
		need := g.c.params.MinFee(len(raw), msgs)
		if fee >= need {
			return raw
		}
		fee = need
	}
}

func (g *goldenStory) account(i int) *pb.Account {
	a, err := protocol.GetAccount(g.c.app.Committed(), g.addr(i))
	if err != nil {
		g.t.Fatal(err)
	}
	return a
}

func (g *goldenStory) addr(i int) address.Address { return addrOf(g.c.keys[i]) }

// index is the account number of a prover address.
func (g *goldenStory) index(a []byte) int {
	for i := range g.c.keys {
		if bytes.Equal(g.addr(i).Bytes(), a) {
			return i
		}
	}
	g.t.Fatalf("address %x is no account of the story", a)
	return -1
}
