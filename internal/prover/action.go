package prover

import (
	"fmt"
	"strings"

	"github.com/provernet/provernet/wire"
)

// actionKind is one thing the planner can ask the executor to do.
type actionKind uint8

// The actions. The executor's handling of each is in execute.go.
const (
	actAccept       actionKind = iota + 1 // send Accept for an allocated slot
	actDecline                            // send Decline for an allocated slot
	actTake                               // keep a new job record (action.job) for a slot
	actProve                              // start a worker proving the slot's job
	actResendAccept                       // an Accept that never landed: note the height, then send it again
	actSubmit                             // seal the proved result afresh, keep its identity, send SubmitResult
	actResubmit                           // a result that never landed: back to proved, then as actSubmit
	actReveal                             // send RevealKey with the identity of the slot's commit
	actVerify                             // start verifying the slot's revealed proof for its round
	actDrop                               // forget the slot's job and stop its worker
	actForget                             // the workload settled: drop all its jobs and stop watching it
	actUnwatch                            // the workload concerns this prover no more: stop watching it
	actVote                               // send one Vote with action.votes
)

var actionNames = map[actionKind]string{
	actAccept: "accept", actDecline: "decline", actTake: "take", actProve: "prove",
	actResendAccept: "resend-accept", actSubmit: "submit", actResubmit: "resubmit",
	actReveal: "reveal", actVerify: "verify", actDrop: "drop", actForget: "forget",
	actUnwatch: "unwatch", actVote: "vote",
}

func (k actionKind) String() string {
	if n, ok := actionNames[k]; ok {
		return n
	}
	return fmt.Sprintf("action(%d)", uint8(k))
}

// perSlot reports whether the action concerns one slot: when one fails,
// the executor skips the rest of that slot's actions, as the steps of one
// decision (accept, then take, then prove) depend on each other.
func (k actionKind) perSlot() bool {
	switch k {
	case actForget, actUnwatch, actVote:
		return false
	}
	return true
}

// action is one step of a plan.
type action struct {
	kind  actionKind
	slot  uint32
	round uint32        // actVerify: the verification round
	job   *job          // actTake: the record to keep, built by the planner
	why   string        // actDrop, actDecline, actAccept: the reason, for the log
	votes []wire.Ballot // actVote
}

// String is the action as the plan scripts print it (testdata/plan).
func (a action) String() string {
	var b strings.Builder
	b.WriteString(a.kind.String())
	switch {
	case a.kind == actVote:
		for _, v := range a.votes {
			fmt.Fprintf(&b, " ballot%d=%s", v.Number, v.Verdict)
		}
		return b.String()
	case a.kind.perSlot():
		fmt.Fprintf(&b, " %d", a.slot)
	}
	switch a.kind {
	case actVerify:
		fmt.Fprintf(&b, " round=%d", a.round)
	case actTake:
		fmt.Fprintf(&b, " open=%t sent=%d", a.job.Open, a.job.SentHeight)
	}
	if a.why != "" {
		fmt.Fprintf(&b, " (%s)", a.why)
	}
	return b.String()
}
