package chain

import (
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

// TestMetricsDocumented: every metric the app registers is in
// docs/OPERATIONS.md's table, and the list the test reads is the one
// NewMetrics registers.
func TestMetricsDocumented(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := NewMetrics(reg)
	m.txs.WithLabelValues("ok")
	m.workloads.WithLabelValues("final")
	m.slots.WithLabelValues("valid")
	m.slashes.WithLabelValues("invalid_proof")
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var registered []string
	for _, f := range families {
		registered = append(registered, f.GetName())
	}
	if strings.Join(registered, ",") != strings.Join(slices.Sorted(slices.Values(metricNames)), ",") {
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
