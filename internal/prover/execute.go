package prover

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/provernet/provernet/wire/pb"
)

// The executor: it reads what the planner needs, asks it, and does what
// it says. Every decision is the planner's (plan.go); what is here is the
// doing, and the order in which things are kept and sent.

// tend looks at one workload of interest and does what is due for this
// prover.
func (d *Daemon) tend(ctx context.Context, id string) error {
	raw, err := decodeID(id)
	if err != nil {
		delete(d.interest, id)
		return err
	}
	w, err := d.chain.workload(ctx, raw)
	if errors.Is(err, errNotFound) {
		return nil // not in a committed block yet
	}
	if err != nil {
		return err
	}
	return d.execute(ctx, w, d.cfg.Fault.filter(plan(d.view(w))))
}

// view gathers what the planner looks at for w.
func (d *Daemon) view(w *pb.Workload) view {
	v := view{w: w, jobs: map[uint32]job{}, running: map[uint32]bool{}, rounds: d.ballot.rounds,
		self: d.standing(), tip: d.tip, params: d.params}
	for _, j := range d.jobs.forWorkload(w.Id) {
		v.jobs[j.Slot] = *j
	}
	hexID := hex.EncodeToString(w.Id)
	for _, s := range w.Slots {
		if d.running[jobKey(hexID, s.Index)] != nil {
			v.running[s.Index] = true
		}
	}
	return v
}

// standing is this prover as the planner sees it now.
func (d *Daemon) standing() standing {
	return standing{addr: d.addr, prover: d.me, out: d.out, free: d.cfg.Capacity - d.jobs.active()}
}

// execute carries out a plan for w in order. One slot's trouble does not
// hold up the others: a failed action skips the rest of its slot's, and
// the workload stays watched.
func (d *Daemon) execute(ctx context.Context, w *pb.Workload, acts []action) error {
	var errs []error
	failed := map[uint32]bool{}
	for _, a := range acts {
		if a.kind.perSlot() && failed[a.slot] || a.kind == actUnwatch && len(errs) > 0 {
			continue
		}
		err := d.do(ctx, w, a)
		switch {
		case err == nil:
		case a.kind.perSlot():
			errs = append(errs, fmt.Errorf("slot %d: %w", a.slot, err))
			failed[a.slot] = true
		default:
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// do carries out one action.
func (d *Daemon) do(ctx context.Context, w *pb.Workload, a action) error {
	id := hex.EncodeToString(w.Id)
	slotMsg := func(m *pb.Msg) error { return d.signer.send(ctx, d.chain, m) }
	switch a.kind {
	case actAccept:
		if a.why != "" {
			d.cfg.Log.Warn("accepting "+a.why, "workload", id, "slot", a.slot)
		}
		return slotMsg(d.acceptMsg(w, a.slot))
	case actDecline:
		d.cfg.Log.Info("declining: "+a.why, "workload", id, "slot", a.slot)
		return slotMsg(&pb.Msg{Kind: &pb.Msg_Decline{Decline: &pb.Decline{Workload: w.Id, Slot: a.slot}}})
	case actTake:
		return d.jobs.save(a.job)
	case actForget:
		return d.forget(w)
	case actUnwatch:
		delete(d.interest, id)
		return nil
	case actVerify:
		if int(a.slot) >= len(w.Slots) {
			return fmt.Errorf("the workload has no slot %d", a.slot)
		}
		d.startVerify(ctx, w, w.Slots[a.slot])
		return nil
	}
	j := d.jobs.get(w.Id, a.slot)
	if j == nil {
		return fmt.Errorf("%s: no job for the slot", a.kind)
	}
	switch a.kind {
	case actProve:
		d.startProving(ctx, w, j)
		return nil
	case actResendAccept:
		j.SentHeight = d.tip // noted first: a resend that fails waits its turn again
		if err := d.jobs.save(j); err != nil {
			return err
		}
		return slotMsg(d.acceptMsg(w, a.slot))
	case actSubmit:
		return d.submit(ctx, w, j)
	case actResubmit:
		d.cfg.Log.Info("resending a result that did not reach a block", "workload", j.Workload, "slot", j.Slot)
		j.State = jobProved
		return d.submit(ctx, w, j)
	case actReveal:
		return d.reveal(ctx, w, j)
	case actDrop:
		d.cfg.Log.Info("dropping work: "+a.why, "workload", j.Workload, "slot", j.Slot)
		return d.drop(j)
	}
	return fmt.Errorf("no executor for action %s", a.kind)
}

// drop forgets a job and stops its worker, if one runs.
func (d *Daemon) drop(j *job) error {
	if cancel := d.running[j.key()]; cancel != nil {
		cancel()
	}
	return d.jobs.drop(j)
}

// forget drops everything about a settled workload.
func (d *Daemon) forget(w *pb.Workload) error {
	delete(d.interest, hex.EncodeToString(w.Id))
	for _, j := range d.jobs.forWorkload(w.Id) {
		if err := d.drop(j); err != nil {
			return err
		}
	}
	return nil
}

// acceptMsg accepts a slot of w, promising a height from the daemon's
// measured pace (promise.go) or, before it has one, the deadline.
func (d *Daemon) acceptMsg(w *pb.Workload, slot uint32) *pb.Msg {
	by := promise(d.tip, w.Deadline, w.Cycles, d.jobs.active(), max(d.cfg.Capacity, 1), d.pace)
	return &pb.Msg{Kind: &pb.Msg_Accept{Accept: &pb.Accept{Workload: w.Id, Slot: slot, By: by}}}
}
