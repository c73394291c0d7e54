package prover

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"os"

	"github.com/provernet/provernet/wire/pb"
	"github.com/provernet/provernet/wire/seal"
)

// submit seals a proved result to the user and a fresh temporary
// identity, keeps the identity on disk, then sends it.
func (d *Daemon) submit(ctx context.Context, w *pb.Workload, j *job) error {
	if int(j.Slot) >= len(w.Slots) {
		return fmt.Errorf("the workload has no slot %d", j.Slot)
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

// seal builds the age file for a result under a fresh temporary identity,
// which it sets on j (or, with a fault, a bad file).
func (d *Daemon) seal(ctx context.Context, w *pb.Workload, j *job, proof []byte) ([]byte, [32]byte, error) {
	temp, err := seal.NewIdentity()
	if err != nil {
		return nil, [32]byte{}, err
	}
	j.Identity = temp.String()
	commit := seal.Commit(j.Identity)
	if d.cfg.Fault == FaultCopy {
		other, err := d.copyOther(ctx, w, j.Slot)
		return other, commit, err
	}
	h := seal.Header{Workload: [32]byte(w.Id), Slot: j.Slot, Prover: d.addr, Outcome: seal.Outcome(j.Outcome), CyclesUsed: j.CyclesUsed}
	file, err := seal.Seal(h, d.cfg.Fault.spoil(proof), w.Recipient, temp)
	return file, commit, err
}

// reveal sends the temporary identity that opens the file the chain holds
// for j's slot.
func (d *Daemon) reveal(ctx context.Context, w *pb.Workload, j *job) error {
	if int(j.Slot) >= len(w.Slots) {
		return fmt.Errorf("the workload has no slot %d", j.Slot)
	}
	identity := j.identityFor(w.Slots[j.Slot].Commit)
	err := d.signer.send(ctx, d.chain, &pb.Msg{Kind: &pb.Msg_RevealKey{RevealKey: &pb.RevealKey{Workload: w.Id, Slot: j.Slot, Identity: identity}}})
	if err != nil {
		return err
	}
	j.State, j.SentHeight = jobRevealed, d.tip
	d.cfg.Log.Info("revealed", "workload", j.Workload, "slot", j.Slot)
	return d.jobs.save(j)
}
