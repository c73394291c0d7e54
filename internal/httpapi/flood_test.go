package httpapi_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/provernet/provernet/client"
	"github.com/provernet/provernet/internal/loadtest"
	"github.com/provernet/provernet/internal/node"
	"github.com/provernet/provernet/internal/stats"
)

// TestFloodDoesNotDelayBlocks floods a devnet with blob uploads (from four
// client addresses, to the upload listener) and queries, and checks that
// blocks keep their time: on an otherwise idle machine the p99 gap between
// commits during the flood stays within 1.2 times the p99 without it, plus
// 60ms. It also checks that the flood was refused as configured (uploads
// past the rate or the quota) and that the quota held.
func TestFloodDoesNotDelayBlocks(t *testing.T) {
	const blockTime = 200 * time.Millisecond
	onLoopback, err := node.OnLoopback()
	if err != nil {
		t.Fatal(err)
	}
	ports, err := node.LoopbackPorts(1)
	if err != nil {
		t.Fatal(err)
	}
	const quota = 4 << 20
	var commits loadtest.Commits
	d, err := node.StartDevnet(context.Background(), node.DevnetOptions{
		Home: t.TempDir(), Accounts: 2, Balance: 1_000_000,
		Node: node.Options{Log: io.Discard, AfterCommit: commits.Record, Configure: func(c *node.Config) {
			onLoopback(c)
			c.Chain.BlockTime = node.Duration{Duration: blockTime}
			c.Blobs.Listen = fmt.Sprintf("127.0.0.1:%d", ports[0])
			c.Blobs.Quota = quota
			c.Blobs.UploadsPerSecond, c.Blobs.UploadBurst = 20, 20
		}},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Stop() })
	c := client.New(d.APIURL())
	if err := waitHeight(c, 3); err != nil {
		t.Fatal(err)
	}

	// Uploads on the API listener are redirected to the upload listener.
	req, _ := http.NewRequest(http.MethodPut, d.APIURL()+"/v1/blobs", strings.NewReader("x"))
	resp, err := loadtest.HTTPFrom("127.0.0.1").Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusTemporaryRedirect || resp.Header.Get("Location") != d.BlobURL()+"/v1/blobs" {
		t.Fatalf("PUT on the API listener: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}

	// The flood runs in the node's own process, so when other processes
	// hold the machine's CPU the two share what is left and blocks slow
	// for want of CPU, whatever the node's design. So the bound is the
	// issue's (1.2 times the quiet p99, plus 60ms for a scheduler on two
	// shared cores) only when other processes used less than a third of
	// the CPU while it was quiet; on a busier machine it only catches a
	// stall (3 times, plus 500ms). A spike that comes later does not
	// repeat, so the timing gets three attempts.
	var got map[int]int64
	for attempt := 1; ; attempt++ {
		f := floodOnce(d, &commits)
		got = f.statuses
		base := max(stats.P99(f.Base), blockTime)
		idle := f.OtherCPU < 1.0/3 && base <= 3*blockTime/2
		bound := 3*base + 500*time.Millisecond
		if idle {
			bound = time.Duration(1.2*float64(base)) + 60*time.Millisecond
		}
		t.Logf("attempt %d: other processes' CPU %.0f%%; block gaps without flood: n=%d p99=%v; during flood: n=%d p99=%v (bound %v); statuses (1xxx: queries) %v",
			attempt, 100*f.OtherCPU, len(f.Base), stats.P99(f.Base), len(f.During), stats.P99(f.During), bound, got)
		if len(f.During) >= 5 && stats.P99(f.During) <= bound {
			break
		}
		if attempt == 3 {
			t.Fatalf("the p99 block gap during the flood passed its bound in all three attempts")
		}
	}
	if got[http.StatusTooManyRequests] == 0 || got[http.StatusCreated]+got[http.StatusInsufficientStorage] == 0 || got[1200] == 0 {
		t.Errorf("the flood was not answered as configured: %v", got)
	}
	if _, _, unref := d.Blobs().Usage(); unref > quota {
		t.Errorf("%d unreferenced bytes stored, past the quota of %d", unref, quota)
	}
}

// Flood rates: fixed (see loadtest.Flood). 2000 queries a second is
// about 40% of what an idle two-core machine answers.
const queriesPerSecond, uploadsPerSecond = 2000, 200

// floodResult is one attempt: the gaps between commits without and during
// the flood, the share of the CPU other processes used while it was quiet,
// and the count of each answer's status (queries' plus 1000).
type floodResult struct {
	loadtest.Gaps
	statuses map[int]int64
}

// floodOnce measures the gaps between commits for a quiet 1.5 s, then
// during 2.5 s of uploads (fresh 256 KiB blobs, to the upload listener) and
// queries (lists, a record, /pending, status), from four client addresses.
func floodOnce(d *node.Devnet, commits *loadtest.Commits) floodResult {
	var mu sync.Mutex
	statuses := map[int]int64{}
	count := func(offset int) func(int) {
		return func(code int) {
			mu.Lock()
			statuses[offset+code]++
			mu.Unlock()
		}
	}
	var uploads atomic.Uint64
	g := loadtest.Measure(commits, 1500*time.Millisecond, 2500*time.Millisecond,
		loadtest.Uploads(d.BlobURL(), &uploads, uploadsPerSecond, count(0)),
		loadtest.Queries(d.APIURL(), d.Keys[0].Address(), queriesPerSecond, count(1000)))
	return floodResult{Gaps: g, statuses: statuses}
}
