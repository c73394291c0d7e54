package protocol

import (
	"bytes"
	"strconv"

	"github.com/provernet/provernet/internal/store"
	"github.com/provernet/provernet/wire"
	"github.com/provernet/provernet/wire/address"
	"github.com/provernet/provernet/wire/pb"
	"github.com/provernet/provernet/wire/seal"
)

// RevealKey (PROTOCOL.md 5.4): once no slot of the workload can still be
// filled, each submitter publishes its temporary identity within
// reveal_window blocks. The chain checks only that the identity hashes to
// the slot's commit; it never opens the age file. A proof then goes to
// the verification committee, whose members open the file anyway to
// verify the proof and judge its binding header there (seal.Judge): a
// header naming another prover is voted copied (slash_copy), a file that
// does not open, a header that does not match the submission, or a user
// stanza that does not hold the file key is voted invalid
// (slash_invalid). A fail outcome is decided on reveal, without a
// committee: its file carries no proof, and the chain reads the outcome
// from the submission (docs/WORKLOADS.md, "Reveal").

// maxIdentityBytes is the length of an age X25519 identity string, the
// only kind Seal makes.
const maxIdentityBytes = 74

func revealKey(kv store.KV, env Env, sender address.Address, m *pb.RevealKey) (Result, error) {
	w, s, res, err := revealSlot(kv, env, sender, m)
	if err != nil || !res.OK() {
		return res, err
	}
	if len(m.Identity) > maxIdentityBytes {
		return reject(wire.CodeInvalidMessage, "reveal: the identity is %d bytes; an age identity is %d", len(m.Identity), maxIdentityBytes), nil
	}
	c := seal.Commit(m.Identity)
	if !bytes.Equal(c[:], s.Commit) {
		return reject(wire.CodeInvalidMessage, "reveal: the identity does not hash to the slot's commit %x", s.Commit), nil
	}
	s.Identity = m.Identity
	var evs []Event
	if s.Outcome == pb.Outcome_OUTCOME_FAIL {
		s.State, s.DecidedHeight = pb.SlotState_SLOT_STATE_FAILED, env.Height
	} else if evs, err = startVote(kv, env, w, s); err != nil {
		return Result{}, err
	}
	return finishMsg(kv, env, w, append([]Event{slotEvent(w, s)}, evs...)...)
}

func revealSlot(kv store.KV, env Env, sender address.Address, m *pb.RevealKey) (*pb.Workload, *pb.Slot, Result, error) {
	w, res, err := workloadFor(kv, env, m.Workload, "reveal")
	if err != nil || !res.OK() {
		return nil, nil, res, err
	}
	s, res := slotFor(w, m.Slot, "reveal")
	switch {
	case !res.OK():
		return nil, nil, res, nil
	case string(s.Prover) != string(sender[:]):
		return nil, nil, reject(wire.CodeNotAllowed, "reveal: slot %d was not submitted by %s", m.Slot, sender), nil
	case s.State != pb.SlotState_SLOT_STATE_SUBMITTED:
		return nil, nil, reject(wire.CodeNotAllowed, "reveal: slot %d is %s, not submitted", m.Slot, SlotStateName(s.State)), nil
	case w.RevealFrom == 0:
		return nil, nil, reject(wire.CodeWindowClosed, "reveal: too early: slots of %x can still be filled (deadline %d); reveal once all are submitted or the deadline passes", w.Id, w.Deadline), nil
	case env.Height > s.RevealBy:
		return nil, nil, reject(wire.CodeWindowClosed, "reveal: the reveal window of slot %d closed at height %d", m.Slot, s.RevealBy), nil
	}
	return w, s, Result{}, nil
}

// invalidate decides a slot invalid and slashes its prover slash_invalid.
func invalidate(kv store.KV, env Env, w *pb.Workload, s *pb.Slot, why string) ([]Event, error) {
	s.State, s.DecidedHeight = pb.SlotState_SLOT_STATE_INVALID, env.Height
	ev, err := slash(kv, env, s.Prover, env.Params.SlashInvalidBP, why, w.Challenge)
	return []Event{ev}, err
}

// copied decides a slot copied and slashes its prover slash_copy.
func copied(kv store.KV, env Env, w *pb.Workload, s *pb.Slot) ([]Event, error) {
	s.State, s.DecidedHeight = pb.SlotState_SLOT_STATE_COPIED, env.Height
	ev, err := slash(kv, env, s.Prover, env.Params.SlashCopyBP, "copied_header", true)
	return []Event{ev}, err
}

// slash burns bp of a prover's stake and, with remove, removes it from
// the active set.
func slash(kv store.KV, env Env, prover []byte, bp uint32, why string, remove bool) (Event, error) {
	a, err := address.FromBytes(prover)
	if err != nil {
		return Event{}, err
	}
	p, err := GetProver(kv, a)
	if err != nil {
		return Event{}, err
	}
	amount := bpOf(p.Stake, bp)
	p.Stake -= amount
	p.Slashed += amount
	bumpRep(env.Params, env.Height, p, func(b *pb.RepBucket) { b.Slashed++ })
	if remove {
		removeProver(env, p, why)
	} else if err := stakeFloor(kv, env, p); err != nil {
		return Event{}, err
	}
	if err := setProver(kv, p); err != nil {
		return Event{}, err
	}
	if err := burn(kv, amount); err != nil {
		return Event{}, err
	}
	return event("slash", "prover", a.String(), "amount", strconv.FormatUint(amount, 10), "reason", why, "state", stateName(p.State)), nil
}

// removeProver takes a pending, active or suspended prover out for good
// (it may register again once exited); its stake unlocks after
// unbond_cooldown like a leaving prover's.
func removeProver(env Env, p *pb.Prover, why string) {
	switch p.State {
	case pb.ProverState_PROVER_STATE_ACTIVE, pb.ProverState_PROVER_STATE_PENDING, pb.ProverState_PROVER_STATE_SUSPENDED:
	default:
		return
	}
	p.State, p.UnbondHeight, p.RemovedReason = pb.ProverState_PROVER_STATE_REMOVED, env.Height+env.Params.UnbondCooldown, why
}
