package chain

import (
	"encoding/json"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/provernet/provernet/internal/prover"
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

// TestDashboardUsesRealMetrics: the Grafana dashboard in deploy/ queries
// only metrics the app or a prover daemon registers (both are on a node's
// page with start --prover), and shows every one of them.
func TestDashboardUsesRealMetrics(t *testing.T) {
	raw, err := os.ReadFile("../../deploy/grafana/provernet.json")
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		Panels []struct {
			Title   string `json:"title"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	if err := json.Unmarshal(raw, &dash); err != nil {
		t.Fatalf("deploy/grafana/provernet.json: %v", err)
	}
	known := append(slices.Clone(metricNames), prover.MetricNames()...)
	used := map[string]bool{}
	name := regexp.MustCompile(`provernet_[a-z_]+`)
	for _, p := range dash.Panels {
		if len(p.Targets) == 0 {
			t.Errorf("panel %q queries nothing", p.Title)
		}
		for _, tg := range p.Targets {
			for _, n := range name.FindAllString(tg.Expr, -1) {
				for _, suffix := range []string{"_bucket", "_count", "_sum"} {
					n = strings.TrimSuffix(n, suffix)
				}
				if !slices.Contains(known, n) {
					t.Errorf("panel %q queries %s, which the app does not register", p.Title, n)
				}
				used[n] = true
			}
		}
	}
	for _, n := range known {
		if !used[n] {
			t.Errorf("no panel shows %s", n)
		}
	}
}
