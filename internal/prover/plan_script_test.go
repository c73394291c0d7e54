package prover

import (
	"strings"
	"testing"

	"github.com/cockroachdb/datadriven"
)

// TestPlanScriptRejectsMalformed: the script runner refuses what it does
// not understand rather than ignore it, so a typo in a script fails the
// test instead of testing less than it says.
func TestPlanScriptRejectsMalformed(t *testing.T) {
	setup := []datadriven.TestData{
		{Cmd: "workload", CmdArgs: []datadriven.CmdArg{{Key: "w1"}}, Input: "0 assigned prover=me allocated=me"},
	}
	cases := []struct {
		name string
		d    datadriven.TestData
		want string
	}{
		{"unknown command", datadriven.TestData{Cmd: "finalize"}, "unknown command"},
		{"unknown argument", datadriven.TestData{Cmd: "plan", CmdArgs: []datadriven.CmdArg{{Key: "w1"}, {Key: "height", Vals: []string{"3"}}}}, "unused arguments: height="},
		{"extra word", datadriven.TestData{Cmd: "plan", CmdArgs: []datadriven.CmdArg{{Key: "w1"}, {Key: "now"}}}, "unused arguments: now"},
		{"unknown workload", datadriven.TestData{Cmd: "plan", CmdArgs: []datadriven.CmdArg{{Key: "w9"}}}, "unknown workload"},
		{"bad number", datadriven.TestData{Cmd: "tip", CmdArgs: []datadriven.CmdArg{{Key: "ten"}}}, "invalid syntax"},
		{"tip going back", datadriven.TestData{Cmd: "tip", CmdArgs: []datadriven.CmdArg{{Key: "-1"}}}, "heights only grow"},
		{"bad slot state", datadriven.TestData{Cmd: "workload", CmdArgs: []datadriven.CmdArg{{Key: "w2"}}, Input: "0 waiting prover=me"}, "unknown slot_state"},
		{"slot out of order", datadriven.TestData{Cmd: "workload", CmdArgs: []datadriven.CmdArg{{Key: "w2"}}, Input: "1 open"}, "want slot 0 first"},
		{"slot line with unknown key", datadriven.TestData{Cmd: "workload", CmdArgs: []datadriven.CmdArg{{Key: "w2"}}, Input: "0 open owner=me"}, "unused arguments: owner="},
		{"malformed pair", datadriven.TestData{Cmd: "workload", CmdArgs: []datadriven.CmdArg{{Key: "w2"}}, Input: "0 open prover="}, "malformed"},
		{"unknown slot", datadriven.TestData{Cmd: "job", CmdArgs: []datadriven.CmdArg{{Key: "w1/4"}, {Key: "state", Vals: []string{"proving"}}}}, "names no slot"},
		{"unknown job state", datadriven.TestData{Cmd: "job", CmdArgs: []datadriven.CmdArg{{Key: "w1/0"}, {Key: "state", Vals: []string{"lost"}}}}, "unknown state"},
		{"unknown fault", datadriven.TestData{Cmd: "self", CmdArgs: []datadriven.CmdArg{{Key: "fault", Vals: []string{"lazy"}}}}, "unknown fault"},
		{"unknown verdict", datadriven.TestData{Cmd: "verified", CmdArgs: []datadriven.CmdArg{{Key: "w1/0"}, {Key: "maybe"}}}, "want valid, invalid, copied or error"},
		{"voter off the committee", datadriven.TestData{Cmd: "slot", CmdArgs: []datadriven.CmdArg{{Key: "w1/0"}, {Key: "committee", Vals: []string{"bob"}}, {Key: "voted", Vals: []string{"carol"}}}}, "not on the committee"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := newStory()
			for _, d := range setup {
				if _, err := s.run(&d); err != nil {
					t.Fatalf("setup: %v", err)
				}
			}
			out, err := s.run(&c.d)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %q, %v; want an error containing %q", out, err, c.want)
			}
		})
	}
}
