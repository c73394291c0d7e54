package prover

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"

	"github.com/provernet/provernet/wire/address"
	"github.com/provernet/provernet/wire/pb"
)

// Judging pending node proofs (docs/TREES.md, "Verification"). A node
// proof of a tree of deployed programs is pending until a committee of
// active provers decides it on a ballot; the /tree query names each
// pending proof's committee and their votes (protocol.TreeView). A member
// runs the node's program's verifier on the proof, with the files its
// prover had plus the claimed outputs (tree_files.go), and its verdict
// goes into the pass's one Vote with the Runs' (vote.go). Restart-safe as
// a Run's: a restarted daemon judges again what the chain shows it has
// not voted on.

// treeBallotKey names a tree ballot among the daemon's committee duties
// (ballot.rounds). Ballot numbers are the chain's, never reused: a proof
// whose committee is redrawn gets a new ballot, and is judged again.
func treeBallotKey(n uint64) string { return "tree-ballot/" + strconv.FormatUint(n, 10) }

// treeDuty is a pending node proof this prover is to judge.
type treeDuty struct {
	node uint32
	pf   *pb.TreeProof
}

// planTreeVotes lists the pending node proofs of t this prover judges
// now, in node then seq order: the tree is proving, the prover is active,
// it sits on the proof's committee and has not voted on its ballot, the
// ballot still takes votes (vote_by >= tip, the rule ballot.take drops
// late verdicts by) and no verification of it is running or queued
// (duties, by treeBallotKey). Pure, like plan.
func planTreeVotes(t *pb.Tree, self standing, tip int64, duties map[string]roundDuty) []treeDuty {
	if t.State != pb.TreeState_TREE_STATE_PROVING || !self.active() || self.out {
		return nil
	}
	var out []treeDuty
	for _, nd := range t.Nodes {
		for _, pf := range nd.Pending {
			if pf.Ballot == 0 || pf.VoteBy < tip || duties[treeBallotKey(pf.Ballot)] != 0 {
				continue
			}
			i := slices.IndexFunc(pf.Committee, func(m []byte) bool { return bytes.Equal(m, self.addr[:]) })
			if i < 0 || i >= len(pf.Votes) || pf.Votes[i] != 0 {
				continue
			}
			out = append(out, treeDuty{node: nd.Index, pf: pf})
		}
	}
	return out
}

// judgeTree starts judging every pending node proof of t planTreeVotes
// names.
func (d *Daemon) judgeTree(ctx context.Context, prog nodeProgram, t *pb.Tree, w *treeWork) error {
	duties := planTreeVotes(t, d.standing(), d.tip, d.ballot.rounds)
	if len(duties) == 0 {
		return nil
	}
	p, ok := prog.(*deployedProgram)
	if !ok {
		return fmt.Errorf("tree %x has proofs before committees, and its pair is not two deployed programs", t.Id)
	}
	var errs []error
	for _, duty := range duties {
		if err := d.startTreeVerify(ctx, p, t, w, duty); err != nil {
			errs = append(errs, fmt.Errorf("judging node %d proof %d (ballot %d): %w", duty.node, duty.pf.Seq, duty.pf.Ballot, err))
		}
	}
	return errors.Join(errs...)
}

// startTreeVerify gathers what judging one pending proof needs (its
// bytes, the node's inputs or the named child proofs) in the pass, then
// runs the program's verifier in the background, Config.Verifiers at a
// time with the Runs'; the verdict comes back on d.verified. Nothing is
// noted when the gathering fails: the next pass tries again.
func (d *Daemon) startTreeVerify(ctx context.Context, p *deployedProgram, t *pb.Tree, w *treeWork, duty treeDuty) error {
	pf := duty.pf
	prover, err := address.FromBytes(pf.Prover)
	if err != nil {
		return err
	}
	job, err := d.nodeJobFor(ctx, p, t, w, duty.node, prover, pf.Left, pf.Right)
	if err != nil {
		return err
	}
	proof, err := d.chain.treeProof(ctx, t.Id, duty.node, pf.Seq, pf.ProofSha256)
	if err != nil {
		return fmt.Errorf("its proof bytes: %w", err)
	}
	d.ballot.rounds[treeBallotKey(pf.Ballot)] = roundVerifying
	w.judged = append(w.judged, pf.Ballot)
	r := verifyResult{tree: t.Id, node: duty.node, seq: pf.Seq, ballot: pf.Ballot, voteBy: pf.VoteBy}
	outputs := pf.Outputs
	go func() {
		select {
		case d.verifySem <- struct{}{}:
		case <-ctx.Done():
			return
		}
		if h, _, err := d.chain.height(ctx); err == nil && h > r.voteBy {
			r.err = fmt.Errorf("the vote window closed at height %d before its turn", r.voteBy)
		} else {
			r.verdict, r.err = p.verify(ctx, job, outputs, proof)
		}
		<-d.verifySem
		select {
		case d.verified <- r:
		case <-ctx.Done():
		}
	}()
	return nil
}

// forgetJudged drops the committee duties of a tree the daemon stops
// following.
func (d *Daemon) forgetJudged(w *treeWork) {
	for _, n := range w.judged {
		delete(d.ballot.rounds, treeBallotKey(n))
	}
	w.judged = nil
}
