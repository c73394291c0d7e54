package prover

import (
	"encoding/hex"
	"errors"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/provernet/provernet/internal/sandbox"
	"github.com/provernet/provernet/wire"
	"github.com/provernet/provernet/wire/pb"
)

// The daemon's Prometheus metrics (docs/OPERATIONS.md, "Metrics"). They
// are registered on Config.Metrics with a constant label prover (the
// daemon's address), so that several daemons of one process (the devnet)
// share a registry; a nil *metrics records nothing. Invariants:
//   - The queue gauges are set from the daemon's state, recounted by Run's
//     goroutine after every event it handles: they never drift from what
//     the daemon holds, and the scrape reads no state of the daemon.
//   - The program label takes at most maxProgramLabels values; runs of
//     later programs count under "other".

// maxProgramLabels bounds the distinct programs labelled by their id; the
// rest count as "other".
const maxProgramLabels = 256

// otherProgram labels the runs of programs past maxProgramLabels.
const otherProgram = "other"

// Queue stages (provernet_prover_queue's stage label).
const (
	stageProving      = "proving"       // jobs taken, their proof not done (a worker runs, or will retry)
	stageProved       = "proved"        // proved, not yet submitted
	stageSubmitted    = "submitted"     // SubmitResult sent, awaiting the reveal
	stageRevealed     = "revealed"      // RevealKey sent, awaiting settlement
	stageVerifying    = "verifying"     // committee verifications started, no verdict yet
	stageVotesPending = "votes_pending" // verdicts queued for the next Vote
)

var queueStages = []string{stageProving, stageProved, stageSubmitted, stageRevealed, stageVerifying, stageVotesPending}

// metricNames are every metric newMetrics registers, for the docs and
// dashboard tests.
var metricNames = []string{
	"provernet_prover_queue", "provernet_prover_capacity", "provernet_prover_height",
	"provernet_prover_sandbox_runs_total", "provernet_prover_sandbox_cycles_total", "provernet_prover_sandbox_seconds",
	"provernet_prover_transactions_total", "provernet_prover_verifications_total",
}

// MetricNames lists the metrics a daemon registers on Config.Metrics.
func MetricNames() []string { return append([]string(nil), metricNames...) }

type metrics struct {
	queue    *prometheus.GaugeVec   // by stage
	capacity prometheus.Gauge       // Config.Capacity
	height   prometheus.Gauge       // the last height read
	runs     *prometheus.CounterVec // program, name, role, outcome
	cycles   *prometheus.CounterVec // program, name, role
	wall     *prometheus.HistogramVec
	txs      *prometheus.CounterVec // kind, result
	verdicts *prometheus.CounterVec // verdict

	mu       sync.Mutex
	programs map[string]string // hex id -> program label
}

// newMetrics registers the daemon's metrics on reg, labelled with its
// address; nil reg: no metrics. A daemon restarted in the same process
// takes over the metrics its predecessor registered.
func newMetrics(reg prometheus.Registerer, prover string) (*metrics, error) {
	if reg == nil {
		return nil, nil
	}
	reg = prometheus.WrapRegistererWith(prometheus.Labels{"prover": prover}, reg)
	prog := []string{"program", "name", "role"}
	m := &metrics{programs: map[string]string{},
		queue: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "provernet_prover_queue",
			Help: "The daemon's work in hand by stage: jobs proving, proved, submitted, revealed; verifications running; verdicts not yet voted."}, []string{"stage"}),
		capacity: prometheus.NewGauge(prometheus.GaugeOpts{Name: "provernet_prover_capacity",
			Help: "Workloads the daemon proves at once."}),
		height: prometheus.NewGauge(prometheus.GaugeOpts{Name: "provernet_prover_height",
			Help: "The last height whose events the daemon read."}),
		runs: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "provernet_prover_sandbox_runs_total",
			Help: "Sandbox runs by program, role (prove, verify) and outcome."}, append(prog, "outcome")),
		cycles: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "provernet_prover_sandbox_cycles_total",
			Help: "Cycles the sandbox runs used, by program and role."}, prog),
		wall: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "provernet_prover_sandbox_seconds",
			Help:    "Sandbox runs' wall time, by program and role.",
			Buckets: []float64{.01, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 300, 1800}}, prog),
		txs: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "provernet_prover_transactions_total",
			Help: "Transactions the daemon broadcast, by kind and CheckTx's result (ok, the code's name, or unsent)."}, []string{"kind", "result"}),
		verdicts: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "provernet_prover_verifications_total",
			Help: "Committee verifications by verdict (valid, invalid, copied; none when the machine failed)."}, []string{"verdict"}),
	}
	var err error
	m.queue = registerOrReuse(reg, m.queue, &err)
	m.capacity = registerOrReuse(reg, m.capacity, &err)
	m.height = registerOrReuse(reg, m.height, &err)
	m.runs = registerOrReuse(reg, m.runs, &err)
	m.cycles = registerOrReuse(reg, m.cycles, &err)
	m.wall = registerOrReuse(reg, m.wall, &err)
	m.txs = registerOrReuse(reg, m.txs, &err)
	m.verdicts = registerOrReuse(reg, m.verdicts, &err)
	if err != nil {
		return nil, err
	}
	return m, nil
}

// registerOrReuse registers c, or returns the collector already registered
// under the same description (a restarted daemon's); other failures go to
// *errp.
func registerOrReuse[C prometheus.Collector](reg prometheus.Registerer, c C, errp *error) C {
	err := reg.Register(c)
	if err == nil {
		return c
	}
	var are prometheus.AlreadyRegisteredError
	if errors.As(err, &are) {
		if old, ok := are.ExistingCollector.(C); ok {
			return old
		}
	}
	*errp = errors.Join(*errp, err)
	return c
}

// queueDepths is the daemon's work in hand, by stage.
type queueDepths map[string]int

// queues counts the daemon's work in hand. Only Run's goroutine (or New,
// before it) calls it: the state it reads is that goroutine's.
func (d *Daemon) queues() queueDepths {
	q := queueDepths{}
	for _, j := range d.jobs.jobs {
		switch j.State {
		case jobProving:
			q[stageProving]++
		case jobProved:
			q[stageProved]++
		case jobSubmitted:
			q[stageSubmitted]++
		case jobRevealed:
			q[stageRevealed]++
		}
	}
	for _, duty := range d.ballot.rounds {
		if duty == roundVerifying {
			q[stageVerifying]++
		}
	}
	q[stageVotesPending] = len(d.ballot.pending)
	return q
}

// noteState sets the queue gauges and the height from the daemon's state.
func (d *Daemon) noteState() {
	m := d.metrics
	if m == nil {
		return
	}
	q := d.queues()
	for _, s := range queueStages {
		m.queue.WithLabelValues(s).Set(float64(q[s]))
	}
	m.capacity.Set(float64(d.cfg.Capacity))
	m.height.Set(float64(d.saved.Height))
}

// programLabel names a program for the labels: its id's first 8 bytes in
// hex and its name, or "other" once maxProgramLabels programs are named.
func (m *metrics) programLabel(id []byte, name string) (string, string) {
	full := hex.EncodeToString(id)
	m.mu.Lock()
	defer m.mu.Unlock()
	if l, ok := m.programs[full]; ok {
		return l, name
	}
	if len(m.programs) >= maxProgramLabels {
		return otherProgram, ""
	}
	l := full[:min(len(full), 16)]
	m.programs[full] = l
	return l, name
}

// runOutcome names how a sandbox run ended: the program's outcome
// (out_of_cycles for a run that spent its budget), the machine's trouble
// (wall_clock, worker_died), or unavailable when no worker ran it.
func runOutcome(out *sandbox.Result, err error) string {
	switch {
	case err != nil || out == nil:
		return "unavailable"
	case out.Machine == sandbox.MachineWall:
		return "wall_clock"
	case out.Machine == sandbox.MachineDied:
		return "worker_died"
	case out.Machine != "":
		return "machine"
	case out.Outcome == sandbox.OutcomeFail:
		return "out_of_cycles"
	}
	return string(out.Outcome)
}

// observeRun records one sandbox run of prog in role.
func (m *metrics) observeRun(prog *pb.Program, role sandbox.Role, out *sandbox.Result, err error) {
	if m == nil || prog == nil {
		return
	}
	id, name := m.programLabel(prog.Id, prog.Name)
	m.runs.WithLabelValues(id, name, role.String(), runOutcome(out, err)).Inc()
	if err != nil || out == nil {
		return
	}
	m.cycles.WithLabelValues(id, name, role.String()).Add(float64(out.Cycles))
	m.wall.WithLabelValues(id, name, role.String()).Observe(out.Wall.Seconds())
}

// msgKind names a transaction by its first message: the field name of its
// kind (accept, decline, submit_result, reveal_key, vote,
// register_prover).
func msgKind(msgs []*pb.Msg) string {
	if len(msgs) == 0 {
		return "empty"
	}
	r := msgs[0].ProtoReflect()
	f := r.WhichOneof(r.Descriptor().Oneofs().ByName(protoreflect.Name("kind")))
	if f == nil {
		return "empty"
	}
	return string(f.Name())
}

// observeTx records one broadcast: result is "ok", the code's name, or
// "unsent" when the node could not be reached.
func (m *metrics) observeTx(msgs []*pb.Msg, code wire.Code, err error) {
	if m == nil {
		return
	}
	result := code.String()
	if err != nil {
		result = "unsent"
	}
	m.txs.WithLabelValues(msgKind(msgs), result).Inc()
}

// observeVerification records a committee verification's verdict, or none
// when it could not run.
func (m *metrics) observeVerification(r verifyResult) {
	if m == nil {
		return
	}
	v := r.verdict.String()
	if r.err != nil {
		v = "none"
	}
	m.verdicts.WithLabelValues(v).Inc()
}
