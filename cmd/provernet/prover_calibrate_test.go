package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/provernet/provernet/internal/prover"
)

// TestProverCalibrate runs a small challenge with the real benchmark
// program: a generous deadline passes, writes the calibration start
// --prover reads, and prints the start line; a deadline of a few
// milliseconds fails with exit 1 and says how to shrink the declaration.
func TestProverCalibrate(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the benchmark program")
	}
	progs := t.TempDir()
	if err := buildExample(progs, "bench"); err != nil {
		t.Fatal(err)
	}
	home := t.TempDir()
	args := []string{"--home", home, "--node", "http://127.0.0.1:1", "prover", "calibrate", "--programs", progs,
		"--cpu", "2", "--memory-mb", "128", "--challenge-cycles", "400000000", "--challenge-deadline", "30"}
	out, stderr, code := provernet(t, append(args, "--block-time", "1s", "--output", "json")...)
	var rep calibrateReport
	if code != 0 || json.Unmarshal([]byte(out), &rep) != nil {
		t.Fatalf("calibrate: exit %d\n%s\n%s", code, out, stderr)
	}
	c := rep.Calibration
	if !c.Passes || c.Pieces != 2 || c.PieceMiB != 64 || c.CyclesPerSecond <= 0 || c.DeadlineS != 30 || rep.Capacity != 2 {
		t.Fatalf("calibration %+v, report %+v", c, rep)
	}
	saved, err := prover.LoadCalibration(prover.CalibrationFile(home))
	if err != nil || saved == nil || saved.CyclesPerSecond != c.CyclesPerSecond {
		t.Fatalf("saved calibration %+v %v", saved, err)
	}
	out, _, code = provernet(t, append(args, "--block-time", "1ms")...)
	if code != 1 || !strings.Contains(out, "FAILS") || !strings.Contains(out, "--cpu") {
		t.Fatalf("a 30 ms deadline: exit %d\n%s", code, out)
	}
}
