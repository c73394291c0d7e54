package record

import (
	"strings"

	"github.com/provernet/provernet/wire/pb"
)

// ProverStateName is the lower-case name of a prover state ("unknown" for
// a value the chain does not define).
func ProverStateName(s pb.ProverState) string {
	switch s {
	case pb.ProverState_PROVER_STATE_PENDING:
		return "pending"
	case pb.ProverState_PROVER_STATE_ACTIVE:
		return "active"
	case pb.ProverState_PROVER_STATE_LEAVING:
		return "leaving"
	case pb.ProverState_PROVER_STATE_EXITED:
		return "exited"
	case pb.ProverState_PROVER_STATE_REMOVED:
		return "removed"
	case pb.ProverState_PROVER_STATE_SUSPENDED:
		return "suspended"
	}
	return "unknown"
}

// WorkloadStateName is the lower-case name of a workload state.
func WorkloadStateName(s pb.WorkloadState) string {
	return strings.ToLower(strings.TrimPrefix(s.String(), "WORKLOAD_STATE_"))
}

// SlotStateName is the lower-case name of a slot state.
func SlotStateName(s pb.SlotState) string {
	return strings.ToLower(strings.TrimPrefix(s.String(), "SLOT_STATE_"))
}

// OutcomeName is the lower-case name of a submitted result's outcome, ""
// before a submission.
func OutcomeName(o pb.Outcome) string {
	if o == pb.Outcome_OUTCOME_UNSPECIFIED {
		return ""
	}
	return strings.ToLower(strings.TrimPrefix(o.String(), "OUTCOME_"))
}
