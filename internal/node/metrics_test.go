package node

import (
	"bufio"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/provernet/provernet/client"
)

// TestMetrics: a node serves its Prometheus metrics at /metrics on the
// API listener; after blocks and a transfer the block, FinalizeBlock,
// Commit and transaction metrics have counted them (chain's
// TestMetricsDocumented checks the docs).
//
// Not parallel: CometBFT's metrics go to one running node of the process
// (comet_metrics.go), and the parallel tests wait until this one is done.
func TestMetrics(t *testing.T) {
	d := startDevnet(t, t.TempDir())
	defer d.Stop()
	c := client.New(d.APIURL())
	waitHeight(t, c, 2)
	txr := transfer(t, c, d.Keys[0], d.Keys[1].Address(), 7)
	waitHeight(t, c, txr.Height+1)

	values := scrape(t, d.APIURL()+"/metrics")
	for name, least := range map[string]float64{
		"provernet_block_height":                    float64(txr.Height),
		"provernet_finalize_block_seconds_count":    float64(txr.Height),
		"provernet_commit_seconds_count":            float64(txr.Height),
		"provernet_check_tx_seconds_count":          1,
		`provernet_transactions_total{result="ok"}`: 1,
		"provernet_block_transactions_count":        float64(txr.Height),
		"go_goroutines":                             1,
	} {
		if got, ok := values[name]; !ok || got < least {
			t.Errorf("%s = %v (present %v); want at least %v", name, got, ok, least)
		}
	}
}

// scrape reads a Prometheus text page into series -> value.
func scrape(t *testing.T, url string) map[string]float64 {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("GET %s: %s %q: %s", url, resp.Status, resp.Header.Get("Content-Type"), b)
	}
	out := map[string]float64{}
	s := bufio.NewScanner(resp.Body)
	for s.Scan() {
		line := s.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("bad line %q", line)
		}
		out[line[:i]] = v
	}
	return out
}

// TestLogSlog: the daemon's logger follows log.format and log.level.
func TestLogSlog(t *testing.T) {
	var b strings.Builder
	Log{Format: "json", Level: "error"}.Slog(&b).Info("hidden")
	Log{Format: "json", Level: "error"}.Slog(&b).Error("shown", "slot", 3)
	if out := b.String(); strings.Contains(out, "hidden") || !strings.HasPrefix(out, `{"time":`) || !strings.Contains(out, `"slot":3`) {
		t.Fatalf("json at error: %q", out)
	}
	b.Reset()
	Log{}.Slog(&b).Info("plain", "slot", 3)
	if out := b.String(); !strings.Contains(out, "level=INFO msg=plain slot=3") {
		t.Fatalf("plain at info: %q", out)
	}
}
