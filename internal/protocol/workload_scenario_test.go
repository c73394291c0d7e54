package protocol_test

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"testing"

	"filippo.io/age"
	"github.com/cockroachdb/datadriven"

	"github.com/provernet/provernet/internal/protocol"
	"github.com/provernet/provernet/wire"
	"github.com/provernet/provernet/wire/address"
	"github.com/provernet/provernet/wire/pb"
	"github.com/provernet/provernet/wire/seal"
)

// The workload commands of the scenario files:
//
//	deploy from=NAME as=PROG [gpu] [cores=N]
//	run from=NAME program=PROG as=W k=K cycles=N deadline=B [recipient=S] [max-fee=N]
//	accept|decline from=NAME workload=W slot=I
//	submit from=NAME workload=W slot=I [outcome=fail] [cycles=N] [copy=W/I] [header-prover=NAME] [header-slot=I] [user-stanza=other]
//	reveal from=NAME workload=W slot=I [wrong-key]
//	vote from=NAME W/I=valid|invalid ...
//	workload W
//	finalize-block [n=N] [full]: end N blocks, each full (its transactions took full_block_bytes) if full
//	standing NAME: a prover's misses, suspension and votes
//	holdings names=A,B,...: balances plus stakes, and their total
//	challenges: genesis challenge_program=PROG deploys it at genesis
//
// Sealed files are real age files (wire/seal); the temporary
// identities live in the scenario so reveal can publish them.

type sealedResult struct {
	file     []byte
	identity *age.X25519Identity
}

func (s *scenario) handleWorkload(t *testing.T, d *datadriven.TestData, args args) (string, bool) {
	switch d.Cmd {
	case "deploy":
		return s.deploy(t, args), true
	case "run":
		return s.run(t, args), true
	case "accept", "decline":
		w, slot := s.slotArgs(t, args)
		if d.Cmd == "accept" {
			by, _ := strconv.ParseInt(args.get("by", "0"), 10, 64)
			return s.send(t, args["from"], &pb.Msg{Kind: &pb.Msg_Accept{Accept: &pb.Accept{Workload: w, Slot: slot, By: by}}}), true
		}
		return s.send(t, args["from"], &pb.Msg{Kind: &pb.Msg_Decline{Decline: &pb.Decline{Workload: w, Slot: slot}}}), true
	case "submit":
		return s.submit(t, args), true
	case "seal": // seal a result without sending it (a file in the mempool), kept under as=
		id, slot := s.slotArgs(t, args)
		w, err := protocol.GetWorkload(s.tree.Working(), id)
		if err != nil {
			t.Fatal(err)
		}
		s.sealed[args["as"]] = s.seal(t, w, args["from"], slot, seal.OutcomeProof, w.Cycles/2, args) // as submit seals a proof
		return "ok", true
	case "reveal":
		return s.reveal(t, args), true
	case "vote":
		return s.vote(t, d), true
	case "workload":
		return s.showWorkload(t, args.first(d)), true
	case "provers":
		return s.provers(t, args), true
	case "committee":
		ref := d.CmdArgs[0].Key
		wname, slot, _ := strings.Cut(ref, "/")
		n, _ := strconv.Atoi(slot)
		w, err := protocol.WorkloadView(s.tree.Working(), s.workloads[wname])
		if err != nil || n >= len(w.Slots) {
			return fmt.Sprintf("error: %v", err), true
		}
		var names []string
		for _, m := range w.Slots[n].Committee {
			names = append(names, s.nameOrEmpty(m))
		}
		return ref + " committee: " + strings.Join(names, " "), true
	case "open-as-user":
		return s.openAsUser(t, d), true
	case "supply":
		sup, err := protocol.GetSupply(s.tree.Working())
		if err != nil {
			t.Fatal(err)
		}
		return fmt.Sprintf("genesis=%d minted=%d burned=%d", sup.Genesis, sup.Minted, sup.Burned), true
	case "prover-stats":
		p, err := protocol.GetProver(s.tree.Working(), s.addr(t, args.first(d)))
		if err != nil {
			return "error: " + err.Error(), true
		}
		return fmt.Sprintf("%s state=%s stake=%d held=%d declines=%d slashed=%d final=%d absences=%d removed=%q",
			args.first(d), protocol.StateName(p.State), p.Stake, p.Held, p.Declines, p.Slashed, p.ProofsFinal, p.Absences, p.RemovedReason), true
	case "standing":
		p, err := protocol.GetProver(s.tree.Working(), s.addr(t, args.first(d)))
		if err != nil {
			return "error: " + err.Error(), true
		}
		return fmt.Sprintf("%s state=%s reason=%q stake=%d slashed=%d misses=%d suspended_until=%d suspensions=%d final=%d wrong_votes=%d votes_paid=%d",
			args.first(d), protocol.StateName(p.State), p.RemovedReason, p.Stake, p.Slashed, p.Declines, p.SuspendedUntil, p.Suspensions,
			p.ProofsFinal, p.WrongVotes, p.VotesPaid), true
	case "holdings":
		return s.holdings(t, args), true
	}
	return "", false
}

func (s *scenario) deploy(t *testing.T, args args) string {
	name := args["as"]
	pv, vf := sha256.Sum256([]byte("prover:"+name)), sha256.Sum256([]byte("verifier:"+name))
	d := &pb.Deploy{Name: name, Prover: &pb.Module{Sha256: pv[:], Size: 100}, Verifier: &pb.Module{Sha256: vf[:], Size: 100}}
	if args.has("gpu") {
		d.MinHardware = &pb.Hardware{Gpus: []*pb.Gpu{{MemoryMb: 1}}}
	}
	if c, ok := args["cores"]; ok {
		n, _ := strconv.ParseUint(c, 10, 32)
		if d.MinHardware == nil {
			d.MinHardware = &pb.Hardware{}
		}
		d.MinHardware.CpuCores = uint32(n)
	}
	if m, ok := args["memory"]; ok {
		n, _ := strconv.ParseUint(m, 10, 64)
		if d.MinHardware == nil {
			d.MinHardware = &pb.Hardware{}
		}
		d.MinHardware.MemoryMb = n
	}
	s.programs[name] = wire.ProgramID(pv[:], vf[:])
	s.wlNames[hex.EncodeToString(s.programs[name])] = name
	return s.send(t, args["from"], &pb.Msg{Kind: &pb.Msg_Deploy{Deploy: d}})
}

func (s *scenario) run(t *testing.T, args args) string {
	from := args["from"]
	acct, err := protocol.GetAccount(s.tree.Working(), s.addr(t, from))
	if err != nil {
		t.Fatal(err)
	}
	id := wire.WorkloadID(s.addr(t, from), acct.Nonce, 0)
	s.workloads[args["as"]] = id
	s.wlNames[hex.EncodeToString(id)] = args["as"]
	k, _ := strconv.ParseUint(args.get("k", "3"), 10, 32)
	cycles, _ := strconv.ParseUint(args.get("cycles", "1000000"), 10, 64)
	deadline, _ := strconv.ParseInt(args.get("deadline", "10"), 10, 64)
	maxFee, _ := strconv.ParseUint(args.get("max-fee", "0"), 10, 64)
	recipient := args.get("recipient", s.userIdentity(t, from).Recipient().String())
	prog, ok := s.programs[args.get("program", "prog")]
	if !ok {
		unknown := sha256.Sum256([]byte(args["program"]))
		prog = unknown[:]
	}
	return s.send(t, from, &pb.Msg{Kind: &pb.Msg_Run{Run: &pb.Run{
		Program: prog, Cycles: cycles, Provers: uint32(k),
		Recipient: recipient, Deadline: deadline, MaxFee: maxFee,
		Inputs: []*pb.Input{{Name: args.get("input", "input"), Data: []byte("scenario input")}}}}})
}

func (s *scenario) userIdentity(t *testing.T, name string) *age.X25519Identity {
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

func (s *scenario) slotArgs(t *testing.T, args args) ([]byte, uint32) {
	id, ok := s.workloads[args["workload"]]
	if !ok {
		t.Fatalf("unknown workload %q", args["workload"])
	}
	slot, _ := strconv.ParseUint(args.get("slot", "0"), 10, 32)
	return id, uint32(slot)
}

func (s *scenario) submit(t *testing.T, args args) string {
	from := args["from"]
	id, slot := s.slotArgs(t, args)
	w, err := protocol.WorkloadView(s.tree.Working(), id)
	if err != nil {
		t.Fatal(err)
	}
	outcome, cycles := seal.OutcomeProof, w.Cycles/2
	if args.get("outcome", "proof") == "fail" {
		outcome, cycles = seal.OutcomeFail, w.Cycles
	}
	if c, ok := args["cycles"]; ok {
		cycles, _ = strconv.ParseUint(c, 10, 64)
	}
	var res sealedResult
	if src, ok := args["copy"]; ok {
		res = s.sealed[src]
	} else {
		res = s.seal(t, w, from, slot, outcome, cycles, args)
	}
	c := seal.Commit(res.identity.String())
	out := s.send(t, from, &pb.Msg{Kind: &pb.Msg_SubmitResult{SubmitResult: &pb.SubmitResult{
		Workload: id, Slot: slot, Sealed: res.file, Commit: c[:],
		Outcome: pb.Outcome(outcome), CyclesUsed: cycles}}})
	if strings.HasPrefix(out, "ok") {
		s.sealed[args["workload"]+"/"+strconv.Itoa(int(slot))] = res
	}
	return out
}

func (s *scenario) seal(t *testing.T, w *pb.Workload, from string, slot uint32, outcome seal.Outcome, cycles uint64, args args) sealedResult {
	temp, err := seal.NewIdentity()
	if err != nil {
		t.Fatal(err)
	}
	h := seal.Header{Workload: [32]byte(w.Id), Slot: slot, Prover: s.addr(t, args.get("header-prover", from)),
		Outcome: outcome, CyclesUsed: cycles}
	if hs, ok := args["header-slot"]; ok {
		n, _ := strconv.ParseUint(hs, 10, 32)
		h.Slot = uint32(n)
	}
	recipient := w.Recipient
	if args.get("user-stanza", "") == "other" { // sealed to a key that is not the user's
		other, _ := seal.NewIdentity()
		recipient = other.Recipient().String()
	}
	file, err := seal.Seal(h, []byte("proof of "+from), recipient, temp)
	if err != nil {
		t.Fatal(err)
	}
	return sealedResult{file: file, identity: temp}
}

func (s *scenario) reveal(t *testing.T, args args) string {
	id, slot := s.slotArgs(t, args)
	res, ok := s.sealed[args["workload"]+"/"+strconv.Itoa(int(slot))]
	if !ok {
		t.Fatalf("reveal: nothing sealed for %s/%d", args["workload"], slot)
	}
	identity := res.identity.String()
	if args.has("wrong-key") {
		other, _ := seal.NewIdentity()
		identity = other.String()
	}
	return s.send(t, args["from"], &pb.Msg{Kind: &pb.Msg_RevealKey{RevealKey: &pb.RevealKey{Workload: id, Slot: slot, Identity: identity}}})
}

func (s *scenario) vote(t *testing.T, d *datadriven.TestData) string {
	var from string
	var entries []*pb.VoteEntry
	for _, a := range d.CmdArgs {
		if a.Key == "from" {
			from = a.Vals[0]
			continue
		}
		wname, slot, _ := strings.Cut(a.Key, "/")
		n, _ := strconv.ParseUint(slot, 10, 32)
		entries = append(entries, &pb.VoteEntry{Workload: s.workloads[wname], Slot: uint32(n), Valid: a.Vals[0] == "valid"})
	}
	return s.send(t, from, &pb.Msg{Kind: &pb.Msg_Vote{Vote: &pb.Vote{Entries: entries}}})
}

func (s *scenario) showWorkload(t *testing.T, name string) string {
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
		if len(sl.Committee) > 0 {
			fmt.Fprintf(&b, " votes=%d/%d/%d", sl.ValidVotes, sl.InvalidVotes, len(sl.Committee))
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

// sortedNames lists map keys in order, for deterministic output.
func sortedNames[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// openAsUser opens a submitted result with the user's own identity, as the
// user would before any reveal: open-as-user W/I USER.
func (s *scenario) openAsUser(t *testing.T, d *datadriven.TestData) string {
	ref, user := d.CmdArgs[0].Key, d.CmdArgs[1].Key
	wname, slot, _ := strings.Cut(ref, "/")
	n, _ := strconv.ParseUint(slot, 10, 32)
	file, err := protocol.SealedFile(s.tree.Working(), s.workloads[wname], uint32(n))
	if err != nil || file == nil {
		return fmt.Sprintf("no sealed file: %v", err)
	}
	h, proof, err := seal.Open(file, s.userIdentity(t, user).String(), 1<<20)
	if err != nil {
		return "error: " + err.Error()
	}
	return fmt.Sprintf("header workload=%s slot=%d prover=%s outcome=%s cycles=%d\nproof %q",
		s.wlNames[hex.EncodeToString(h.Workload[:])], h.Slot, s.nameOrEmpty(h.Prover[:]), h.Outcome, h.CyclesUsed, proof)
}

// provers names=a,b,c [stake=N] [cores=C] [memory=M] [max=K]: each
// registers and stakes; prints each one's state.
func (s *scenario) provers(t *testing.T, args args) string {
	var out []string
	stake, _ := strconv.ParseUint(args.get("stake", "1000"), 10, 64)
	cores, _ := strconv.ParseUint(args.get("cores", "8"), 10, 32)
	mem, _ := strconv.ParseUint(args.get("memory", "16384"), 10, 64)
	max, _ := strconv.ParseUint(args.get("max", "2"), 10, 32)
	for _, name := range strings.Split(args["names"], ",") {
		vrfKey := sha256.Sum256([]byte("vrf:" + name))
		for _, m := range []*pb.Msg{
			{Kind: &pb.Msg_RegisterProver{RegisterProver: &pb.RegisterProver{VrfPublicKey: vrfKey[:],
				Hardware: &pb.Hardware{CpuCores: uint32(cores), MemoryMb: mem, Gpus: gpuArgs(args["gpus"])}, MaxConcurrent: uint32(max)}}},
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

// holdings names=A,B,...: each account's balance plus its stake (0 if it
// is no prover), and the sum of all of them.
func (s *scenario) holdings(t *testing.T, args args) string {
	var out []string
	var total uint64
	for _, name := range strings.Split(args["names"], ",") {
		a, err := protocol.GetAccount(s.tree.Working(), s.addr(t, name))
		if err != nil {
			t.Fatal(err)
		}
		var stake uint64
		if p, err := protocol.GetProver(s.tree.Working(), s.addr(t, name)); err == nil {
			stake = p.Stake
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
