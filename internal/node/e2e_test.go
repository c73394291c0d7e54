package node

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/provernet/provernet/client"
	g16mimc "github.com/provernet/provernet/examples/programs/groth16-mimc"
	"github.com/provernet/provernet/internal/protocol"
	"github.com/provernet/provernet/internal/prover"
	"github.com/provernet/provernet/internal/sandbox"
	"github.com/provernet/provernet/internal/treepair"
	"github.com/provernet/provernet/internal/treezk"
	"github.com/provernet/provernet/internal/zkhost"
	"github.com/provernet/provernet/wire"
	"github.com/provernet/provernet/wire/address"
)

// The end-to-end tests run a real devnet on loopback with real prover
// daemons proving the sha256-chain example in sandbox worker processes
// (this test binary doubles as the worker, provernet-sandbox's part; see
// TestMain).

func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == sandbox.WorkerCommand {
		if err := sandbox.RunWorker(context.Background(), os.Stdin, os.Stdout, zkhost.Hosts); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	if len(os.Args) > 1 && os.Args[1] == treepair.NodeCommand { // as provernet-sandbox tree-node
		if err := treezk.RunNode(os.Stdin, os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	// As provernet-sandbox beside provernet: what sandbox.WorkerExecutable
	// finds (StartProvers, the node's own lookups).
	exe, err := os.Executable()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Setenv(sandbox.WorkerEnv, exe)
	os.Exit(m.Run())
}

// The example programs the tests need, built once per test binary into
// temporary directories (build/programs layout).
var (
	buildExamples = sync.OnceValues(func() (string, error) {
		dir, err := os.MkdirTemp("", "provernet-e2e-programs-")
		if err != nil {
			return "", err
		}
		out := filepath.Join(dir, "sha256-chain")
		if err := buildProgram(out, "sha256-chain"); err != nil {
			return "", err
		}
		b, err := os.ReadFile("../../examples/programs/sha256-chain/input.json")
		if err != nil {
			return "", err
		}
		return dir, os.WriteFile(filepath.Join(out, "input.json"), b, 0o600)
	})
	// groth16-mimc proves through the host module (provernet_zk_v1); its
	// development setup runs for a chain of 3 MiMC links (about 1,000
	// constraints) so the test stays quick.
	buildHostExample = sync.OnceValues(func() (string, error) {
		dir, err := os.MkdirTemp("", "provernet-e2e-host-")
		if err != nil {
			return "", err
		}
		out := filepath.Join(dir, "groth16-mimc")
		if err := buildProgram(out, "groth16-mimc"); err != nil {
			return "", err
		}
		cmd := exec.Command("go", "run", "../../examples/programs/groth16-mimc/setup", "-out", out, "-n", "3")
		if b, err := cmd.CombinedOutput(); err != nil {
			return "", fmt.Errorf("groth16-mimc setup: %v\n%s", err, b)
		}
		return dir, nil
	})
	buildBench = sync.OnceValues(func() (string, error) {
		dir, err := os.MkdirTemp("", "provernet-e2e-bench-")
		if err != nil {
			return "", err
		}
		return dir, buildProgram(dir, "bench")
	})
)

// builtExamples returns the directory of the built sha256-chain example.
func builtExamples(t *testing.T) string { return mustBuilt(t, buildExamples) }

// builtBench returns the directory of the built benchmark program.
func builtBench(t *testing.T) string { return mustBuilt(t, buildBench) }

func mustBuilt(t *testing.T, build func() (string, error)) string {
	t.Helper()
	dir, err := build()
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// buildProgram builds example program name's prover and verifier into out
// as WebAssembly (build/programs layout).
func buildProgram(out, name string) error {
	for _, role := range []string{"prover", "verifier"} {
		cmd := exec.Command("go", "build", "-trimpath", "-buildvcs=false", "-o", filepath.Join(out, role+".wasm"), "../../examples/programs/"+name+"/"+role)
		cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm")
		if b, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("build %s %s: %v\n%s", name, role, err, b)
		}
	}
	return nil
}

// e2e is one test's devnet and provers.
type e2e struct {
	t       *testing.T
	d       *Devnet
	c       *client.Client
	prog    ExampleProgram
	log     *bytes.Buffer
	mu      sync.Mutex
	stopped map[string]context.CancelFunc
	done    map[string]chan struct{}
	// treeFeeBurn is prover i's fee_burn_bp on tree node proofs.
	treeFeeBurn map[int]uint32
	// treeKeys is the gnark tree pair's keys the daemons use ("": none).
	treeKeys string
	// hotKeys[i], if set, is the key prover i's daemon signs with, as
	// the prover's hot key (issue 19).
	hotKeys map[int]*client.Key
}

// e2eParams keep the windows short but wide enough for a loaded CI machine.
func e2eParams() protocol.Params {
	p := DevnetParams()
	p.AcceptWindow, p.RevealWindow, p.VoteWindow = 10, 20, 250
	return p
}

func startE2E(t *testing.T, provers int) *e2e {
	t.Helper()
	return startE2EWith(t, provers, e2eParams(), "")
}

// startE2EWith starts the devnet with params and, if challenges is not "",
// the benchmark program in that directory as the challenge program.
func startE2EWith(t *testing.T, provers int, params protocol.Params, challenges string) *e2e {
	t.Helper()
	return startE2EIn(t, builtExamples(t), provers, params, challenges)
}

// startE2EIn is startE2EWith deploying the one example program built in
// dir.
func startE2EIn(t *testing.T, dir string, provers int, params protocol.Params, challenges string) *e2e {
	t.Helper()
	// Free ports are picked, then bound by the node: another test's
	// connection may take one in between (the kernel hands out the same
	// ephemeral range), so a start that finds its address taken is tried
	// again on fresh ports.
	var d *Devnet
	for attempt := 1; ; attempt++ {
		onLoopback, err := OnLoopback()
		if err != nil {
			t.Fatal(err)
		}
		d, err = StartDevnet(context.Background(), DevnetOptions{
			Home: t.TempDir(), Accounts: 2, Provers: provers, Balance: DevnetDefaults.Balance,
			BlockTime: 200 * time.Millisecond, Params: &params, ChallengeProgram: challenges,
			Node: Options{Log: testLog(t), Configure: onLoopback, AfterCommit: checkSupply},
		})
		if err == nil {
			break
		}
		if attempt == 3 || !strings.Contains(err.Error(), "address already in use") {
			t.Fatal(err)
		}
		t.Logf("attempt %d: %v; again on other ports", attempt, err)
	}
	e := &e2e{t: t, d: d, c: client.New(d.APIURL()), log: &bytes.Buffer{}, stopped: map[string]context.CancelFunc{}, done: map[string]chan struct{}{}}
	t.Cleanup(func() {
		// Not under e.mu: a stopping daemon may still log, and its log
		// writer takes e.mu.
		e.mu.Lock()
		stops, dones := maps.Clone(e.stopped), maps.Clone(e.done)
		e.mu.Unlock()
		for name, cancel := range stops {
			cancel()
			e.await(name, dones[name])
		}
		e.await("the node", stopAsync(d))
		if t.Failed() {
			t.Logf("prover log:\n%s", e.log.String())
		}
	})
	ctx := e.ctx(60 * time.Second)
	if _, err := e.c.WaitHeight(ctx, 2); err != nil {
		t.Fatal(err)
	}
	progs, err := DeployExamples(ctx, e.c, d.Keys[0], dir)
	if err != nil || len(progs) != 1 {
		t.Fatalf("deploy: %v %v", progs, err)
	}
	e.prog = progs[0]
	return e
}

func (e *e2e) ctx(d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	e.t.Cleanup(cancel)
	return ctx
}

// startProver runs the daemon of key prover<i> with a fault.
func (e *e2e) startProver(i int, fault prover.Fault) {
	e.t.Helper()
	e.startProverAs(i, fault, &prover.Registration{CPUCores: 2, MemoryMB: 4096, MaxConcurrent: 2, Stake: e2eParams().MinProverStake})
}

// startProverAs runs the daemon of key prover<i>, registering with reg.
func (e *e2e) startProverAs(i int, fault prover.Fault, reg *prover.Registration) {
	e.t.Helper()
	k := e.d.ProverKeys[i]
	exe, err := os.Executable()
	if err != nil {
		e.t.Fatal(err)
	}
	signer, forProver := k, ""
	if hot := e.hotKeys[i]; hot != nil {
		signer, forProver = hot, k.Address()
	}
	d, err := prover.New(prover.Config{
		RPC: e.d.RPCURL(), API: e.d.APIURL(), Key: signer, Prover: forProver, Exe: exe, Capacity: 2, Fault: fault, TreeFeeBurnBP: e.treeFeeBurn[i], TreeKeysDir: e.treeKeys,
		Dir: filepath.Join(e.d.Home(), "provers", k.Name), Poll: 100 * time.Millisecond,
		Log:      slog.New(slog.NewTextHandler(lockedWriter{&e.mu, e.log}, nil)).With("prover", k.Name, "fault", string(fault)),
		Register: reg,
		Metrics:  e.d.MetricsRegisterer(), // a restarted daemon takes its series over
	})
	if err != nil {
		e.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	e.mu.Lock()
	e.stopped[k.Name], e.done[k.Name] = cancel, done
	e.mu.Unlock()
	go func() {
		defer close(done)
		if err := d.Run(ctx); err != nil && !errors.Is(err, context.Canceled) {
			e.t.Errorf("%s: %v", k.Name, err)
		}
	}()
}

// stopProver stops a daemon and waits for it.
func (e *e2e) stopProver(i int) {
	name := e.d.ProverKeys[i].Name
	e.mu.Lock()
	cancel, done := e.stopped[name], e.done[name]
	delete(e.stopped, name)
	delete(e.done, name)
	e.mu.Unlock()
	cancel()
	e.await(name, done)
}

// await waits for done, failing the test (instead of hanging the suite)
// if what stops does not within a minute.
func (e *e2e) await(what string, done <-chan struct{}) {
	select {
	case <-done:
	case <-time.After(time.Minute):
		e.t.Errorf("%s did not stop within a minute", what)
	}
}

func stopAsync(d *Devnet) <-chan struct{} {
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = d.Stop()
	}()
	return done
}

type lockedWriter struct {
	mu *sync.Mutex
	b  *bytes.Buffer
}

func (w lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

// run submits a sha256-chain Run with k provers from dev1.
func (e *e2e) run(k int) string {
	e.t.Helper()
	ctx := e.ctx(30 * time.Second)
	id, err := client.LoadOrCreateIdentity(client.IdentityFile(e.d.Home(), "dev1"))
	if err != nil {
		e.t.Fatal(err)
	}
	sub, err := submitExample(ctx, e.c, e.d.Keys[1], e.prog, k, id.Recipient().String())
	if err != nil {
		e.t.Fatal(err)
	}
	if tx, err := e.c.WaitTx(ctx, sub.TxHash); err != nil || tx.Code != 0 {
		e.t.Fatalf("run: %v %+v", err, tx)
	}
	return sub.Workload
}

// wait polls a workload until cond holds.
func (e *e2e) wait(id string, d time.Duration, what string, cond func(*wire.Workload) bool) *wire.Workload {
	e.t.Helper()
	w, err := e.c.WaitWorkload(e.ctx(d), id, 100*time.Millisecond, nil, cond)
	if err != nil {
		last, _ := e.c.Workload(context.Background(), id)
		e.t.Fatalf("waiting for %s: %v; workload: %+v", what, err, last)
	}
	return w
}

func settled(w *wire.Workload) bool { return w.Settled }

func (e *e2e) waitActive(n int) {
	e.t.Helper()
	if err := WaitActiveProvers(e.ctx(30*time.Second), e.c, n); err != nil {
		e.t.Fatal(err)
	}
}

// slotOf returns the slot held by prover i, or nil.
func (e *e2e) slotOf(w *wire.Workload, i int) *wire.Slot {
	addr := e.d.ProverKeys[i].Address()
	for j := range w.Slots {
		if w.Slots[j].Prover == addr || w.Slots[j].AllocatedTo == addr {
			return &w.Slots[j]
		}
	}
	return nil
}

func (e *e2e) proverState(i int) wire.Prover {
	e.t.Helper()
	p, err := e.c.Prover(context.Background(), e.d.ProverKeys[i].Address())
	if err != nil {
		e.t.Fatal(err)
	}
	return *p
}

// TestE2EHappyPath: three honest provers take a k = 3 workload to final;
// the user opens the first result before any reveal, with the stock age
// tool too; every proof is paid its tier.
func TestE2EHappyPath(t *testing.T) {
	t.Parallel()
	e := startE2E(t, 3)
	for i := range 3 {
		e.startProver(i, prover.FaultNone)
	}
	e.waitActive(3)
	id := e.run(3)
	w := e.wait(id, 60*time.Second, "a sealed result", func(w *wire.Workload) bool { return w.FirstSubmitted() != nil })
	ident := client.IdentityFile(e.d.Home(), "dev1")
	idv, err := client.LoadOrCreateIdentity(ident)
	if err != nil {
		t.Fatal(err)
	}
	s := w.FirstSubmitted()
	h, proof, file, err := e.c.OpenResult(context.Background(), id, s.Index, idv.String(), 1<<20)
	if err != nil || address.Address(h.Prover).String() != s.Prover || len(proof) == 0 {
		t.Fatalf("the user could not open the first result: %v (header %+v)", err, h)
	}
	if agePath, err := exec.LookPath("age"); err == nil {
		sealed := filepath.Join(t.TempDir(), "r.age")
		if err := os.WriteFile(sealed, file, 0o600); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(agePath, "-d", "-i", ident, sealed).Output()
		if err != nil || !bytes.HasSuffix(out, proof) {
			t.Fatalf("the stock age tool did not open the result: %v", err)
		}
	} else if os.Getenv("CI") != "" {
		t.Fatal("the age command-line tool is not on PATH: .ci/run installs the Debian package age")
	} else {
		t.Log("age not installed: the stock-tool check is skipped (apt-get install age)")
	}
	w = e.wait(id, 90*time.Second, "settlement", settled)
	if w.State != "final" {
		t.Fatalf("workload ended %s (%s)", w.State, w.Reason)
	}
	tiers := map[uint32]bool{}
	for _, s := range w.Slots {
		if s.State != "valid" || s.Reward != 0 || s.FeePaid == 0 { // Runs mint nothing: the fee pays
			t.Errorf("slot %d: %+v", s.Index, s)
		}
		tiers[s.Tier] = true
	}
	if len(tiers) != 3 {
		t.Errorf("tiers %v, want 1, 2 and 3", tiers)
	}
	e.checkProverMetrics(3)
}

// checkProverMetrics: after a workload of the example program is final,
// the node's /metrics page shows, for each of the first n provers by its
// address, its queue gauges, a proving run of the program that gave a
// proof, and its SubmitResult accepted; and the committee's valid
// verdicts.
func (e *e2e) checkProverMetrics(n int) {
	e.t.Helper()
	values := scrape(e.t, e.d.APIURL()+"/metrics")
	sum := func(name string, labels ...string) float64 {
		total := 0.0
		for k, v := range values {
			if !strings.HasPrefix(k, name+"{") {
				continue
			}
			all := true
			for _, l := range labels {
				all = all && strings.Contains(k, l)
			}
			if all {
				total += v
			}
		}
		return total
	}
	program := fmt.Sprintf(`program=%q`, e.prog.ID[:16])
	for i := range n {
		prover := fmt.Sprintf(`prover=%q`, e.d.ProverKeys[i].Address())
		for _, stage := range []string{"proving", "proved", "submitted", "revealed", "verifying", "votes_pending"} {
			if _, ok := values[fmt.Sprintf(`provernet_prover_queue{%s,stage=%q}`, prover, stage)]; !ok {
				e.t.Errorf("no provernet_prover_queue for %s stage %s", prover, stage)
			}
		}
		if got := sum("provernet_prover_sandbox_runs_total", prover, program, fmt.Sprintf(`name=%q`, e.prog.Name), `role="prove"`, `outcome="proof"`); got < 1 {
			e.t.Errorf("provernet_prover_sandbox_runs_total for %s %s: %v proving runs that gave a proof, want at least 1", prover, program, got)
		}
		if got := sum("provernet_prover_sandbox_cycles_total", prover, program, `role="prove"`); got <= 0 {
			e.t.Errorf("provernet_prover_sandbox_cycles_total for %s %s = %v", prover, program, got)
		}
		if got := sum("provernet_prover_transactions_total", prover, `kind="submit_result"`, `result="ok"`); got < 1 {
			e.t.Errorf("provernet_prover_transactions_total for %s: %v SubmitResults accepted", prover, got)
		}
	}
	if got := sum("provernet_prover_verifications_total", `verdict="valid"`); got < 1 {
		e.t.Errorf("provernet_prover_verifications_total{verdict=\"valid\"} = %v, want at least 1", got)
	}
}

// runUntilHeld submits k = 4 Runs until one allocates prover i (5
// provers: the allocation is random), and returns it.
func (e *e2e) runUntilHeld(i int) string {
	e.t.Helper()
	for attempt := 0; attempt < 8; attempt++ {
		id := e.run(4)
		w := e.wait(id, 30*time.Second, "allocation", func(w *wire.Workload) bool { return len(w.Slots) > 0 })
		if e.slotOf(w, i) != nil {
			return id
		}
	}
	e.t.Fatalf("prover%d was never allocated", i)
	return ""
}

// TestE2EFaults: each faulty prover ends as PROTOCOL.md says and the
// workload still becomes final.
func TestE2EFaults(t *testing.T) {
	t.Parallel()
	cases := []struct {
		fault prover.Fault
		until func(*wire.Workload) bool // what to wait for
		check func(t *testing.T, e *e2e, w *wire.Workload)
	}{
		{prover.FaultInvalid, settled, func(t *testing.T, e *e2e, w *wire.Workload) {
			if s := e.slotOf(w, 0); s == nil || s.State != "invalid" {
				t.Errorf("invalid prover's slot: %+v", s)
			}
			if p := e.proverState(0); p.Stake >= e2eParams().MinProverStake {
				t.Errorf("invalid prover not slashed: stake %d", p.Stake)
			}
		}},
		// The copier's resubmissions of another prover's file are refused
		// (the chain cannot tell copy from original, so it slashes nobody);
		// the workload is final without it and the copier earns nothing.
		{prover.FaultCopy, func(w *wire.Workload) bool { return w.FinalHeight > 0 }, func(t *testing.T, e *e2e, w *wire.Workload) {
			copier := e.d.ProverKeys[0].Address()
			for _, s := range w.Slots {
				if s.Prover == copier && s.SubmitHeight != 0 {
					t.Errorf("the copier got a result into slot %d: %+v", s.Index, s)
				}
			}
			if p := e.proverState(0); p.Stake != e2eParams().MinProverStake {
				t.Errorf("the copier was slashed %d though the chain cannot tell copy from original", e2eParams().MinProverStake-p.Stake)
			}
			if !strings.Contains(e.logText(), "already submitted") {
				t.Errorf("the copier's submissions were not refused as copies")
			}
		}},
		{prover.FaultNoReveal, settled, func(t *testing.T, e *e2e, w *wire.Workload) {
			if s := e.slotOf(w, 0); s == nil || s.State != "unrevealed" {
				t.Errorf("silent revealer's slot: %+v", s)
			}
			if p := e.proverState(0); p.Stake >= e2eParams().MinProverStake {
				t.Errorf("no-reveal prover not slashed: stake %d", p.Stake)
			}
		}},
		{prover.FaultSilent, settled, func(t *testing.T, e *e2e, w *wire.Workload) {
			s := e.slotOf(w, 0)
			if s == nil || s.Released != "silent" {
				t.Errorf("silent prover's slot: %+v", s)
			}
			if s != nil && (s.State != "valid" || !s.Filled) {
				t.Errorf("the silent prover's slot was not filled from the open market: %+v", s)
			}
		}},
	}
	for _, tc := range cases {
		t.Run(string(tc.fault), func(t *testing.T) {
			t.Parallel()
			e := startE2E(t, 5)
			e.startProver(0, tc.fault)
			for i := 1; i < 5; i++ {
				e.startProver(i, prover.FaultNone)
			}
			e.waitActive(5)
			id := e.runUntilHeld(0)
			w := e.wait(id, 120*time.Second, "the end", tc.until)
			if w.State != "final" {
				t.Fatalf("workload ended %s (%s): %+v", w.State, w.Reason, w.Slots)
			}
			tc.check(t, e, w)
		})
	}
}

// logText is the provers' log so far.
func (e *e2e) logText() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.log.String()
}

// TestE2ERestartReveals: a prover stopped after sealing, before its
// reveal, is restarted from its state directory and reveals what it
// sealed.
func TestE2ERestartReveals(t *testing.T) {
	t.Parallel()
	e := startE2E(t, 3)
	e.startProver(0, prover.FaultNoReveal) // seals and submits, then holds back
	e.startProver(1, prover.FaultNone)
	e.startProver(2, prover.FaultNone)
	e.waitActive(3)
	id := e.run(3)
	e.wait(id, 60*time.Second, "reveals to open", func(w *wire.Workload) bool {
		s := e.slotOf(w, 0)
		return w.RevealFrom > 0 && s != nil && s.State == "submitted"
	})
	e.stopProver(0)
	e.startProver(0, prover.FaultNone)
	w := e.wait(id, 90*time.Second, "settlement", settled)
	if s := e.slotOf(w, 0); s == nil || s.State != "valid" || s.Identity == "" {
		t.Fatalf("the restarted prover's slot: %+v", s)
	}
	if strings.Contains(e.log.String(), "level=ERROR") {
		t.Errorf("errors in the prover log")
	}
}

// TestE2EKilledMidProof: a prover stopped while its worker is proving
// (the worker process dies with it) resumes the job from its state
// directory when restarted, and its proof becomes final.
func TestE2EKilledMidProof(t *testing.T) {
	t.Parallel()
	e := startE2E(t, 3)
	for i := range 3 {
		e.startProver(i, prover.FaultNone)
	}
	e.waitActive(3)
	// About a million hash iterations: seconds of proving, time to stop it.
	e.prog.Cycles = 100_000_000_000
	heavy := filepath.Join(t.TempDir(), "input.json")
	if err := os.WriteFile(heavy, []byte(`{"seed": "6b696c6c6564", "iterations": 1000000}`), 0o600); err != nil {
		t.Fatal(err)
	}
	e.prog.Inputs = []string{heavy}
	id := e.run(3)
	jobs := filepath.Join(e.d.Home(), "provers", e.d.ProverKeys[0].Name, "jobs")
	deadline := time.Now().Add(60 * time.Second)
	for !proving(jobs, id) {
		if time.Now().After(deadline) {
			t.Fatal("prover0 never started proving")
		}
		time.Sleep(50 * time.Millisecond)
	}
	e.stopProver(0)
	if !proving(jobs, id) {
		t.Fatal("prover0 finished before it was stopped; make the input heavier")
	}
	e.startProver(0, prover.FaultNone)
	w := e.wait(id, 180*time.Second, "settlement", settled)
	if s := e.slotOf(w, 0); w.State != "final" || s == nil || s.State != "valid" {
		t.Fatalf("after the restart: workload %s, prover0's slot %+v", w.State, s)
	}
}

// proving reports whether a job of workload id is on disk in state proving.
func proving(dir, id string) bool {
	entries, _ := os.ReadDir(dir)
	for _, en := range entries {
		if strings.HasPrefix(en.Name(), id) && strings.HasSuffix(en.Name(), ".json") {
			b, err := os.ReadFile(filepath.Join(dir, en.Name()))
			return err == nil && strings.Contains(string(b), `"state": "proving"`)
		}
	}
	return false
}

// TestE2ERunWithoutItsBlob: a Run is sent and its input's upload is lost
// (the client crashed, or named a blob it never had). Honest provers
// accept, cannot fetch the input, and answer fail before their promise
// instead of timing out into a miss each: nobody's standing suffers. The
// fee goes as fails go (a confirmed fail burns its share, an unconfirmed
// one, as here with two provers, is refunded).
func TestE2ERunWithoutItsBlob(t *testing.T) {
	t.Parallel()
	e := startE2E(t, 2)
	for i := range 2 {
		e.startProver(i, prover.FaultNone)
	}
	e.waitActive(2)
	u, err := url.Parse(e.d.APIURL())
	if err != nil {
		t.Fatal(err)
	}
	api := httputil.NewSingleHostReverseProxy(u)
	lossy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPut {
			http.Error(w, `{"error":"upload lost"}`, http.StatusBadRequest)
			return
		}
		api.ServeHTTP(w, r)
	}))
	defer lossy.Close()
	c := client.New(lossy.URL)
	ctx := e.ctx(60 * time.Second)
	q, err := c.Fee(ctx, e.prog.ID, e.prog.Cycles, 2)
	if err != nil {
		t.Fatal(err)
	}
	id, err := client.LoadOrCreateIdentity(client.IdentityFile(e.d.Home(), "dev1"))
	if err != nil {
		t.Fatal(err)
	}
	req := client.RunRequest{Program: e.prog.ID, Cycles: e.prog.Cycles, Provers: 2, Recipient: id.Recipient().String(), Deadline: q.MinDeadline + 15}
	for _, f := range e.prog.Inputs {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		req.Inputs = append(req.Inputs, client.RunInput{Name: filepath.Base(f), Data: b})
	}
	req.Inputs = append(req.Inputs, client.RunInput{Name: "pad", Data: make([]byte, 200<<10)}) // above max_inline_input: a blob
	sub, err := c.SubmitRun(ctx, e.d.Keys[1], req)
	if sub == nil || err == nil {
		t.Fatalf("SubmitRun = %+v, %v: want the Run sent and the lost upload reported", sub, err)
	}
	w := e.wait(sub.Workload, 150*time.Second, "settlement", settled)
	t.Logf("workload %s (%s), refunded %d, burned %d", w.State, w.Reason, w.Refunded, w.Burned)
	for _, s := range w.Slots {
		t.Logf("slot %d: %s by %s, outcome %q, released %q", s.Index, s.State, s.Prover, s.Outcome, s.Released)
		if s.Outcome != "fail" {
			t.Errorf("slot %d: %s outcome %q, want fail", s.Index, s.State, s.Outcome)
		}
	}
	for i := range 2 {
		if p := e.proverState(i); p.Misses != 0 || p.State != "active" {
			t.Errorf("prover%d: %s with %d misses after a Run whose input never came", i, p.State, p.Misses)
		}
	}
}

// TestE2EChallengeAdmission: with challenges on, a prover joining a network
// of active provers is admitted only once its admission piece, proved by
// its own daemon, is judged valid by a committee of the others, whose
// verifiers sample the benchmark with the beacon after the result.
func TestE2EChallengeAdmission(t *testing.T) {
	t.Parallel()
	bench := builtBench(t)
	params := e2eParams()
	params.ChallengeCycles = 1_000_000_000 // a 64 MiB piece of one segment: seconds
	params.ChallengeDeadline, params.ChallengeInterval = 400, 1_000_000
	e := startE2EWith(t, 3, params, bench)
	small := func() *prover.Registration {
		return &prover.Registration{CPUCores: 1, MemoryMB: 64, MaxConcurrent: 1, Stake: params.MinProverStake}
	}
	e.startProverAs(0, prover.FaultNone, small())
	e.startProverAs(1, prover.FaultNone, small())
	if err := WaitActiveProvers(e.ctx(150*time.Second), e.c, 2); err != nil {
		t.Fatal(err)
	}
	e.startProverAs(2, prover.FaultNone, small())
	if err := WaitActiveProvers(e.ctx(150*time.Second), e.c, 3); err != nil {
		t.Fatal(err)
	}
	e.mu.Lock()
	log := e.log.String()
	e.mu.Unlock()
	if !strings.Contains(log, "verifying a challenge piece with the beacon") {
		t.Fatalf("no committee member verified prover2's admission piece with the beacon:\n%s", log)
	}
}

// TestE2EHostProving: a Run of a program that proves through the host
// module goes final on a devnet: three provers prove natively in their
// workers, each verifies the others' proofs through the host, and the
// user's opened proof verifies with gnark natively.
func TestE2EHostProving(t *testing.T) {
	t.Parallel()
	e := startE2EIn(t, mustBuilt(t, buildHostExample), 3, e2eParams(), "")
	if e.prog.Name != "groth16-mimc" {
		t.Fatalf("deployed %s", e.prog.Name)
	}
	for i := range 3 {
		e.startProver(i, prover.FaultNone)
	}
	e.waitActive(3)
	id := e.run(3)
	w := e.wait(id, 120*time.Second, "settlement", settled)
	if w.State != "final" {
		t.Fatalf("workload ended %s (%s)", w.State, w.Reason)
	}
	for _, s := range w.Slots {
		if s.State != "valid" {
			t.Errorf("slot %d: %+v", s.Index, s)
		}
	}
	idv, err := client.LoadOrCreateIdentity(client.IdentityFile(e.d.Home(), "dev1"))
	if err != nil {
		t.Fatal(err)
	}
	_, proof, _, err := e.c.OpenResult(context.Background(), id, w.FirstSubmitted().Index, idv.String(), 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(mustBuilt(t, buildHostExample), "groth16-mimc")
	vk, err := os.ReadFile(filepath.Join(dir, "vk.bin"))
	if err != nil {
		t.Fatal(err)
	}
	input, err := os.ReadFile(filepath.Join(dir, "input.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := g16mimc.VerifyBytes(vk, input, proof); err != nil {
		t.Fatalf("the opened proof does not verify natively: %v", err)
	}
}
