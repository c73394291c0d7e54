package protocol

import (
	"encoding/binary"

	"google.golang.org/protobuf/proto"

	"github.com/provernet/provernet/internal/store"
	"github.com/provernet/provernet/wire/address"
	"github.com/provernet/provernet/wire/pb"
)

// Ballots. Each verification round of a slot gets a ballot: a number from
// a chain-wide counter (ballotseq), never reused, recorded in the slot
// (Slot.ballot) and keying a small record (ballot/<number>) that holds the
// committee, the votes so far and the slot it judges. A Vote names ballots
// by number, so an entry is a few bytes instead of a 32-byte workload id
// (vote.go); a ballot is read once per block in which it gets votes and
// written once at the end of that block (tally.go). A decided or expired
// ballot is deleted, so a vote for it finds nothing and is ignored.

// A member's vote in a ballot, as Ballot.votes and Slot.votes store it:
// the wire.Verdict values, 0 for none.
const (
	voteNone    byte = 0
	voteValid   byte = 1
	voteInvalid byte = 2
	voteCopied  byte = 3
)

func ballotKey(n uint64) []byte {
	return binary.BigEndian.AppendUint64(append([]byte{}, prefixBallot...), n)
}

func getBallot(r store.Reader, n uint64) (*pb.Ballot, error) {
	if n == 0 {
		return nil, nil // 0 is never a ballot: the counter starts at 1
	}
	b, err := r.Get(ballotKey(n))
	if err != nil || b == nil {
		return nil, err
	}
	var bl pb.Ballot
	return &bl, proto.Unmarshal(b, &bl)
}

// nextBallot takes the next ballot number, from 1.
func nextBallot(kv store.KV) (uint64, error) {
	n, err := peekBallot(kv)
	if err != nil {
		return 0, err
	}
	return n, kv.Set(keyBallotSeq, binary.BigEndian.AppendUint64(nil, n+1))
}

// peekBallot is the number the next ballot will get.
func peekBallot(r store.Reader) (uint64, error) {
	b, err := r.Get(keyBallotSeq)
	if err != nil {
		return 0, err
	}
	if len(b) == 8 {
		return binary.BigEndian.Uint64(b), nil
	}
	return 1, nil
}

// openBallot gives slot s of w a new ballot judged by members (sorted,
// concatenated addresses).
func openBallot(kv store.KV, w *pb.Workload, s *pb.Slot, members []byte) error {
	n, err := nextBallot(kv)
	if err != nil {
		return err
	}
	s.Ballot = n
	// The slot shows the running round's ballot only (WorkloadView fills
	// it in): the last round's committee and votes were counted already.
	s.Committee, s.Votes, s.ValidVotes, s.InvalidVotes, s.CopiedVotes = nil, nil, 0, 0, 0
	b := &pb.Ballot{Members: members, Votes: make([]byte, len(members)/address.Size), VoteBy: s.VoteBy,
		Workload: w.Id, Slot: s.Index}
	return setProto(kv, ballotKey(n), b)
}

// closeBallot moves a ballot into its slot and deletes it.
func closeBallot(kv store.KV, s *pb.Slot, b *pb.Ballot) error {
	fillSlot(s, b)
	return kv.Delete(ballotKey(s.Ballot))
}

// fillSlot copies a ballot into the slot's view.
func fillSlot(s *pb.Slot, b *pb.Ballot) {
	s.Committee = nil
	for i := 0; i+address.Size <= len(b.Members); i += address.Size {
		s.Committee = append(s.Committee, b.Members[i:i+address.Size])
	}
	s.Votes, s.ValidVotes, s.InvalidVotes, s.CopiedVotes = b.Votes, b.Valid, b.Invalid, b.Copied
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
		b, err := getBallot(r, s.Ballot)
		if err != nil {
			return nil, err
		}
		if b != nil {
			fillSlot(s, b)
		}
	}
	return w, nil
}
