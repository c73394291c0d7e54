package bench

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"fmt"
	"maps"
	"slices"

	"filippo.io/age"

	"github.com/provernet/provernet/internal/protocol"
	"github.com/provernet/provernet/internal/store/iavltree"
	"github.com/provernet/provernet/wire"
	"github.com/provernet/provernet/wire/address"
	"github.com/provernet/provernet/wire/pb"
	"github.com/provernet/provernet/wire/seal"
	"github.com/provernet/provernet/wire/txn"
)

// storyChain plays a scripted attack through the real protocol: signed
// transactions through protocol.DeliverTx, blocks through ApplyBeacon and
// BeginBlock, real age-sealed results, on an in-memory IAVL tree, with the
// section 9 invariants after every block. It is the scenario files'
// harness (internal/protocol/scenario_test.go) cut down to the commands
// the attack stories use. Transaction fees are zero, as in those files:
// the figures are what the rules themselves move.
type storyChain struct {
	tree  *iavltree.Tree
	env   protocol.Env
	keys  map[string]ed25519.PrivateKey
	users map[string]*age.X25519Identity
	temps map[string]*age.X25519Identity // "workload/slot" -> the submitted file's temporary identity
	files map[string][]byte              // sealed files by the name the story gave them
	runs  []runRecord
	err   error // the first failure; every later step is skipped
}

// runRecord is a Run the story sent: who sent it and its id.
type runRecord struct {
	owner string
	id    []byte
}

func newStory(accounts map[string]uint64) *storyChain {
	s := &storyChain{tree: iavltree.OpenMemory(), keys: map[string]ed25519.PrivateKey{}, users: map[string]*age.X25519Identity{},
		temps: map[string]*age.X25519Identity{}, files: map[string][]byte{}}
	p := protocol.DefaultParams()
	p.FeePerByte, p.FeePerMsg, p.FeePerWeight, p.RegistrationFee = 0, 0, 0, 0
	p.MinProverStake = 1000
	g := protocol.Genesis{Params: p, BeaconSeed: make([]byte, 32),
		Validators: []protocol.GenesisValidator{{Address: make([]byte, 20), VRFPublicKey: make([]byte, 32)}}}
	for _, name := range sortedKeys(accounts) {
		g.Accounts = append(g.Accounts, protocol.GenesisAccount{Address: s.addr(name), Balance: accounts[name]})
	}
	s.fail(protocol.InitGenesis(s.tree.Working(), "attack", &g))
	s.env = protocol.Env{ChainID: "attack", Height: 1, Params: p}
	return s
}

func (s *storyChain) fail(err error) {
	if err != nil && s.err == nil {
		s.err = err
	}
}

func (s *storyChain) key(name string) ed25519.PrivateKey {
	if k, ok := s.keys[name]; ok {
		return k
	}
	seed := sha256.Sum256([]byte("key:" + name)) // the scenario files' keys, so the draws match theirs
	s.keys[name] = ed25519.NewKeyFromSeed(seed[:])
	return s.keys[name]
}

func (s *storyChain) addr(name string) address.Address {
	return address.FromPublicKey(s.key(name).Public().(ed25519.PublicKey))
}

// send signs m as from with its next nonce and delivers it; a rejection is
// a failure of the story unless rejected is set.
func (s *storyChain) send(from string, m *pb.Msg) {
	if s.err != nil {
		return
	}
	a, err := protocol.GetAccount(s.tree.Working(), s.addr(from))
	if err != nil {
		s.fail(err)
		return
	}
	raw, err := txn.Sign(s.key(from), &pb.TxBody{ChainId: s.env.ChainID, Nonce: a.Nonce, Messages: []*pb.Msg{m}})
	if err != nil {
		s.fail(err)
		return
	}
	res, err := protocol.DeliverTx(s.tree.Working(), s.env, raw)
	if err == nil && !res.OK() {
		err = fmt.Errorf("%s's %T rejected at height %d: %s", from, m.GetKind(), s.env.Height, res.Log)
	}
	s.fail(err)
}

// finalize ends n blocks.
func (s *storyChain) finalize(n int) {
	for range n {
		if s.err != nil {
			return
		}
		if _, err := protocol.EndBlock(s.tree.Working(), s.env, protocol.EmptyFill(s.env.Params)); err != nil {
			s.fail(err)
			return
		}
		if _, _, err := s.tree.Commit(); err != nil {
			s.fail(err)
			return
		}
		kv := s.tree.Working()
		if err := protocol.CheckInvariants(kv); err != nil {
			s.fail(fmt.Errorf("invariants at height %d: %w", s.env.Height, err))
			return
		}
		s.env.Height++
		prev, err := protocol.Seed(kv)
		if err != nil {
			s.fail(err)
			return
		}
		next := sha256.Sum256(append(prev, byte(s.env.Height)))
		if _, err := protocol.ApplyBeacon(kv, &pb.BeaconEntry{Height: s.env.Height, PrevSeed: prev, Seed: next[:]}); err != nil {
			s.fail(err)
			return
		}
		s.env.Block = nil
		block, _, err := protocol.BeginBlock(kv, s.env)
		s.fail(err)
		s.env.Block = block
	}
}

// provers registers and stakes 1000 for each name, with cores cores.
func (s *storyChain) provers(cores uint32, names ...string) {
	for _, name := range names {
		vrfKey := sha256.Sum256([]byte("vrf:" + name))
		s.send(name, &pb.Msg{Kind: &pb.Msg_RegisterProver{RegisterProver: &pb.RegisterProver{VrfPublicKey: vrfKey[:],
			Hardware: &pb.Hardware{CpuCores: cores, MemoryMb: 1024 * uint64(cores)}, MaxConcurrent: 2}}})
		s.send(name, &pb.Msg{Kind: &pb.Msg_Stake{Stake: &pb.Stake{Amount: 1000}}})
	}
}

// deploy deploys a program needing cores cores and returns its id.
func (s *storyChain) deploy(from, name string, cores uint32) []byte {
	pv, vf := sha256.Sum256([]byte("prover:"+name)), sha256.Sum256([]byte("verifier:"+name))
	s.send(from, &pb.Msg{Kind: &pb.Msg_Deploy{Deploy: &pb.Deploy{Name: name, Prover: &pb.Module{Sha256: pv[:], Size: 100},
		Verifier: &pb.Module{Sha256: vf[:], Size: 100}, MinHardware: &pb.Hardware{CpuCores: cores}}}})
	return wire.ProgramID(pv[:], vf[:])
}

// run sends a 1-cycle Run of k provers and returns the workload id.
func (s *storyChain) run(from string, prog []byte, k uint32, deadline int64) []byte {
	if s.err != nil {
		return nil
	}
	acct, err := protocol.GetAccount(s.tree.Working(), s.addr(from))
	if err != nil {
		s.fail(err)
		return nil
	}
	id := wire.WorkloadID(s.addr(from), acct.Nonce, 0)
	if s.users[from] == nil {
		s.users[from], err = age.GenerateX25519Identity()
		s.fail(err)
	}
	s.send(from, &pb.Msg{Kind: &pb.Msg_Run{Run: &pb.Run{Program: prog, Cycles: 1, Provers: k,
		Recipient: s.users[from].Recipient().String(), Deadline: deadline,
		Inputs: []*pb.Input{{Name: "input", Data: []byte("attack story input")}}}}})
	s.runs = append(s.runs, runRecord{owner: from, id: id})
	return id
}

func slotKey(w []byte, slot uint32) string { return fmt.Sprintf("%x/%d", w, slot) }

// sealFor seals a result of prover from for slot of w and returns the file.
func (s *storyChain) sealFor(from string, w []byte, slot uint32, outcome seal.Outcome) []byte {
	if s.err != nil {
		return nil
	}
	wl, err := protocol.WorkloadView(s.tree.Working(), w)
	if err != nil {
		s.fail(err)
		return nil
	}
	temp, err := seal.NewIdentity()
	if err != nil {
		s.fail(err)
		return nil
	}
	file, err := seal.Seal(seal.Header{Workload: [32]byte(w), Slot: slot, Prover: s.addr(from), Outcome: outcome, CyclesUsed: 1},
		[]byte("proof of "+from), wl.Recipient, temp)
	s.fail(err)
	s.temps[slotKey(w, slot)] = temp
	return file
}

// submit sends file (nil: a fresh one of outcome) as from's result for slot.
func (s *storyChain) submit(from string, w []byte, slot uint32, outcome seal.Outcome, file []byte) {
	commitTo := s.temps[slotKey(w, slot)]
	if file == nil {
		file = s.sealFor(from, w, slot, outcome)
		commitTo = s.temps[slotKey(w, slot)]
	}
	if s.err != nil {
		return
	}
	var c [32]byte
	if commitTo != nil {
		c = seal.Commit(commitTo.String())
	} else {
		c = sha256.Sum256([]byte("a copier's commit, to an identity it does not have"))
	}
	s.send(from, &pb.Msg{Kind: &pb.Msg_SubmitResult{SubmitResult: &pb.SubmitResult{Workload: w, Slot: slot, Sealed: file,
		Commit: c[:], Outcome: pb.Outcome(outcome), CyclesUsed: 1}}})
}

func (s *storyChain) reveal(from string, w []byte, slot uint32) {
	if id := s.temps[slotKey(w, slot)]; id != nil {
		s.send(from, &pb.Msg{Kind: &pb.Msg_RevealKey{RevealKey: &pb.RevealKey{Workload: w, Slot: slot, Identity: id.String()}}})
	}
}

func (s *storyChain) vote(from string, w []byte, slot uint32, valid bool) {
	wl, err := protocol.GetWorkload(s.tree.Working(), w)
	if err != nil || int(slot) >= len(wl.Slots) {
		s.fail(fmt.Errorf("vote on %x/%d: %v", w, slot, err))
		return
	}
	verdict := wire.VerdictValid
	if !valid {
		verdict = wire.VerdictInvalid
	}
	s.send(from, &pb.Msg{Kind: &pb.Msg_Vote{Vote: &pb.Vote{Ballots: []uint64{wl.Slots[slot].Ballot}, Verdicts: []byte{byte(verdict)}}}})
}

// holdings is the balance plus the stake of each name.
func (s *storyChain) holdings(names ...string) int64 {
	var total int64
	for _, name := range names {
		a, err := protocol.GetAccount(s.tree.Working(), s.addr(name))
		if err != nil {
			s.fail(err)
			return 0
		}
		total += int64(a.Balance)
		if p, err := protocol.GetProver(s.tree.Working(), s.addr(name)); err == nil {
			total += int64(p.Stake)
		}
	}
	return total
}

func sortedKeys[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}

// assigned is the name (among names) of the prover holding slot of w.
func (s *storyChain) assigned(w []byte, slot uint32, names ...string) string {
	if s.err != nil {
		return ""
	}
	wl, err := protocol.WorkloadView(s.tree.Working(), w)
	if err != nil || int(slot) >= len(wl.Slots) {
		s.fail(fmt.Errorf("no slot %d: %v", slot, err))
		return ""
	}
	for _, n := range names {
		a := s.addr(n)
		if bytes.Equal(wl.Slots[slot].Prover, a[:]) {
			return n
		}
	}
	s.fail(fmt.Errorf("slot %d is held by none of %v", slot, names))
	return ""
}
