package node

import (
	"net/http"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	dto "github.com/prometheus/client_model/go"
)

// registry is the node's own Prometheus registry for the application's
// metrics (chain.NewMetrics). It is not the global registry, so that
// several nodes can run in one process (the devnet, tests). Made on first
// use.
func (n *Node) registry() *prometheus.Registry {
	if n.metrics == nil {
		n.metrics = prometheus.NewRegistry()
	}
	return n.metrics
}

// MetricsRegisterer is the registry /metrics serves, for metrics kept
// beside the node's own: a prover daemon in the same process registers
// its metrics here (prover.Config.Metrics), labelled with its address.
func (n *Node) MetricsRegisterer() prometheus.Registerer { return n.registry() }

// metricsHandler serves, in Prometheus's text format at /metrics on the
// API listener (docs/OPERATIONS.md, "Metrics"), the node's registry and
// the global one: the Go runtime's and process's metrics, and CometBFT's
// when this node holds them (comet_metrics.go). It is made when the API
// starts, after the chain: the node knows by then whether it holds them.
func (n *Node) metricsHandler() http.Handler {
	g := prometheus.Gatherers{n.registry(), prometheus.DefaultGatherer}
	if !n.cometM {
		g = prometheus.Gatherers{n.registry(), runtimeOnly{}}
	}
	return promhttp.HandlerFor(g, promhttp.HandlerOpts{MaxRequestsInFlight: 4})
}

// runtimeOnly gathers the global registry's Go runtime and process
// metrics and leaves out CometBFT's, which another node of the process
// holds.
type runtimeOnly struct{}

func (runtimeOnly) Gather() ([]*dto.MetricFamily, error) {
	all, err := prometheus.DefaultGatherer.Gather()
	out := all[:0]
	for _, f := range all {
		if !strings.HasPrefix(f.GetName(), "cometbft_") {
			out = append(out, f)
		}
	}
	return out, err
}
