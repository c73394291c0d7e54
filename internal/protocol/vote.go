package protocol

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"slices"
	"strconv"

	"github.com/provernet/provernet/internal/address"
	"github.com/provernet/provernet/internal/alloc"
	"github.com/provernet/provernet/internal/pb"
	"github.com/provernet/provernet/internal/store"
)

// Verification (PROTOCOL.md 5.5). A revealed proof goes to a committee:
// the provers active at the start of the block, except the slot's own
// prover, or committee_size of them drawn from the beacon when there are
// more. A proof is valid once at least 2/3 of the committee vote valid and
// invalid once more than 1/3 vote invalid; votes after that are ignored.
// With nobody to ask (a network bootstrapping with one prover) a proof is
// valid on reveal.

const maxVoteEntries = 4096

const committeeDomain = "provernet/committee/v1"

// startVote draws the committee for a revealed proof.
func startVote(kv store.KV, env Env, w *pb.Workload, s *pb.Slot) ([]Event, error) {
	s.State, s.VoteBy = pb.SlotState_SLOT_STATE_VERIFYING, env.Height+env.Params.VoteWindow
	if env.checking {
		return nil, nil // CheckTx only decides admission; the block draws the committee
	}
	committee, err := drawCommittee(kv, env, w, s)
	if err != nil {
		return nil, err
	}
	s.Committee, s.Votes = committee, make([]byte, len(committee))
	if len(committee) == 0 {
		return decide(kv, env, w, s, true)
	}
	return nil, nil
}

func drawCommittee(kv store.KV, env Env, w *pb.Workload, s *pb.Slot) ([][]byte, error) {
	active, err := activeProvers(kv, env)
	if err != nil {
		return nil, err
	}
	members := make([][]byte, 0, len(active))
	for i := range active {
		if !bytes.Equal(active[i][:], s.Prover) {
			members = append(members, active[i][:])
		}
	}
	size := int(env.Params.CommitteeSize)
	if len(members) <= size {
		return members, nil
	}
	seed, err := Seed(kv)
	if err != nil {
		return nil, err
	}
	idx := alloc.Sample(seed, committeeID(w.Id, s.Index), uint64(len(members)), size)
	out := make([][]byte, len(idx))
	for i, x := range idx {
		out[i] = members[x]
	}
	slices.SortFunc(out, bytes.Compare)
	return out, nil
}

func committeeID(id []byte, slot uint32) [32]byte {
	h := sha256.New()
	h.Write([]byte(committeeDomain))
	h.Write(id)
	_ = binary.Write(h, binary.BigEndian, slot)
	var out [32]byte
	h.Sum(out[:0])
	return out
}

// activeProvers returns the addresses of the active provers, sorted: the
// block's list when FinalizeBlock made one, else read from state.
func activeProvers(kv store.KV, env Env) ([][20]byte, error) {
	if env.Block != nil {
		return env.Block.Active, nil
	}
	var out [][20]byte
	err := Scan(kv, prefixProver, func(p *pb.Prover) bool {
		if p.State == pb.ProverState_PROVER_STATE_ACTIVE {
			out = append(out, [20]byte(p.Address))
		}
		return true
	})
	return out, err
}

func vote(kv store.KV, env Env, sender address.Address, m *pb.Vote) (Result, error) {
	if len(m.Entries) == 0 || len(m.Entries) > maxVoteEntries {
		return reject(CodeInvalidMessage, "vote: %d entries; send 1..%d", len(m.Entries), maxVoteEntries), nil
	}
	p, err := GetProver(kv, sender)
	if isNotFound(err) || (err == nil && p.State != pb.ProverState_PROVER_STATE_ACTIVE) {
		return reject(CodeNotAllowed, "vote: only active provers vote; %s is not one", sender), nil
	}
	if err != nil {
		return Result{}, err
	}
	var touched []*pb.Workload
	byID := map[string]*pb.Workload{}
	var applied, ignored int
	var evs []Event
	for i, e := range m.Entries {
		if len(e.Workload) != sha256.Size {
			return reject(CodeInvalidMessage, "vote: entry %d: workload id is %d bytes, want 32", i, len(e.Workload)), nil
		}
		w, ok := byID[string(e.Workload)]
		if !ok {
			if w, err = GetWorkload(kv, e.Workload); isNotFound(err) {
				ignored++
				continue
			} else if err != nil {
				return Result{}, err
			}
			byID[string(e.Workload)] = w
			touched = append(touched, w)
		}
		ev, ok, err := castVote(kv, env, w, e, sender)
		if err != nil {
			return Result{}, err
		}
		if !ok {
			ignored++
			continue
		}
		applied++
		evs = append(evs, ev...)
	}
	for _, w := range touched {
		res, err := finishMsg(kv, env, w)
		if err != nil {
			return Result{}, err
		}
		evs = append(evs, res.Events...)
	}
	return emit(env, event("vote", "voter", sender.String(), "applied", strconv.Itoa(applied), "ignored", strconv.Itoa(ignored))).withEvents(evs), nil
}

// castVote records sender's verdict on one slot; ok is false when the vote
// does not count (not a member, already voted, or already decided).
func castVote(kv store.KV, env Env, w *pb.Workload, e *pb.VoteEntry, sender address.Address) ([]Event, bool, error) {
	if int(e.Slot) >= len(w.Slots) {
		return nil, false, nil
	}
	s := w.Slots[e.Slot]
	if s.State != pb.SlotState_SLOT_STATE_VERIFYING || env.Height > s.VoteBy {
		return nil, false, nil
	}
	i, found := slices.BinarySearchFunc(s.Committee, sender[:], bytes.Compare)
	if !found || i >= len(s.Votes) || s.Votes[i] != 0 {
		return nil, false, nil
	}
	n := uint64(len(s.Committee))
	if e.Valid {
		s.Votes[i], s.ValidVotes = 1, s.ValidVotes+1
	} else {
		s.Votes[i], s.InvalidVotes = 2, s.InvalidVotes+1
	}
	valid := 3*uint64(s.ValidVotes) >= 2*n
	if !valid && 3*uint64(s.InvalidVotes) <= n {
		return nil, true, nil
	}
	evs, err := decide(kv, env, w, s, valid)
	return append([]Event{slotEvent(w, s)}, evs...), true, err
}

// decide ends a slot's verification; the caller reports the slot.
func decide(kv store.KV, env Env, w *pb.Workload, s *pb.Slot, valid bool) ([]Event, error) {
	if !valid {
		return invalidate(kv, env, w, s, "invalid_proof")
	}
	s.State, s.DecidedHeight = pb.SlotState_SLOT_STATE_VALID, env.Height
	var evs []Event
	if !Terminal(w.State) {
		w.State, w.Reason, w.FinalHeight = pb.WorkloadState_WORKLOAD_STATE_FINAL, "proof_verified", env.Height
		evs = append(evs, workloadEvent(w))
	}
	return evs, nil
}

// countAbsences records the committee members that never voted on s.
func countAbsences(kv store.KV, s *pb.Slot) error {
	for i, v := range s.Votes {
		if v != 0 || i >= len(s.Committee) {
			continue
		}
		if err := updateProver(kv, s.Committee[i], func(p *pb.Prover) { p.Absences++ }); err != nil {
			return err
		}
	}
	return nil
}
