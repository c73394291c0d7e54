package protocol

import (
	"bytes"
	"slices"
	"sort"

	"github.com/provernet/provernet/internal/store"
	"github.com/provernet/provernet/wire/address"
	"github.com/provernet/provernet/wire/pb"
)

// The block's tallies. A ballot that receives votes in a block is read
// from the state once, at its first vote, and kept decoded in the block
// (Block.tallies); every later vote of the block counts there. At the end
// of the block (EndBlock) the ballots that reached a quorum are decided,
// in the order they reached it, and the others are written back once, in
// ballot order. Nothing else writes a ballot a vote can reach during the
// block: a ballot takes votes only up to its vote_by height, and only a
// later height expires it; a new round opens a new ballot number.
//
// A Vote travels alone in its transaction (tx.go), and every check that
// can refuse it runs before it counts anything, so a refused transaction
// never leaves a vote behind in the tallies.

// ballotTally is one ballot's state during the block.
type ballotTally struct {
	number  uint64
	b       *pb.Ballot
	dirty   bool
	reached byte // the verdict that reached a quorum (voteNone: none yet)
}

// tallies are the block's ballots, by number, and those that reached a
// quorum, in the order they did.
type tallies struct {
	byNumber map[uint64]*ballotTally
	reached  []*ballotTally
	next     uint64 // the next ballot number, read at the block's first vote (0: not yet)
}

// tallyOf returns ballot n's ballotTally, reading the ballot at its first use in
// the block; nil when there is no such ballot (never opened, or closed).
func (b *Block) tallyOf(r store.Reader, n uint64) (*ballotTally, error) {
	if b.votes.byNumber == nil {
		b.votes.byNumber = map[uint64]*ballotTally{}
	}
	if t, ok := b.votes.byNumber[n]; ok {
		return t, nil
	}
	if b.votes.next == 0 {
		next, err := peekBallot(r)
		if err != nil {
			return nil, err
		}
		b.votes.next = next
	}
	if n == 0 || n >= b.votes.next {
		return nil, nil // never given: no read, and nothing remembered
	}
	bl, err := getBallot(r, n)
	if err != nil {
		return nil, err
	}
	var t *ballotTally
	if bl != nil {
		t = &ballotTally{number: n, b: bl}
	}
	b.votes.byNumber[n] = t // a missing ballot is remembered as nil
	return t, nil
}

// cast counts member's verdict v in t, at height; false when it does not
// count (the ballot was decided or closed its vote, the sender is not a
// member, or it voted already).
func (t *ballotTally) cast(votes *tallies, height int64, member address.Address, v byte) bool {
	if t == nil || t.reached != voteNone || height > t.b.VoteBy {
		return false
	}
	if len(t.b.Tree) > 0 && v == voteCopied {
		// On a tree ballot copied is only invalid: the chain checked that
		// the outputs name the prover (tree_committee.go).
		v = voteInvalid
	}
	i, found := memberIndex(t.b.Members, member[:])
	if !found || i >= len(t.b.Votes) || t.b.Votes[i] != voteNone {
		return false
	}
	t.b.Votes[i] = v
	t.dirty = true
	n := len(t.b.Votes)
	switch v {
	case voteValid:
		t.b.Valid++
		if Decides(t.b.Valid, n) {
			t.reached = v
		}
	case voteInvalid:
		t.b.Invalid++
		if Decides(t.b.Invalid, n) {
			t.reached = v
		}
	case voteCopied:
		t.b.Copied++
		if Decides(t.b.Copied, n) {
			t.reached = v
		}
	}
	if t.reached != voteNone {
		votes.reached = append(votes.reached, t)
	}
	return true
}

// memberIndex finds addr among the sorted, concatenated members.
func memberIndex(members, addr []byte) (int, bool) {
	n := len(members) / address.Size
	at := func(i int) []byte { return members[i*address.Size : (i+1)*address.Size] }
	i := sort.Search(n, func(i int) bool { return bytes.Compare(at(i), addr) >= 0 })
	return i, i < n && bytes.Equal(at(i), addr)
}

// endTallies decides the ballots that reached a quorum in the block, in
// the order they did, and writes the others back, in ballot order.
func endTallies(kv store.KV, env Env) ([]Event, error) {
	if env.Block == nil {
		return nil, nil
	}
	var evs []Event
	touched := map[string]*pb.Workload{}
	var order []*pb.Workload // workloads decided on, in the order first decided
	trees := map[string]*pb.Tree{}
	var treeOrder []*pb.Tree // trees decided on, likewise
	for _, t := range env.Block.votes.reached {
		if len(t.b.Tree) > 0 {
			tr, ok := trees[string(t.b.Tree)]
			if !ok {
				var err error
				if tr, err = GetTree(kv, t.b.Tree); err != nil {
					return nil, err
				}
				trees[string(t.b.Tree)] = tr
				treeOrder = append(treeOrder, tr)
			}
			more, err := decideTreeBallot(kv, env, tr, t)
			if err != nil {
				return nil, err
			}
			evs = append(evs, more...)
			continue
		}
		w, ok := touched[string(t.b.Workload)]
		if !ok {
			var err error
			if w, err = GetWorkload(kv, t.b.Workload); err != nil {
				return nil, err
			}
			touched[string(t.b.Workload)] = w
			order = append(order, w)
		}
		more, err := decideBallot(kv, env, w, t)
		if err != nil {
			return nil, err
		}
		evs = append(evs, more...)
	}
	for _, w := range order {
		res, err := finishMsg(kv, env, w)
		if err != nil {
			return nil, err
		}
		evs = append(evs, res.Events...)
	}
	for _, tr := range treeOrder {
		if err := setTree(kv, tr); err != nil {
			return nil, err
		}
	}
	numbers := make([]uint64, 0, len(env.Block.votes.byNumber))
	for n, t := range env.Block.votes.byNumber {
		if t != nil && t.dirty && t.reached == voteNone {
			numbers = append(numbers, n)
		}
	}
	slices.Sort(numbers)
	for _, n := range numbers {
		if err := setProto(kv, ballotKey(n), env.Block.votes.byNumber[n].b); err != nil {
			return nil, err
		}
	}
	env.Block.votes = tallies{}
	return evs, nil
}
