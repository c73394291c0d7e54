package prover

import (
	"testing"

	"github.com/provernet/provernet/internal/sandbox"
)

// TestMachineTroubleIsTyped: only the sandbox's own machine causes make a
// run machine trouble (retried, no verdict); a program's trap is a verdict
// whatever its detail says, since a trap's detail quotes the program's own
// function names.
func TestMachineTroubleIsTyped(t *testing.T) {
	cases := []struct {
		res  sandbox.Result
		want bool
	}{
		{sandbox.Result{Outcome: sandbox.OutcomeError, Detail: "trapped: wasm error: unreachable\nwasm stack trace:\n\t.worker wall-clock()"}, false},
		{sandbox.Result{Outcome: sandbox.OutcomeError, Detail: "worker killed by the wall-clock limit"}, false},
		{sandbox.Result{Outcome: sandbox.OutcomeError, Detail: "anything", Machine: sandbox.MachineWall}, true},
		{sandbox.Result{Outcome: sandbox.OutcomeError, Machine: sandbox.MachineDied}, true},
		{sandbox.Result{Outcome: sandbox.OutcomeFail, Machine: sandbox.MachineWall}, false},
	}
	for i, c := range cases {
		if got := machineTrouble(&c.res); got != c.want {
			t.Errorf("case %d (%q, machine %q): machine trouble %t, want %t", i, c.res.Detail, c.res.Machine, got, c.want)
		}
	}
}
