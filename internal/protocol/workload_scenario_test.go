package protocol_test

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"

	"filippo.io/age"

	"github.com/provernet/provernet/internal/protocol"
	"github.com/provernet/provernet/wire"
	"github.com/provernet/provernet/wire/address"
	"github.com/provernet/provernet/wire/pb"
	"github.com/provernet/provernet/wire/seal"
)

// The workload commands of the scenario files:
//
//	deploy from=NAME as=PROG [gpu] [cores=N] [memory=MB]
//	run from=NAME as=W [program=PROG] [k=K] [cycles=N] [deadline=B] [recipient=S] [max-fee=N] [input=NAME]
//	accept from=NAME workload=W [slot=I] [by=H]
//	decline from=NAME workload=W [slot=I]
//	submit from=NAME workload=W [slot=I] [outcome=proof|fail] [cycles=N] [copy=W/I|SEALED] [header-prover=NAME] [header-slot=I] [user-stanza=other]
//	seal from=NAME workload=W [slot=I] as=SEALED [header-prover=NAME] [header-slot=I] [user-stanza=other]
//	reveal from=NAME workload=W [slot=I] [wrong-key]
//	vote from=NAME W/I=valid|invalid ...
//	workload W
//	committee W/I
//	open-as-user W/I USER
//	provers names=A,B,... [stake=N] [cores=C] [memory=MB] [max=K] [gpus=MODEL:MB,...]
//	prover-stats NAME
//	standing NAME: a prover's misses, suspension and votes
//	holdings names=A,B,...: balances plus stakes, and their total
//	supply
//
// (finalize-block [n=N] [full] ends N blocks, each full if full: its
// transactions took full_block_bytes.) Challenges are named after their
// prover as the chain issues them: ch-bob-1, ch-bob-2, ...
//
// Sealed files are real age files (wire/seal); the temporary
// identities live in the scenario so reveal can publish them.

type sealedResult struct {
	file     []byte
	identity *age.X25519Identity
}

func (s *scenario) handleWorkload(t testing.TB, c *cmd) (string, bool) {
	switch c.d.Cmd {
	case "deploy":
		return s.deploy(t, c), true
	case "run":
		return s.run(t, c), true
	case "accept":
		from := c.str("from")
		w, slot := s.slotArgs(c)
		by := c.int("by", "0")
		return s.send(t, from, &pb.Msg{Kind: &pb.Msg_Accept{Accept: &pb.Accept{Workload: w, Slot: slot, By: by}}}), true
	case "decline":
		from := c.str("from")
		w, slot := s.slotArgs(c)
		return s.send(t, from, &pb.Msg{Kind: &pb.Msg_Decline{Decline: &pb.Decline{Workload: w, Slot: slot}}}), true
	case "submit":
		return s.submit(t, c), true
	case "seal": // seal a result without sending it (a file in the mempool), kept under as=
		from := c.str("from")
		id, slot := s.slotArgs(c)
		as := c.str("as")
		w, err := protocol.GetWorkload(s.tree.Working(), id)
		if err != nil {
			t.Fatal(err)
		}
		s.sealed[as] = s.seal(t, c, w, from, slot, seal.OutcomeProof, w.Cycles/2) // as submit seals a proof
		return "ok", true
	case "reveal":
		return s.reveal(t, c), true
	case "vote":
		return s.vote(t, c), true
	case "workload":
		return s.showWorkload(t, s.workloadName(c, c.bare(1)[0])), true
	case "provers":
		return s.provers(t, c), true
	case "committee":
		ref := c.bare(1)[0]
		wname, n := c.slotRef(ref)
		w, err := protocol.WorkloadView(s.tree.Working(), s.workloads[s.workloadName(c, wname)])
		if err != nil || int(n) >= len(w.Slots) {
			return fmt.Sprintf("error: %v", err), true
		}
		var names []string
		for _, m := range w.Slots[n].Committee {
			names = append(names, s.nameOrEmpty(m))
		}
		return ref + " committee: " + strings.Join(names, " "), true
	case "open-as-user":
		return s.openAsUser(t, c), true
	case "supply":
		sup, err := protocol.GetSupply(s.tree.Working())
		if err != nil {
			t.Fatal(err)
		}
		return fmt.Sprintf("genesis=%d minted=%d burned=%d", sup.Genesis, sup.Minted, sup.Burned), true
	case "prover-stats":
		name := c.bare(1)[0]
		p, err := protocol.GetProver(s.tree.Working(), s.addr(t, name))
		if err != nil {
			return "error: " + err.Error(), true
		}
		return fmt.Sprintf("%s state=%s stake=%d held=%d declines=%d slashed=%d final=%d absences=%d removed=%q",
			name, protocol.StateName(p.State), p.Stake, p.Held, p.Declines, p.Slashed, p.ProofsFinal, p.Absences, p.RemovedReason), true
	case "standing":
		name := c.bare(1)[0]
		p, err := protocol.GetProver(s.tree.Working(), s.addr(t, name))
		if err != nil {
			return "error: " + err.Error(), true
		}
		return fmt.Sprintf("%s state=%s reason=%q stake=%d slashed=%d misses=%d suspended_until=%d suspensions=%d final=%d wrong_votes=%d votes_paid=%d",
			name, protocol.StateName(p.State), p.RemovedReason, p.Stake, p.Slashed, p.Declines, p.SuspendedUntil, p.Suspensions,
			p.ProofsFinal, p.WrongVotes, p.VotesPaid), true
	case "holdings":
		return s.holdings(t, c), true
	}
	return "", false
}

// workloadName checks that the story named a workload so.
func (s *scenario) workloadName(c *cmd, name string) string {
	c.t.Helper()
	if _, ok := s.workloads[name]; !ok {
		c.fail("unknown workload %q", name)
	}
	return name
}

func (s *scenario) deploy(t testing.TB, c *cmd) string {
	from, name := c.str("from"), c.str("as")
	pv, vf := sha256.Sum256([]byte("prover:"+name)), sha256.Sum256([]byte("verifier:"+name))
	d := &pb.Deploy{Name: name, Prover: &pb.Module{Sha256: pv[:], Size: 100}, Verifier: &pb.Module{Sha256: vf[:], Size: 100}}
	hw := func() *pb.Hardware {
		if d.MinHardware == nil {
			d.MinHardware = &pb.Hardware{}
		}
		return d.MinHardware
	}
	if c.flag("gpu") {
		hw().Gpus = []*pb.Gpu{{MemoryMb: 1}}
	}
	if c.has("cores") {
		hw().CpuCores = uint32(c.uint("cores", "", 32))
	}
	if c.has("memory") {
		hw().MemoryMb = c.uint("memory", "", 64)
	}
	d.VerifyCycles = c.uint("verify-cycles", "0", 64)
	s.programs[name] = wire.ProgramID(pv[:], vf[:])
	s.wlNames[hex.EncodeToString(s.programs[name])] = name
	return s.send(t, from, &pb.Msg{Kind: &pb.Msg_Deploy{Deploy: d}})
}

// run sends a Run; a program the story never deployed is sent as an
// unknown id (the chain answers not_found).
func (s *scenario) run(t testing.TB, c *cmd) string {
	from, as := c.str("from"), c.str("as")
	acct, err := protocol.GetAccount(s.tree.Working(), s.addr(t, from))
	if err != nil {
		t.Fatal(err)
	}
	k, cycles := c.uint("k", "3", 32), c.uint("cycles", "1000000", 64)
	deadline, maxFee := c.int("deadline", "10"), c.uint("max-fee", "0", 64)
	input := c.opt("input", "input")
	recipient := c.opt("recipient", "")
	if recipient == "" {
		recipient = s.userIdentity(t, from).Recipient().String()
	}
	progName := c.opt("program", "prog")
	prog, ok := s.programs[progName]
	if !ok {
		unknown := sha256.Sum256([]byte(progName))
		prog = unknown[:]
	}
	id := wire.WorkloadID(s.addr(t, from), acct.Nonce, 0)
	s.workloads[as] = id
	s.wlNames[hex.EncodeToString(id)] = as
	runMsg := &pb.Run{
		Program: prog, Cycles: cycles, Provers: uint32(k),
		Recipient: recipient, Deadline: deadline, MaxFee: maxFee,
		Inputs: []*pb.Input{{Name: input, Data: []byte("scenario input")}}}
	s.marketArgs(t, c, runMsg) // market_scenario_test.go
	return s.send(t, from, &pb.Msg{Kind: &pb.Msg_Run{Run: runMsg}})
}

func (s *scenario) userIdentity(t testing.TB, name string) *age.X25519Identity {
	if id, ok := s.users[name]; ok {
		return id
	}
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	s.users[name] = id
	return id
}

// slotArgs reads workload=W [slot=I].
func (s *scenario) slotArgs(c *cmd) ([]byte, uint32) {
	c.t.Helper()
	name := s.workloadName(c, c.str("workload"))
	return s.workloads[name], uint32(c.uint("slot", "0", 32))
}

func (s *scenario) submit(t testing.TB, c *cmd) string {
	from := c.str("from")
	id, slot := s.slotArgs(c)
	w, err := protocol.WorkloadView(s.tree.Working(), id)
	if err != nil {
		t.Fatal(err)
	}
	outcome, cycles := seal.OutcomeProof, w.Cycles/2
	switch o := c.opt("outcome", "proof"); o {
	case "proof":
	case "fail":
		outcome, cycles = seal.OutcomeFail, w.Cycles
	default:
		c.fail("outcome=%s: want proof or fail", o)
	}
	if c.has("cycles") {
		cycles = c.uint("cycles", "", 64)
	}
	var res sealedResult
	if c.has("copy") {
		src := c.str("copy")
		var ok bool
		if res, ok = s.sealed[src]; !ok {
			c.fail("copy=%s: nothing sealed under that name", src)
		}
	} else {
		res = s.seal(t, c, w, from, slot, outcome, cycles)
	}
	commit := seal.Commit(res.identity.String())
	out := s.send(t, from, &pb.Msg{Kind: &pb.Msg_SubmitResult{SubmitResult: &pb.SubmitResult{
		Workload: id, Slot: slot, Sealed: res.file, Commit: commit[:],
		Outcome: pb.Outcome(outcome), CyclesUsed: cycles}}})
	if strings.HasPrefix(out, "ok") {
		s.sealed[s.wlNames[hex.EncodeToString(id)]+"/"+strconv.Itoa(int(slot))] = res
	}
	return out
}

// seal seals a result of slot by from, as the header arguments say:
// [header-prover=NAME] [header-slot=I] [user-stanza=other].
func (s *scenario) seal(t testing.TB, c *cmd, w *pb.Workload, from string, slot uint32, outcome seal.Outcome, cycles uint64) sealedResult {
	temp, err := seal.NewIdentity()
	if err != nil {
		t.Fatal(err)
	}
	h := seal.Header{Workload: [32]byte(w.Id), Slot: slot, Prover: s.addr(t, c.opt("header-prover", from)),
		Outcome: outcome, CyclesUsed: cycles}
	if c.has("header-slot") {
		h.Slot = uint32(c.uint("header-slot", "", 32))
	}
	recipient := w.Recipient
	switch stanza := c.opt("user-stanza", "user"); stanza {
	case "user":
	case "other": // sealed to a key that is not the user's
		other, err := seal.NewIdentity()
		if err != nil {
			t.Fatal(err)
		}
		recipient = other.Recipient().String()
	default:
		c.fail("user-stanza=%s: want other", stanza)
	}
	file, err := seal.Seal(h, []byte("proof of "+from), recipient, temp)
	if err != nil {
		t.Fatal(err)
	}
	return sealedResult{file: file, identity: temp}
}

func (s *scenario) reveal(t testing.TB, c *cmd) string {
	from := c.str("from")
	id, slot := s.slotArgs(c)
	ref := s.wlNames[hex.EncodeToString(id)] + "/" + strconv.Itoa(int(slot))
	res, ok := s.sealed[ref]
	if !ok {
		c.fail("nothing sealed for %s", ref)
	}
	identity := res.identity.String()
	if c.flag("wrong-key") {
		other, err := seal.NewIdentity()
		if err != nil {
			t.Fatal(err)
		}
		identity = other.String()
	}
	return s.send(t, from, &pb.Msg{Kind: &pb.Msg_RevealKey{RevealKey: &pb.RevealKey{Workload: id, Slot: slot, Identity: identity}}})
}

// vote from=NAME REF=VERDICT ...: one Vote. REF is W/I, the current
// ballot of slot I of workload W, or ballotN, ballot number N as is;
// VERDICT is valid, invalid, copied, or judged: what an honest member
// concludes from the revealed file (seal.Judge; a scenario's proofs always
// verify). Entries go in ballot order, as a Vote carries them.
func (s *scenario) vote(t testing.TB, c *cmd) string {
	from := c.str("from")
	var entries []wire.Ballot
	anyJudged := false
	for _, a := range c.rest() {
		if len(a.Vals) != 1 || !slices.Contains([]string{"valid", "invalid", "copied", "judged"}, a.Vals[0]) {
			c.fail("%s: want %s=valid|invalid|copied|judged", a.String(), a.Key)
		}
		n, w, sl := s.ballotRef(t, c, a.Key)
		var v wire.Verdict
		switch a.Vals[0] {
		case "valid":
			v = wire.VerdictValid
		case "invalid":
			v = wire.VerdictInvalid
		case "copied":
			v = wire.VerdictCopied
		case "judged":
			if sl == nil {
				c.fail("%s: judged needs a W/I reference", a.String())
			}
			file, err := protocol.SealedFile(s.tree.Working(), w.Id, sl.Index)
			if err != nil {
				t.Fatal(err)
			}
			// A scenario's proofs are stand-ins ("proof of NAME"): the
			// file is judged, and every proof in a sound one verifies.
			v, anyJudged = judged(file, w, sl, int(s.env.Params.MaxProofSize), func([]byte) bool { return true }), true
		default:
			c.fail("%s: want %s=valid|invalid|copied|judged", a.String(), a.Key)
		}
		entries = append(entries, wire.Ballot{Number: n, Verdict: v})
	}
	if len(entries) == 0 {
		c.fail("no REF=VERDICT entries")
	}
	slices.SortFunc(entries, func(a, b wire.Ballot) int { return cmp.Compare(a.Number, b.Number) })
	m, err := wire.EncodeVote(entries)
	if err != nil {
		c.fail("%v", err)
	}
	out := s.send(t, from, &pb.Msg{Kind: &pb.Msg_Vote{Vote: m}})
	if anyJudged {
		var vs []string
		for _, e := range entries {
			vs = append(vs, fmt.Sprintf("ballot%d=%s", e.Number, e.Verdict))
		}
		out = "verdicts " + strings.Join(vs, " ") + "\n" + out
	}
	return out
}

// ballotRef resolves a vote's REF: W/I (the slot's current ballot) or
// ballotN.
func (s *scenario) ballotRef(t testing.TB, c *cmd, ref string) (uint64, *pb.Workload, *pb.Slot) {
	if rest, ok := strings.CutPrefix(ref, "ballot"); ok {
		n, err := strconv.ParseUint(rest, 10, 64)
		if err != nil {
			c.fail("%q is not ballotN", ref)
		}
		return n, nil, nil
	}
	wname, slot := c.slotRef(ref)
	w, err := protocol.GetWorkload(s.tree.Working(), s.workloads[s.workloadName(c, wname)])
	if err != nil {
		t.Fatal(err)
	}
	if int(slot) >= len(w.Slots) {
		c.fail("%s: no slot %d", ref, slot)
	}
	return w.Slots[slot].Ballot, w, w.Slots[slot]
}

func (s *scenario) showWorkload(t testing.TB, name string) string {
	w, err := protocol.WorkloadView(s.tree.Working(), s.workloads[name])
	if err != nil {
		return "error: " + err.Error()
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s state=%s reason=%s fee=%d escrow=%d minted=%d refunded=%d burned=%d settled=%v\n",
		name, protocol.WorkloadStateName(w.State), w.Reason, w.Fee, w.Escrow, w.Minted, w.Refunded, w.Burned, w.Settled)
	for _, sl := range w.Slots {
		fmt.Fprintf(&b, "  slot %d %s prover=%s", sl.Index, protocol.SlotStateName(sl.State), s.nameOrEmpty(sl.Prover))
		if sl.Released != "" {
			by := sl.AllocatedTo
			if len(sl.FailClaim) > 0 {
				by = sl.FailClaim // a fail re-opened it: the claimant let it go
			}
			fmt.Fprintf(&b, " released=%s by=%s", sl.Released, s.nameOrEmpty(by))
		}
		if sl.Filled {
			b.WriteString(" filled")
		}
		if sl.State == pb.SlotState_SLOT_STATE_VERIFYING {
			fmt.Fprintf(&b, " ballot=%d round=%d", sl.Ballot, sl.Round)
		}
		if len(sl.Committee) > 0 {
			fmt.Fprintf(&b, " votes=%d/%d/%d/%d", sl.ValidVotes, sl.InvalidVotes, sl.CopiedVotes, len(sl.Committee)) // valid/invalid/copied/members
		}
		if sl.Price > 0 { // a market slot (issue 17)
			fmt.Fprintf(&b, " price=%d", sl.Price)
		}
		if sl.Tier > 0 || sl.Reward > 0 || sl.FeePaid > 0 {
			fmt.Fprintf(&b, " tier=%d reward=%d fee=%d", sl.Tier, sl.Reward, sl.FeePaid)
		}
		b.WriteString("\n")
	}
	return strings.TrimSuffix(b.String(), "\n")
}

func (s *scenario) nameOrEmpty(b []byte) string {
	if len(b) == 0 {
		return "-"
	}
	a, err := address.FromBytes(b)
	if err != nil {
		return "?"
	}
	if n, ok := s.byAddr[a]; ok {
		return n
	}
	return a.String()
}

// openAsUser opens a submitted result with the user's own identity, as the
// user would before any reveal: open-as-user W/I USER.
func (s *scenario) openAsUser(t testing.TB, c *cmd) string {
	words := c.bare(2)
	wname, n := c.slotRef(words[0])
	file, err := protocol.SealedFile(s.tree.Working(), s.workloads[s.workloadName(c, wname)], n)
	if err != nil || file == nil {
		return fmt.Sprintf("no sealed file: %v", err)
	}
	h, proof, err := seal.Open(file, s.userIdentity(t, words[1]).String(), 1<<20)
	if err != nil {
		return "error: " + err.Error()
	}
	return fmt.Sprintf("header workload=%s slot=%d prover=%s outcome=%s cycles=%d\nproof %q",
		s.wlNames[hex.EncodeToString(h.Workload[:])], h.Slot, s.nameOrEmpty(h.Prover[:]), h.Outcome, h.CyclesUsed, proof)
}

// provers names=a,b,c [stake=N] [cores=C] [memory=M] [max=K] [gpus=...]:
// each registers and stakes; prints each one's state.
func (s *scenario) provers(t testing.TB, c *cmd) string {
	var out []string
	names := c.list("names")
	stake := c.uint("stake", "1000", 64)
	cores, mem, max := c.uint("cores", "8", 32), c.uint("memory", "16384", 64), c.uint("max", "2", 32)
	gpus := gpuArgs(c)
	for _, name := range names {
		vrfKey := sha256.Sum256([]byte("vrf:" + name))
		for _, m := range []*pb.Msg{
			{Kind: &pb.Msg_RegisterProver{RegisterProver: &pb.RegisterProver{VrfPublicKey: vrfKey[:],
				Hardware: &pb.Hardware{CpuCores: uint32(cores), MemoryMb: mem, Gpus: gpus}, MaxConcurrent: uint32(max)}}},
			{Kind: &pb.Msg_Stake{Stake: &pb.Stake{Amount: stake}}},
		} {
			if res := s.send(t, name, m); !strings.HasPrefix(res, "ok") {
				return name + ": " + res
			}
		}
		p, err := protocol.GetProver(s.tree.Working(), s.addr(t, name))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, name+" "+protocol.StateName(p.State))
	}
	return strings.Join(out, "\n")
}

// holdings names=A,B,...: each account's balance plus its stake (as a
// prover, and in the validators it operates), and the sum of all of them.
func (s *scenario) holdings(t testing.TB, c *cmd) string {
	var out []string
	var total uint64
	for _, name := range c.list("names") {
		a, err := protocol.GetAccount(s.tree.Working(), s.addr(t, name))
		if err != nil {
			t.Fatal(err)
		}
		stake := s.validatorStake(t, name) // issue 19: what its validators bond
		if p, err := protocol.GetProver(s.tree.Working(), s.addr(t, name)); err == nil {
			stake += p.Stake
		}
		total += a.Balance + stake
		out = append(out, fmt.Sprintf("%s balance=%d stake=%d", name, a.Balance, stake))
	}
	return strings.Join(append(out, fmt.Sprintf("total=%d", total)), "\n")
}

// nameChallenge names a challenge workload the chain made after its
// prover: ch-bob-1, ch-bob-2, ...
func (s *scenario) nameChallenge(e protocol.Event) {
	if e.Type != "challenge" {
		return
	}
	var id, prover string
	for _, a := range e.Attrs {
		switch a.Key {
		case "workload":
			id = a.Value
		case "prover":
			prover = a.Value
		}
	}
	if _, ok := s.wlNames[id]; ok {
		return
	}
	name, _ := s.nameOf(prover)
	s.challenges[name]++
	wname := fmt.Sprintf("ch-%s-%d", name, s.challenges[name])
	raw, _ := hex.DecodeString(id)
	s.workloads[wname], s.wlNames[id] = raw, wname
}
