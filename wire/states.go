package wire

// The lower-case state names the API reports (Workload.State, Slot.State,
// Slot.Outcome, PendingResult.Outcome, Prover.State). They are the chain's
// own names: a test in internal/httpapi checks each list against every
// state the protocol has, both ways.

// Workload states, in the order a workload passes through them. The last
// four are terminal (WorkloadEnded).
const (
	WorkloadPending   = "pending"   // in a block, not yet allocated
	WorkloadAllocated = "allocated" // provers drawn
	WorkloadRunning   = "running"   // a prover accepted
	WorkloadSealed    = "sealed"    // a result was submitted; the user can open it
	WorkloadRevealing = "revealing"
	WorkloadVerifying = "verifying"
	WorkloadFinal     = "final"    // a proof was judged valid
	WorkloadFailed    = "failed"   // the program hit the cycle limit
	WorkloadRejected  = "rejected" // no proof passed the vote
	WorkloadExpired   = "expired"  // no result in time
)

// Slot states.
const (
	SlotAssigned   = "assigned" // allocated, awaiting Accept or Decline
	SlotAccepted   = "accepted"
	SlotOpen       = "open"      // any active prover outside the workload may fill it
	SlotSubmitted  = "submitted" // sealed result in; awaiting reveal
	SlotVerifying  = "verifying" // revealed; the committee votes
	SlotValid      = "valid"     // final proof
	SlotInvalid    = "invalid"   // rejected by the committee, or failed to open
	SlotFailed     = "failed"    // outcome fail, revealed
	SlotUndecided  = "undecided" // neither threshold within vote_window
	SlotUnrevealed = "unrevealed"
	SlotEmpty      = "empty"  // never filled
	SlotCopied     = "copied" // opened to a header naming another prover
)

// Outcomes of a submitted result.
const (
	OutcomeProof = "proof" // the program completed
	OutcomeFail  = "fail"  // it hit the cycle limit
)

// Prover states.
const (
	ProverPending   = "pending" // registered, not yet admitted
	ProverActive    = "active"
	ProverLeaving   = "leaving"
	ProverExited    = "exited"
	ProverRemoved   = "removed"
	ProverSuspended = "suspended"
)

// WorkloadStates lists every workload state, in order.
func WorkloadStates() []string {
	return []string{WorkloadPending, WorkloadAllocated, WorkloadRunning, WorkloadSealed, WorkloadRevealing,
		WorkloadVerifying, WorkloadFinal, WorkloadFailed, WorkloadRejected, WorkloadExpired}
}

// SlotStates lists every slot state, in order.
func SlotStates() []string {
	return []string{SlotAssigned, SlotAccepted, SlotOpen, SlotSubmitted, SlotVerifying, SlotValid, SlotInvalid,
		SlotFailed, SlotUndecided, SlotUnrevealed, SlotEmpty, SlotCopied}
}

// Outcomes lists every outcome.
func Outcomes() []string { return []string{OutcomeProof, OutcomeFail} }

// ProverStates lists every prover state.
func ProverStates() []string {
	return []string{ProverPending, ProverActive, ProverLeaving, ProverExited, ProverRemoved, ProverSuspended}
}

// WorkloadEnded reports whether a workload state is terminal: final,
// failed, rejected or expired. A workload that ended may still settle
// (Workload.Settled) a few blocks later.
func WorkloadEnded(state string) bool {
	switch state {
	case WorkloadFinal, WorkloadFailed, WorkloadRejected, WorkloadExpired:
		return true
	}
	return false
}
