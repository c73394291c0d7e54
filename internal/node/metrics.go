package node

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// registry is the node's own Prometheus registry: the application's
// metrics (chain.NewMetrics) and the Go runtime's and process's. It is not
// the global registry, so that several nodes can run in one process (the
// devnet, tests). Made on first use.
func (n *Node) registry() *prometheus.Registry {
	if n.metrics == nil {
		n.metrics = prometheus.NewRegistry()
		n.metrics.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	}
	return n.metrics
}

// metricsHandler serves the registry in Prometheus's text format at
// /metrics on the API listener (docs/OPERATIONS.md, "Metrics").
func (n *Node) metricsHandler() http.Handler {
	return promhttp.HandlerFor(n.registry(), promhttp.HandlerOpts{MaxRequestsInFlight: 4})
}
