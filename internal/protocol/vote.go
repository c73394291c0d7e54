package protocol

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"slices"
	"sort"
	"strconv"

	"google.golang.org/protobuf/proto"

	"github.com/provernet/provernet/internal/alloc"
	"github.com/provernet/provernet/internal/store"
	"github.com/provernet/provernet/wire"
	"github.com/provernet/provernet/wire/address"
	"github.com/provernet/provernet/wire/pb"
)

// Verification (PROTOCOL.md 5.5). A revealed proof goes to a committee:
// the provers active at the start of the block, except the workload's own
// provers, or committee_size of them drawn from the beacon when there are
// more. A proof is valid once at least 2/3 of the committee vote valid and
// invalid once at least 2/3 vote invalid; votes after that are ignored.
// The members that voted against the decision before it was reached are
// slashed slash_wrong_vote_bp; those that voted with it share the slot's
// vote pool at settlement (settle.go). With nobody to ask (a network
// bootstrapping with one prover) a proof is valid on reveal.
//
// While a slot is verifying, its committee and votes live in a small
// Ballot record (ballot/<workload><slot>) rather than in the workload, so a
// vote reads and writes a few hundred bytes, not the whole workload; the
// workload is read only when a vote decides the slot. WorkloadView shows
// the ballot inside the slot.

const maxVoteEntries = 4096

// A member's vote in a ballot.
const (
	voteNone    byte = 0
	voteValid   byte = 1
	voteInvalid byte = 2
)

const committeeDomain = "provernet/committee/v1"

func ballotKey(id []byte, slot uint32) []byte {
	return binary.BigEndian.AppendUint32(append(append([]byte{}, prefixBallot...), id...), slot)
}

func getBallot(r store.Reader, id []byte, slot uint32) (*pb.Ballot, error) {
	b, err := r.Get(ballotKey(id, slot))
	if err != nil || b == nil {
		return nil, err
	}
	var bl pb.Ballot
	return &bl, proto.Unmarshal(b, &bl)
}

// startVote draws the committee for a revealed proof and opens its ballot.
func startVote(kv store.KV, env Env, w *pb.Workload, s *pb.Slot) ([]Event, error) {
	s.State, s.VoteBy = pb.SlotState_SLOT_STATE_VERIFYING, env.Height+env.Params.VoteWindow
	if env.checking {
		return nil, nil // CheckTx only decides admission; the block draws the committee
	}
	members, err := drawCommittee(kv, env, w, s)
	if err != nil {
		return nil, err
	}
	if len(members) == 0 {
		return decide(kv, env, w, s, true)
	}
	b := &pb.Ballot{Members: members, Votes: make([]byte, len(members)/address.Size), VoteBy: s.VoteBy}
	return nil, setProto(kv, ballotKey(w.Id, s.Index), b)
}

// CommitteeSizeFor is how many members judge a slot of w: committee_size,
// or for a challenge piece at most challenge_committee_size. Verifying a
// piece costs about as much as proving it (the benchmark's verifier
// recomputes its sampled segments), so a full committee for every piece
// of every challenge would take most of the network's verification time;
// what a piece decides is only whether one prover's hardware claim stands.
func CommitteeSizeFor(p Params, w *pb.Workload) int {
	if w.GetChallenge() && p.ChallengeCommitteeSize > 0 {
		return int(min(p.CommitteeSize, p.ChallengeCommitteeSize))
	}
	return int(p.CommitteeSize)
}

// drawCommittee returns the committee's addresses, sorted and
// concatenated (see Committee), from the block's active provers and seed.
func drawCommittee(kv store.KV, env Env, w *pb.Workload, s *pb.Slot) ([]byte, error) {
	active, err := activeProvers(kv, env)
	if err != nil {
		return nil, err
	}
	size := CommitteeSizeFor(env.Params, w)
	var seed []byte
	if n := len(active) - len(skippedPositions(active, w, nil)); n > size {
		if seed, err = Seed(kv); err != nil {
			return nil, err
		}
	}
	members := Committee(active, w, s, seed, size)
	out := make([]byte, 0, len(members)*address.Size)
	for _, m := range members {
		out = append(out, m[:]...)
	}
	return out, nil
}

// Committee draws the committee of slot s of w from the active provers
// (sorted by address): the active provers except every prover of the
// workload (a prover does not judge its competitors for the speed tiers)
// or, when no other prover is active, except the slot's own; all of them
// up to size, else size drawn with alloc.Sample from seed (the block's
// beacon seed, needed only then). Sampling works on the active list with
// those provers skipped by index, so it never copies the list. The result
// is sorted. The simulator calls it too.
func Committee(active [][20]byte, w *pb.Workload, s *pb.Slot, seed []byte, size int) [][20]byte {
	pos := CommitteePositions(active, w, s, seed, size)
	out := make([][20]byte, len(pos))
	for i, x := range pos {
		out[i] = active[x]
	}
	return out
}

// CommitteePositions is Committee as positions in active, ascending.
func CommitteePositions(active [][20]byte, w *pb.Workload, s *pb.Slot, seed []byte, size int) []int {
	skip := skippedPositions(active, w, nil)
	if len(skip) == len(active) {
		// Every active prover proves this workload: rather than nobody,
		// its other provers judge the slot.
		skip = skippedPositions(active, w, s)
	}
	n := len(active) - len(skip)
	at := func(x int) int { // the position of the x-th active prover not skipped
		for _, p := range skip {
			if p <= x {
				x++
			}
		}
		return x
	}
	var idx []int
	if n <= size {
		idx = make([]int, n)
		for i := range idx {
			idx[i] = i
		}
	} else {
		for _, x := range alloc.Sample(seed, committeeID(w.Id, s.Index, s.Round), uint64(n), size) {
			idx = append(idx, int(x))
		}
		slices.Sort(idx)
	}
	for i, x := range idx {
		idx[i] = at(x)
	}
	return idx
}

// skippedPositions returns, ascending, the positions in active of the
// workload's provers, fail claimants included (only of slot only's, if
// only is not nil).
func skippedPositions(active [][20]byte, w *pb.Workload, only *pb.Slot) []int {
	var skip []int
	for _, sl := range w.Slots {
		if only != nil && sl != only {
			continue
		}
		for _, who := range [][]byte{sl.Prover, sl.FailClaim} { // a fail's claimant never judges its refutation
			if len(who) != address.Size {
				continue
			}
			p, ok := slices.BinarySearchFunc(active, [20]byte(who), func(a, b [20]byte) int { return bytes.Compare(a[:], b[:]) })
			if ok && !slices.Contains(skip, p) {
				skip = append(skip, p)
			}
		}
	}
	slices.Sort(skip)
	return skip
}

// committeeID names the slot (and, after the first, the round) whose
// committee is drawn.
func committeeID(id []byte, slot, round uint32) [32]byte {
	h := sha256.New()
	h.Write([]byte(committeeDomain))
	h.Write(id)
	_ = binary.Write(h, binary.BigEndian, slot)
	if round > 0 {
		_ = binary.Write(h, binary.BigEndian, round)
	}
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

// ballotRef is a ballot a Vote message is working on.
type ballotRef struct {
	id    []byte
	slot  uint32
	b     *pb.Ballot // nil: no vote is running for this slot
	dirty bool
}

func vote(kv store.KV, env Env, sender address.Address, m *pb.Vote) (Result, error) {
	if len(m.Entries) == 0 || len(m.Entries) > maxVoteEntries {
		return reject(wire.CodeInvalidMessage, "vote: %d entries; send 1..%d", len(m.Entries), maxVoteEntries), nil
	}
	p, err := GetProver(kv, sender)
	if isNotFound(err) || (err == nil && p.State != pb.ProverState_PROVER_STATE_ACTIVE) {
		return reject(wire.CodeNotAllowed, "vote: only active provers vote; %s is not one", sender), nil
	}
	if err != nil {
		return Result{}, err
	}
	var refs []*ballotRef
	byKey := map[string]*ballotRef{}
	var decided []*pb.Workload // in the order first decided
	loaded := map[string]*pb.Workload{}
	var applied, ignored int
	var evs []Event
	for i, e := range m.Entries {
		if len(e.Workload) != sha256.Size {
			return reject(wire.CodeInvalidMessage, "vote: entry %d: workload id is %d bytes, want 32", i, len(e.Workload)), nil
		}
		key := string(ballotKey(e.Workload, e.Slot))
		ref, ok := byKey[key]
		if !ok {
			b, err := getBallot(kv, e.Workload, e.Slot)
			if err != nil {
				return Result{}, err
			}
			ref = &ballotRef{id: e.Workload, slot: e.Slot, b: b}
			byKey[key] = ref
			refs = append(refs, ref)
		}
		ok, valid := castVote(env, ref, sender, e.Valid)
		if !ok {
			ignored++
			continue
		}
		applied++
		if !valid.decided {
			continue
		}
		w, ok := loaded[string(ref.id)]
		if !ok {
			if w, err = GetWorkload(kv, ref.id); err != nil {
				return Result{}, err
			}
			loaded[string(ref.id)] = w
			decided = append(decided, w)
		}
		more, err := decideBallot(kv, env, w, ref, valid.valid)
		if err != nil {
			return Result{}, err
		}
		evs = append(evs, more...)
	}
	for _, ref := range refs {
		if ref.dirty && ref.b != nil {
			if err := setProto(kv, ballotKey(ref.id, ref.slot), ref.b); err != nil {
				return Result{}, err
			}
		}
	}
	for _, w := range decided {
		res, err := finishMsg(kv, env, w)
		if err != nil {
			return Result{}, err
		}
		evs = append(evs, res.Events...)
	}
	return emit(env, event("vote", "voter", sender.String(), "applied", strconv.Itoa(applied), "ignored", strconv.Itoa(ignored))).withEvents(evs), nil
}

// verdict says whether a vote decided its slot, and how.
type verdict struct{ decided, valid bool }

// castVote records sender's verdict in a ballot; ok is false when the vote
// does not count (no vote running, not a member, already voted, too late).
func castVote(env Env, ref *ballotRef, sender address.Address, valid bool) (bool, verdict) {
	b := ref.b
	if b == nil || env.Height > b.VoteBy {
		return false, verdict{}
	}
	n := len(b.Votes)
	i, found := memberIndex(b.Members, sender[:])
	if !found || i >= n || b.Votes[i] != voteNone {
		return false, verdict{}
	}
	if valid {
		b.Votes[i], b.Valid = voteValid, b.Valid+1
	} else {
		b.Votes[i], b.Invalid = voteInvalid, b.Invalid+1
	}
	ref.dirty = true
	switch {
	case Decides(b.Valid, n):
		return true, verdict{decided: true, valid: true}
	case Decides(b.Invalid, n):
		return true, verdict{decided: true, valid: false}
	}
	return true, verdict{}
}

// QuorumOf is the quorum rule: the number of votes of one kind that
// decides a committee of n, at least two thirds (ceil(2n/3)), for valid
// and invalid alike, so a minority can neither accept nor reject. Every
// count of votes in the code base goes through it or Decides.
func QuorumOf(n int) int { return (2*n + 2) / 3 }

// Decides reports whether votes of one kind out of a committee of n
// decide a slot: whether they reach QuorumOf(n).
func Decides(votes uint32, n int) bool {
	return uint64(votes) >= uint64(QuorumOf(n))
}

// memberIndex finds addr among the sorted, concatenated members.
func memberIndex(members, addr []byte) (int, bool) {
	n := len(members) / address.Size
	at := func(i int) []byte { return members[i*address.Size : (i+1)*address.Size] }
	i := sort.Search(n, func(i int) bool { return bytes.Compare(at(i), addr) >= 0 })
	return i, i < n && bytes.Equal(at(i), addr)
}

// decideBallot closes a ballot that reached a threshold: the workload
// takes the ballot into its slot and the slot is decided.
func decideBallot(kv store.KV, env Env, w *pb.Workload, ref *ballotRef, valid bool) ([]Event, error) {
	if int(ref.slot) >= len(w.Slots) {
		return nil, nil // cannot happen: a ballot is opened for an existing slot
	}
	s := w.Slots[ref.slot]
	if err := closeBallot(kv, w.Id, s, ref.b); err != nil {
		return nil, err
	}
	ref.b = nil // later entries for this slot are ignored
	evs, err := decide(kv, env, w, s, valid)
	if err != nil {
		return nil, err
	}
	more, err := slashWrongVotes(kv, env, s, valid)
	return append(append([]Event{slotEvent(w, s)}, evs...), more...), err
}

// slashWrongVotes slashes the members that voted against the decision
// before it was reached: a minority voting invalid on honest proofs (or
// valid on bad ones) pays for it every time.
func slashWrongVotes(kv store.KV, env Env, s *pb.Slot, valid bool) ([]Event, error) {
	wrong := voteInvalid
	if !valid {
		wrong = voteValid
	}
	var evs []Event
	for i, v := range s.Votes {
		if v != wrong || i >= len(s.Committee) {
			continue
		}
		if err := updateProver(kv, s.Committee[i], func(p *pb.Prover) { p.WrongVotes++ }); err != nil {
			return nil, err
		}
		ev, err := slash(kv, env, s.Committee[i], env.Params.SlashWrongVoteBP, "wrong_vote", false)
		if err != nil {
			return nil, err
		}
		evs = append(evs, ev)
	}
	return evs, nil
}

// closeBallot moves a ballot into its slot and deletes it.
func closeBallot(kv store.KV, id []byte, s *pb.Slot, b *pb.Ballot) error {
	fillSlot(s, b)
	return kv.Delete(ballotKey(id, s.Index))
}

// fillSlot copies a ballot into the slot's view.
func fillSlot(s *pb.Slot, b *pb.Ballot) {
	s.Committee = nil
	for i := 0; i+address.Size <= len(b.Members); i += address.Size {
		s.Committee = append(s.Committee, b.Members[i:i+address.Size])
	}
	s.Votes, s.ValidVotes, s.InvalidVotes = b.Votes, b.Valid, b.Invalid
}

// WorkloadView reads a workload with the ballots of its verifying slots
// shown inside them: what queries and provers see.
func WorkloadView(r store.Reader, id []byte) (*pb.Workload, error) {
	w, err := GetWorkload(r, id)
	if err != nil {
		return nil, err
	}
	for _, s := range w.Slots {
		if s.State != pb.SlotState_SLOT_STATE_VERIFYING {
			continue
		}
		b, err := getBallot(r, w.Id, s.Index)
		if err != nil {
			return nil, err
		}
		if b != nil {
			fillSlot(s, b)
		}
	}
	return w, nil
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

// expireVote closes the ballot of a slot whose vote_window passed without
// a decision, and records every member that did not vote as absent (not
// slashed: a member may have been unable to vote, refused while
// suspended or leaving, or still verifying a slow program). Before the
// last of vote_rounds a fresh committee is drawn and votes again: a
// blocking third must then hold a third of two random committees. After
// the last round the slot is undecided: nobody paid, its share refunded.
func expireVote(kv store.KV, env Env, w *pb.Workload, s *pb.Slot) ([]Event, error) {
	b, err := getBallot(kv, w.Id, s.Index)
	if err != nil {
		return nil, err
	}
	if b != nil {
		if err := closeBallot(kv, w.Id, s, b); err != nil {
			return nil, err
		}
	}
	if err := countAbsences(kv, s); err != nil {
		return nil, err
	}
	if s.Round+1 < env.Params.VoteRounds {
		s.Round++
		return startVote(kv, env, w, s)
	}
	s.State, s.DecidedHeight = pb.SlotState_SLOT_STATE_UNDECIDED, env.Height
	return nil, nil
}

// countAbsences records the committee members that never voted on s.
func countAbsences(kv store.KV, s *pb.Slot) error {
	for i, v := range s.Votes {
		if v != voteNone || i >= len(s.Committee) {
			continue
		}
		if err := updateProver(kv, s.Committee[i], func(p *pb.Prover) { p.Absences++ }); err != nil {
			return err
		}
	}
	return nil
}
