package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// fakeCompanionEnv makes the test binary play provernet-bench (TestMain):
// it reports the command line and stdin it got as JSON on stdout, writes a
// line to stderr, and exits with the code after --exit, if any.
const fakeCompanionEnv = "PROVERNET_TEST_FAKE_BENCH"

type fakeReport struct {
	Args  []string `json:"args"`
	Stdin string   `json:"stdin"`
}

func fakeCompanion(args []string) int {
	in, _ := io.ReadAll(os.Stdin)
	_ = json.NewEncoder(os.Stdout).Encode(fakeReport{Args: args, Stdin: string(in)})
	fmt.Fprintln(os.Stderr, "fake companion stderr")
	if i := slices.Index(args, "--exit"); i >= 0 && i+1 < len(args) {
		code, _ := strconv.Atoi(args[i+1])
		return code
	}
	return 0
}

// withStdin makes os.Stdin a file holding s for the rest of the test.
func withStdin(t *testing.T, s string) {
	t.Helper()
	p := filepath.Join(t.TempDir(), "stdin")
	if err := os.WriteFile(p, []byte(s), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	old := os.Stdin
	os.Stdin = f
	t.Cleanup(func() { os.Stdin = old; f.Close() })
}

// TestBenchAndSimRunTheCompanion: `provernet bench|sim ...` executes the
// companion with the command line exactly as typed (flags before the
// command included), passes stdin, stdout, stderr and the exit code
// through, and `--help` and `help sim` reach the companion too.
func TestBenchAndSimRunTheCompanion(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv(benchEnv, exe)
	t.Setenv(fakeCompanionEnv, "1")
	for _, tc := range []struct {
		args     []string
		wantArgs []string // default: args
		code     int
	}{
		{args: []string{"-o", "json", "--home", "/h", "bench", "chain", "--txs", "5"}},
		{args: []string{"bench", "--help"}},
		{args: []string{"bench"}},
		{args: []string{"sim", "--mechanism", "all", "-o", "table", "--exit", "7"}, code: 7},
		{args: []string{"help", "sim"}, wantArgs: []string{"sim", "--help"}},
	} {
		withStdin(t, "from stdin")
		out, stderr, code := provernet(t, tc.args...)
		want := tc.wantArgs
		if want == nil {
			want = tc.args
		}
		var rep fakeReport
		if err := json.Unmarshal([]byte(out), &rep); err != nil {
			t.Errorf("%q: stdout %q: %v", tc.args, out, err)
			continue
		}
		if code != tc.code || !slices.Equal(rep.Args, want) || rep.Stdin != "from stdin" || stderr != "fake companion stderr\n" {
			t.Errorf("%q: exit %d, companion got %q and stdin %q, stderr %q; want exit %d and %q", tc.args, code, rep.Args, rep.Stdin, stderr, tc.code, want)
		}
	}
}

// TestBenchWithoutCompanion: without provernet-bench, bench and sim fail
// with an error and a hint that says how to get it.
func TestBenchWithoutCompanion(t *testing.T) {
	t.Setenv(benchEnv, "")
	t.Setenv("PATH", t.TempDir())
	for _, args := range [][]string{{"bench", "chain"}, {"sim", "--help"}} {
		_, stderr, code := provernet(t, args...)
		if code != 1 || !strings.Contains(stderr, "error: "+benchBinary+" not found") || !strings.Contains(stderr, "hint:") || !strings.Contains(stderr, "make build") {
			t.Errorf("%q without the companion: exit %d, stderr %q", args, code, stderr)
		}
	}
	out, _, code := provernet(t, "--help")
	for _, line := range []string{"bench       Measure the network's components", "sim         Simulate a population of provers"} {
		if code != 0 || !strings.Contains(out, line) {
			t.Errorf("provernet --help lacks %q:\n%s", line, out)
		}
	}
}

// TestBenchCompanionEndToEnd builds the real provernet-bench and runs
// bench and sim through provernet: the real help, a small simulation, and
// the companion's own error and hint.
func TestBenchCompanionEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds provernet-bench")
	}
	bin := filepath.Join(t.TempDir(), benchBinary)
	if b, err := exec.Command("go", "build", "-o", bin, "../"+benchBinary).CombinedOutput(); err != nil {
		t.Fatalf("build %s: %v\n%s", benchBinary, err, b)
	}
	t.Setenv(benchEnv, bin)
	out, stderr, code := provernet(t, "bench", "--help")
	for _, sub := range []string{"chain", "sandbox", "alloc", "workloads", "e2e", "attack", "provernet bench [command]"} {
		if code != 0 || !strings.Contains(out, sub) {
			t.Errorf("provernet bench --help lacks %q: exit %d\n%s%s", sub, code, out, stderr)
		}
	}
	out, stderr, code = provernet(t, "-o", "json", "sim", "--provers", "30", "--workloads", "20", "--blocks", "5", "--seed", "3")
	var rep map[string]any
	if err := json.Unmarshal([]byte(out), &rep); code != 0 || err != nil || rep["provers"] != 30.0 {
		t.Fatalf("sim: exit %d, %v\n%s%s", code, err, out, stderr)
	}
	_, stderr, code = provernet(t, "sim", "--mechanism", "nope")
	if code != 1 || !strings.Contains(stderr, "error:") || !strings.Contains(stderr, "hint: --mechanism takes") {
		t.Fatalf("sim --mechanism nope: exit %d, stderr %q", code, stderr)
	}
}
