package prover

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/provernet/provernet/client"
	"github.com/provernet/provernet/internal/sandbox"
	"github.com/provernet/provernet/wire"
	"github.com/provernet/provernet/wire/pb"
)

// testDaemon makes a daemon that never runs: its node is nowhere, its
// state is in dir, its metrics go to reg.
func testDaemon(t *testing.T, dir string, key *client.Key, reg prometheus.Registerer) *Daemon {
	t.Helper()
	d, err := New(Config{RPC: "http://127.0.0.1:1", API: "http://127.0.0.1:1", Key: key, Dir: dir, Exe: "none", Capacity: 3, Metrics: reg})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func testKey(t *testing.T, name string) *client.Key {
	t.Helper()
	k, err := client.GenerateKey(name)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// series reads a gathered registry into "name{label=value,...}" -> value,
// labels in name order (a histogram gives its _count and _sum).
func series(t *testing.T, g prometheus.Gatherer) map[string]float64 {
	t.Helper()
	fams, err := g.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, f := range fams {
		for _, m := range f.GetMetric() {
			var ls []string
			for _, l := range m.GetLabel() {
				ls = append(ls, l.GetName()+"="+l.GetValue())
			}
			key := func(suffix string) string { return f.GetName() + suffix + "{" + strings.Join(ls, ",") + "}" }
			switch f.GetType() {
			case dto.MetricType_GAUGE:
				out[key("")] = m.GetGauge().GetValue()
			case dto.MetricType_COUNTER:
				out[key("")] = m.GetCounter().GetValue()
			case dto.MetricType_HISTOGRAM:
				out[key("_count")] = float64(m.GetHistogram().GetSampleCount())
				out[key("_sum")] = m.GetHistogram().GetSampleSum()
			}
		}
	}
	return out
}

// TestMetricsQueues: the queue gauges count the jobs a daemon finds on
// disk at start, follow its jobs and verifications as they move, and two
// daemons (and a restarted one) share one registry by their prover label.
func TestMetricsQueues(t *testing.T) {
	reg := prometheus.NewRegistry()
	dir := t.TempDir()
	states := []jobState{jobProving, jobProving, jobProved, jobSubmitted, jobSubmitted, jobSubmitted, jobRevealed, jobFailed}
	store, err := openJobs(dir)
	if err != nil {
		t.Fatal(err)
	}
	for i, s := range states {
		if err := store.save(&job{Workload: fmt.Sprintf("%064x", i), Slot: uint32(i), State: s}); err != nil {
			t.Fatal(err)
		}
	}
	key := testKey(t, "p0")
	d := testDaemon(t, dir, key, reg)
	other := testDaemon(t, t.TempDir(), testKey(t, "p1"), reg)

	// want counts the stages naively from the daemon's state.
	want := func(d *Daemon) map[string]float64 {
		w := map[string]float64{}
		for _, s := range queueStages {
			w[s] = 0
		}
		for _, j := range d.jobs.jobs {
			if j.State != jobFailed {
				w[string(j.State)]++
			}
		}
		for _, r := range d.ballot.rounds {
			if r == roundVerifying {
				w[stageVerifying]++
			}
		}
		w[stageVotesPending] = float64(len(d.ballot.pending))
		return w
	}
	check := func(step string, d *Daemon) {
		t.Helper()
		got := series(t, reg)
		for stage, n := range want(d) {
			name := fmt.Sprintf("provernet_prover_queue{prover=%s,stage=%s}", d.Address(), stage)
			if v, ok := got[name]; !ok || v != n {
				t.Errorf("%s: %s = %v (present %t), want %v", step, name, v, ok, n)
			}
		}
		if c := got[fmt.Sprintf("provernet_prover_capacity{prover=%s}", d.Address())]; c != 3 {
			t.Errorf("%s: capacity %v, want 3", step, c)
		}
	}
	check("at start", d)
	check("another daemon at start", other)
	if got := series(t, reg)[fmt.Sprintf("provernet_prover_queue{prover=%s,stage=submitted}", d.Address())]; got != 3 {
		t.Fatalf("submitted at start = %v, want 3 (the reference must not agree by being empty)", got)
	}

	// A proof finishes, a result goes out, a slot is dropped, a
	// verification starts and another ends with a verdict.
	j := d.jobs.jobs[jobKey(fmt.Sprintf("%064x", 0), 0)]
	j.State = jobProved
	_ = d.jobs.save(j)
	j = d.jobs.jobs[jobKey(fmt.Sprintf("%064x", 2), 2)]
	j.State = jobSubmitted
	_ = d.jobs.save(j)
	if err := d.drop(d.jobs.jobs[jobKey(fmt.Sprintf("%064x", 6), 6)]); err != nil {
		t.Fatal(err)
	}
	id := make([]byte, 32)
	d.ballot.started(id, 0, 1)
	d.ballot.started(id, 1, 1)
	d.onVerified(verifyResult{workload: id, slot: 1, round: 1, ballot: 7, voteBy: 100, verdict: wire.VerdictCopied})
	d.noteState()
	check("after moves", d)
	check("the other daemon, untouched", other)
	got := series(t, reg)
	if v := got[fmt.Sprintf("provernet_prover_queue{prover=%s,stage=verifying}", d.Address())]; v != 1 {
		t.Errorf("verifying = %v, want 1", v)
	}
	if v := got[fmt.Sprintf("provernet_prover_verifications_total{prover=%s,verdict=copied}", d.Address())]; v != 1 {
		t.Errorf("copied verdicts = %v, want 1", v)
	}

	// The same prover restarted in the process takes its metrics over.
	again := testDaemon(t, dir, key, reg)
	again.noteState()
	check("restarted", again)
}

// TestMetricsSandboxRuns: each way a run ends counts under its outcome,
// with the program's cycles and wall time.
func TestMetricsSandboxRuns(t *testing.T) {
	reg := prometheus.NewRegistry()
	m, err := newMetrics(reg, "prv1test")
	if err != nil {
		t.Fatal(err)
	}
	prog := &pb.Program{Id: []byte{0xab, 0xcd, 1, 2, 3, 4, 5, 6, 7, 8}, Name: "sha256-chain"}
	runs := []struct {
		role    sandbox.Role
		out     *sandbox.Result
		err     error
		outcome string
	}{
		{sandbox.Prove, &sandbox.Result{Outcome: sandbox.OutcomeProof, Cycles: 1000, Wall: time.Second}, nil, "proof"},
		{sandbox.Prove, &sandbox.Result{Outcome: sandbox.OutcomeProof, Cycles: 500, Wall: 2 * time.Second}, nil, "proof"},
		{sandbox.Prove, &sandbox.Result{Outcome: sandbox.OutcomeFail, Cycles: 4000, Wall: time.Second}, nil, "out_of_cycles"},
		{sandbox.Prove, &sandbox.Result{Outcome: sandbox.OutcomeError, Machine: sandbox.MachineWall, Cycles: 9, Wall: time.Second}, nil, "wall_clock"},
		{sandbox.Prove, &sandbox.Result{Outcome: sandbox.OutcomeError, Machine: sandbox.MachineDied}, nil, "worker_died"},
		{sandbox.Prove, &sandbox.Result{Outcome: sandbox.OutcomeError, Cycles: 1}, nil, "error"},
		{sandbox.Prove, nil, context.Canceled, "unavailable"},
		{sandbox.Verify, &sandbox.Result{Outcome: sandbox.OutcomeValid, Cycles: 20, Wall: time.Millisecond}, nil, "valid"},
		{sandbox.Verify, &sandbox.Result{Outcome: sandbox.OutcomeInvalid, Cycles: 30, Wall: time.Millisecond}, nil, "invalid"},
	}
	wantRuns, wantCycles, wantCount, wantSum := map[string]float64{}, map[string]float64{}, map[string]float64{}, map[string]float64{}
	for _, r := range runs {
		m.observeRun(prog, r.role, r.out, r.err)
		wantRuns[r.role.String()+"/"+r.outcome]++
		if r.out != nil {
			wantCycles[r.role.String()] += float64(r.out.Cycles)
			wantCount[r.role.String()]++
			wantSum[r.role.String()] += r.out.Wall.Seconds()
		}
	}
	m.observeRun(nil, sandbox.Prove, runs[0].out, nil) // no program read: nothing to label
	got := series(t, reg)
	labels := "name=sha256-chain,program=abcd010203040506,prover=prv1test,role="
	for k, n := range wantRuns {
		role, outcome, _ := strings.Cut(k, "/")
		name := "provernet_prover_sandbox_runs_total{name=sha256-chain,outcome=" + outcome + ",program=abcd010203040506,prover=prv1test,role=" + role + "}"
		if got[name] != n {
			t.Errorf("%s = %v, want %v", name, got[name], n)
		}
	}
	for role, n := range wantCycles {
		if v := got["provernet_prover_sandbox_cycles_total{"+labels+role+"}"]; v != n {
			t.Errorf("%s cycles = %v, want %v", role, v, n)
		}
		if v := got["provernet_prover_sandbox_seconds_count{"+labels+role+"}"]; v != wantCount[role] {
			t.Errorf("%s wall count = %v, want %v", role, v, wantCount[role])
		}
		if v := got["provernet_prover_sandbox_seconds_sum{"+labels+role+"}"]; v != wantSum[role] {
			t.Errorf("%s wall sum = %v, want %v", role, v, wantSum[role])
		}
	}
	total := 0.0
	for k, v := range got {
		if strings.HasPrefix(k, "provernet_prover_sandbox_runs_total{") {
			total += v
		}
	}
	if total != float64(len(runs)) {
		t.Errorf("%v runs counted, want %d", total, len(runs))
	}
}

// TestMetricsProgramCap: past maxProgramLabels programs, runs count under
// "other"; the programs named before keep their label.
func TestMetricsProgramCap(t *testing.T) {
	reg := prometheus.NewRegistry()
	m, err := newMetrics(reg, "prv1test")
	if err != nil {
		t.Fatal(err)
	}
	const n = maxProgramLabels + 44
	for i := range n {
		m.observeRun(&pb.Program{Id: fmt.Appendf(nil, "%04d-program", i)}, sandbox.Prove, &sandbox.Result{Outcome: sandbox.OutcomeProof}, nil)
	}
	m.observeRun(&pb.Program{Id: fmt.Appendf(nil, "%04d-program", 0)}, sandbox.Prove, &sandbox.Result{Outcome: sandbox.OutcomeProof}, nil)
	programs := map[string]float64{}
	for k, v := range series(t, reg) {
		if strings.HasPrefix(k, "provernet_prover_sandbox_runs_total{") {
			_, rest, _ := strings.Cut(k, "program=")
			p, _, _ := strings.Cut(rest, ",")
			programs[p] += v
		}
	}
	if len(programs) != maxProgramLabels+1 || programs[otherProgram] != n-maxProgramLabels {
		t.Fatalf("%d program labels, other = %v; want %d and %d", len(programs), programs[otherProgram], maxProgramLabels+1, n-maxProgramLabels)
	}
	first := fmt.Sprintf("%x", "0000-program")[:16]
	if programs[first] != 2 {
		t.Errorf("the first program counted %v runs under its label, want 2", programs[first])
	}
}

// TestMsgKind: transactions are named by their first message's kind.
func TestMsgKind(t *testing.T) {
	for want, msgs := range map[string][]*pb.Msg{
		"accept":          {{Kind: &pb.Msg_Accept{Accept: &pb.Accept{}}}},
		"decline":         {{Kind: &pb.Msg_Decline{Decline: &pb.Decline{}}}},
		"submit_result":   {{Kind: &pb.Msg_SubmitResult{SubmitResult: &pb.SubmitResult{}}}},
		"reveal_key":      {{Kind: &pb.Msg_RevealKey{RevealKey: &pb.RevealKey{}}}},
		"vote":            {{Kind: &pb.Msg_Vote{Vote: &pb.Vote{}}}},
		"register_prover": {{Kind: &pb.Msg_RegisterProver{RegisterProver: &pb.RegisterProver{}}}, {Kind: &pb.Msg_Stake{Stake: &pb.Stake{}}}},
		"empty":           {{}},
	} {
		if got := msgKind(msgs); got != want {
			t.Errorf("msgKind = %q, want %q", got, want)
		}
	}
	if got := msgKind(nil); got != "empty" {
		t.Errorf("no messages: %q", got)
	}
}

// TestMetricsTransactions: the signer counts every broadcast by kind and
// CheckTx's code, a wrong nonce and its retry included, and a node it
// cannot reach as unsent. The node is a fake CometBFT RPC answering
// broadcast_tx_sync with the codes queued.
func TestMetricsTransactions(t *testing.T) {
	var mu sync.Mutex
	codes := []wire.Code{wire.CodeWrongNonce, wire.CodeOK, wire.CodeWindowClosed}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			ID     json.RawMessage `json:"id"`
			Method string          `json:"method"`
		}
		b, _ := io.ReadAll(r.Body)
		if err := json.Unmarshal(b, &req); err != nil || req.Method != "broadcast_tx_sync" {
			http.Error(w, "unexpected "+string(b), http.StatusBadRequest)
			return
		}
		mu.Lock()
		code := codes[0]
		codes = codes[1:]
		mu.Unlock()
		fmt.Fprintf(w, `{"jsonrpc":"2.0","id":%s,"result":{"code":%d,"data":"","log":"its next nonce is 4","codespace":"","hash":"00"}}`, req.ID, code)
	}))
	defer srv.Close()
	c, err := dialChain(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	m, err := newMetrics(reg, "prv1test")
	if err != nil {
		t.Fatal(err)
	}
	s := &signer{key: testKey(t, "p"), chainID: "test", next: 3, synced: true, metrics: m}
	ctx := context.Background()
	accept := &pb.Msg{Kind: &pb.Msg_Accept{Accept: &pb.Accept{Workload: make([]byte, 32)}}}
	reveal := &pb.Msg{Kind: &pb.Msg_RevealKey{RevealKey: &pb.RevealKey{Workload: make([]byte, 32)}}}
	if err := s.send(ctx, c, accept); err != nil || s.next != 5 {
		t.Fatalf("accept: %v, next nonce %d", err, s.next)
	}
	if err := s.send(ctx, c, reveal); err == nil {
		t.Fatal("a refused reveal was not an error")
	}
	srv.Close()
	if err := s.send(ctx, c, reveal); err == nil {
		t.Fatal("a send to no node was not an error")
	}
	got := series(t, reg)
	for name, n := range map[string]float64{
		"kind=accept,prover=prv1test,result=wrong_nonce":       1,
		"kind=accept,prover=prv1test,result=ok":                1,
		"kind=reveal_key,prover=prv1test,result=window_closed": 1,
		"kind=reveal_key,prover=prv1test,result=unsent":        1,
	} {
		if v := got["provernet_prover_transactions_total{"+name+"}"]; v != n {
			t.Errorf("%s = %v, want %v", name, v, n)
		}
	}
}

// TestProverMetricsDocumented: every metric a daemon registers is in
// docs/OPERATIONS.md's table, and the list the test reads (and chain's
// TestDashboardUsesRealMetrics, through MetricNames) is the one
// newMetrics registers.
func TestProverMetricsDocumented(t *testing.T) {
	reg := prometheus.NewRegistry()
	m, err := newMetrics(reg, "prv1test")
	if err != nil {
		t.Fatal(err)
	}
	m.queue.WithLabelValues(stageProving)
	m.runs.WithLabelValues("p", "n", "prove", "proof")
	m.cycles.WithLabelValues("p", "n", "prove")
	m.wall.WithLabelValues("p", "n", "prove")
	m.txs.WithLabelValues("vote", "ok")
	m.verdicts.WithLabelValues("valid")
	fams, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var registered []string
	for _, f := range fams {
		registered = append(registered, f.GetName())
	}
	if !slices.Equal(registered, slices.Sorted(slices.Values(metricNames))) {
		t.Fatalf("registered %v; metricNames lists %v", registered, metricNames)
	}
	docs, err := os.ReadFile("../../docs/OPERATIONS.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range metricNames {
		if !strings.Contains(string(docs), "| `"+name+"` |") {
			t.Errorf("metric %s is not in docs/OPERATIONS.md's table", name)
		}
	}
}
