package httpapi_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/provernet/provernet/client"
	"github.com/provernet/provernet/internal/node"
	"github.com/provernet/provernet/internal/store"
)

// commitTimes records when each height commits.
type commitTimes struct {
	mu sync.Mutex
	at []time.Time
}

func (c *commitTimes) record(int64, store.Reader) error {
	c.mu.Lock()
	c.at = append(c.at, time.Now())
	c.mu.Unlock()
	return nil
}

// intervals are the gaps between the commits in [from, to).
func (c *commitTimes) intervals(from, to time.Time) []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []time.Duration
	for i := 1; i < len(c.at); i++ {
		if !c.at[i].Before(from) && c.at[i].Before(to) {
			out = append(out, c.at[i].Sub(c.at[i-1]))
		}
	}
	return out
}

func p99(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[min(len(s)-1, len(s)*99/100)]
}

// httpFrom is a client whose connections come from local address ip, so
// that one test plays several clients (all of 127/8 is loopback).
func httpFrom(ip string) *http.Client {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: 5 * time.Second}
	return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DialContext: d.DialContext, MaxIdleConnsPerHost: 4},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

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
	var commits commitTimes
	d, err := node.StartDevnet(context.Background(), node.DevnetOptions{
		Home: t.TempDir(), Accounts: 2, Balance: 1_000_000,
		Node: node.Options{Log: io.Discard, AfterCommit: commits.record, Configure: func(c *node.Config) {
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
	ctx := context.Background()
	c := client.New(d.APIURL())
	for i := 0; ; i++ {
		if st, err := c.Status(ctx); err == nil && st.Height >= 3 {
			break
		}
		if i > 200 {
			t.Fatal("node did not start")
		}
		time.Sleep(50 * time.Millisecond)
	}

	// Uploads on the API listener are redirected to the upload listener.
	req, _ := http.NewRequest(http.MethodPut, d.APIURL()+"/v1/blobs", strings.NewReader("x"))
	resp, err := httpFrom("127.0.0.1").Do(req)
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
		base := max(p99(f.base), blockTime)
		idle := f.otherCPU < 1.0/3 && base <= 3*blockTime/2
		bound := 3*base + 500*time.Millisecond
		if idle {
			bound = time.Duration(1.2*float64(base)) + 60*time.Millisecond
		}
		t.Logf("attempt %d: other processes' CPU %.0f%%; block gaps without flood: n=%d p99=%v; during flood: n=%d p99=%v (bound %v); statuses (1xxx: queries) %v",
			attempt, 100*f.otherCPU, len(f.base), p99(f.base), len(f.during), p99(f.during), bound, got)
		if len(f.during) >= 5 && p99(f.during) <= bound {
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

// Flood rates: fixed, so that the flood costs the same CPU on a busy
// machine as on an idle one (a closed loop would take whatever the
// machine's other work leaves, from the node itself, since the flood
// runs in the node's process). 2000 queries a second is about 40% of what
// an idle two-core machine answers.
const (
	queryWorkers, queriesPerWorker  = 8, 250 // a second
	uploadWorkers, uploadsPerWorker = 4, 50
)

// floodResult is one attempt: the gaps between commits without and
// during the flood, the count of each answer's status (queries' plus
// 1000), and the share of the CPU other processes used while it was quiet.
type floodResult struct {
	base, during []time.Duration
	statuses     map[int]int64
	otherCPU     float64
}

// floodOnce measures the gaps between commits for a quiet 1.5 s, then
// during 2.5 s of uploads (fresh 256 KiB blobs, to the upload listener) and
// queries (lists, a record, /pending, status), from four client addresses.
func floodOnce(d *node.Devnet, commits *commitTimes) floodResult {
	const quiet, flood = 1500 * time.Millisecond, 2500 * time.Millisecond
	start, cpu0 := time.Now(), sampleCPU()
	time.Sleep(quiet)
	floodStart, cpu1 := time.Now(), sampleCPU()
	var mu sync.Mutex
	statuses := map[int]int64{}
	count := func(code int) {
		mu.Lock()
		statuses[code]++
		mu.Unlock()
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	paths := []string{"/v1/workloads?limit=1000", "/v1/provers?limit=1000", "/v1/programs", "/v1/status",
		"/v1/workloads/" + strings.Repeat("ab", 32) + "/pending", "/v1/accounts/" + d.Keys[0].Address()}
	var uploads atomic.Uint64
	for i := range uploadWorkers {
		hc := httpFrom(fmt.Sprintf("127.0.0.%d", 1+i%4))
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]byte, 256<<10)
			paced(stop, uploadsPerWorker, func() {
				binary.BigEndian.PutUint64(buf, uploads.Add(1)) // a fresh blob, without paying for randomness
				req, _ := http.NewRequest(http.MethodPut, d.BlobURL()+"/v1/blobs", bytes.NewReader(buf))
				count(do(hc, req))
			})
		}()
	}
	for i := range queryWorkers {
		hc := httpFrom(fmt.Sprintf("127.0.0.%d", 1+i%4))
		wg.Add(1)
		go func() {
			defer wg.Done()
			j := 0
			paced(stop, queriesPerWorker, func() {
				req, _ := http.NewRequest(http.MethodGet, d.APIURL()+paths[j%len(paths)], nil)
				count(1000 + do(hc, req))
				j++
			})
		}()
	}
	time.Sleep(flood)
	close(stop)
	wg.Wait()
	return floodResult{base: commits.intervals(start, floodStart), during: commits.intervals(floodStart, time.Now()),
		statuses: statuses, otherCPU: otherWork(cpu0, cpu1)}
}

// paced calls fn perSecond times a second (fewer if fn is slower) until
// stop closes.
func paced(stop <-chan struct{}, perSecond int, fn func()) {
	tick := time.NewTicker(time.Second / time.Duration(perSecond))
	defer tick.Stop()
	for {
		select {
		case <-stop:
			return
		case <-tick.C:
			fn()
		}
	}
}

// do sends req and returns its status (0 if it failed).
func do(hc *http.Client, req *http.Request) int {
	resp, err := hc.Do(req)
	if err != nil {
		return 0
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}
