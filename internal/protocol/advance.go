package protocol

import (
	"slices"
	"strconv"

	"github.com/provernet/provernet/internal/store"
	"github.com/provernet/provernet/wire/pb"
)

// advance moves a workload along after a message changed it or its timer
// fell due: windows that closed before this height close its slots, reveals
// open once no slot can be filled, the named state is recomputed, a
// workload whose slots are all decided settles, and the timer moves to the
// next height at which something can expire. It only compares heights, so
// calling it again at the same height changes nothing.
func advance(kv store.KV, env Env, w *pb.Workload) ([]Event, error) {
	if w.State == pb.WorkloadState_WORKLOAD_STATE_PENDING || w.Settled {
		return nil, schedule(kv, w, 0)
	}
	var evs []Event
	for _, s := range w.Slots {
		before := s.State
		more, err := expire(kv, env, w, s)
		if err != nil {
			return nil, err
		}
		evs = append(evs, more...)
		if s.State != before {
			evs = append(evs, slotEvent(w, s))
		}
	}
	closed, err := openReveals(kv, env, w)
	if err != nil {
		return nil, err
	}
	evs = append(evs, closed...)
	prev := w.State
	w.State = namedState(w)
	if allDecided(w) {
		more, err := settle(kv, env, w)
		if err != nil {
			return nil, err
		}
		evs = append(evs, more...)
	}
	if w.State != prev || w.Settled {
		evs = append(evs, workloadEvent(w))
	}
	return evs, schedule(kv, w, nextTimer(w, env.Params))
}

// expire applies the windows that have closed to one slot, repeatedly,
// since one closing can open the next (a silent slot opens, and its open
// window may have closed too).
func expire(kv store.KV, env Env, w *pb.Workload, s *pb.Slot) ([]Event, error) {
	h := env.Height
	var all []Event
	for range 4 {
		var err error
		var evs []Event
		switch {
		case s.State == pb.SlotState_SLOT_STATE_ASSIGNED && (h > s.AcceptBy || h > w.Deadline):
			if evs, err = excuse(kv, w, s, "accept", s.AcceptBy-env.Params.AcceptWindow+1, h-1); err == nil {
				var more []Event
				more, err = silent(kv, env, w, s)
				evs = append(evs, more...)
			}
		case s.State == pb.SlotState_SLOT_STATE_ACCEPTED && h > DueOf(w, s):
			if evs, err = excuse(kv, w, s, "due", DueOf(w, s)-env.Params.AcceptWindow+1, h-1); err == nil {
				var more []Event
				more, err = timedOut(kv, env, w, s)
				evs = append(evs, more...)
			}
		case s.State == pb.SlotState_SLOT_STATE_OPEN && h > s.OpenUntil:
			s.State, s.DecidedHeight = pb.SlotState_SLOT_STATE_EMPTY, h
		case s.State == pb.SlotState_SLOT_STATE_SUBMITTED && w.RevealFrom != 0 && h > s.RevealBy:
			s.State, s.DecidedHeight = pb.SlotState_SLOT_STATE_UNREVEALED, h
			if evs, err = excuse(kv, w, s, "reveal", s.RevealBy-env.Params.RevealWindow+1, h-1); err == nil && !s.Excused {
				var ev Event
				ev, err = slash(kv, env, s.Prover, env.Params.SlashNoRevealBP, "no_reveal", false)
				evs = []Event{ev}
			}
		case s.State == pb.SlotState_SLOT_STATE_VERIFYING && h > s.VoteBy:
			evs, err = expireVote(kv, env, w, s)
		default:
			return all, nil
		}
		if err != nil {
			return nil, err
		}
		all = append(all, evs...)
	}
	return all, nil
}

// excuse marks s excused when every block from from to to was full (the
// window named what closed in them): its prover is then neither counted a
// miss nor slashed for it (fill.go).
func excuse(r store.Reader, w *pb.Workload, s *pb.Slot, what string, from, to int64) ([]Event, error) {
	ok, err := excused(r, from, to)
	s.Excused = ok // each window is judged on its own blocks
	if err != nil || !ok {
		return nil, err
	}
	return []Event{event("excused", "workload", hexID(w.Id), "slot", strconv.FormatUint(uint64(s.Index), 10),
		"prover", addrString(s.Prover), "window", what, "from", strconv.FormatInt(from, 10), "to", strconv.FormatInt(to, 10))}, nil
}

// silent handles an allocated prover that neither accepted nor declined in
// time: a miss, counted against its allowance like a decline (and a pool
// member's slashed, pool_miss.go). With k = 1 the workload opens to
// everyone for the original deadline's length again.
func silent(kv store.KV, env Env, w *pb.Workload, s *pb.Slot) ([]Event, error) {
	missed, prover := poolMiss(env, w, s), s.Prover
	if err := release(kv, env, w, s, "silent"); err != nil {
		return nil, err
	}
	if w.K == 1 {
		s.OpenUntil = env.Height + (w.Deadline - w.Height)
	}
	return slashPoolMiss(kv, env, prover, missed)
}

// timedOut handles a prover that accepted and did not submit by the
// height it promised (the deadline if it promised none): a miss, counted
// against its allowance (a pool member's slashed too, pool_miss.go). Its
// slot re-opens to the whole active set for reopen_window blocks (with
// k = 1 for the original deadline's length, as for silence). A challenge
// is not re-opened.
func timedOut(kv store.KV, env Env, w *pb.Workload, s *pb.Slot) ([]Event, error) {
	if w.Challenge {
		s.State, s.DecidedHeight, s.Released = pb.SlotState_SLOT_STATE_EMPTY, env.Height, "timed_out"
		return nil, nil // challengeConsequences counts the miss at settlement
	}
	missed, prover := poolMiss(env, w, s), s.Prover
	if err := releaseHold(kv, w, s); err != nil {
		return nil, err
	}
	if !s.Excused {
		if err := countMisses(kv, env, s.Prover, "misses_exceeded", missesFor(w, s)); err != nil {
			return nil, err
		}
	}
	reopenPriced(w, s)
	s.Released, s.State = "timed_out", pb.SlotState_SLOT_STATE_OPEN
	if w.K == 1 {
		s.OpenUntil = env.Height + (w.Deadline - w.Height)
	} else {
		s.OpenUntil = env.Height + reopenLength(env, w)
	}
	if err := backToWait(kv, env, w, s); err != nil {
		return nil, err
	}
	return slashPoolMiss(kv, env, prover, missed)
}

// reopenLength is reopen_window, or the original deadline's length when
// that is 0.
func reopenLength(env Env, w *pb.Workload) int64 {
	if env.Params.ReopenWindow > 0 {
		return env.Params.ReopenWindow
	}
	return w.Deadline - w.Height
}

// openReveals starts the reveal phase once no slot can be filled and at
// least one holds a result. A slot still fillable at LagEnd closes then
// (empty, its holder not counted a miss): whoever holds a slot open, a
// user's own sybil included, cannot delay the other provers' pay by more
// than the lag.
func openReveals(kv store.KV, env Env, w *pb.Workload) ([]Event, error) {
	if w.RevealFrom != 0 {
		return nil, nil
	}
	if !slices.ContainsFunc(w.Slots, func(s *pb.Slot) bool { return s.State == pb.SlotState_SLOT_STATE_SUBMITTED }) {
		return nil, nil
	}
	first := FirstSubmitHeight(w)
	var evs []Event
	lagged := first > 0 && env.Height > closeAt(env.Params, w, first)
	for _, s := range w.Slots {
		if !fillable(s.State) {
			continue
		}
		if !lagged {
			return nil, nil
		}
		if err := closeLagging(kv, w, s, env.Height); err != nil {
			return nil, err
		}
		evs = append(evs, slotEvent(w, s))
	}
	w.RevealFrom = env.Height
	for _, s := range w.Slots {
		if s.State == pb.SlotState_SLOT_STATE_SUBMITTED {
			s.RevealBy = env.Height + env.Params.RevealWindow
		}
	}
	return evs, nil
}

// closeLagging closes a slot still fillable result_lag after the first
// result: empty, its share refunded at settlement.
func closeLagging(kv store.KV, w *pb.Workload, s *pb.Slot, h int64) error {
	if s.State != pb.SlotState_SLOT_STATE_OPEN {
		if err := releaseHold(kv, w, s); err != nil {
			return err
		}
	}
	s.State, s.DecidedHeight, s.Released = pb.SlotState_SLOT_STATE_EMPTY, h, "result_lag"
	return nil
}

// LagEnd is the last height at which the other slots of a workload of
// cycles allocated at allocated whose first proof came at first may still
// deliver: result_lag blocks after it, or result_lag_bp of the time the
// first took, if that is longer, and never before the accept window and
// the proving time at cycles_per_block have passed since allocation.
func LagEnd(p Params, allocated, first int64, cycles uint64) int64 {
	took := max(first-allocated, 0)
	end := first + max(p.ResultLag, int64(bpOfLarge(uint64(took), p.ResultLagBP)))
	// Never before the chain's own proving time from allocation: a junk
	// "proof" sent at once (it is judged only at reveal) must not close the
	// slots of provers proving at the reference speed.
	return max(end, allocated+MinDeadline(p, cycles)-1)
}

// SlotFloor is the earliest the result lag may close a slot allotted at
// allotted: the accept window and the proving time at cycles_per_block
// from then, so a slot drawn late (from the wait list, for a fail's
// confirmation) keeps the same protection as one drawn with the Run.
func SlotFloor(p Params, allotted int64, cycles uint64) int64 {
	return allotted + MinDeadline(p, cycles) - 1
}

// closeAt is the height after which w's slots still fillable close: the
// workload's LagEnd, or later while a slot allotted after allocation has
// not had its own SlotFloor.
func closeAt(p Params, w *pb.Workload, first int64) int64 {
	end := LagEnd(p, w.AllocatedHeight, first, w.Cycles)
	for _, s := range w.Slots {
		if s.State == pb.SlotState_SLOT_STATE_ASSIGNED || s.State == pb.SlotState_SLOT_STATE_ACCEPTED {
			end = max(end, SlotFloor(p, s.AcceptBy-p.AcceptWindow, w.Cycles))
		}
	}
	return end
}

// bpOfLarge is x * bp / 10000 for bp that may exceed 10000; x is a
// height difference (below 2^41), so it cannot overflow.
func bpOfLarge(x uint64, bp uint32) uint64 { return x * uint64(bp) / 10000 }

// FirstSubmitHeight is the height of w's first proof (0: none yet): only
// slots that hold a submission with outcome proof count, so a fail (which
// anyone can send at once, for nothing) never starts the result lag and
// closes the slots of provers still working.
func FirstSubmitHeight(w *pb.Workload) int64 {
	var first int64
	for _, s := range w.Slots {
		if s.SubmitHeight > 0 && holdsResult(s.State) && s.Outcome == pb.Outcome_OUTCOME_PROOF && (first == 0 || s.SubmitHeight < first) {
			first = s.SubmitHeight
		}
	}
	return first
}

// namedState is the state a user sees (PROTOCOL.md 5.7). A terminal state
// is never left: final, once reached, wins over every deadline.
func namedState(w *pb.Workload) pb.WorkloadState {
	if Terminal(w.State) {
		return w.State
	}
	var accepted, submitted, verifying bool
	for _, s := range w.Slots {
		switch s.State {
		case pb.SlotState_SLOT_STATE_VALID:
			return pb.WorkloadState_WORKLOAD_STATE_FINAL
		case pb.SlotState_SLOT_STATE_ACCEPTED:
			accepted = true
		case pb.SlotState_SLOT_STATE_VERIFYING:
			verifying = true
		}
		submitted = submitted || s.SubmitHeight > 0
	}
	switch {
	case verifying:
		return pb.WorkloadState_WORKLOAD_STATE_VERIFYING
	case w.RevealFrom != 0:
		return pb.WorkloadState_WORKLOAD_STATE_REVEALING
	case submitted:
		return pb.WorkloadState_WORKLOAD_STATE_SEALED
	case accepted:
		return pb.WorkloadState_WORKLOAD_STATE_RUNNING
	}
	return pb.WorkloadState_WORKLOAD_STATE_ALLOCATED
}

func allDecided(w *pb.Workload) bool {
	for _, s := range w.Slots {
		if !slotDecided(s.State) {
			return false
		}
	}
	return true
}

// nextTimer is the first height at which a window of w will have closed,
// LagEnd included.
func nextTimer(w *pb.Workload, p Params) int64 {
	if w.Settled {
		return 0
	}
	var next int64
	at := func(h int64) {
		if next == 0 || h+1 < next {
			next = h + 1
		}
	}
	if first := FirstSubmitHeight(w); first > 0 && w.RevealFrom == 0 {
		at(closeAt(p, w, first))
	}
	for _, s := range w.Slots {
		switch s.State {
		case pb.SlotState_SLOT_STATE_ASSIGNED:
			at(min(s.AcceptBy, w.Deadline))
		case pb.SlotState_SLOT_STATE_ACCEPTED:
			at(DueOf(w, s))
		case pb.SlotState_SLOT_STATE_OPEN:
			at(s.OpenUntil)
		case pb.SlotState_SLOT_STATE_SUBMITTED:
			if w.RevealFrom != 0 {
				at(s.RevealBy)
			}
		case pb.SlotState_SLOT_STATE_VERIFYING:
			at(s.VoteBy)
		}
	}
	return next
}

// holdsResult reports whether a slot in state st holds a submission.
func holdsResult(st pb.SlotState) bool {
	return !fillable(st) && st != pb.SlotState_SLOT_STATE_EMPTY
}
