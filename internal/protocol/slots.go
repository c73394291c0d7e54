package protocol

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"

	"github.com/provernet/provernet/internal/store"
	"github.com/provernet/provernet/wire"
	"github.com/provernet/provernet/wire/address"
	"github.com/provernet/provernet/wire/pb"
	"github.com/provernet/provernet/wire/seal"
)

// Accept, Decline and SubmitResult (PROTOCOL.md 5.3 and 5.4). An allocated
// prover may submit without an explicit Accept; a Decline, or silence
// through accept_window, opens the slot to the open market.

var errDuplicateWorkload = errors.New("workload id already in use")

// sealOverhead bounds the age envelope around a max_proof_size proof: two
// recipient stanzas, the header MAC and the binding header.
const sealOverhead = 4096

func accept(kv store.KV, env Env, sender address.Address, m *pb.Accept) (Result, error) {
	w, s, res, err := allocatedSlot(kv, env, sender, m.Workload, m.Slot, "accept")
	if err != nil || !res.OK() {
		return res, err
	}
	switch {
	case m.By != 0 && m.By < env.Height:
		return reject(wire.CodeInvalidMessage, "accept: by %d is before this height %d; promise a height to come, or 0 for the deadline", m.By, env.Height), nil
	case m.By > w.Deadline:
		return reject(wire.CodeInvalidMessage, "accept: by %d is after the deadline %d; promise at most the deadline, or 0 for it", m.By, w.Deadline), nil
	}
	s.State, s.Due = pb.SlotState_SLOT_STATE_ACCEPTED, m.By
	// issue 17: a market slot is due by its ask's latency. A promise
	// already past is none this prover could keep (reopenPriced clears
	// them; this is the guard): it is ignored.
	if s.Promise >= env.Height && s.Promise < w.Deadline && (s.Due == 0 || s.Due > s.Promise) {
		s.Due = s.Promise
	}
	return finishMsg(kv, env, w, slotEvent(w, s))
}

func decline(kv store.KV, env Env, sender address.Address, m *pb.Decline) (Result, error) {
	w, s, res, err := allocatedSlot(kv, env, sender, m.Workload, m.Slot, "decline")
	if err != nil || !res.OK() {
		return res, err
	}
	if w.Challenge {
		return reject(wire.CodeNotAllowed, "decline: a challenge cannot be declined"), nil
	}
	p, err := GetProver(kv, sender)
	if err != nil {
		return Result{}, err
	}
	if declinesLeft(env, p) == 0 && !s.Waited {
		return reject(wire.CodeNotAllowed, "decline: %s has used its %d declines of epoch %d; accept the workload, or unbond to leave",
			sender, env.Params.MaxDeclinesPerEpoch, env.Height/env.Params.EpochLength), nil
	}
	if err := release(kv, env, w, s, "declined"); err != nil {
		return Result{}, err
	}
	return finishMsg(kv, env, w, slotEvent(w, s))
}

// allocatedSlot returns the slot sender was allocated, while it may still
// answer.
func allocatedSlot(kv store.KV, env Env, sender address.Address, id []byte, slot uint32, what string) (*pb.Workload, *pb.Slot, Result, error) {
	w, res, err := workloadFor(kv, env, id, what)
	if err != nil || !res.OK() {
		return nil, nil, res, err
	}
	s, res := slotFor(w, slot, what)
	if !res.OK() {
		return nil, nil, res, nil
	}
	switch {
	case string(s.Prover) != string(sender[:]):
		return nil, nil, reject(wire.CodeNotAllowed, "%s: slot %d of %x is not allocated to %s", what, slot, id, sender), nil
	case s.State != pb.SlotState_SLOT_STATE_ASSIGNED:
		return nil, nil, reject(wire.CodeNotAllowed, "%s: slot %d is %s, not assigned", what, slot, SlotStateName(s.State)), nil
	case env.Height > s.AcceptBy:
		return nil, nil, reject(wire.CodeWindowClosed, "%s: the accept window of slot %d closed at height %d", what, slot, s.AcceptBy), nil
	}
	return w, s, Result{}, nil
}

func submitResult(kv store.KV, env Env, sender address.Address, m *pb.SubmitResult) (Result, error) {
	w, res, err := workloadFor(kv, env, m.Workload, "submit")
	if err != nil || !res.OK() {
		return res, err
	}
	s, res := slotFor(w, m.Slot, "submit")
	if !res.OK() {
		return res, nil
	}
	if res := checkSubmit(env, w, m); !res.OK() {
		return res, nil
	}
	sum := sha256.Sum256(m.Sealed)
	seen, err := kv.Get(sealedKey(w.Id, sum[:]))
	if err != nil {
		return Result{}, err
	}
	if seen != nil {
		// A repeated age file is a copy, or the victim of one: whoever
		// copied it from the mempool can get it into a block first, so the
		// chain cannot tell which is the original and slashes nobody. The
		// copier gains nothing: without the temporary identity it can never
		// reveal, and its slot ends unrevealed and slashed.
		return reject(wire.CodeAlreadyExists, "submit: this age file was already submitted to workload %x; seal the result afresh, with a new temporary identity", seen), nil
	}
	if s.State == pb.SlotState_SLOT_STATE_OPEN && len(s.FailClaim) > 0 && m.Outcome == pb.Outcome_OUTCOME_FAIL {
		return reject(wire.CodeNotAllowed, "submit: slot %d was re-opened by a fail claim; only the prover the chain draws for it may confirm the fail (a proof is welcome from anyone)", s.Index), nil
	}
	if res := submitter(env, kv, w, s, sender); !res.OK() {
		return res, nil
	}
	if err := kv.Set(sealedKey(w.Id, sum[:]), w.Id); err != nil {
		return Result{}, err
	}
	seq, err := nextSeq(kv)
	if err != nil {
		return Result{}, err
	}
	if s.State == pb.SlotState_SLOT_STATE_OPEN {
		s.Prover, s.Filled = sender[:], true
	} else if err := releaseHold(kv, w, s); err != nil {
		return Result{}, err
	}
	// A challenge's fail is not re-opened: its slot belongs to the prover
	// being tested, and drafting another would pass the test for it.
	reopen := m.Outcome == pb.Outcome_OUTCOME_FAIL && len(s.FailClaim) == 0 && env.Height < w.Deadline && !w.Challenge
	if !reopen { // a fail that re-opens its slot leaves no result for the sender's stake to answer for
		if err := updateProver(kv, sender[:], func(p *pb.Prover) { p.OpenResults++ }); err != nil {
			return Result{}, err
		}
	}
	s.State, s.SealedSha256, s.Commit = pb.SlotState_SLOT_STATE_SUBMITTED, sum[:], m.Commit
	s.Outcome, s.CyclesUsed, s.SubmitHeight, s.SubmitSeq = m.Outcome, m.CyclesUsed, env.Height, seq
	if err := kv.Set(sealedFileKey(w.Id, s.Index), m.Sealed); err != nil {
		return Result{}, err
	}
	if reopen {
		if err := reopenForConfirmation(kv, env, w, s, sender); err != nil {
			return Result{}, err
		}
	}
	return finishMsg(kv, env, w, slotEvent(w, s))
}

// reopenForConfirmation re-opens a slot whose first result says fail, so
// that a second prover, drawn from the beacon like any allocation (the
// slot waits, unassigned), runs the program too: a proof refutes the
// claim, a second fail confirms it (the share is burned: the user pays
// for a program that does not finish, and nobody profits from saying
// fail), and nobody taking it by the deadline leaves the claim standing
// (the share refunded). The claimant keeps no result to answer for and,
// by holds, cannot take the slot again. Only the first fail of a slot
// re-opens it, and only before the deadline; a fail on a re-opened slot
// is taken only from the prover drawn for it (submitResult), so the
// claimant and its friends cannot confirm their own claim.
func reopenForConfirmation(kv store.KV, env Env, w *pb.Workload, s *pb.Slot, sender address.Address) error {
	s.FailClaim, s.Filled = sender[:], false // the drawn prover's hold is released like any allocation's
	s.State, s.OpenUntil, s.Released = pb.SlotState_SLOT_STATE_OPEN, w.Deadline, "fail"
	s.AllocatedTo = nil // the confirmer is drawn from the beacon (the wait list)
	reopenPriced(w, s)
	return addWait(kv, env.Height, w)
}

// checkSubmit checks a submission's own fields.
func checkSubmit(env Env, w *pb.Workload, m *pb.SubmitResult) Result {
	switch {
	case len(m.Commit) != sha256.Size:
		return reject(wire.CodeInvalidMessage, "submit: commit is %d bytes, want 32 (SHA-256 of the temporary identity)", len(m.Commit))
	case m.Outcome != pb.Outcome_OUTCOME_PROOF && m.Outcome != pb.Outcome_OUTCOME_FAIL:
		return reject(wire.CodeInvalidMessage, "submit: outcome must be proof or fail")
	case m.CyclesUsed > w.Cycles:
		return reject(wire.CodeInvalidMessage, "submit: cycles_used %d exceeds the workload's %d", m.CyclesUsed, w.Cycles)
	case m.Outcome == pb.Outcome_OUTCOME_FAIL && m.CyclesUsed != w.Cycles:
		return reject(wire.CodeInvalidMessage, "submit: a fail outcome means the program used all %d cycles; cycles_used is %d", w.Cycles, m.CyclesUsed)
	}
	if err := seal.CheckFile(m.Sealed, int(env.Params.MaxProofSize)+sealOverhead); err != nil {
		return reject(wire.CodeInvalidMessage, "submit: sealed: %v", err)
	}
	return Result{}
}

// submitter checks that sender may submit to s now: the slot's own
// prover within its window, or an active prover outside the workload
// filling an open slot.
func submitter(env Env, kv store.KV, w *pb.Workload, s *pb.Slot, sender address.Address) Result {
	switch s.State {
	case pb.SlotState_SLOT_STATE_ASSIGNED, pb.SlotState_SLOT_STATE_ACCEPTED:
		if string(s.Prover) != string(sender[:]) {
			return reject(wire.CodeNotAllowed, "submit: slot %d is held by %s; fill an open slot instead", s.Index, addrString(s.Prover))
		}
		if due := DueOf(w, s); env.Height > due {
			return reject(wire.CodeWindowClosed, "submit: slot %d of %x was due by height %d", s.Index, w.Id, due)
		}
		if w.Challenge && !mayAnswerChallenge(kv, sender) {
			return reject(wire.CodeNotAllowed, "submit: %s left or was removed; its challenge no longer counts", sender)
		}
		return Result{}
	case pb.SlotState_SLOT_STATE_OPEN:
		if env.Height > s.OpenUntil {
			return reject(wire.CodeWindowClosed, "submit: slot %d was open until height %d", s.Index, s.OpenUntil)
		}
		if holds(w, sender) {
			return reject(wire.CodeNotAllowed, "submit: %s already holds a slot of %x", sender, w.Id)
		}
		if p, err := GetProver(kv, sender); err != nil || p.State != pb.ProverState_PROVER_STATE_ACTIVE {
			return reject(wire.CodeNotAllowed, "submit: only active provers fill open slots; %s is not one", sender)
		}
		return Result{}
	}
	return reject(wire.CodeNotAllowed, "submit: slot %d is %s; at most k proofs are taken and this one would not be rewarded", s.Index, SlotStateName(s.State))
}

// mayAnswerChallenge reports whether a challenged prover is still in the
// set a challenge tests (pending, active or suspended): one that left,
// withdrew or was removed could otherwise re-register with other hardware
// and collect the pieces of its old declaration.
func mayAnswerChallenge(kv store.KV, a address.Address) bool {
	p, err := GetProver(kv, a)
	if err != nil {
		return false
	}
	switch p.State {
	case pb.ProverState_PROVER_STATE_PENDING, pb.ProverState_PROVER_STATE_ACTIVE, pb.ProverState_PROVER_STATE_SUSPENDED:
		return true
	}
	return false
}

// DueOf is the last height the holder of slot s may deliver: the height
// it promised when it accepted, else the workload's deadline.
func DueOf(w *pb.Workload, s *pb.Slot) int64 {
	if s.State == pb.SlotState_SLOT_STATE_ACCEPTED && s.Due > 0 && s.Due < w.Deadline {
		return s.Due
	}
	return w.Deadline
}

// release lets an allocated prover go from its slot (declined, silent or
// timed out): the slot opens to the open market.
func release(kv store.KV, env Env, w *pb.Workload, s *pb.Slot, why string) error {
	if err := releaseHold(kv, w, s); err != nil {
		return err
	}
	if (why == "silent" && !s.Excused) || (why == "declined" && !s.Waited) {
		if err := countMisses(kv, env, s.Prover, "declines_exceeded", missesFor(w, s)); err != nil {
			return err
		}
	}
	reopenPriced(w, s)
	s.Released, s.State, s.OpenUntil = why, pb.SlotState_SLOT_STATE_OPEN, w.Deadline
	return backToWait(kv, env, w, s)
}

// backToWait returns a slot allotted from the wait list, and let go by the
// prover drawn for it, to the wait list: the next draw picks another
// prover (the one that let it go still holds the slot's prover field, so
// it is passed over).
func backToWait(kv store.KV, env Env, w *pb.Workload, s *pb.Slot) error {
	if !s.Waited {
		return nil
	}
	s.AllocatedTo = nil
	return addWait(kv, env.Height, w)
}

// releaseHold gives back the capacity an allocated slot took.
func releaseHold(kv store.KV, w *pb.Workload, s *pb.Slot) error {
	if w.Challenge || s.Filled || len(s.Prover) == 0 {
		return nil
	}
	return updateProver(kv, s.Prover, func(p *pb.Prover) { p.Held = max(p.Held, 1) - 1 })
}

func declinesLeft(env Env, p *pb.Prover) uint32 {
	if p.DeclineEpoch != env.Height/env.Params.EpochLength {
		return env.Params.MaxDeclinesPerEpoch
	}
	if p.Declines >= env.Params.MaxDeclinesPerEpoch {
		return 0
	}
	return env.Params.MaxDeclinesPerEpoch - p.Declines
}

// finishMsg advances w after a message changed it, stores it, and returns
// the message's result.
func finishMsg(kv store.KV, env Env, w *pb.Workload, evs ...Event) (Result, error) {
	more, err := advance(kv, env, w)
	if err != nil {
		return Result{}, err
	}
	if err := setWorkload(kv, w); err != nil {
		return Result{}, err
	}
	if env.checking {
		return Result{}, nil
	}
	return Result{Events: append(evs, more...)}, nil
}

func sealedFileKey(id []byte, slot uint32) []byte {
	return binary.BigEndian.AppendUint32(append(append([]byte{}, prefixResult...), id...), slot)
}

// SealedFile returns the age file submitted for a slot, or nil.
func SealedFile(r store.Reader, id []byte, slot uint32) ([]byte, error) {
	return r.Get(sealedFileKey(id, slot))
}
