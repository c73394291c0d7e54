package sim

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"slices"

	"github.com/provernet/provernet/internal/protocol"
	"github.com/provernet/provernet/wire"
	"github.com/provernet/provernet/wire/address"
	"github.com/provernet/provernet/wire/pb"
	"github.com/provernet/provernet/wire/seal"
)

// The full fidelity: the real state machine. Every prover message goes
// through protocol.Apply (the message handlers, without a signed
// transaction around them) and every block through protocol.ApplyBeacon
// and protocol.BeginBlock, on an in-memory store; results are real age
// files from wire/seal, revealed with real temporary identities, and
// decided by the committee's real votes. protocol.CheckInvariants runs at
// the end (and after every block with CheckEveryBlock). The provers
// decide exactly as in the fast fidelity (the same plans, drawn from the
// same hashes), reading what they need from the chain's state.

type fullEngine struct {
	pop  *Population
	par  protocol.Params
	kv   *memKV
	env  protocol.Env
	led  *ledger
	prog [][]byte // program ids

	intents [][]intent
	reveals [][]int32
	votes   [][]int32

	live      []int32
	seen      [][]pb.SlotState // last observed slot states, per workload
	firstSeen []bool
	ids       map[slotRef]string // temporary identities, for reveals
	recipient string
	nextRun   int
	nextLive  int
	settled   int
	load      fillLoad
}

func newFullEngine(pop *Population) *fullEngine {
	return &fullEngine{pop: pop, par: pop.Opts.Params, kv: newMemKV(), led: newLedger(len(pop.Provers), len(pop.Workloads)),
		seen: make([][]pb.SlotState, len(pop.Workloads)), firstSeen: make([]bool, len(pop.Workloads)), ids: map[slotRef]string{}, load: newFillLoad(len(pop.Provers))}
}

func (e *fullEngine) apply(sender address.Address, nonce uint64, m *pb.Msg) (protocol.Result, error) {
	e.led.events++
	res, err := protocol.Apply(e.kv, e.env, sender, nonce, m)
	if err != nil {
		return res, fmt.Errorf("failed to apply %T at height %d: %w", m.GetKind(), e.env.Height, err)
	}
	return res, nil
}

func (e *fullEngine) mustApply(sender address.Address, nonce uint64, m *pb.Msg) error {
	res, err := e.apply(sender, nonce, m)
	if err == nil && !res.OK() {
		err = fmt.Errorf("%T at height %d rejected: %s", m.GetKind(), e.env.Height, res.Log)
	}
	return err
}

func (e *fullEngine) genesis() error {
	pop := e.pop
	g := protocol.Genesis{Params: e.par, BeaconSeed: genesisSeed(pop.Opts.Seed),
		Validators: []protocol.GenesisValidator{{Address: make([]byte, 20), VRFPublicKey: make([]byte, 32)}}}
	var fees, farmed uint64
	for i := range pop.Workloads {
		if pop.Workloads[i].Farmed {
			farmed += pop.Workloads[i].Fee
		} else {
			fees += pop.Workloads[i].Fee
		}
	}
	g.Accounts = append(g.Accounts, protocol.GenesisAccount{Address: pop.User, Balance: fees})
	if farmed > 0 {
		g.Accounts = append(g.Accounts, protocol.GenesisAccount{Address: pop.Farmer, Balance: farmed})
	}
	for i := range pop.Provers {
		g.Accounts = append(g.Accounts, protocol.GenesisAccount{Address: pop.Provers[i].Address, Balance: pop.Provers[i].Stake + e.par.RegistrationFee})
	}
	if err := protocol.InitGenesis(e.kv, "sim", &g); err != nil {
		return err
	}
	e.env = protocol.Env{ChainID: "sim", Height: 1, Params: e.par}
	id, err := seal.NewIdentity()
	if err != nil {
		return err
	}
	e.recipient = id.Recipient().String()
	for i, p := range Programs {
		pv, vf := sha256.Sum256([]byte("sim prover "+p.Name)), sha256.Sum256([]byte("sim verifier "+p.Name))
		d := &pb.Deploy{Name: p.Name, Prover: &pb.Module{Sha256: pv[:], Size: 1000}, Verifier: &pb.Module{Sha256: vf[:], Size: 1000},
			MinHardware: pbHardware(p.Min)}
		if err := e.mustApply(pop.User, uint64(1<<40+i), &pb.Msg{Kind: &pb.Msg_Deploy{Deploy: d}}); err != nil {
			return err
		}
		e.prog = append(e.prog, wire.ProgramID(pv[:], vf[:]))
	}
	for i := range pop.Provers {
		p := &pop.Provers[i]
		vrfKey := sha256.Sum256(p.Address[:])
		reg := &pb.RegisterProver{VrfPublicKey: vrfKey[:], Hardware: pbHardware(Classes[p.Class].Hardware), MaxConcurrent: p.MaxConcurrent}
		if err := e.mustApply(p.Address, 0, &pb.Msg{Kind: &pb.Msg_RegisterProver{RegisterProver: reg}}); err != nil {
			return err
		}
		if err := e.mustApply(p.Address, 1, &pb.Msg{Kind: &pb.Msg_Stake{Stake: &pb.Stake{Amount: p.Stake}}}); err != nil {
			return err
		}
	}
	if !marketMech(pop.Opts.Mechanism) {
		return nil
	}
	// The asks are set before the first Run's height, so that every Run
	// may match them (a Run sees only asks set before its height).
	e.env.Height = 0
	for i := range pop.Provers {
		for j, a := range pop.Provers[i].Asks {
			if err := e.mustApply(pop.Provers[i].Address, uint64(2+j), &pb.Msg{Kind: &pb.Msg_SetAsk{SetAsk: setAskMsg(a)}}); err != nil {
				return err
			}
		}
	}
	e.env.Height = 1
	return nil
}

func (e *fullEngine) run() (*ledger, error) {
	pop := e.pop
	if err := e.genesis(); err != nil {
		return nil, err
	}
	last, limit := runSpan(pop, e.par)
	for h := int64(1); ; h++ {
		if h > last+1 && e.settled == len(pop.Workloads) {
			e.led.height = h - 1
			break
		}
		if h > limit {
			return nil, fmt.Errorf("simulation did not settle by height %d", h)
		}
		if h > 1 {
			if err := e.beginBlock(h); err != nil {
				return nil, err
			}
		}
		if err := e.block(h); err != nil {
			return nil, err
		}
		if _, err := protocol.EndBlock(e.kv, e.env, protocol.EmptyFill(e.env.Params)); err != nil {
			return nil, err
		}
		if err := e.observe(h); err != nil {
			return nil, err
		}
		if pop.Opts.CheckEveryBlock {
			if err := protocol.CheckInvariants(e.kv); err != nil {
				return nil, fmt.Errorf("after block %d: %w", h, err)
			}
		}
	}
	return e.led, e.finish()
}

func (e *fullEngine) beginBlock(h int64) error {
	e.env.Height = h
	prev, err := protocol.Seed(e.kv)
	if err != nil {
		return err
	}
	if _, err := protocol.ApplyBeacon(e.kv, &pb.BeaconEntry{Height: h, PrevSeed: prev, Seed: beaconSeed(prev, h)}); err != nil {
		return err
	}
	e.env.Block = nil // as the chain: BeginBlock works on the state, the block's list comes after
	block, evs, err := protocol.BeginBlock(e.kv, e.env)
	if err != nil {
		return err
	}
	e.env.Block = block
	e.led.events += uint64(len(evs))
	for e.nextLive < len(e.pop.Workloads) && e.pop.Workloads[e.nextLive].Height == h-1 {
		e.live = append(e.live, int32(e.nextLive))
		e.nextLive++
	}
	return nil
}

func (e *fullEngine) block(h int64) error {
	pop := e.pop
	for e.nextRun < len(pop.Workloads) && pop.Workloads[e.nextRun].Height == h {
		w := &pop.Workloads[e.nextRun]
		run := &pb.Run{Program: e.prog[w.Program], Cycles: w.Cycles, Provers: w.K, Recipient: e.recipient,
			Deadline: w.RelDeadline(), Inputs: []*pb.Input{{Name: "input", Data: []byte("sim")}}}
		if w.Market {
			run.Market = pop.marketOrder(w)
		}
		sender := pop.User
		if w.Farmed {
			sender = pop.Farmer
		}
		if err := e.mustApply(sender, w.Nonce, &pb.Msg{Kind: &pb.Msg_Run{Run: run}}); err != nil {
			return err
		}
		e.nextRun++
	}
	if h < int64(len(e.intents)) {
		ins := e.intents[h]
		slices.SortFunc(ins, intentOrder)
		for _, in := range ins {
			var err error
			switch in.kind {
			case kAnswer:
				err = e.answer(h, in)
			case kSubmit:
				err = e.submit(h, in)
			case kCopy:
				err = e.copyResult(in)
			}
			if err != nil {
				return err
			}
		}
		e.intents[h] = nil
	}
	if h < int64(len(e.reveals)) {
		for _, w := range e.reveals[h] {
			if err := e.reveal(w); err != nil {
				return err
			}
		}
		e.reveals[h] = nil
	}
	if h < int64(len(e.votes)) {
		if err := e.vote(e.votes[h]); err != nil {
			return err
		}
		e.votes[h] = nil
	}
	return nil
}

func (e *fullEngine) push(h int64, in intent) {
	e.intents = grow(e.intents, h)
	e.intents[h] = append(e.intents[h], in)
}

func (e *fullEngine) workload(w int32) (*pb.Workload, error) {
	return protocol.WorkloadView(e.kv, e.pop.Workloads[w].ID[:])
}

func (e *fullEngine) answer(h int64, in intent) error {
	wl := &e.pop.Workloads[in.w]
	p := e.pop.Provers[in.p].Address
	w, err := e.workload(in.w)
	if err != nil {
		return err
	}
	s := w.Slots[in.slot]
	if s.State != pb.SlotState_SLOT_STATE_ASSIGNED || !bytes.Equal(s.Prover, p[:]) || h > s.AcceptBy {
		return nil // the slot closed before the answer (fastEngine.answer skips it alike)
	}
	e.led.msgs[in.p]++
	limit := dueCap(s.Promise, h, wl.Deadline)
	pl := e.pop.planFor(in.p, in.w, int(in.slot), roleAlloc, h, limit)
	if !pl.work {
		res, err := e.apply(p, 0, &pb.Msg{Kind: &pb.Msg_Decline{Decline: &pb.Decline{Workload: wl.ID[:], Slot: uint32(in.slot)}}})
		if err != nil || res.OK() {
			return err
		}
		if res.Code != wire.CodeNotAllowed {
			return fmt.Errorf("decline at height %d: %s", h, res.Log)
		}
	}
	by := e.pop.promise(in.p, pl, h, wl.Deadline)
	if err := e.mustApply(p, 0, &pb.Msg{Kind: &pb.Msg_Accept{Accept: &pb.Accept{Workload: wl.ID[:], Slot: uint32(in.slot), By: by}}}); err != nil {
		return err
	}
	if !pl.copy {
		e.schedule(in.w, in.slot, filler{p: in.p, plan: pl, limit: limit}, h, false)
	}
	return nil
}

// schedule is fastEngine.schedule.
func (e *fullEngine) schedule(w int32, k int16, f filler, start int64, fill bool) {
	cycles := e.pop.Workloads[w].Cycles
	switch {
	case f.plan.crash:
		e.led.work += workDone(cycles, f.plan.crashAt, f.plan.t)
	case start+f.plan.t > f.limit:
		e.led.work += workDone(cycles, f.limit-start, f.plan.t)
	default:
		e.push(start+f.plan.t, submitIntent(w, k, f, start, fill))
	}
}

func (e *fullEngine) submit(h int64, in intent) error {
	wl := &e.pop.Workloads[in.w]
	w, err := e.workload(in.w)
	if err != nil {
		return err
	}
	s := w.Slots[in.slot]
	if in.fill && fillerAborts(s.State == pb.SlotState_SLOT_STATE_OPEN, s.SubmitHeight, h) {
		e.led.work += workDone(wl.Cycles, s.SubmitHeight+1-int64(in.start), int64(in.t))
		return nil
	}
	if !in.fill && s.Released == "result_lag" && bytes.Equal(s.Prover, e.pop.Provers[in.p].Address[:]) {
		e.led.work += workDone(wl.Cycles, s.DecidedHeight-int64(in.start), int64(in.t)) // it stopped when its slot closed
		return nil
	}
	e.led.msgs[in.p]++
	outcome, sealed := pb.Outcome_OUTCOME_PROOF, seal.OutcomeProof
	if in.fail {
		outcome, sealed = pb.Outcome_OUTCOME_FAIL, seal.OutcomeFail
	} else {
		e.led.computed++
		e.led.work += wl.Cycles
	}
	p := e.pop.Provers[in.p].Address
	temp, err := seal.NewIdentity()
	if err != nil {
		return err
	}
	hdr := seal.Header{Workload: wl.ID, Slot: uint32(in.slot), Prover: p, Outcome: sealed, CyclesUsed: wl.Cycles}
	file, err := seal.Seal(hdr, []byte(fmt.Sprintf("proof of workload %d by prover %d", in.w, in.p)), w.Recipient, temp)
	if err != nil {
		return err
	}
	c := seal.Commit(temp.String())
	res, err := e.apply(p, 0, &pb.Msg{Kind: &pb.Msg_SubmitResult{SubmitResult: &pb.SubmitResult{
		Workload: wl.ID[:], Slot: uint32(in.slot), Sealed: file, Commit: c[:], Outcome: outcome, CyclesUsed: wl.Cycles}}})
	if err != nil {
		return err
	}
	if res.OK() {
		e.ids[slotRef{w: in.w, slot: in.slot}] = temp.String()
	}
	return nil
}

// copyResult resubmits the first result of the copier's workload as its
// own: the chain has seen that age file and refuses it.
func (e *fullEngine) copyResult(in intent) error {
	w, err := e.workload(in.w)
	if err != nil {
		return err
	}
	var src *pb.Slot
	for _, s := range w.Slots {
		if s.SubmitHeight > 0 && (src == nil || s.SubmitSeq < src.SubmitSeq) {
			src = s
		}
	}
	if src == nil {
		return fmt.Errorf("copier of workload %d has nothing to copy", in.w)
	}
	file, err := protocol.SealedFile(e.kv, w.Id, src.Index)
	if err != nil {
		return err
	}
	e.led.msgs[in.p]++
	c := sha256.Sum256(append([]byte("copier"), e.pop.Provers[in.p].Address[:]...))
	_, err = e.apply(e.pop.Provers[in.p].Address, 0, &pb.Msg{Kind: &pb.Msg_SubmitResult{SubmitResult: &pb.SubmitResult{
		Workload: w.Id, Slot: uint32(in.slot), Sealed: file, Commit: c[:], Outcome: src.Outcome, CyclesUsed: src.CyclesUsed}}})
	return err
}

func (e *fullEngine) reveal(wi int32) error {
	w, err := e.workload(wi)
	if err != nil {
		return err
	}
	for _, s := range w.Slots {
		if s.State != pb.SlotState_SLOT_STATE_SUBMITTED {
			continue
		}
		id, ok := e.ids[slotRef{w: wi, slot: int16(s.Index)}]
		if !ok {
			return fmt.Errorf("no temporary identity for workload %d slot %d", wi, s.Index)
		}
		sender, err := address.FromBytes(s.Prover)
		if err != nil {
			return err
		}
		e.led.msgs[e.pop.byAddr[sender]]++
		if err := e.mustApply(sender, 0, &pb.Msg{Kind: &pb.Msg_RevealKey{RevealKey: &pb.RevealKey{Workload: w.Id, Slot: s.Index, Identity: id}}}); err != nil {
			return err
		}
		delete(e.ids, slotRef{w: wi, slot: int16(s.Index)})
	}
	return nil
}

// vote has the committees of the proofs revealed at the previous height
// vote, workload by workload, slot by slot, member by member in address
// order, one Vote each, until two thirds agree: the members still active
// vote valid, a griefing minority invalid (fastEngine.vote decides the
// same in the same order).
func (e *fullEngine) vote(ws []int32) error {
	slices.Sort(ws)
	for _, wi := range slices.Compact(ws) {
		w, err := e.workload(wi)
		if err != nil {
			return err
		}
		for _, s := range w.Slots {
			if s.State != pb.SlotState_SLOT_STATE_VERIFYING {
				continue
			}
			if err := e.voteSlot(wi, w.Id, s); err != nil {
				return err
			}
		}
	}
	return nil
}

func (e *fullEngine) voteSlot(wi int32, id []byte, s *pb.Slot) error {
	n := len(s.Committee)
	var valid, invalid uint32
	for _, m := range s.Committee {
		a, err := address.FromBytes(m)
		if err != nil {
			return err
		}
		p := e.pop.byAddr[a]
		if !e.proverActive(p) {
			continue
		}
		ok := e.pop.Provers[p].Strategy != GriefingMinority
		if ok {
			valid++
		} else {
			invalid++
		}
		e.led.votes[p]++
		verdict := wire.VerdictValid
		if !ok {
			verdict = wire.VerdictInvalid
		}
		if err := e.mustApply(a, 0, &pb.Msg{Kind: &pb.Msg_Vote{Vote: &pb.Vote{Ballots: []uint64{s.Ballot}, Verdicts: []byte{byte(verdict)}}}}); err != nil {
			return err
		}
		if protocol.Decides(valid, n) || protocol.Decides(invalid, n) {
			return nil
		}
	}
	_ = wi
	return nil
}

func (e *fullEngine) proverActive(p int32) bool {
	pr, err := protocol.GetProver(e.kv, e.pop.Provers[p].Address)
	return err == nil && pr.State == pb.ProverState_PROVER_STATE_ACTIVE
}

// observe is what the provers learn from block h: their allocations, the
// slots that opened, first results (for copiers), reveals and votes due,
// and the workloads that settled.
func (e *fullEngine) observe(h int64) error {
	pop := e.pop
	keep := e.live[:0]
	for _, wi := range e.live {
		w, err := e.workload(wi)
		if err != nil {
			return err
		}
		wl := &pop.Workloads[wi]
		prev := e.seen[wi]
		cur := make([]pb.SlotState, len(w.Slots))
		first := protocol.FirstSubmitHeight(w) // a fail re-opened for confirmation is no result
		for k, s := range w.Slots {
			cur[k] = s.State
		}
		for k, s := range w.Slots { // allocated this block: with the Run, or re-allocated while waiting
			if s.State == pb.SlotState_SLOT_STATE_ASSIGNED && s.AcceptBy == h+e.par.AcceptWindow {
				p := pop.byAddr[address.Address(s.Prover)]
				if pop.Provers[p].Strategy != Silent {
					e.push(h+1, intent{w: wi, slot: int16(k), kind: kAnswer, p: p})
				}
			}
		}
		if prev == nil && drawnNone(w) {
			e.led.drawnNone++
		}
		for k, s := range w.Slots {
			// A market Run's slots no ask took are open to the open market
			// from the block that matched it.
			unmatched := prev == nil && w.Market != nil && len(s.AllocatedTo) == 0 && len(s.FailClaim) == 0
			if s.State != pb.SlotState_SLOT_STATE_OPEN || (prev != nil && prev[k] == pb.SlotState_SLOT_STATE_OPEN) || (len(s.AllocatedTo) == 0 && !unmatched) {
				continue // not newly open, or left to the chain's re-allocation
			}
			for _, f := range pop.fillCandidates(wi, k, h, s.OpenUntil, func(p int32) bool {
				pr, err := protocol.GetProver(e.kv, pop.Provers[p].Address)
				return err == nil && pr.State == pb.ProverState_PROVER_STATE_ACTIVE && !holdsSlot(w, pop.Provers[p].Address) &&
					int(pr.Held)+e.load.busy(p, h) < int(pop.Provers[p].MaxConcurrent)
			}) {
				e.load.add(f.p, f.plan.end(h+1, s.OpenUntil))
				e.schedule(wi, int16(k), f, h+1, true)
			}
		}
		if first == h && !e.firstSeen[wi] {
			for k, s := range w.Slots {
				if s.State != pb.SlotState_SLOT_STATE_ACCEPTED {
					continue
				}
				p := pop.byAddr[address.Address(s.Prover)]
				if pop.Provers[p].Strategy == Copier && e.proverActive(p) {
					e.push(h+1, intent{w: wi, slot: int16(k), kind: kCopy, p: p})
				}
			}
		}
		e.firstSeen[wi] = e.firstSeen[wi] || first > 0
		if w.RevealFrom == h {
			e.reveals = grow(e.reveals, h+1)
			e.reveals[h+1] = append(e.reveals[h+1], wi)
		}
		for _, s := range w.Slots {
			if s.State == pb.SlotState_SLOT_STATE_VERIFYING && s.VoteBy == h+e.par.VoteWindow {
				e.votes = grow(e.votes, h+1)
				e.votes[h+1] = append(e.votes[h+1], wi)
				break
			}
		}
		e.seen[wi] = cur
		if !w.Settled {
			keep = append(keep, wi)
			continue
		}
		e.record(wi, w, wl, first)
	}
	e.live = keep
	return nil
}

// drawnNone reports whether w, seen in the block that matched it, is a
// pool Run no member was drawn for (protocol poolOpen: every slot open).
func drawnNone(w *pb.Workload) bool {
	if w.GetMarket().GetMechanism() != pb.Mechanism_MECHANISM_POOL || len(w.Slots) == 0 {
		return false
	}
	for _, s := range w.Slots {
		if len(s.AllocatedTo) > 0 {
			return false
		}
	}
	return true
}

func holdsSlot(w *pb.Workload, a address.Address) bool {
	for _, s := range w.Slots {
		if bytes.Equal(s.Prover, a[:]) {
			return true
		}
	}
	return false
}

func (e *fullEngine) record(wi int32, w *pb.Workload, wl *Workload, first int64) {
	led := e.led
	o := &led.out[wi]
	switch w.State {
	case pb.WorkloadState_WORKLOAD_STATE_FINAL:
		o.state = outFinal
	case pb.WorkloadState_WORKLOAD_STATE_EXPIRED:
		o.state = outExpired
		if w.Reason == "no_matching_ask" {
			led.unmatched++
		}
	case pb.WorkloadState_WORKLOAD_STATE_FAILED:
		o.state = outFailed
	default:
		o.state = outRejected
	}
	o.finalH, o.firstResult, o.userPaid, o.minted = w.FinalHeight, first, w.Fee-w.Refunded, w.Minted
	for _, s := range w.Slots {
		if s.VotersPaid > 0 {
			deciders := protocol.Deciders(s)
			each := s.VotersPaid / uint64(len(deciders))
			for _, m := range deciders {
				led.fees[e.pop.byAddr[address.Address(m)]] += each
			}
		}
		po := payoutOf(e.par, wl, s.Price)
		if (s.State == pb.SlotState_SLOT_STATE_UNDECIDED || s.State == pb.SlotState_SLOT_STATE_INVALID) && s.Outcome == pb.Outcome_OUTCOME_PROOF {
			led.denied[e.pop.byAddr[address.Address(s.Prover)]] += deniedPay(po)
		}
		if s.State != pb.SlotState_SLOT_STATE_VALID {
			continue
		}
		p := e.pop.byAddr[address.Address(s.Prover)]
		led.reward[p] += s.Reward
		led.fees[p] += s.FeePaid
		led.paid++
		led.proofs[p]++
		led.paidWork += wl.Cycles
		led.priced += s.FeePaid + po.Burn + po.VotePool
		led.pricedMcycles += protocol.MegaCycles(wl.Cycles)
	}
	led.refunded += w.Refunded
	e.settled++
}

func (e *fullEngine) finish() error {
	if err := protocol.CheckInvariants(e.kv); err != nil {
		return fmt.Errorf("at the end: %w", err)
	}
	led := e.led
	sup, err := protocol.GetSupply(e.kv)
	if err != nil {
		return err
	}
	led.genesis, led.minted, led.burned = sup.Genesis, sup.Minted, sup.Burned
	acct, err := protocol.GetAccount(e.kv, e.pop.User)
	if err != nil {
		return err
	}
	led.balances = acct.Balance
	if acct, err = protocol.GetAccount(e.kv, e.pop.Farmer); err != nil {
		return err
	}
	led.balances += acct.Balance
	for i := range e.pop.Provers {
		a := e.pop.Provers[i].Address
		acct, err := protocol.GetAccount(e.kv, a)
		if err != nil {
			return err
		}
		p, err := protocol.GetProver(e.kv, a)
		if err != nil {
			return err
		}
		led.balances += acct.Balance
		led.stake += p.Stake
		led.slashed[i] = p.Slashed
		led.removed[i] = p.State == pb.ProverState_PROVER_STATE_REMOVED
		led.suspended[i] = p.Suspensions > 0
	}
	err = protocol.Scan(e.kv, protocol.WorkloadPrefix(), func(w *pb.Workload) bool { led.escrow += w.Escrow; return true })
	if err != nil {
		return err
	}
	led.supplyErr = checkSupply(led)
	return nil
}
