package protocol

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"slices"
	"strconv"

	"github.com/provernet/provernet/internal/alloc"
	"github.com/provernet/provernet/internal/store"
	"github.com/provernet/provernet/wire"
	"github.com/provernet/provernet/wire/address"
	"github.com/provernet/provernet/wire/pb"
	"github.com/provernet/provernet/wire/seal"
)

// Verification (PROTOCOL.md 5.5). A revealed proof goes to a committee:
// the provers active at the start of the block, except the workload's own
// provers, or committee_size of them drawn from the beacon when there are
// more. Each member opens the file with the revealed identity, checks its
// binding header (seal.Judge) and verifies the proof, and votes valid,
// invalid or copied on the slot's ballot (ballot.go). A verdict decides the
// slot once at least 2/3 of the committee gave it (QuorumOf), counted as
// votes arrive (ballotTally.go) and applied at the end of the block (EndBlock);
// votes after that are ignored. Valid makes the proof final; invalid
// slashes the prover slash_invalid_bp; copied slashes it slash_copy_bp and
// removes it. The members that voted otherwise before the decision was
// reached are slashed slash_wrong_vote_bp; those that voted with it share
// the slot's vote pool at settlement (settle.go). With nobody to ask (a
// network bootstrapping with one prover) a proof is valid on reveal.

const maxVoteEntries = wire.MaxVoteEntries

const committeeDomain = "provernet/committee/v1"

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
		return decide(kv, env, w, s, voteValid)
	}
	if err := openBallot(kv, w, s, members); err != nil {
		return nil, err
	}
	if env.Block != nil && env.Block.votes.next != 0 {
		// Votes later in this block may name it (tally.go reads numbers
		// below next only). Should this transaction fail, the number
		// names nothing, and a vote for it finds no ballot.
		env.Block.votes.next = max(env.Block.votes.next, s.Ballot+1)
	}
	return nil, nil
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
	return samplePositions(len(active), skip, seed, committeeID(w.Id, s.Index, s.Round), size)
}

// samplePositions draws size positions among n, those in skip (ascending)
// left out: all of them when no more than size remain, else size drawn
// with alloc.Sample from seed for id. The result is ascending. It works
// on positions alone, so it never copies the list they index.
func samplePositions(n int, skip []int, seed []byte, id [32]byte, size int) []int {
	left := n - len(skip)
	at := func(x int) int { // the position of the x-th not skipped
		for _, p := range skip {
			if p <= x {
				x++
			}
		}
		return x
	}
	var idx []int
	if left <= size {
		idx = make([]int, left)
		for i := range idx {
			idx[i] = i
		}
	} else {
		for _, x := range alloc.Sample(seed, id, uint64(left), size) {
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

func vote(kv store.KV, env Env, sender address.Address, m *pb.Vote) (Result, error) {
	entries, err := wire.DecodeVote(m, maxVoteEntries)
	if err != nil {
		return reject(wire.CodeInvalidMessage, "vote: %v", err), nil
	}
	active, err := kv.Get(activeKey(sender)) // the index, not the whole record (active.go)
	if err != nil {
		return Result{}, err
	}
	if active == nil {
		return reject(wire.CodeNotAllowed, "vote: only active provers vote; %s is not one", sender), nil
	}
	if env.checking {
		// Admission reads no ballot: an entry that does not count is
		// ignored when the block runs, and the sender paid for its bytes.
		return Result{}, nil
	}
	if env.Block == nil {
		return Result{}, errNoBlock
	}
	var applied, ignored int
	for _, e := range entries {
		t, err := env.Block.tallyOf(kv, e.Number)
		if err != nil {
			return Result{}, err
		}
		if t.cast(&env.Block.votes, env.Height, sender, byte(e.Verdict)) {
			applied++
		} else {
			ignored++
		}
	}
	return emit(env, event("vote", "voter", sender.String(), "applied", strconv.Itoa(applied), "ignored", strconv.Itoa(ignored))), nil
}

// errNoBlock: votes count in the block's tallies, so a Vote can only be
// delivered inside a block (BeginBlock made env.Block).
var errNoBlock = errors.New("a vote delivered outside a block: env.Block is nil")

// QuorumOf is the quorum rule: the number of votes of one kind that
// decides a committee of n, at least two thirds (ceil(2n/3)), for each
// verdict alike, so a minority can neither accept nor reject. Every
// count of votes in the code base goes through it or Decides.
func QuorumOf(n int) int { return (2*n + 2) / 3 }

// Decides reports whether votes of one kind out of a committee of n
// decide a slot: whether they reach QuorumOf(n).
func Decides(votes uint32, n int) bool {
	return uint64(votes) >= uint64(QuorumOf(n))
}

// decideBallot closes a ballot that reached a quorum: the workload takes
// the ballot into its slot and the slot is decided. A ballot whose slot
// moved on meanwhile (it cannot, see ballotTally.go) is left alone.
func decideBallot(kv store.KV, env Env, w *pb.Workload, t *ballotTally) ([]Event, error) {
	if int(t.b.Slot) >= len(w.Slots) {
		return nil, nil
	}
	s := w.Slots[t.b.Slot]
	if s.Ballot != t.number || s.State != pb.SlotState_SLOT_STATE_VERIFYING {
		return nil, nil
	}
	if err := closeBallot(kv, s, t.b); err != nil {
		return nil, err
	}
	verdict := t.reached
	if verdict == voteCopied {
		var err error
		if verdict, err = confirmCopied(kv, env, w, s); err != nil {
			return nil, err
		}
	}
	evs, err := decide(kv, env, w, s, verdict)
	if err != nil {
		return nil, err
	}
	more, err := slashWrongVotes(kv, env, s, t.reached)
	return append(append([]Event{slotEvent(w, s)}, evs...), more...), err
}

// confirmCopied is the one place consensus opens a revealed file: when two
// thirds of a committee vote copied, which costs the prover its whole
// stake and its place. The chain opens the file with the revealed
// identity and checks that its header names another prover; if it does
// not (or the file does not open), the verdict stands only as invalid
// (slash_invalid), so a dishonest two thirds can do no more harm than an
// invalid vote always could. Honest committees vote copied rarely, so this
// costs little.
func confirmCopied(r store.Reader, env Env, w *pb.Workload, s *pb.Slot) (byte, error) {
	file, err := SealedFile(r, w.Id, s.Index)
	if err != nil {
		return voteNone, err
	}
	h, _, err := seal.Open(file, s.Identity, int(env.Params.MaxProofSize))
	if err != nil || bytes.Equal(h.Prover[:], s.Prover) {
		return voteInvalid, nil
	}
	return voteCopied, nil
}

// slashWrongVotes slashes the members that voted otherwise than the
// decision before it was reached: a minority voting invalid on honest
// proofs (or valid on bad ones) pays for it every time.
func slashWrongVotes(kv store.KV, env Env, s *pb.Slot, decided byte) ([]Event, error) {
	var evs []Event
	for i, v := range s.Votes {
		if v == voteNone || v == decided || i >= len(s.Committee) {
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

// decide ends a slot's verification with the verdict reached (voteValid
// for a slot nobody had to judge); the caller reports the slot.
func decide(kv store.KV, env Env, w *pb.Workload, s *pb.Slot, verdict byte) ([]Event, error) {
	switch verdict {
	case voteInvalid:
		return invalidate(kv, env, w, s, "invalid_proof")
	case voteCopied:
		return copied(kv, env, w, s)
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
	b, err := getBallot(kv, s.Ballot)
	if err != nil {
		return nil, err
	}
	if b != nil {
		if err := closeBallot(kv, s, b); err != nil {
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
