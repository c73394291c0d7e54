package protocol

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"slices"
	"strconv"

	"github.com/provernet/provernet/internal/store"
	"github.com/provernet/provernet/wire"
	"github.com/provernet/provernet/wire/address"
	"github.com/provernet/provernet/wire/pb"
)

// The committee path (docs/TREES.md, "Verification"). A tree whose
// program pair the chain cannot verify itself names two deployed
// programs; a proof of one of its nodes passes every check a natively
// verified one does (window, prover, named children, outputs naming the
// sender, VRF, a score that could be kept) and is then **pending**: its
// prover escrows a vote fee, a committee is drawn at the start of the
// next block (tree_committee_size active provers other than the prover
// and its competitors, by that block's beacon) and votes on a
// ballot as for a Run's slot (ballot.go, tally.go). Until the verdict the
// proof is not kept: it cannot evict, be named, pin or score. Valid keeps
// it (if its score still beats the node's kept proofs; else it is
// dropped, unpaid and unslashed); invalid slashes its prover
// slash_invalid_bp and drops it; a committee that decides nothing in
// vote_window is replaced, up to vote_rounds, then the proof is dropped
// and its fee refunded. A node whose window ends with pending proofs is
// deciding: it takes no more proofs and closes (or moves on to step-in)
// once they are decided, so a parent still names only final proofs.
//
// Invariants: a tree's vote_escrow is the sum of its pending proofs'
// vote fees; a pending proof has a live ballot naming it, or none and a
// timer of its tree to draw it at the start of a later block; a proof is
// never both pending and kept.

// committeePairError checks that base and merge are deployed programs
// that declare a verifier budget: a tree of them goes to committees.
func committeePairError(r store.Reader, base, merge []byte) (Result, error) {
	for _, x := range []struct {
		role string
		id   []byte
	}{{"base", base}, {"merge", merge}} {
		if len(x.id) != sha256.Size {
			return reject(wire.CodeInvalidMessage, "prove_tree: the %s program id is %d bytes, want 32", x.role, len(x.id)), nil
		}
		p, err := GetProgram(r, x.id)
		if isNotFound(err) {
			return reject(wire.CodeNotFound, "prove_tree: the %s program %x is neither deployed nor one of the chain's built-in pairs (docs/TREES.md, \"Verification\")", x.role, x.id), nil
		}
		if err != nil {
			return Result{}, err
		}
		if p.VerifyCycles == 0 {
			return reject(wire.CodeInvalidMessage, "prove_tree: the %s program %x declares no verify_cycles: its node proofs are judged by committees with that budget, and a tree has no Run's cycles to take it from; deploy it with --verify-cycles", x.role, x.id), nil
		}
	}
	return Result{}, nil
}

// committeeTree reports whether t's node proofs go to committees: its
// pair has no native verifier (the params cannot change under a tree).
func committeeTree(p Params, t *pb.Tree) bool {
	tp, _ := p.Trees()
	_, err := treeVerifierFor(tp, t.BaseProgram, t.MergeProgram)
	return err != nil
}

// TreeCommitteeSize is how many members judge a pending node proof.
func TreeCommitteeSize(p Params) int {
	tp, _ := p.Trees()
	if tp.TreeCommitteeSize > 0 {
		return int(min(tp.TreeCommitteeSize, p.CommitteeSize))
	}
	return int(p.CommitteeSize)
}

// TreeVoteFee is what a pending node proof's prover escrows: the
// tree_vote_fee of every member of a full committee.
func TreeVoteFee(p Params) uint64 {
	tp, _ := p.Trees()
	return tp.TreeVoteFee * uint64(TreeCommitteeSize(p))
}

// submitPending makes pf (a checked proof of nd, its seq not yet given)
// pending: the fee escrowed, the bytes stored, a committee drawn.
func submitPending(kv store.KV, env Env, t *pb.Tree, nd *pb.TreeNode, sender address.Address, pf *pb.TreeProof, proof []byte) ([]Event, Result, error) {
	for _, p := range nd.Pending {
		if bytes.Equal(p.Prover, sender[:]) {
			return nil, reject(wire.CodeAlreadyExists, "node proof: %s has a proof of node %d waiting for its committee already (seq %d)", sender, nd.Index, p.Seq), nil
		}
	}
	fee := TreeVoteFee(env.Params)
	acct, err := GetAccount(kv, sender)
	if err != nil {
		return nil, Result{}, err
	}
	if acct.Balance < fee {
		return nil, reject(wire.CodeInsufficientFunds, "node proof: %s holds %d uprv after the transaction fee and cannot escrow the vote fee of %d uprv (tree_vote_fee for each of %d members)", sender, acct.Balance, fee, TreeCommitteeSize(env.Params)), nil
	}
	if err := addBalance(kv, sender, acct, -1, fee); err != nil {
		return nil, Result{}, err
	}
	pf.Seq, pf.VoteFee = nd.NextSeq, fee
	nd.NextSeq++
	t.VoteEscrow += fee
	// Its stake answers for it: the prover may not withdraw while it waits
	// (withdraw checks open_results, as for a Run's unsettled result).
	if err := updateProver(kv, sender[:], func(p *pb.Prover) { p.OpenResults++ }); err != nil {
		return nil, Result{}, err
	}
	if len(proof) > 0 {
		if err := kv.Set(treeProofKey(t.Id, nd.Index, pf.Seq), proof); err != nil {
			return nil, Result{}, err
		}
	}
	nd.Pending = append(nd.Pending, pf)
	if env.checking {
		return nil, Result{}, nil // CheckTx only decides admission
	}
	// The committee is drawn at the start of the next block, with its
	// seed: this block's proposer knows this block's seed, and chooses
	// which proofs come first (their seqs), so drawing now would let it
	// try committees (drawWaiting).
	_, err = treeTimerFrom(kv, env.Params, env.Height+1, t.Id)
	return nil, Result{}, err
}

// drawWaiting opens the ballots of nd's pending proofs that have none
// yet (submitted in an earlier block), with this height's seed.
func drawWaiting(kv store.KV, env Env, t *pb.Tree, nd *pb.TreeNode) ([]Event, error) {
	var evs []Event
	for _, pf := range slices.Clone(nd.Pending) {
		if pf.Ballot != 0 || pf.VoteBy != 0 {
			continue
		}
		more, err := openTreeBallot(kv, env, t, nd, pf)
		if err != nil {
			return nil, err
		}
		evs = append(evs, more...)
	}
	return evs, nil
}

// openTreeBallot draws pf's committee for its current round and opens
// its ballot; with nobody to ask (a network of one prover) the proof is
// valid at once, as a Run's is (vote.go).
func openTreeBallot(kv store.KV, env Env, t *pb.Tree, nd *pb.TreeNode, pf *pb.TreeProof) ([]Event, error) {
	members, err := drawTreeCommittee(kv, env, t.Id, nd, pf)
	if err != nil {
		return nil, err
	}
	if len(members) == 0 {
		return resolvePending(kv, env, t, nd, pf, voteValid, nil)
	}
	due, err := ballotEnd(kv, env, t.Id)
	if err != nil {
		return nil, err
	}
	n, err := nextBallot(kv)
	if err != nil {
		return nil, err
	}
	pf.Ballot, pf.VoteBy = n, due-1
	b := &pb.Ballot{Members: members, Votes: make([]byte, len(members)/address.Size), VoteBy: pf.VoteBy,
		Tree: t.Id, Node: nd.Index, Seq: pf.Seq}
	if err := setProto(kv, ballotKey(n), b); err != nil {
		return nil, err
	}
	if env.Block != nil && env.Block.votes.next != 0 {
		env.Block.votes.next = max(env.Block.votes.next, n+1) // as startVote
	}
	return []Event{event("node_ballot", "tree", hex.EncodeToString(t.Id), "node", strconv.Itoa(int(nd.Index)),
		"seq", strconv.Itoa(int(pf.Seq)), "ballot", strconv.FormatUint(n, 10), "round", strconv.Itoa(int(pf.Round)),
		"members", strconv.Itoa(len(members)/address.Size), "vote_by", strconv.FormatInt(pf.VoteBy, 10))}, nil
}

// ballotEnd returns the height a ballot tree id opens now ends at: a
// timer of the tree after vote_window or, when that height has no slot
// for it, at the first later one with room (treeTimerFrom); it takes
// votes until then. Every ballot a tree opens at a height ends at the
// same one, so BeginBlock (env.ballotEnd) looks it up once per tree: a
// lookup may scan maxTimerSearch full heights, about a millisecond, and
// one tree timer may draw a block's worth of pending proofs
// (BenchmarkTreeDrawsFullSlots: 333 ms for 288 draws, 5 ms with one lookup).
func ballotEnd(kv store.KV, env Env, id []byte) (int64, error) {
	if env.ballotEnd != nil && *env.ballotEnd != 0 {
		return *env.ballotEnd, nil // the tree holds its slot and timer there
	}
	due, err := treeTimerFrom(kv, env.Params, env.Height+env.Params.VoteWindow+1, id)
	if err == nil && env.ballotEnd != nil {
		*env.ballotEnd = due
	}
	return due, err
}

// drawTreeCommittee returns pf's committee, sorted and concatenated: the
// block's active provers but pf's own and its competitors (treeSkipped),
// all of them up to TreeCommitteeSize, else that many drawn from the
// beacon.
func drawTreeCommittee(kv store.KV, env Env, tree []byte, nd *pb.TreeNode, pf *pb.TreeProof) ([]byte, error) {
	active, err := activeProvers(kv, env)
	if err != nil {
		return nil, err
	}
	skip := treeSkipped(active, nd, pf)
	size := TreeCommitteeSize(env.Params)
	var seed []byte
	if len(active)-len(skip) > size {
		if seed, err = Seed(kv); err != nil {
			return nil, err
		}
	}
	out := make([]byte, 0, size*address.Size)
	for _, x := range samplePositions(len(active), skip, seed, treeCommitteeID(tree, nd.Index, pf.Seq, pf.Round), size) {
		out = append(out, active[x][:]...)
	}
	return out, nil
}

// treeSkipped returns, ascending, the positions in active of the provers
// that may not judge pf: its own, and those with a kept or pending proof
// of its node, whose place or pay a valid verdict could take (a kept
// proof it would evict could otherwise stay by its prover's abstaining,
// which costs an absence, nothing else; tree_committee_review.txt). As a
// Run's slot (CommitteePositions), when that leaves nobody only pf's own
// prover is left out.
func treeSkipped(active [][20]byte, nd *pb.TreeNode, pf *pb.TreeProof) []int {
	pos := func(a []byte) (int, bool) {
		if len(a) != address.Size {
			return 0, false
		}
		return slices.BinarySearchFunc(active, [20]byte(a), func(x, y [20]byte) int { return bytes.Compare(x[:], y[:]) })
	}
	var own, skip []int
	if p, ok := pos(pf.Prover); ok {
		own = []int{p}
	}
	for _, list := range [][]*pb.TreeProof{{pf}, nd.Proofs, nd.Pending} {
		for _, c := range list {
			if p, ok := pos(c.Prover); ok && !slices.Contains(skip, p) {
				skip = append(skip, p)
			}
		}
	}
	if len(skip) == len(active) {
		return own
	}
	slices.Sort(skip)
	return skip
}

// treeCommitteeID names the pending proof (and round) whose committee is
// drawn.
func treeCommitteeID(tree []byte, node, seq, round uint32) [32]byte {
	h := sha256.New()
	h.Write([]byte("provernet/tree-committee/v1"))
	h.Write(tree)
	var b [12]byte
	binary.BigEndian.PutUint32(b[0:], node)
	binary.BigEndian.PutUint32(b[4:], seq)
	binary.BigEndian.PutUint32(b[8:], round)
	h.Write(b[:])
	var out [32]byte
	h.Sum(out[:0])
	return out
}

// decideTreeBallot applies a tree ballot that reached a quorum at the end
// of the block. A ballot whose proof is no longer pending (its tree ended
// and cancelled it) is ignored.
func decideTreeBallot(kv store.KV, env Env, t *pb.Tree, tally *ballotTally) ([]Event, error) {
	if t.State != pb.TreeState_TREE_STATE_PROVING || tally.b.Node < 1 || int(tally.b.Node) > len(t.Nodes) {
		return nil, nil
	}
	nd := t.Nodes[tally.b.Node-1]
	i := slices.IndexFunc(nd.Pending, func(p *pb.TreeProof) bool { return p.Seq == tally.b.Seq && p.Ballot == tally.number })
	if i < 0 {
		return nil, nil
	}
	if err := kv.Delete(ballotKey(tally.number)); err != nil {
		return nil, err
	}
	nd.Pending[i].Ballot = 0
	// a tree ballot never reaches copied: its votes count as invalid (tally.go)
	evs, err := resolvePending(kv, env, t, nd, nd.Pending[i], tally.reached, tally)
	if err != nil {
		return nil, err
	}
	if nd.Deciding && len(nd.Pending) == 0 {
		// Its last pending proof decided: the node closes (or moves on)
		// at the start of the next block with room for the tree's timer.
		if _, err := treeTimerFrom(kv, env.Params, env.Height+1, t.Id); err != nil {
			return nil, err
		}
	}
	return evs, nil
}

// resolvePending ends pf's wait with a verdict (tally nil: nobody was
// asked): the members that voted as the ballot decided are paid
// tree_vote_fee each; valid keeps the proof if its score still earns a
// place (the rest of the fee back to its prover), invalid slashes the
// prover and burns the rest of the fee; members that voted otherwise
// are slashed slash_wrong_vote_bp.
func resolvePending(kv store.KV, env Env, t *pb.Tree, nd *pb.TreeNode, pf *pb.TreeProof, verdict byte, tally *ballotTally) ([]Event, error) {
	if err := removePending(kv, t, nd, pf); err != nil {
		return nil, err
	}
	var evs []Event
	rest := pf.VoteFee
	if tally != nil {
		paid, more, err := payTreeVoters(kv, env, t, tally)
		if err != nil {
			return nil, err
		}
		rest -= paid
		evs = append(evs, more...)
	}
	if verdict != voteValid {
		if err := kv.Delete(treeProofKey(t.Id, nd.Index, pf.Seq)); err != nil {
			return nil, err
		}
		if err := burn(kv, rest); err != nil {
			return nil, err
		}
		sl, err := slash(kv, env, pf.Prover, env.Params.SlashInvalidBP, "invalid_tree_proof", false)
		return append(append(evs, verdictEvent(t, nd, pf, verdictName(verdict), false)), sl), err
	}
	if err := credit(kv, pf.Prover, rest); err != nil {
		return nil, err
	}
	replace, ok := decidedSlot(nd, t.ProofsPerNode, pf)
	if !ok {
		// Better proofs were kept while it waited: dropped, as it would
		// have been refused had it come last.
		return append(evs, verdictEvent(t, nd, pf, "valid", false)), kv.Delete(treeProofKey(t.Id, nd.Index, pf.Seq))
	}
	more, err := keepProof(kv, t, nd, pf, replace)
	return append(append(evs, verdictEvent(t, nd, pf, "valid", true)), more...), err
}

// verdictEvent reports how a pending proof ended and whether it is kept.
func verdictEvent(t *pb.Tree, nd *pb.TreeNode, pf *pb.TreeProof, verdict string, kept bool) Event {
	return event("node_verdict", "tree", hex.EncodeToString(t.Id), "node", strconv.Itoa(int(nd.Index)),
		"seq", strconv.Itoa(int(pf.Seq)), "prover", addrString(pf.Prover), "verdict", verdict, "kept", strconv.FormatBool(kept))
}

// removePending takes pf out of nd's pending proofs, its fee out of the
// tree's vote escrow (the caller pays it out) and itself out of its
// prover's open results.
func removePending(kv store.KV, t *pb.Tree, nd *pb.TreeNode, pf *pb.TreeProof) error {
	nd.Pending = slices.DeleteFunc(nd.Pending, func(p *pb.TreeProof) bool { return p == pf })
	t.VoteEscrow -= pf.VoteFee
	return updateProver(kv, pf.Prover, func(p *pb.Prover) { p.OpenResults = max(p.OpenResults, 1) - 1 })
}

// payTreeVoters pays tree_vote_fee to each member that voted as tally
// decided, and slashes those that voted otherwise; it returns what it
// paid.
func payTreeVoters(kv store.KV, env Env, t *pb.Tree, tally *ballotTally) (uint64, []Event, error) {
	tp, _ := env.Params.Trees()
	var paid uint64
	var evs []Event
	for i, v := range tally.b.Votes {
		if v == voteNone || (i+1)*address.Size > len(tally.b.Members) {
			continue
		}
		member := tally.b.Members[i*address.Size : (i+1)*address.Size]
		if v == tally.reached {
			if err := credit(kv, member, tp.TreeVoteFee); err != nil {
				return 0, nil, err
			}
			paid += tp.TreeVoteFee
			continue
		}
		if err := updateProver(kv, member, func(p *pb.Prover) { p.WrongVotes++ }); err != nil {
			return 0, nil, err
		}
		ev, err := slash(kv, env, member, env.Params.SlashWrongVoteBP, "wrong_vote", false)
		if err != nil {
			return 0, nil, err
		}
		evs = append(evs, ev)
	}
	return paid, evs, nil
}

// expireOverdue handles nd's pending proofs whose vote window has passed
// undecided: their absent members are counted; a fresh committee is
// drawn before the last of vote_rounds, and after it the proof is
// dropped and its fee refunded (nobody decided; nobody is slashed).
func expireOverdue(kv store.KV, env Env, t *pb.Tree, nd *pb.TreeNode) ([]Event, error) {
	var evs []Event
	for _, pf := range slices.Clone(nd.Pending) {
		if pf.VoteBy == 0 || pf.VoteBy >= env.Height {
			continue // not drawn yet, or still taking votes
		}
		if err := closeTreeBallot(kv, pf, true); err != nil {
			return nil, err
		}
		if pf.Round+1 < env.Params.VoteRounds {
			pf.Round++
			more, err := openTreeBallot(kv, env, t, nd, pf)
			if err != nil {
				return nil, err
			}
			evs = append(evs, more...)
			continue
		}
		more, err := dropPending(kv, t, nd, pf, "undecided")
		if err != nil {
			return nil, err
		}
		evs = append(evs, more...)
	}
	return evs, nil
}

// closeTreeBallot deletes pf's ballot, counting its absent members when
// absences is set.
func closeTreeBallot(kv store.KV, pf *pb.TreeProof, absences bool) error {
	b, err := getBallot(kv, pf.Ballot)
	if err != nil || b == nil {
		pf.Ballot = 0
		return err
	}
	if absences {
		for i, v := range b.Votes {
			if v != voteNone || (i+1)*address.Size > len(b.Members) {
				continue
			}
			if err := updateProver(kv, b.Members[i*address.Size:(i+1)*address.Size], func(p *pb.Prover) { p.Absences++ }); err != nil {
				return err
			}
		}
	}
	n := pf.Ballot
	pf.Ballot = 0
	return kv.Delete(ballotKey(n))
}

// dropPending removes pf undecided: its fee back to its prover, its bytes
// deleted.
func dropPending(kv store.KV, t *pb.Tree, nd *pb.TreeNode, pf *pb.TreeProof, why string) ([]Event, error) {
	if err := removePending(kv, t, nd, pf); err != nil {
		return nil, err
	}
	if err := credit(kv, pf.Prover, pf.VoteFee); err != nil {
		return nil, err
	}
	if err := kv.Delete(treeProofKey(t.Id, nd.Index, pf.Seq)); err != nil {
		return nil, err
	}
	return []Event{verdictEvent(t, nd, pf, why, false)}, nil
}

// cancelPending drops every pending proof of an ending tree, its ballots
// deleted and its fees refunded; no node of it is deciding any more.
func cancelPending(kv store.KV, t *pb.Tree) ([]Event, error) {
	var evs []Event
	for _, nd := range t.Nodes {
		nd.Deciding = false
		for _, pf := range slices.Clone(nd.Pending) {
			if err := closeTreeBallot(kv, pf, false); err != nil {
				return nil, err
			}
			more, err := dropPending(kv, t, nd, pf, "cancelled")
			if err != nil {
				return nil, err
			}
			evs = append(evs, more...)
		}
	}
	return evs, nil
}

// verdictName is the lower-case name of a vote.
func verdictName(v byte) string {
	switch v {
	case voteValid:
		return "valid"
	case voteInvalid:
		return "invalid"
	case voteCopied:
		return "copied"
	}
	return "none"
}

// TreeView reads a tree with each pending proof's committee and votes
// filled in from its ballot: what queries and provers see (a member finds
// the proofs it is to judge there).
func TreeView(r store.Reader, id []byte) (*pb.Tree, error) {
	t, err := GetTree(r, id)
	if err != nil {
		return nil, err
	}
	for _, nd := range t.Nodes {
		for _, pf := range nd.Pending {
			b, err := getBallot(r, pf.Ballot)
			if err != nil {
				return nil, err
			}
			if b == nil {
				continue
			}
			for i := 0; i+address.Size <= len(b.Members); i += address.Size {
				pf.Committee = append(pf.Committee, b.Members[i:i+address.Size])
			}
			pf.Votes = b.Votes
		}
	}
	return t, nil
}

// NodeProofOf returns nd's kept or pending proof with seq, or nil.
func NodeProofOf(nd *pb.TreeNode, seq uint32) *pb.TreeProof {
	if pf := keptProof(nd, seq); pf != nil {
		return pf
	}
	for _, pf := range nd.Pending {
		if pf.Seq == seq {
			return pf
		}
	}
	return nil
}
