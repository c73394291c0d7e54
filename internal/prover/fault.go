package prover

import (
	"context"
	"errors"
	"slices"

	"github.com/provernet/provernet/wire/pb"
)

// Fault is a deliberate misbehaviour, for tests of the protocol's
// defences. The planner is always honest: a fault either filters its
// plan (silent, no-reveal) or spoils what the executor seals (invalid,
// copy). Everything a fault changes is in this file.
type Fault string

// Faults.
const (
	FaultNone     Fault = ""
	FaultInvalid  Fault = "invalid"   // submits a corrupted proof
	FaultCopy     Fault = "copy"      // resubmits another prover's sealed file
	FaultNoReveal Fault = "no-reveal" // never reveals
	FaultSilent   Fault = "silent"    // never answers an allocation, never takes a job
)

// ParseFault checks a fault name.
func ParseFault(s string) (Fault, error) {
	switch f := Fault(s); f {
	case FaultNone, FaultInvalid, FaultCopy, FaultNoReveal, FaultSilent:
		return f, nil
	}
	return "", errors.New("unknown fault " + s + ": want invalid, copy, no-reveal or silent")
}

// filter takes out of a plan what the fault never does. A silent prover
// neither accepts, declines nor takes a job, nor does anything else the
// plan had for such a slot (the job it did not take); a no-reveal prover
// never reveals.
func (f Fault) filter(acts []action) []action {
	if f != FaultSilent && f != FaultNoReveal {
		return acts
	}
	var out []action
	skipped := map[uint32]bool{}
	for _, a := range acts {
		switch {
		case a.kind.perSlot() && skipped[a.slot]:
		case f == FaultSilent && (a.kind == actAccept || a.kind == actDecline || a.kind == actTake):
			skipped[a.slot] = true
		case f == FaultNoReveal && a.kind == actReveal:
		default:
			out = append(out, a)
		}
	}
	return out
}

// spoil corrupts a proof for the invalid fault; other faults leave it be.
func (f Fault) spoil(proof []byte) []byte {
	if f != FaultInvalid || len(proof) == 0 {
		return proof
	}
	proof = slices.Clone(proof)
	proof[len(proof)/2] ^= 0xff
	return proof
}

// errNothingToCopy: the copy fault has no other result to copy yet.
var errNothingToCopy = errors.New("nothing to copy yet")

// copyOther fetches another slot's sealed file (the copy fault), or
// returns errNothingToCopy while there is none to fetch.
func (d *Daemon) copyOther(ctx context.Context, w *pb.Workload, mine uint32) ([]byte, error) {
	for _, s := range w.Slots {
		if s.Index != mine && len(s.SealedSha256) > 0 {
			if f, err := d.chain.sealed(ctx, w.Id, s.Index); err == nil {
				return f, nil
			}
		}
	}
	return nil, errNothingToCopy
}
