package prover

import (
	"bytes"
	"encoding/hex"
	"maps"
	"slices"

	"github.com/provernet/provernet/internal/protocol"
	"github.com/provernet/provernet/wire"
	"github.com/provernet/provernet/wire/address"
	"github.com/provernet/provernet/wire/pb"
)

// The planner: pure functions from what the daemon knows to what it should
// do. No I/O, no clock, no randomness, no goroutines; it never changes its
// inputs. The executor (execute.go) reads the inputs, calls a planner, and
// carries out the actions in order. testdata/plan holds its scripts.

// resendAfter is how many blocks a sent transaction may take to show in
// the chain's state before the daemon sends it again: a transaction the
// mempool accepted can still be lost (a node restart, an eviction).
const resendAfter = 4

// retryAfter is how many blocks a proving attempt the machine could not
// run waits before the next one.
const retryAfter = 2

// missingMargin is how many blocks before its promise a job whose input
// never arrived stops waiting for it and answers fail.
const missingMargin = 3

// standing is this prover as the planner sees it.
type standing struct {
	addr   address.Address
	prover *pb.Prover // its chain record; nil when the chain has none
	out    bool       // removed or exited (once seen, for good): it only reveals
	free   int        // capacity left for new work, across every workload
}

// active reports whether the chain gives this prover work and counts its
// votes.
func (s standing) active() bool {
	return s.prover != nil && s.prover.State == pb.ProverState_PROVER_STATE_ACTIVE
}

// outOfSet reports whether a prover record says it left the active set
// for good (removed or exited).
func outOfSet(p *pb.Prover) bool {
	return p != nil && (p.State == pb.ProverState_PROVER_STATE_REMOVED || p.State == pb.ProverState_PROVER_STATE_EXITED)
}

// view is everything the planner looks at for one workload.
type view struct {
	w       *pb.Workload
	jobs    map[uint32]job       // this prover's jobs of w, by slot
	running map[uint32]bool      // slots of w with a worker in this process (a dropped job's worker too, until it reports)
	rounds  map[string]roundDuty // verification rounds in hand (ballot.rounds)
	self    standing
	tip     int64 // the newest height the daemon has seen
	params  protocol.Params
}

// planner is one plan in the making: its own copy of the jobs and the
// free capacity, updated as it takes and drops jobs, so each slot sees
// what the actions for the slots before it will have done.
type planner struct {
	view
	jobs map[uint32]job
	free int
	acts []action
}

// plan decides what to do about one workload: for each slot, in order,
// what its state asks of this prover; then whether to stop watching the
// workload (nothing pending, no slot of its own, no job left).
func plan(v view) []action {
	if v.w.Settled {
		return []action{{kind: actForget}}
	}
	p := &planner{view: v, jobs: maps.Clone(v.jobs), free: v.self.free}
	if p.jobs == nil {
		p.jobs = map[uint32]job{}
	}
	keep := v.w.State == pb.WorkloadState_WORKLOAD_STATE_PENDING
	for _, s := range v.w.Slots {
		keep = p.slot(s) || keep // every slot, whatever the others say
	}
	if !keep && len(p.jobs) == 0 {
		p.add(action{kind: actUnwatch}) // a later event brings it back if it concerns us
	}
	return p.acts
}

func (p *planner) add(a action) { p.acts = append(p.acts, a) }

// slot plans for one slot and reports whether the workload still
// concerns this prover because of it.
func (p *planner) slot(s *pb.Slot) bool {
	mine := bytes.Equal(s.Prover, p.self.addr[:])
	j, held := p.jobs[s.Index]
	if held && closed(s.State) {
		// Decided, or closed empty (timed out, result lag, never filled):
		// nothing more is due for it, and a job kept would hold capacity
		// the chain gave back.
		p.drop(s.Index, closedWhy(s))
		return mine
	}
	if held && !mine && s.State != pb.SlotState_SLOT_STATE_OPEN {
		p.drop(s.Index, "the slot went to someone else")
		return false
	}
	if p.self.out && s.State != pb.SlotState_SLOT_STATE_SUBMITTED {
		return mine // out of the active set: only its reveals are still due
	}
	switch s.State {
	case pb.SlotState_SLOT_STATE_ASSIGNED:
		switch {
		case mine && !held:
			p.answer(s)
		case mine && stale(j, p.tip): // our Accept never reached a block
			p.add(action{kind: actResendAccept, slot: s.Index})
		case mine:
			p.ensure(s, &j, false)
		}
		if mine {
			return true
		}
	case pb.SlotState_SLOT_STATE_ACCEPTED:
		if mine {
			p.ensure(s, heldOrNil(j, held), false) // a challenge starts here, with no job yet
			return true
		}
	case pb.SlotState_SLOT_STATE_OPEN:
		switch {
		case held && !j.Open:
			p.drop(s.Index, "the chain released our slot: "+s.Released)
			return false
		case held && bytes.Equal(s.FailClaim, p.self.addr[:]):
			p.drop(s.Index, "our fail re-opened the slot for a second prover")
			return false
		case held:
			p.ensure(s, &j, true)
		case len(s.AllocatedTo) == 0:
			// Nobody could take it yet: the chain draws for it each block.
		case p.canFill():
			p.ensure(s, nil, true)
		}
		return true // open: may become ours when we have room
	case pb.SlotState_SLOT_STATE_SUBMITTED:
		if mine && held {
			p.reveal(s, j)
			return true
		}
	case pb.SlotState_SLOT_STATE_VERIFYING:
		return p.verify(s)
	}
	return mine
}

func heldOrNil(j job, held bool) *job {
	if !held {
		return nil
	}
	return &j
}

// closed reports whether a slot is past every state in which this
// prover's job of it still has something to do (accept, prove, submit,
// reveal, wait for the vote).
func closed(st pb.SlotState) bool {
	switch st {
	case pb.SlotState_SLOT_STATE_ASSIGNED, pb.SlotState_SLOT_STATE_ACCEPTED, pb.SlotState_SLOT_STATE_OPEN,
		pb.SlotState_SLOT_STATE_SUBMITTED, pb.SlotState_SLOT_STATE_VERIFYING:
		return false
	}
	return true
}

func closedWhy(s *pb.Slot) string {
	why := "closed: the slot is " + protocol.SlotStateName(s.State)
	if s.Released != "" {
		why += ", " + s.Released
	}
	return why
}

// answer accepts an allocation it has room for and declines the others.
// A slot drawn from the wait list may be declined at any time at no cost
// (neither refused nor a miss); for the others, with no declines left
// this epoch it accepts beyond its capacity: silence would count as a
// decline over the limit.
func (p *planner) answer(s *pb.Slot) {
	why := ""
	if p.free <= 0 {
		if s.Waited {
			p.add(action{kind: actDecline, slot: s.Index, why: "no free capacity; a slot from the wait list is declined at no cost"})
			return
		}
		if declinesLeft(p.self.prover, p.tip, p.params) > 0 {
			p.add(action{kind: actDecline, slot: s.Index, why: "no free capacity"})
			return
		}
		why = "beyond capacity: no declines left this epoch"
	}
	p.add(action{kind: actAccept, slot: s.Index, why: why})
	p.ensure(s, p.take(s, false, p.tip), false) // the job notes the height its Accept went out
}

// take plans a new job for a slot; sent is the height of the Accept sent
// for it (0: none).
func (p *planner) take(s *pb.Slot, open bool, sent int64) *job {
	j := &job{Workload: hex.EncodeToString(p.w.Id), Slot: s.Index, State: jobProving, Open: open, SentHeight: sent}
	p.add(action{kind: actTake, slot: s.Index, job: j})
	p.jobs[s.Index] = *j
	p.free--
	return j
}

// ensure starts (or restarts after a crash) the proving of a slot, taking
// a new job when j is nil, or submits a result that was proved but not
// sent, or resends one that never landed.
func (p *planner) ensure(s *pb.Slot, j *job, open bool) {
	if j == nil {
		j = p.take(s, open, 0)
	}
	switch {
	case j.State == jobProving && !p.running[s.Index] && p.tip >= j.RetryAt:
		p.add(action{kind: actProve, slot: s.Index})
	case j.State == jobProved:
		p.add(action{kind: actSubmit, slot: s.Index})
	case j.State == jobSubmitted && stale(*j, p.tip): // our result never reached a block
		p.add(action{kind: actResubmit, slot: s.Index})
	}
}

// drop plans to forget the job of a slot.
func (p *planner) drop(slot uint32, why string) {
	if p.jobs[slot].holdsCapacity() {
		p.free++
	}
	delete(p.jobs, slot)
	p.add(action{kind: actDrop, slot: slot, why: why})
}

// reveal publishes the temporary identity once the chain opens reveals,
// and again when the last RevealKey did not land.
func (p *planner) reveal(s *pb.Slot, j job) {
	if p.w.RevealFrom == 0 {
		return
	}
	if j.State == jobRevealed && !stale(j, p.tip) {
		return // sent; give it time to land
	}
	p.add(action{kind: actReveal, slot: s.Index})
}

// verify starts verifying a revealed proof when this prover sits on its
// committee and has not voted in this round; it reports whether the
// workload still concerns this prover.
func (p *planner) verify(s *pb.Slot) bool {
	i, member := slices.BinarySearchFunc(s.Committee, p.self.addr[:], bytes.Compare)
	if !member || i >= len(s.Votes) || s.Votes[i] != 0 {
		return false
	}
	if p.rounds[roundKey(p.w.Id, s.Index, s.Round)] != 0 { // a fresh committee in a later round asks again
		return true
	}
	p.add(action{kind: actVerify, slot: s.Index, round: s.Round})
	return true
}

// canFill reports whether this prover may and will take an open slot of
// the workload: active, with room, not a challenge, and holding no slot
// of it already.
func (p *planner) canFill() bool {
	if !p.self.active() || p.free <= 0 || p.w.Challenge || len(p.jobs) > 0 {
		return false
	}
	for _, s := range p.w.Slots {
		if bytes.Equal(s.Prover, p.self.addr[:]) {
			return false
		}
	}
	return true
}

// stale reports whether j's last transaction is overdue.
func stale(j job, tip int64) bool {
	return j.SentHeight > 0 && tip > j.SentHeight+resendAfter
}

// declinesLeft is how many declines the chain still allows this prover
// this epoch.
func declinesLeft(me *pb.Prover, tip int64, params protocol.Params) uint32 {
	if me == nil || params.EpochLength <= 0 {
		return 0
	}
	if me.DeclineEpoch != tip/params.EpochLength {
		return params.MaxDeclinesPerEpoch
	}
	return params.MaxDeclinesPerEpoch - min(me.Declines, params.MaxDeclinesPerEpoch)
}

// planProved decides what to do with a result a worker just proved (and
// the executor recorded): submit it while its slot still takes it, else
// drop it.
func planProved(w *pb.Workload, j job, self standing) []action {
	if int(j.Slot) < len(w.Slots) && mayStillSubmit(w.Slots[j.Slot], self) {
		return []action{{kind: actSubmit, slot: j.Slot}}
	}
	return []action{{kind: actDrop, slot: j.Slot, why: "a result nobody will take"}}
}

func mayStillSubmit(s *pb.Slot, self standing) bool {
	switch s.State {
	case pb.SlotState_SLOT_STATE_ASSIGNED, pb.SlotState_SLOT_STATE_ACCEPTED:
		return bytes.Equal(s.Prover, self.addr[:])
	case pb.SlotState_SLOT_STATE_OPEN:
		return true
	}
	return false
}

// planVotes sends the verdicts gathered since the last pass in one Vote,
// while the chain counts this prover's votes.
func planVotes(self standing, pending []wire.Ballot) []action {
	if len(pending) == 0 || !self.active() {
		return nil
	}
	return []action{{kind: actVote, votes: pending}}
}

// trouble is what follows a proving attempt the machine could not run.
type trouble struct {
	missingSince int64 // the job's new MissingSince
	retryAt      int64 // prove again from this height (when !fail)
	fail         bool  // answer fail instead
}

// afterTrouble decides whether a proving attempt that could not run is
// retried (two blocks later) or ends in fail: only when an input is
// missing everywhere and the slot's promise (protocol.DueOf) is three
// blocks away, so an upload that is slow, or a blob that takes its time to
// reach this prover's node, is waited for as long as the slot allows. A
// fail is never slashed nor counted a miss (a confirmed one burns the
// user's share, so a user that names a blob it never uploads pays for it);
// waiting out the promise instead would cost this prover a miss. w is nil
// when the workload could not be read.
func afterTrouble(j job, w *pb.Workload, tip int64, inputMissing bool) trouble {
	t := trouble{retryAt: tip + retryAfter}
	if !inputMissing {
		return t
	}
	t.missingSince = j.MissingSince
	if t.missingSince == 0 {
		t.missingSince = tip
	}
	if w == nil || int(j.Slot) >= len(w.Slots) || tip+missingMargin < protocol.DueOf(w, w.Slots[j.Slot]) {
		return t
	}
	t.fail = true
	return t
}
