package wire

import (
	"errors"
	"fmt"

	"github.com/provernet/provernet/wire/pb"
)

// Verdict is a committee member's judgement of one revealed result.
type Verdict uint8

// Verdicts, as a Vote carries them in two bits each (0 is never sent).
const (
	VerdictValid   Verdict = 1 // the proof verifies and the file is the slot's
	VerdictInvalid Verdict = 2 // the file does not open, its header does not match the submission, the user cannot open it, or the proof does not verify
	VerdictCopied  Verdict = 3 // the file's binding header names another prover: lifted from someone else
)

// String names a verdict as docs and events do.
func (v Verdict) String() string {
	switch v {
	case VerdictValid:
		return "valid"
	case VerdictInvalid:
		return "invalid"
	case VerdictCopied:
		return "copied"
	}
	return fmt.Sprintf("verdict(%d)", uint8(v))
}

// Ballot is one entry of a Vote: a ballot number and the verdict on it.
type Ballot struct {
	Number  uint64
	Verdict Verdict
}

// MaxVoteEntries bounds one Vote: a member of every committee of a busy
// block votes on a few thousand ballots. The chain refuses more.
const MaxVoteEntries = 4096

// ErrBadVote is wrapped by DecodeVote's and EncodeVote's errors.
var ErrBadVote = errors.New("malformed vote")

// EncodeVote packs entries, which must be sorted by strictly ascending
// ballot number, into a Vote (see proto/provernet/v1/tx.proto).
func EncodeVote(entries []Ballot) (*pb.Vote, error) {
	m := &pb.Vote{Ballots: make([]uint64, len(entries)), Verdicts: make([]byte, (len(entries)+3)/4)}
	for i, e := range entries {
		if e.Verdict < VerdictValid || e.Verdict > VerdictCopied {
			return nil, fmt.Errorf("%w: entry %d: verdict %d", ErrBadVote, i, e.Verdict)
		}
		m.Ballots[i] = e.Number
		if i > 0 {
			if e.Number <= entries[i-1].Number {
				return nil, fmt.Errorf("%w: entry %d: ballot %d after %d; ballots go strictly ascending", ErrBadVote, i, e.Number, entries[i-1].Number)
			}
			m.Ballots[i] = e.Number - entries[i-1].Number
		}
		m.Verdicts[i/4] |= byte(e.Verdict) << (2 * (i % 4))
	}
	return m, nil
}

// DecodeVote unpacks a Vote of at most max entries. It refuses what
// EncodeVote never makes: a gap of 0, a ballot number that overflows,
// verdicts of the wrong length, a verdict of 0, or a set unused bit.
func DecodeVote(m *pb.Vote, max int) ([]Ballot, error) {
	n := len(m.GetBallots())
	if n == 0 || n > max {
		return nil, fmt.Errorf("%w: %d entries; send 1..%d", ErrBadVote, n, max)
	}
	if len(m.Verdicts) != (n+3)/4 {
		return nil, fmt.Errorf("%w: %d bytes of verdicts for %d entries; want %d", ErrBadVote, len(m.Verdicts), n, (n+3)/4)
	}
	if rest := n % 4; rest != 0 && m.Verdicts[n/4]>>(2*rest) != 0 {
		return nil, fmt.Errorf("%w: bits set after the last verdict", ErrBadVote)
	}
	out := make([]Ballot, n)
	var number uint64
	for i, gap := range m.Ballots {
		if i > 0 && gap == 0 {
			return nil, fmt.Errorf("%w: entry %d: a gap of 0 repeats ballot %d", ErrBadVote, i, number)
		}
		if number+gap < number {
			return nil, fmt.Errorf("%w: entry %d: the ballot number overflows", ErrBadVote, i)
		}
		number += gap
		v := Verdict(m.Verdicts[i/4] >> (2 * (i % 4)) & 3)
		if v == 0 {
			return nil, fmt.Errorf("%w: entry %d (ballot %d): no verdict", ErrBadVote, i, number)
		}
		out[i] = Ballot{Number: number, Verdict: v}
	}
	return out, nil
}
