package node

import (
	"sync"

	cmtcfg "github.com/cometbft/cometbft/config"
	nm "github.com/cometbft/cometbft/node"
)

// CometBFT's own metrics. CometBFT registers them in Prometheus's global
// registry, once per process (a second registration panics), so they go to
// one running node of the process at a time: the first to start, or the
// next to start after it stopped (they are the same counters, and count
// on). A node that does not hold them serves its own metrics only. In
// production a process runs one node; the devnet and the tests run
// several.
var cometMetrics struct {
	mu      sync.Mutex
	chainID string
	made    any // the one set made, for chainID: a func(string) returning it
	held    bool
}

// cometMetricsProvider gives the node CometBFT's Prometheus metrics when
// no other running node of the process holds them (and they were made for
// its chain), else no-op ones; *held is set when it got them.
func cometMetricsProvider(held *bool) nm.MetricsProvider {
	return chooseMetrics(nm.DefaultMetricsProvider(&cmtcfg.InstrumentationConfig{Prometheus: false}),
		nm.DefaultMetricsProvider(&cmtcfg.InstrumentationConfig{Prometheus: true, Namespace: "cometbft"}), held)
}

// chooseMetrics is cometMetricsProvider over the provider's result types,
// which live in CometBFT's internal packages and cannot be named here.
func chooseMetrics[A, B, C, D, E, F, G, H any](nop, prom func(string) (A, B, C, D, E, F, G, H), held *bool) func(string) (A, B, C, D, E, F, G, H) {
	type set = func(string) (A, B, C, D, E, F, G, H)
	return func(chainID string) (A, B, C, D, E, F, G, H) {
		m := &cometMetrics
		m.mu.Lock()
		defer m.mu.Unlock()
		if m.held || (m.made != nil && m.chainID != chainID) {
			return nop(chainID)
		}
		if m.made == nil {
			m.made, m.chainID = set(constant(prom(chainID))), chainID
		}
		m.held, *held = true, true
		return m.made.(set)(chainID)
	}
}

// constant returns a provider that always gives the same metrics.
func constant[A, B, C, D, E, F, G, H any](a A, b B, c C, d D, e E, f F, g G, h H) func(string) (A, B, C, D, E, F, G, H) {
	return func(string) (A, B, C, D, E, F, G, H) { return a, b, c, d, e, f, g, h }
}

// releaseCometMetrics hands CometBFT's metrics back when their node stops.
func releaseCometMetrics(held *bool) {
	if !*held {
		return
	}
	cometMetrics.mu.Lock()
	cometMetrics.held = false
	cometMetrics.mu.Unlock()
	*held = false
}
