package main

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

// benchCLI runs a provernet-bench command line in-process and returns
// stdout, stderr and the exit code.
func benchCLI(args ...string) (string, string, int) {
	var out, errb bytes.Buffer
	code := run(args, &out, &errb)
	return out.String(), errb.String(), code
}

// TestTakesProvernetsCommandLines: the command lines provernet forwards
// (its root flags before the command included) parse here as they did
// in provernet, and the help reads as `provernet bench`.
func TestTakesProvernetsCommandLines(t *testing.T) {
	out, stderr, code := benchCLI("bench", "--help")
	for _, want := range []string{"provernet bench [command]", "chain", "sandbox", "alloc", "workloads", "e2e", "attack", "tree"} {
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("bench --help lacks %q: exit %d\n%s%s", want, code, out, stderr)
		}
	}
	out, stderr, code = benchCLI("--home", "/nowhere", "--node", "http://x", "-o", "json", "sim", "--provers", "30", "--workloads", "20", "--blocks", "5")
	var rep struct {
		Provers int    `json:"provers"`
		Command string `json:"command"`
	}
	if err := json.Unmarshal([]byte(out), &rep); code != 0 || err != nil || rep.Provers != 30 || !strings.HasPrefix(rep.Command, "provernet sim ") {
		t.Fatalf("sim: exit %d, %v, %+v\n%s", code, err, rep, stderr)
	}
	if _, stderr, code = benchCLI("-o", "yaml", "bench", "alloc"); code != 1 || !strings.Contains(stderr, "hint:") {
		t.Fatalf("bad --output: exit %d, %q", code, stderr)
	}
}

func TestParseLogs(t *testing.T) {
	if got, err := parseLogs(" 14, 16,,18 "); err != nil || !slices.Equal(got, []int{14, 16, 18}) {
		t.Fatalf("parseLogs = %v, %v", got, err)
	}
	if got, err := parseLogs(""); err != nil || got != nil {
		t.Fatalf("parseLogs(\"\") = %v, %v", got, err)
	}
	for _, bad := range []string{"0", "27", "x", "14;16"} {
		if _, err := parseLogs(bad); err == nil {
			t.Errorf("parseLogs(%q) accepted", bad)
		}
	}
}
