package prover

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/provernet/provernet/internal/protocol"
	"github.com/provernet/provernet/internal/vrf"
	"github.com/provernet/provernet/wire/pb"
	"github.com/provernet/provernet/wire/seal"
)

// review looks at one workload and does what is due for this prover.
func (d *Daemon) review(ctx context.Context, id string) error {
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
	if w.Settled {
		return d.forget(w)
	}
	keep := w.State == pb.WorkloadState_WORKLOAD_STATE_PENDING
	var errs []error
	for _, s := range w.Slots { // one slot's trouble does not hold up the others
		k, err := d.reviewSlot(ctx, w, s)
		if err != nil {
			errs = append(errs, fmt.Errorf("slot %d: %w", s.Index, err))
			k = true
		}
		keep = keep || k
	}
	if !keep && len(d.jobs.forWorkload(w.Id)) == 0 {
		delete(d.interest, id) // a later event brings it back if it concerns us
	}
	return errors.Join(errs...)
}

// reviewSlot acts on one slot and reports whether the workload still
// concerns this prover.
func (d *Daemon) reviewSlot(ctx context.Context, w *pb.Workload, s *pb.Slot) (bool, error) {
	mine := bytes.Equal(s.Prover, d.addr[:])
	j := d.jobs.get(w.Id, s.Index)
	if j != nil && !mine && s.State != pb.SlotState_SLOT_STATE_OPEN {
		d.cfg.Log.Info("dropping work: the slot went to someone else", "workload", hex.EncodeToString(w.Id), "slot", s.Index)
		return false, d.drop(j)
	}
	if d.out && s.State != pb.SlotState_SLOT_STATE_SUBMITTED {
		return mine, nil // out of the active set: only its reveals are still due
	}
	switch s.State {
	case pb.SlotState_SLOT_STATE_ASSIGNED:
		if mine && j == nil {
			return true, d.answer(ctx, w, s)
		}
		if mine && d.stale(j) { // our Accept never reached a block
			return true, d.resendAccept(ctx, w, s, j)
		}
		if mine {
			return true, d.ensureJob(ctx, w, s, j, false)
		}
	case pb.SlotState_SLOT_STATE_ACCEPTED:
		if mine {
			return true, d.ensureJob(ctx, w, s, j, false)
		}
	case pb.SlotState_SLOT_STATE_OPEN:
		if j != nil && (!j.Open || bytes.Equal(s.FailClaim, d.addr[:])) {
			// Released, or our fail re-opened it for a second prover.
			d.cfg.Log.Info("dropping work: the chain released our slot", "workload", j.Workload, "slot", j.Slot, "why", s.Released)
			return false, d.drop(j)
		}
		if j != nil {
			return true, d.ensureJob(ctx, w, s, j, true)
		}
		if len(s.AllocatedTo) == 0 {
			return true, nil // nobody could take it yet: the chain draws for it each block
		}
		if d.canFill(w) {
			return true, d.ensureJob(ctx, w, s, nil, true)
		}
		return true, nil // open: may become ours when we have room
	case pb.SlotState_SLOT_STATE_SUBMITTED:
		if mine && j != nil {
			return true, d.reveal(ctx, w, j)
		}
	case pb.SlotState_SLOT_STATE_VERIFYING:
		return d.maybeVerify(ctx, w, s), nil
	}
	return mine, nil
}

// resendAfter is how many blocks a sent transaction may take to show in
// the chain's state before the daemon sends it again: a transaction the
// mempool accepted can still be lost (a node restart, an eviction).
const resendAfter = 4

// stale reports whether j's last transaction is overdue.
func (d *Daemon) stale(j *job) bool {
	return j != nil && j.SentHeight > 0 && d.tip > j.SentHeight+resendAfter
}

func (d *Daemon) resendAccept(ctx context.Context, w *pb.Workload, s *pb.Slot, j *job) error {
	j.SentHeight = d.tip
	if err := d.jobs.save(j); err != nil {
		return err
	}
	return d.signer.send(ctx, d.chain, &pb.Msg{Kind: &pb.Msg_Accept{Accept: &pb.Accept{Workload: w.Id, Slot: s.Index}}})
}

// drop forgets a job and stops its worker, if one runs.
func (d *Daemon) drop(j *job) error {
	if cancel := d.running[j.key()]; cancel != nil {
		cancel()
	}
	return d.jobs.drop(j)
}

// declinesLeft is how many declines the chain still allows this epoch.
func (d *Daemon) declinesLeft() uint32 {
	if d.me == nil || d.params.EpochLength <= 0 {
		return 0
	}
	if d.me.DeclineEpoch != d.tip/d.params.EpochLength {
		return d.params.MaxDeclinesPerEpoch
	}
	return d.params.MaxDeclinesPerEpoch - min(d.me.Declines, d.params.MaxDeclinesPerEpoch)
}

// free is the capacity left for new work.
func (d *Daemon) free() int { return d.cfg.Capacity - d.jobs.active() }

func (d *Daemon) active() bool {
	return d.me != nil && d.me.State == pb.ProverState_PROVER_STATE_ACTIVE
}

// canFill reports whether this prover may and will take an open slot of w.
func (d *Daemon) canFill(w *pb.Workload) bool {
	if !d.active() || d.free() <= 0 || w.Challenge || len(d.jobs.forWorkload(w.Id)) > 0 {
		return false
	}
	for _, s := range w.Slots {
		if bytes.Equal(s.Prover, d.addr[:]) {
			return false
		}
	}
	return true
}

// answer accepts an allocation it has room for and declines the others.
func (d *Daemon) answer(ctx context.Context, w *pb.Workload, s *pb.Slot) error {
	if d.cfg.Fault == FaultSilent {
		return nil
	}
	ref := &pb.Accept{Workload: w.Id, Slot: s.Index}
	if d.free() <= 0 {
		if d.declinesLeft() > 0 {
			d.cfg.Log.Info("declining: no free capacity", "workload", hex.EncodeToString(w.Id), "slot", s.Index)
			return d.signer.send(ctx, d.chain, &pb.Msg{Kind: &pb.Msg_Decline{Decline: &pb.Decline{Workload: w.Id, Slot: s.Index}}})
		}
		// Silence would count as a decline over the limit and remove the
		// prover: it takes the work beyond its capacity instead.
		d.cfg.Log.Warn("accepting beyond capacity: no declines left this epoch", "workload", hex.EncodeToString(w.Id), "slot", s.Index)
	}
	if err := d.signer.send(ctx, d.chain, &pb.Msg{Kind: &pb.Msg_Accept{Accept: ref}}); err != nil {
		return err
	}
	if err := d.ensureJob(ctx, w, s, nil, false); err != nil {
		return err
	}
	if j := d.jobs.get(w.Id, s.Index); j != nil {
		j.SentHeight = d.tip
		return d.jobs.save(j)
	}
	return nil
}

// ensureJob starts (or restarts after a crash) the proving of a slot, or
// submits a result that was proved but not sent.
func (d *Daemon) ensureJob(ctx context.Context, w *pb.Workload, s *pb.Slot, j *job, open bool) error {
	if j == nil {
		if d.cfg.Fault == FaultSilent {
			return nil
		}
		j = &job{Workload: hex.EncodeToString(w.Id), Slot: s.Index, State: jobProving, Open: open}
		if err := d.jobs.save(j); err != nil {
			return err
		}
	}
	switch {
	case j.State == jobProving && d.running[j.key()] == nil && d.tip >= j.RetryAt:
		key := j.key()
		jctx, cancel := context.WithCancel(ctx)
		d.running[key] = cancel
		d.cfg.Log.Info("proving", "workload", j.Workload, "slot", j.Slot, "open_market", open, "challenge", w.Challenge)
		d.observe("proving", j.Workload, j.Slot)
		go func() {
			r := d.prove(jctx, w, key)
			select {
			case d.proved <- r:
			case <-ctx.Done():
			}
		}()
	case j.State == jobProved:
		return d.submit(ctx, w, j)
	case j.State == jobSubmitted && d.stale(j): // our result never reached a block
		d.cfg.Log.Info("resending a result that did not reach a block", "workload", j.Workload, "slot", j.Slot)
		j.State = jobProved
		return d.submit(ctx, w, j)
	}
	return nil
}

// inputsGone decides whether a proving attempt that could not fetch an
// input should end in fail rather than be retried: only when the slot's
// promise is three blocks away, so an upload that is slow, or a blob that
// takes its time to reach this prover's node, is waited for as long as the
// slot allows. A fail is never slashed nor counted a miss (a confirmed one
// burns the user's share, so a user that names a blob it never uploads pays
// for it); waiting out the promise instead would cost this prover a miss.
func (d *Daemon) inputsGone(ctx context.Context, j *job, r proveResult) (proveResult, bool) {
	if !errors.Is(r.err, errInputMissing) {
		j.MissingSince = 0
		return r, false
	}
	if j.MissingSince == 0 {
		j.MissingSince = d.tip
	}
	id, _ := hex.DecodeString(j.Workload)
	w, err := d.chain.workload(ctx, id)
	if err != nil || int(j.Slot) >= len(w.Slots) {
		return r, false
	}
	if d.tip+3 < protocol.DueOf(w, w.Slots[j.Slot]) {
		return r, false
	}
	d.cfg.Log.Warn("a Run's input never arrived before the promise: answering fail", "workload", j.Workload, "slot", j.Slot, "missing_since", j.MissingSince, "err", r.err)
	return proveResult{key: r.key, outcome: pb.Outcome_OUTCOME_FAIL, cycles: w.Cycles}, true
}

// onProved records a worker's result and submits it.
func (d *Daemon) onProved(ctx context.Context, r proveResult) {
	if cancel := d.running[r.key]; cancel != nil {
		cancel()
	}
	delete(d.running, r.key)
	j := d.jobs.jobs[r.key]
	if j == nil || ctx.Err() != nil {
		return // dropped meanwhile, or shutting down: the job stays as it was on disk
	}
	if r.err != nil {
		fail, ok := d.inputsGone(ctx, j, r)
		if !ok {
			d.cfg.Log.Warn("proving could not run; retrying", "workload", j.Workload, "slot", j.Slot, "err", r.err)
			j.RetryAt, j.Error = d.tip+2, r.err.Error()
			_ = d.jobs.save(j)
			return
		}
		r = fail
	}
	j.Proof = d.jobs.path(j, "proof")
	if err := os.WriteFile(j.Proof, r.proof, 0o600); err != nil {
		d.cfg.Log.Warn("cannot keep the proof", "err", err)
		return
	}
	j.State, j.Outcome, j.CyclesUsed = jobProved, r.outcome, r.cycles
	if h, _, err := d.chain.height(ctx); err == nil {
		d.tip = max(d.tip, h)
	}
	d.observe("proved", j.Workload, j.Slot)
	if err := d.jobs.save(j); err != nil {
		d.cfg.Log.Warn("cannot save the job", "err", err)
		return
	}
	id, _ := hex.DecodeString(j.Workload)
	w, err := d.chain.workload(ctx, id)
	if err != nil {
		d.cfg.Log.Warn("cannot read the workload to submit", "err", err)
		return // the next pass retries (state proved)
	}
	if err := d.submit(ctx, w, j); err != nil {
		d.cfg.Log.Warn("submit failed", "workload", j.Workload, "slot", j.Slot, "err", err)
	}
}

// submit seals a proved result to the user and a fresh temporary
// identity, keeps the identity on disk, then sends it.
func (d *Daemon) submit(ctx context.Context, w *pb.Workload, j *job) error {
	s := w.Slots[j.Slot]
	if !d.mayStillSubmit(w, s) {
		d.cfg.Log.Info("dropping a result nobody will take", "workload", j.Workload, "slot", j.Slot, "slot_state", s.State)
		return d.jobs.drop(j)
	}
	proof, err := os.ReadFile(j.Proof)
	if err != nil {
		return err
	}
	file, commit, err := d.seal(ctx, w, j, proof)
	if errors.Is(err, errNothingToCopy) {
		return nil // the copy fault waits for someone to copy from
	}
	if err != nil {
		return err
	}
	j.Sealed = d.jobs.path(j, "age")
	if err := os.WriteFile(j.Sealed, file, 0o600); err != nil {
		return err
	}
	if j.Identities == nil {
		j.Identities = map[string]string{}
	}
	j.Identities[hex.EncodeToString(commit[:])] = j.Identity
	j.SentHeight = d.tip
	if err := d.jobs.save(j); err != nil { // the identity is on disk before anyone sees the file
		return err
	}
	err = d.signer.send(ctx, d.chain, &pb.Msg{Kind: &pb.Msg_SubmitResult{SubmitResult: &pb.SubmitResult{
		Workload: w.Id, Slot: j.Slot, Sealed: file, Commit: commit[:], Outcome: j.Outcome, CyclesUsed: j.CyclesUsed}}})
	if err != nil {
		return err
	}
	j.State = jobSubmitted
	d.observe("submitted", j.Workload, j.Slot)
	d.cfg.Log.Info("submitted", "workload", j.Workload, "slot", j.Slot, "outcome", j.Outcome, "cycles", j.CyclesUsed)
	return d.jobs.save(j)
}

func (d *Daemon) mayStillSubmit(w *pb.Workload, s *pb.Slot) bool {
	switch s.State {
	case pb.SlotState_SLOT_STATE_ASSIGNED, pb.SlotState_SLOT_STATE_ACCEPTED:
		return bytes.Equal(s.Prover, d.addr[:])
	case pb.SlotState_SLOT_STATE_OPEN:
		return true
	}
	return false
}

// errNothingToCopy: the copy fault has no other result to copy yet.
var errNothingToCopy = errors.New("nothing to copy yet")

// seal builds the age file for a result (or, with a fault, a bad one).
func (d *Daemon) seal(ctx context.Context, w *pb.Workload, j *job, proof []byte) ([]byte, [32]byte, error) {
	temp, err := seal.NewIdentity()
	if err != nil {
		return nil, [32]byte{}, err
	}
	j.Identity = temp.String()
	commit := seal.Commit(j.Identity)
	if d.cfg.Fault == FaultCopy {
		if other := d.copyOther(ctx, w, j.Slot); other != nil {
			return other, commit, nil
		}
		return nil, commit, errNothingToCopy
	}
	if d.cfg.Fault == FaultInvalid && len(proof) > 0 {
		proof = slices.Clone(proof)
		proof[len(proof)/2] ^= 0xff
	}
	h := seal.Header{Workload: [32]byte(w.Id), Slot: j.Slot, Prover: d.addr, Outcome: seal.Outcome(j.Outcome), CyclesUsed: j.CyclesUsed}
	file, err := seal.Seal(h, proof, w.Recipient, temp)
	return file, commit, err
}

// copyOther fetches another slot's sealed file (the copy fault).
func (d *Daemon) copyOther(ctx context.Context, w *pb.Workload, mine uint32) []byte {
	for _, s := range w.Slots {
		if s.Index != mine && len(s.SealedSha256) > 0 {
			if f, err := d.chain.sealed(ctx, w.Id, s.Index); err == nil {
				return f
			}
		}
	}
	return nil
}

// reveal publishes the temporary identity once the chain opens reveals.
func (d *Daemon) reveal(ctx context.Context, w *pb.Workload, j *job) error {
	if w.RevealFrom == 0 || d.cfg.Fault == FaultNoReveal {
		return nil
	}
	if j.State == jobRevealed && !d.stale(j) {
		return nil // sent; give it time to land
	}
	s := w.Slots[j.Slot]
	identity, ok := j.Identities[hex.EncodeToString(s.Commit)]
	if !ok {
		identity = j.Identity // a job saved before identities were kept by commit
	}
	err := d.signer.send(ctx, d.chain, &pb.Msg{Kind: &pb.Msg_RevealKey{RevealKey: &pb.RevealKey{Workload: w.Id, Slot: j.Slot, Identity: identity}}})
	if err != nil {
		return err
	}
	j.State, j.SentHeight = jobRevealed, d.tip
	d.cfg.Log.Info("revealed", "workload", j.Workload, "slot", j.Slot)
	return d.jobs.save(j)
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

// newVRFKey makes the prover's VRF key, kept beside its state; a
// registration that did not land sends the same key again.
func newVRFKey(dir string) ([]byte, error) {
	k, err := vrf.LoadOrGenerateKeyFile(filepath.Join(dir, "vrf.json"))
	if err != nil {
		return nil, fmt.Errorf("failed to keep the VRF key: %w", err)
	}
	return k.Public, nil
}
