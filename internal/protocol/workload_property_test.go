package protocol_test

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"math/rand/v2"
	"testing"

	"filippo.io/age"

	"github.com/provernet/provernet/internal/protocol"
	"github.com/provernet/provernet/internal/store/iavltree"
	"github.com/provernet/provernet/wire"
	"github.com/provernet/provernet/wire/address"
	"github.com/provernet/provernet/wire/pb"
	"github.com/provernet/provernet/wire/seal"
)

// TestWorkloadProperty drives random interleavings of Runs and of messages
// from honest and faulty provers through the real state machine and checks
// PROTOCOL.md 9 after every block: supply, at most k rewarded proofs, no
// reward before finality, and at the end every workload settled in exactly
// one terminal state. Each seed runs twice on separate stores, which must
// reach the same app hash block by block: a second store replays the
// messages the first one was given and must reach the same app hash.
func TestWorkloadProperty(t *testing.T) {
	seeds := 24
	if testing.Short() {
		seeds = 4
	}
	for seed := range uint64(seeds) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			a := newPropWorld(t, seed)
			b := &replica{tree: iavltree.OpenMemory(), env: a.genesisEnv}
			if err := protocol.InitGenesis(b.tree.Working(), "prop", a.genesis); err != nil {
				t.Fatal(err)
			}
			for h := 0; h < 70; h++ {
				quiet := h >= 45 // no new Runs: let everything settle
				ha := a.block(t, quiet)
				if hb := b.replay(t, a.log); !bytes.Equal(ha, hb) {
					t.Fatalf("seed %d block %d: app hashes differ: %x vs %x", seed, h, ha, hb)
				}
				a.log = nil
			}
			a.checkAllSettled(t)
		})
	}
}

// logged is one message as the first store was given it.
type logged struct {
	from  address.Address
	nonce uint64
	msg   *pb.Msg
}

// replica applies another world's messages block by block.
type replica struct {
	tree *iavltree.Tree
	env  protocol.Env
}

func (r *replica) replay(t *testing.T, msgs []logged) []byte {
	for _, m := range msgs {
		if _, err := protocol.Apply(r.tree.Working(), r.env, m.from, m.nonce, m.msg); err != nil {
			t.Fatal(err)
		}
	}
	return endBlock(t, r.tree, &r.env)
}

// endBlock commits, checks the invariants and starts the next block with
// a deterministic beacon; it returns the committed hash.
func endBlock(t *testing.T, tree *iavltree.Tree, env *protocol.Env) []byte {
	hash, _, err := tree.Commit()
	if err != nil {
		t.Fatal(err)
	}
	if err := protocol.CheckInvariants(tree.Working()); err != nil {
		t.Fatalf("after block %d: %v", env.Height, err)
	}
	env.Height++
	kv := tree.Working()
	prev, err := protocol.Seed(kv)
	if err != nil {
		t.Fatal(err)
	}
	next := sha256.Sum256(append(prev, byte(env.Height), byte(env.Height>>8)))
	if _, err := protocol.ApplyBeacon(kv, &pb.BeaconEntry{Height: env.Height, PrevSeed: prev, Seed: next[:]}); err != nil {
		t.Fatal(err)
	}
	block, _, err := protocol.BeginBlock(kv, *env)
	if err != nil {
		t.Fatal(err)
	}
	env.Block = block
	return hash
}

// behaviour is how a simulated prover acts.
type behaviour int

const (
	honest behaviour = iota
	decliner
	silentProver
	invalidProver // submits proofs the honest committee rejects
	copier        // resubmits another slot's file
	noRevealer
	mislabeller // seals a header naming another prover
	failer      // reports the cycle limit
	randomVoter
)

type propProver struct {
	name string
	addr address.Address
	kind behaviour
}

type propWorld struct {
	rng     *rand.Rand
	tree    *iavltree.Tree
	env     protocol.Env
	user    address.Address
	userID  *age.X25519Identity
	provers []propProver
	prog    []byte
	ids     [][]byte                       // every workload, in creation order
	temps   map[string]*age.X25519Identity // "id/slot" -> temporary identity
	files   [][]byte                       // every sealed file seen, for copiers
	nonce   uint64

	genesis    *protocol.Genesis
	genesisEnv protocol.Env
	log        []logged // messages since the last block
}

func newPropWorld(t *testing.T, seed uint64) *propWorld {
	w := &propWorld{rng: rand.New(rand.NewPCG(seed, 7)), tree: iavltree.OpenMemory(), temps: map[string]*age.X25519Identity{}}
	p := protocol.DefaultParams()
	p.FeePerByte, p.FeePerMsg, p.MinProverStake, p.RegistrationFee = 0, 0, 1000, 500
	p.AcceptWindow, p.RevealWindow, p.VoteWindow, p.ReopenWindow = 2, 3, 3, 3
	p.EpochLength, p.MaxDeclinesPerEpoch, p.CommitteeSize = 10, 3, 5
	p.CyclesPerBlock = 1_000_000
	w.user = propAddr("user")
	g := protocol.Genesis{Params: p, BeaconSeed: make([]byte, 32),
		Validators: []protocol.GenesisValidator{{Address: make([]byte, 20), VRFPublicKey: make([]byte, 32)}},
		Accounts:   []protocol.GenesisAccount{{Address: w.user, Balance: 1 << 40}}}
	kinds := []behaviour{honest, honest, honest, honest, decliner, silentProver, invalidProver, copier, noRevealer, mislabeller, failer, randomVoter}
	for i, k := range kinds {
		name := fmt.Sprintf("p%02d", i)
		w.provers = append(w.provers, propProver{name: name, addr: propAddr(name), kind: k})
		g.Accounts = append(g.Accounts, protocol.GenesisAccount{Address: propAddr(name), Balance: 5500})
	}
	if err := protocol.InitGenesis(w.tree.Working(), "prop", &g); err != nil {
		t.Fatal(err)
	}
	w.env = protocol.Env{ChainID: "prop", Height: 1, Params: p}
	w.genesis, w.genesisEnv = &g, w.env
	var err error
	if w.userID, err = age.GenerateX25519Identity(); err != nil {
		t.Fatal(err)
	}
	pv, vf := sha256.Sum256([]byte("pv")), sha256.Sum256([]byte("vf"))
	w.prog = wire.ProgramID(pv[:], vf[:])
	w.apply(t, w.user, &pb.Msg{Kind: &pb.Msg_Deploy{Deploy: &pb.Deploy{Name: "prog",
		Prover: &pb.Module{Sha256: pv[:], Size: 1}, Verifier: &pb.Module{Sha256: vf[:], Size: 1}}}})
	for _, pr := range w.provers {
		vk := sha256.Sum256([]byte(pr.name))
		w.apply(t, pr.addr, &pb.Msg{Kind: &pb.Msg_RegisterProver{RegisterProver: &pb.RegisterProver{VrfPublicKey: vk[:],
			Hardware: &pb.Hardware{CpuCores: 4, MemoryMb: 4096}, MaxConcurrent: 3}}})
		w.apply(t, pr.addr, &pb.Msg{Kind: &pb.Msg_Stake{Stake: &pb.Stake{Amount: 1000}}})
	}
	return w
}

func propAddr(name string) address.Address {
	var a address.Address
	h := sha256.Sum256([]byte("addr:" + name))
	copy(a[:], h[:])
	return a
}

func (w *propWorld) apply(t *testing.T, from address.Address, m *pb.Msg) protocol.Result {
	w.nonce++
	w.log = append(w.log, logged{from, w.nonce, m})
	res, err := protocol.Apply(w.tree.Working(), w.env, from, w.nonce, m)
	if err != nil {
		t.Fatalf("height %d: %T: %v", w.env.Height, m.Kind, err)
	}
	return res
}

// block runs one block's messages in random order, commits, checks the
// invariants, and starts the next block. It returns the committed hash.
func (w *propWorld) block(t *testing.T, quiet bool) []byte {
	var acts []func()
	if !quiet {
		for range w.rng.IntN(3) {
			acts = append(acts, func() { w.run(t) })
		}
	}
	for _, id := range w.ids {
		for _, pr := range w.provers {
			acts = append(acts, func() { w.act(t, id, pr) })
		}
	}
	w.rng.Shuffle(len(acts), func(i, j int) { acts[i], acts[j] = acts[j], acts[i] })
	for _, a := range acts {
		a()
	}
	return endBlock(t, w.tree, &w.env)
}

func (w *propWorld) run(t *testing.T) {
	k := 1 + w.rng.IntN(3)
	id := wire.WorkloadID(w.user, w.nonce+1, 0)
	res := w.apply(t, w.user, &pb.Msg{Kind: &pb.Msg_Run{Run: &pb.Run{Program: w.prog, Cycles: 1_000_000,
		Provers: uint32(k), Recipient: w.userID.Recipient().String(), Deadline: int64(4 + w.rng.IntN(5))}}})
	if !res.OK() {
		t.Fatalf("run refused: %s", res.Log)
	}
	w.ids = append(w.ids, id)
}

// act lets one prover do what its behaviour says about one workload.
func (w *propWorld) act(t *testing.T, id []byte, pr propProver) {
	wl, err := protocol.GetWorkload(w.tree.Working(), id)
	if err != nil {
		t.Fatal(err)
	}
	if wl.Settled || w.rng.IntN(4) == 0 { // provers are sometimes slow
		return
	}
	for _, s := range wl.Slots {
		mine := bytes.Equal(s.Prover, pr.addr[:])
		switch {
		case mine && s.State == pb.SlotState_SLOT_STATE_ASSIGNED:
			w.answer(t, wl, s, pr)
		case (mine && s.State == pb.SlotState_SLOT_STATE_ACCEPTED) || (s.State == pb.SlotState_SLOT_STATE_OPEN && pr.kind != silentProver):
			w.submit(t, wl, s, pr)
		case mine && s.State == pb.SlotState_SLOT_STATE_SUBMITTED && pr.kind != noRevealer:
			if tmp, ok := w.temps[fmt.Sprintf("%x/%d", id, s.Index)]; ok {
				w.apply(t, pr.addr, &pb.Msg{Kind: &pb.Msg_RevealKey{RevealKey: &pb.RevealKey{Workload: id, Slot: s.Index, Identity: tmp.String()}}})
			}
		case s.State == pb.SlotState_SLOT_STATE_VERIFYING:
			w.vote(t, wl, s, pr)
		}
	}
}

func (w *propWorld) answer(t *testing.T, wl *pb.Workload, s *pb.Slot, pr propProver) {
	switch {
	case pr.kind == silentProver:
	case pr.kind == decliner || w.rng.IntN(10) == 0:
		w.apply(t, pr.addr, &pb.Msg{Kind: &pb.Msg_Decline{Decline: &pb.Decline{Workload: wl.Id, Slot: s.Index}}})
	default:
		w.apply(t, pr.addr, &pb.Msg{Kind: &pb.Msg_Accept{Accept: &pb.Accept{Workload: wl.Id, Slot: s.Index}}})
	}
}

func (w *propWorld) submit(t *testing.T, wl *pb.Workload, s *pb.Slot, pr propProver) {
	if pr.kind == silentProver {
		return
	}
	outcome, cycles, proof := seal.OutcomeProof, wl.Cycles/2, []byte("valid proof")
	switch pr.kind {
	case failer:
		outcome, cycles = seal.OutcomeFail, wl.Cycles
	case invalidProver:
		proof = []byte("forged proof")
	}
	hdr := seal.Header{Workload: [32]byte(wl.Id), Slot: s.Index, Prover: pr.addr, Outcome: outcome, CyclesUsed: cycles}
	if pr.kind == mislabeller {
		hdr.Prover = w.provers[0].addr
	}
	tmp, err := seal.NewIdentity()
	if err != nil {
		t.Fatal(err)
	}
	file, err := seal.Seal(hdr, proof, wl.Recipient, tmp)
	if err != nil {
		t.Fatal(err)
	}
	if pr.kind == copier && len(w.files) > 0 {
		file = w.files[w.rng.IntN(len(w.files))]
	}
	c := seal.Commit(tmp.String())
	res := w.apply(t, pr.addr, &pb.Msg{Kind: &pb.Msg_SubmitResult{SubmitResult: &pb.SubmitResult{Workload: wl.Id, Slot: s.Index,
		Sealed: file, Commit: c[:], Outcome: pb.Outcome(outcome), CyclesUsed: cycles}}})
	if res.OK() {
		w.temps[fmt.Sprintf("%x/%d", wl.Id, s.Index)] = tmp
		w.files = append(w.files, file)
	}
}

// vote: honest members open the revealed file and vote on its content; a
// random voter flips a coin.
func (w *propWorld) vote(t *testing.T, wl *pb.Workload, s *pb.Slot, pr propProver) {
	valid := w.rng.IntN(2) == 0
	if pr.kind != randomVoter {
		file, err := protocol.SealedFile(w.tree.Working(), wl.Id, s.Index)
		if err != nil {
			t.Fatal(err)
		}
		_, proof, err := seal.Open(file, s.Identity, 1<<20)
		valid = err == nil && string(proof) == "valid proof"
	}
	w.apply(t, pr.addr, &pb.Msg{Kind: &pb.Msg_Vote{Vote: &pb.Vote{Entries: []*pb.VoteEntry{{Workload: wl.Id, Slot: s.Index, Valid: valid}}}}})
}

func (w *propWorld) checkAllSettled(t *testing.T) {
	count := map[pb.WorkloadState]int{}
	for _, id := range w.ids {
		wl, err := protocol.GetWorkload(w.tree.Working(), id)
		if err != nil {
			t.Fatal(err)
		}
		if !wl.Settled || !protocol.Terminal(wl.State) {
			t.Errorf("workload %x ended %s settled=%v", id, protocol.WorkloadStateName(wl.State), wl.Settled)
		}
		count[wl.State]++
	}
	if count[pb.WorkloadState_WORKLOAD_STATE_FINAL] == 0 {
		t.Errorf("no workload became final among %d: %v", len(w.ids), count)
	}
	t.Logf("%d workloads: %v", len(w.ids), count)
}
