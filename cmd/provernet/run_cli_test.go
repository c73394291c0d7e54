package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/provernet/provernet/client"
	"github.com/provernet/provernet/wire"
)

// TestRunThroughCLI submits the sha256-chain example to a devnet with three
// prover daemons exactly as a user would (`provernet run ... --wait`), then
// fetches the proof again with `proof get`, once with the user's identity
// and once with none (the revealed one).
func TestRunThroughCLI(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a devnet with provers")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()

	n := startProverDevnet(t, ctx, nil, nil)
	home, api, plog := n.home, n.api, n.plog

	input, _ := filepath.Abs("../../examples/programs/sha256-chain/input.json")
	out := filepath.Join(t.TempDir(), "result.proof")
	started := time.Now()
	stdout, stderr, code := provernet(t, "--home", home, "--node", api, "run", "sha256-chain", "--input", input,
		"--cycles", "2000000000", "--provers", "3", "--from", "dev1", "--wait", "--out", out, "--timeout", "60s", "--output", "json",
		"--deadline", "300") // 30 s of 100 ms blocks: room for cold compilation, or -race
	if code != 0 {
		t.Fatalf("run exited %d:\nstdout %s\nstderr %s\nprovers:\n%s", code, stdout, stderr, plog.String())
	}
	t.Logf("run --wait took %s", time.Since(started).Round(time.Millisecond))
	var rep runReport
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatalf("run printed %q, not one JSON object: %v", stdout, err)
	}
	if rep.State != wire.WorkloadFinal || !rep.VerifiedLocally || rep.ProofFile != out || rep.Slot == nil || len(rep.Slots) != 3 ||
		rep.Fee == 0 || rep.RunHeight == 0 || rep.FinalHeight < rep.SealedHeight || rep.SealedHeight <= rep.RunHeight {
		t.Fatalf("run report %+v", rep)
	}
	if want := client.IdentityFile(home, "dev1"); rep.IdentityFile != want {
		t.Fatalf("identity file %s, want %s", rep.IdentityFile, want)
	}
	for _, s := range []string{"fee", "created your age identity", "submitted: workload " + rep.Workload, "sealed: proof written to " + out} {
		if !strings.Contains(stderr, s) {
			t.Errorf("run's messages (stderr with --output json) lack %q:\n%s", s, stderr)
		}
	}
	proof, err := os.ReadFile(out)
	if err != nil || len(proof) == 0 {
		t.Fatalf("proof file: %v", err)
	}
	if st, err := os.Stat(strings.TrimSuffix(out, ".proof") + ".age"); err != nil || st.Size() == 0 {
		t.Fatalf("sealed file beside the proof: %v", err)
	}

	// proof get with the user's identity, and from a home without keys:
	// the slot's temporary identity is revealed once its proof is final.
	get := func(home string, args ...string) proofReport {
		t.Helper()
		stdout, stderr, code := provernet(t, append([]string{"--home", home, "--node", api, "proof", "get", rep.Workload, "-o", "json"}, args...)...)
		if code != 0 {
			t.Fatalf("proof get %v: exit %d: %s", args, code, stderr)
		}
		var pr proofReport
		if err := json.Unmarshal([]byte(stdout), &pr); err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(pr.ProofFile)
		if err != nil || !bytes.Equal(got, proof) {
			t.Fatalf("proof get %v wrote %d bytes (%v), unlike run's %d", args, len(got), err, len(proof))
		}
		if pr.Workload != rep.Workload || pr.Outcome != wire.OutcomeProof || pr.Cycles == 0 || !strings.HasPrefix(pr.Prover, "prv1") {
			t.Fatalf("proof get %v: %+v", args, pr)
		}
		return pr
	}
	dir := t.TempDir()
	pr := get(home, "--identity", rep.IdentityFile, "--out", filepath.Join(dir, "mine.proof"))
	if pr.OpenedWith != "identity_file" || pr.Slot != *rep.Slot {
		t.Fatalf("proof get --identity: %+v, run wrote slot %d", pr, *rep.Slot)
	}
	if pr = get(t.TempDir(), "--out", filepath.Join(dir, "revealed.proof")); pr.OpenedWith != "revealed_identity" {
		t.Fatalf("proof get without an identity: %+v", pr)
	}
	if stdout, _, code := provernet(t, "--node", api, "proof", "get", rep.Workload, "--out", filepath.Join(dir, "text.proof")); code != 0 ||
		!strings.Contains(stdout, "outcome   proof") || !strings.Contains(stdout, "revealed") {
		t.Fatalf("proof get text: exit %d: %s", code, stdout)
	}

	// An unknown program: exit 1, the deployed names and a hint.
	_, stderr, code = provernet(t, "--home", home, "--node", api, "run", "nosuch", "--input", input, "--cycles", "1000", "--provers", "1", "--from", "dev1")
	if code != 1 || !strings.Contains(stderr, `error: no program named "nosuch"`) || !strings.Contains(stderr, "sha256-chain") || !strings.Contains(stderr, "hint:") {
		t.Fatalf("unknown program: exit %d, stderr %q", code, stderr)
	}
	// A missing input file, likewise.
	_, stderr, code = provernet(t, "--home", home, "--node", api, "run", "sha256-chain", "--input", filepath.Join(dir, "nope.json"), "--cycles", "1000", "--from", "dev1")
	if code != 1 || !strings.Contains(stderr, "bad input file") || !strings.Contains(stderr, "hint:") {
		t.Fatalf("missing input: exit %d, stderr %q", code, stderr)
	}
}

// TestRunHelpQuotesSDKDefaults: the deadline slack `run --help` promises
// is the one client.SubmitRun applies (they once said 20 and 100).
func TestRunHelpQuotesSDKDefaults(t *testing.T) {
	out, stderr, code := provernet(t, "run", "--help")
	want := fmt.Sprintf("the chain's minimum for these cycles plus %d)", client.DefaultDeadlineSlack)
	if code != 0 || !strings.Contains(out, want) {
		t.Fatalf("run --help: exit %d, lacks %q:\n%s%s", code, want, out, stderr)
	}
}

// TestUnreachableNodeHint: a node that does not answer gets the hint to
// check it, found by the client's ErrUnreachable, not by the error's text.
func TestUnreachableNodeHint(t *testing.T) {
	for _, args := range [][]string{{"query", "params"}, {"query", "workload", strings.Repeat("ab", 32)}, {"proof", "get", strings.Repeat("ab", 32)}} {
		_, stderr, code := provernet(t, append([]string{"--home", t.TempDir(), "--node", "127.0.0.1:1"}, args...)...)
		if code != 1 || !strings.Contains(stderr, "failed to reach the node") || !strings.Contains(stderr, "hint: is the node running?") {
			t.Errorf("%v: exit %d, stderr %q", args, code, stderr)
		}
	}
}

// buildExample builds an example program's modules into dir/NAME.
func buildExample(dir, name string) error {
	for _, role := range []string{"prover", "verifier"} {
		cmd := exec.Command("go", "build", "-trimpath", "-buildvcs=false", "-o", filepath.Join(dir, name, role+".wasm"), "../../examples/programs/"+name+"/"+role)
		cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm")
		if b, err := cmd.CombinedOutput(); err != nil {
			return &buildError{role: role, err: err, out: string(b)}
		}
	}
	return nil
}

type buildError struct {
	role string
	err  error
	out  string
}

func (e *buildError) Error() string { return "build " + e.role + ": " + e.err.Error() + "\n" + e.out }

// runTestLog collects the provers' logs for a failure message.
type runTestLog struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *runTestLog) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(b)
}

func (l *runTestLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}
