package chain

import (
	"strconv"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/provernet/provernet/wire"
)

// Metrics are the application's Prometheus metrics (docs/OPERATIONS.md,
// "Metrics"). A node registers them in its own registry and serves them at
// /metrics; a nil *Metrics records nothing. They observe the state machine
// from outside: nothing in consensus reads them.
type Metrics struct {
	height       prometheus.Gauge
	finalize     prometheus.Histogram
	commit       prometheus.Histogram
	checkTx      prometheus.Histogram
	blockTxs     prometheus.Histogram
	txs          *prometheus.CounterVec // delivered, by result code
	workloads    *prometheus.CounterVec // workload state changes, by the new state
	slots        *prometheus.CounterVec // slot decisions, by outcome
	slashes      *prometheus.CounterVec // by reason
	allocations  prometheus.Counter     // workloads allocated
	votesCounted prometheus.Counter     // vote entries that counted
}

// metricNames are every metric NewMetrics registers, for the docs test.
var metricNames = []string{
	"provernet_block_height", "provernet_finalize_block_seconds", "provernet_commit_seconds",
	"provernet_check_tx_seconds", "provernet_block_transactions", "provernet_transactions_total",
	"provernet_workload_states_total", "provernet_slot_decisions_total", "provernet_slashes_total",
	"provernet_workloads_allocated_total", "provernet_vote_entries_counted_total",
}

// NewMetrics makes the application's metrics and registers them with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	seconds := []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}
	m := &Metrics{
		height: prometheus.NewGauge(prometheus.GaugeOpts{Name: "provernet_block_height",
			Help: "The last committed height."}),
		finalize: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "provernet_finalize_block_seconds",
			Help: "FinalizeBlock's wall time.", Buckets: seconds}),
		commit: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "provernet_commit_seconds",
			Help: "Commit's wall time (writing the state to disk).", Buckets: seconds}),
		checkTx: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "provernet_check_tx_seconds",
			Help: "CheckTx's wall time per transaction.", Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .05}}),
		blockTxs: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "provernet_block_transactions",
			Help: "Transactions per block, the beacon entry left out.", Buckets: prometheus.ExponentialBuckets(1, 4, 9)}),
		txs: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "provernet_transactions_total",
			Help: "Delivered transactions by result (ok or the stable code's name)."}, []string{"result"}),
		workloads: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "provernet_workload_states_total",
			Help: "Workloads entering each state."}, []string{"state"}),
		slots: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "provernet_slot_decisions_total",
			Help: "Slots decided, by outcome (valid, invalid, copied, failed, unrevealed, empty, undecided)."}, []string{"state"}),
		slashes: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "provernet_slashes_total",
			Help: "Slashes by reason."}, []string{"reason"}),
		allocations: prometheus.NewCounter(prometheus.CounterOpts{Name: "provernet_workloads_allocated_total",
			Help: "Workloads allocated provers."}),
		votesCounted: prometheus.NewCounter(prometheus.CounterOpts{Name: "provernet_vote_entries_counted_total",
			Help: "Vote entries that counted (the rest came late, twice, or from non-members)."}),
	}
	reg.MustRegister(m.height, m.finalize, m.commit, m.checkTx, m.blockTxs, m.txs, m.workloads, m.slots, m.slashes, m.allocations, m.votesCounted)
	return m
}

// decidedSlotStates are the slot states that end a slot's story.
var decidedSlotStates = map[string]bool{"valid": true, "invalid": true, "copied": true, "failed": true,
	"unrevealed": true, "empty": true, "undecided": true}

// observeBlock records a finalized block: its time, its transactions'
// results, and what its events say happened.
func (m *Metrics) observeBlock(took time.Duration, resp *abci.FinalizeBlockResponse) {
	if m == nil || resp == nil {
		return
	}
	m.finalize.Observe(took.Seconds())
	m.blockTxs.Observe(float64(max(len(resp.TxResults)-1, 0)))
	m.observeEvents(resp.Events)
	for i, r := range resp.TxResults {
		if i == 0 {
			continue // the beacon entry
		}
		m.txs.WithLabelValues(wire.Code(r.Code).String()).Inc()
		m.observeEvents(r.Events)
	}
}

func (m *Metrics) observeEvents(evs []abci.Event) {
	for _, e := range evs {
		switch e.Type {
		case "workload":
			if st := attr(e, "state"); st != "" {
				m.workloads.WithLabelValues(st).Inc()
				if st == "allocated" {
					m.allocations.Inc()
				}
			}
		case "slot":
			if st := attr(e, "state"); decidedSlotStates[st] {
				m.slots.WithLabelValues(st).Inc()
			}
		case "slash":
			m.slashes.WithLabelValues(attr(e, "reason")).Inc()
		case "vote":
			if n, err := strconv.ParseUint(attr(e, "applied"), 10, 32); err == nil {
				m.votesCounted.Add(float64(n))
			}
		}
	}
}

func attr(e abci.Event, key string) string {
	for _, a := range e.Attributes {
		if a.Key == key {
			return a.Value
		}
	}
	return ""
}

func (m *Metrics) observeCommit(took time.Duration, height int64) {
	if m == nil {
		return
	}
	m.commit.Observe(took.Seconds())
	m.height.Set(float64(height))
}

func (m *Metrics) observeCheckTx(took time.Duration) {
	if m == nil {
		return
	}
	m.checkTx.Observe(took.Seconds())
}
