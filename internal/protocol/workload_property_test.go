package protocol_test

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"flag"
	"fmt"
	"math/rand/v2"
	"testing"
	"testing/cryptotest"
	"time"

	"filippo.io/age"

	"github.com/provernet/provernet/internal/protocol"
	"github.com/provernet/provernet/wire"
	"github.com/provernet/provernet/wire/address"
	"github.com/provernet/provernet/wire/pb"
	"github.com/provernet/provernet/wire/seal"
	"github.com/provernet/provernet/wire/txn"
)

var propSeed = flag.Int64("seed", -1, "TestWorkloadProperty: run only this seed (a failure prints it); -1 runs the fixed seeds and a fresh one")

// propFixedSeeds always run, so CI covers known stories; a fresh seed
// joins them on every run and is printed, so whatever it finds replays.
var propFixedSeeds = []uint64{1, 2, 3, 4}

// TestWorkloadProperty is a metamorphic test in the manner of pebble's
// internal/metamorphic. A seed generates a random story: Runs, and the
// messages of honest and faulty provers (decliners, silent ones, forgers,
// copiers, mislabellers, non-revealers, failers, random voters), signed
// as transactions, block after block, reacting to the state as it goes.
// The story is generated on a reference replica, which checks PROTOCOL.md
// 9 after every block (supply, at most k rewarded proofs, no reward
// before finality) and at the end that every workload settled in exactly
// one terminal state. The same operation log is then replayed on replicas
// whose settings differ in ways that must be invisible (propConfigs); each
// must produce the same history: every transaction's result and events,
// every block's own events and app hash.
//
// Every run logs its seeds; a failing seed writes its operation log and
// the differing histories to files and prints their paths and the command
// that replays it (-seed N). Randomness is seeded throughout: the story's
// choices (math/rand), the keys (fixed), and age's keys and nonces
// (testing/cryptotest), so a seed replays byte for byte.
func TestWorkloadProperty(t *testing.T) {
	seeds := propFixedSeeds
	if testing.Short() {
		seeds = seeds[:2]
	}
	if *propSeed >= 0 {
		seeds = []uint64{uint64(*propSeed)}
	} else {
		fresh := uint64(time.Now().UnixNano()) & (1<<63 - 1)
		seeds = append(seeds[:len(seeds):len(seeds)], fresh)
		t.Logf("fresh seed %d (replay: go test ./internal/protocol -run TestWorkloadProperty -seed %d)", fresh, fresh)
	}
	for _, seed := range seeds {
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) { runPropSeed(t, seed) })
	}
}

// propOptions are settings that change how a replica executes blocks but
// must not change anything it computes.
type propOptions struct {
	// txCache runs each unit of a block's work (the beacon and
	// BeginBlock, each transaction, RecordFill) in a store.Cache of its
	// own over the block's cache, written into it after the unit; without
	// it they write to the block's cache directly.
	txCache bool
	// shuffle replaces that store.Cache by a plain map buffer
	// (shuffledBuffer) that merges reads naively and flushes in a seeded
	// random order: the order in which a map-held buffer happens to be
	// flushed must not matter, and store.Cache's reads (Iterate's merge)
	// must agree with the naive ones.
	shuffle bool
	// warm runs CheckTx on every transaction first, against the
	// mempool's view of the last committed state, sharing the decoded
	// transactions with delivery as internal/chain does (the cache of
	// Env.Decode); cold replicas deliver undecoded bytes with no CheckTx.
	warm bool
}

func (o propOptions) String() string {
	s := "block-cache"
	if o.txCache {
		s = "tx-cache"
		if o.shuffle {
			s = "tx-cache-shuffled"
		}
	}
	if o.warm {
		return s + "+warm-checktx"
	}
	return s + "+cold"
}

// propConfigs are the replicas of every seed; the first generates the
// story. What every replica shares is the chain's rule for the app hash: a
// block's writes gather in one store.Cache and reach the IAVL tree once,
// in key order, at the end of the block. That is not a setting: the
// tree's shape, and so its hash, depends on the order of its writes, and
// writing each transaction straight to the tree gives another hash.
var propConfigs = []propOptions{
	{},
	{warm: true},
	{txCache: true},
	{txCache: true, warm: true},
	{txCache: true, shuffle: true},
	{txCache: true, shuffle: true, warm: true},
}

// propBlocks is how many blocks follow the setup block; Runs stop after
// propQuiet so that everything settles.
const (
	propBlocks = 70
	propQuiet  = 45
)

func runPropSeed(t *testing.T, seed uint64) {
	cryptotest.SetGlobalRandom(t, seed)
	w := newPropWorld(t, seed)
	replicas := []*propNode{w.node}
	t.Cleanup(func() {
		if t.Failed() {
			writePropFailure(t, seed, w, replicas)
		}
	})
	for h := 0; h < propBlocks; h++ {
		w.block(t, h >= propQuiet)
	}
	w.checkAllSettled(t)
	for i, opts := range propConfigs[1:] {
		r := newPropNode(t, opts, w.genesis, seed+uint64(i)+1)
		replicas = append(replicas, r)
		r.replay(t, w.node.blocks)
		if line, ref, got, ok := firstDifference(w.node.history, r.history); !ok {
			t.Fatalf("replica %s differs from %s at history line %d:\n  %s: %s\n  %s: %s",
				opts, w.node.opts, line+1, w.node.opts, ref, opts, got)
		}
	}
}

// firstDifference compares two histories line by line.
func firstDifference(ref, got []string) (line int, a, b string, same bool) {
	for i := range max(len(ref), len(got)) {
		a, b = "(end)", "(end)"
		if i < len(ref) {
			a = ref[i]
		}
		if i < len(got) {
			b = got[i]
		}
		if a != b {
			return i, a, b, false
		}
	}
	return 0, "", "", true
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

// propActor is an account of the story: a name, a key and its address.
type propActor struct {
	name string
	key  ed25519.PrivateKey
	addr address.Address
}

func newActor(name string) propActor {
	seed := sha256.Sum256([]byte("prop key:" + name))
	key := ed25519.NewKeyFromSeed(seed[:])
	return propActor{name: name, key: key, addr: address.FromPublicKey(key.Public().(ed25519.PublicKey))}
}

type propProver struct {
	propActor
	kind behaviour
}

// propWorld generates a story on the reference replica: every choice
// comes from rng and from the state the replica shows.
type propWorld struct {
	rng     *rand.Rand
	node    *propNode
	genesis *protocol.Genesis
	user    propActor
	userID  *age.X25519Identity
	provers []propProver
	prog    []byte
	ids     [][]byte                       // every workload, in creation order
	temps   map[string]*age.X25519Identity // "id/slot" -> temporary identity
	files   [][]byte                       // every sealed file seen, for copiers
}

func propParams() protocol.Params {
	p := protocol.DefaultParams()
	p.FeePerByte, p.FeePerMsg, p.FeePerWeight, p.MinProverStake, p.RegistrationFee = 0, 0, 0, 1000, 500
	p.AcceptWindow, p.RevealWindow, p.VoteWindow, p.ReopenWindow = 2, 3, 3, 3
	p.EpochLength, p.MaxDeclinesPerEpoch, p.CommitteeSize = 10, 3, 5
	p.CyclesPerBlock = 1_000_000
	return p
}

func newPropWorld(t *testing.T, seed uint64) *propWorld {
	w := &propWorld{rng: rand.New(rand.NewPCG(seed, 7)), temps: map[string]*age.X25519Identity{}, user: newActor("user")}
	g := protocol.Genesis{Params: propParams(), BeaconSeed: make([]byte, 32),
		Validators: []protocol.GenesisValidator{{Address: make([]byte, 20), VRFPublicKey: make([]byte, 32)}},
		Accounts:   []protocol.GenesisAccount{{Address: w.user.addr, Balance: 1 << 40}}}
	kinds := []behaviour{honest, honest, honest, honest, decliner, silentProver, invalidProver, copier, noRevealer, mislabeller, failer, randomVoter}
	for i, k := range kinds {
		p := propProver{propActor: newActor(fmt.Sprintf("p%02d", i)), kind: k}
		w.provers = append(w.provers, p)
		g.Accounts = append(g.Accounts, protocol.GenesisAccount{Address: p.addr, Balance: 5500})
	}
	w.genesis = &g
	w.node = newPropNode(t, propConfigs[0], &g, seed)
	var err error
	if w.userID, err = age.GenerateX25519Identity(); err != nil {
		t.Fatal(err)
	}
	pv, vf := sha256.Sum256([]byte("pv")), sha256.Sum256([]byte("vf"))
	w.prog = wire.ProgramID(pv[:], vf[:])
	w.send(t, w.user, &pb.Msg{Kind: &pb.Msg_Deploy{Deploy: &pb.Deploy{Name: "prog",
		Prover: &pb.Module{Sha256: pv[:], Size: 1}, Verifier: &pb.Module{Sha256: vf[:], Size: 1}}}})
	for _, pr := range w.provers {
		vk := sha256.Sum256([]byte(pr.name))
		w.send(t, pr.propActor, &pb.Msg{Kind: &pb.Msg_RegisterProver{RegisterProver: &pb.RegisterProver{VrfPublicKey: vk[:],
			Hardware: &pb.Hardware{CpuCores: 4, MemoryMb: 4096}, MaxConcurrent: 3}}})
		w.send(t, pr.propActor, &pb.Msg{Kind: &pb.Msg_Stake{Stake: &pb.Stake{Amount: 1000}}})
		// issue 17: every prover asks, so market and pool Runs fill
		// provers up (max_concurrent 3) and slots free again: the book
		// and the pool's score index must follow (CheckBook and
		// CheckPoolIndex, in CheckInvariants after every block); silent
		// pool members are slashed (the supply invariant).
		w.send(t, pr.propActor, &pb.Msg{Kind: &pb.Msg_SetAsk{SetAsk: &pb.SetAsk{Price: uint64(1 + w.rng.IntN(20)),
			Latency: int64(2 + w.rng.IntN(3)), Classes: []string{protocol.ClassCPU}}}})
	}
	return w
}

// send signs m as from's next transaction and delivers it on the
// reference replica. A transaction must pass admission; its message may
// be refused (that is part of the story).
func (w *propWorld) send(t *testing.T, from propActor, m *pb.Msg) protocol.Result {
	acct, err := protocol.GetAccount(w.node.view(), from.addr)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := txn.Sign(from.key, &pb.TxBody{ChainId: propChainID, Nonce: acct.Nonce, Messages: []*pb.Msg{m}})
	if err != nil {
		t.Fatal(err)
	}
	res := w.node.deliver(t, propTx{from: from.name, nonce: acct.Nonce, msg: m, raw: raw})
	if !res.Admitted {
		t.Fatalf("height %d: %s's %T was not admitted: %s %s", w.node.env.Height, from.name, m.Kind, res.Code, res.Log)
	}
	return res
}

// block runs one block's messages in random order, then ends the block on
// the reference replica.
func (w *propWorld) block(t *testing.T, quiet bool) {
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
	w.node.endBlock(t)
	if err := protocol.CheckInvariants(w.node.tree.Working()); err != nil {
		t.Fatalf("after block %d: %v", w.node.env.Height, err)
	}
	w.node.beginBlock(t)
}

func (w *propWorld) run(t *testing.T) {
	acct, err := protocol.GetAccount(w.node.view(), w.user.addr)
	if err != nil {
		t.Fatal(err)
	}
	id := wire.WorkloadID(w.user.addr, acct.Nonce, 0)
	k := 1 + w.rng.IntN(3)
	run := &pb.Run{Program: w.prog, Cycles: 1_000_000,
		Provers: uint32(k), Recipient: w.userID.Recipient().String(), Deadline: int64(4 + w.rng.IntN(5))}
	switch w.rng.IntN(3) { // issue 17: a third of the Runs go to the market, a third to the pool
	case 1:
		run.Market = &pb.MarketOrder{Mechanism: pb.Mechanism_MECHANISM_MARKET, MaxPrice: uint64(5 + w.rng.IntN(20)),
			Priority: pb.Priority(w.rng.IntN(2))}
	case 2:
		run.Market = &pb.MarketOrder{Mechanism: pb.Mechanism_MECHANISM_POOL, MaxPrice: uint64(5 + w.rng.IntN(20))}
	}
	res := w.send(t, w.user, &pb.Msg{Kind: &pb.Msg_Run{Run: run}})
	if !res.OK() {
		t.Fatalf("run refused: %s", res.Log)
	}
	w.ids = append(w.ids, id)
}

// act lets one prover do what its behaviour says about one workload.
func (w *propWorld) act(t *testing.T, id []byte, pr propProver) {
	wl, err := protocol.GetWorkload(w.node.view(), id)
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
				w.send(t, pr.propActor, &pb.Msg{Kind: &pb.Msg_RevealKey{RevealKey: &pb.RevealKey{Workload: id, Slot: s.Index, Identity: tmp.String()}}})
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
		w.send(t, pr.propActor, &pb.Msg{Kind: &pb.Msg_Decline{Decline: &pb.Decline{Workload: wl.Id, Slot: s.Index}}})
	default:
		w.send(t, pr.propActor, &pb.Msg{Kind: &pb.Msg_Accept{Accept: &pb.Accept{Workload: wl.Id, Slot: s.Index}}})
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
	res := w.send(t, pr.propActor, &pb.Msg{Kind: &pb.Msg_SubmitResult{SubmitResult: &pb.SubmitResult{Workload: wl.Id, Slot: s.Index,
		Sealed: file, Commit: c[:], Outcome: pb.Outcome(outcome), CyclesUsed: cycles}}})
	if res.OK() {
		w.temps[fmt.Sprintf("%x/%d", wl.Id, s.Index)] = tmp
		w.files = append(w.files, file)
	}
}

// vote: honest members judge the revealed file as a daemon does
// (seal.Judge) and vote on its content; a random voter picks any verdict.
func (w *propWorld) vote(t *testing.T, wl *pb.Workload, s *pb.Slot, pr propProver) {
	verdict := wire.Verdict(1 + w.rng.IntN(3))
	if pr.kind != randomVoter {
		file, err := protocol.SealedFile(w.node.view(), wl.Id, s.Index)
		if err != nil {
			t.Fatal(err)
		}
		verdict = judged(file, wl, s, 1<<20, func(proof []byte) bool { return string(proof) == "valid proof" })
	}
	w.send(t, pr.propActor, &pb.Msg{Kind: &pb.Msg_Vote{Vote: &pb.Vote{Ballots: []uint64{s.Ballot}, Verdicts: []byte{byte(verdict)}}}})
}

// judged is an honest member's verdict on a revealed file: seal.Judge's,
// then the verifier's (verifies) on the proof inside.
func judged(file []byte, wl *pb.Workload, s *pb.Slot, maxProof int, verifies func([]byte) bool) wire.Verdict {
	want := seal.Header{Slot: s.Index, Outcome: seal.Outcome(s.Outcome), CyclesUsed: s.CyclesUsed}
	copy(want.Workload[:], wl.Id)
	copy(want.Prover[:], s.Prover)
	switch j, proof, _ := seal.Judge(file, s.Identity, want, wl.Recipient, maxProof); {
	case j == seal.Copied:
		return wire.VerdictCopied
	case j == seal.Invalid || !verifies(proof):
		return wire.VerdictInvalid
	}
	return wire.VerdictValid
}

func (w *propWorld) checkAllSettled(t *testing.T) {
	count := map[pb.WorkloadState]int{}
	for _, id := range w.ids {
		wl, err := protocol.GetWorkload(w.node.view(), id)
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
