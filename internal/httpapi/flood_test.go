package httpapi_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
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
// blocks keep their time: the p99 gap between commits during the flood
// stays within 1.2 times the p99 without it, plus 60ms. It also checks that
// the flood was refused as configured (uploads past the rate or the quota)
// and that the quota held.
func TestFloodDoesNotDelayBlocks(t *testing.T) {
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
			c.Chain.BlockTime = node.Duration{Duration: 200 * time.Millisecond}
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

	// A spike from outside the test (the machine's other work) does not
	// repeat; a delay the flood causes does. So the timing gets a second
	// attempt, and fails only if both miss the bound.
	var got map[int]int64
	for attempt := 1; ; attempt++ {
		var base, during []time.Duration
		base, during, got = floodOnce(d, &commits)
		t.Logf("attempt %d: block gaps without flood: n=%d p99=%v; during flood: n=%d p99=%v max=%v; statuses (1xxx: queries) %v",
			attempt, len(base), p99(base), len(during), p99(during), slices.Max(append(during, 0)), got)
		if len(base) < 3 || len(during) < 5 {
			t.Fatalf("too few blocks: %d before, %d during the flood", len(base), len(during))
		}
		// The goal is a ratio of 1.2; 60ms more absorbs a
		// scheduler on two shared cores.
		bound := time.Duration(1.2*float64(p99(base))) + 60*time.Millisecond
		if p99(during) <= bound {
			break
		}
		if attempt == 2 {
			t.Fatalf("p99 block gap %v during the flood, past the bound %v (p99 %v without)", p99(during), bound, p99(base))
		}
	}
	if got[http.StatusTooManyRequests] == 0 || got[http.StatusCreated]+got[http.StatusInsufficientStorage] == 0 || got[1200] == 0 {
		t.Errorf("the flood was not answered as configured: %v", got)
	}
	if _, _, unref := d.Blobs().Usage(); unref > quota {
		t.Errorf("%d unreferenced bytes stored, past the quota of %d", unref, quota)
	}
}

// floodOnce measures the gaps between commits for a quiet 1.5 s, then
// during 2.5 s of uploads (8 workers, fresh 256 KiB blobs, to the upload
// listener) and queries (8 workers: lists, a record, /pending, status), from
// four client addresses. It returns both sets of gaps and the count of each
// answer's status (queries' plus 1000).
func floodOnce(d *node.Devnet, commits *commitTimes) (base, during []time.Duration, statuses map[int]int64) {
	const quiet, flood = 1500 * time.Millisecond, 2500 * time.Millisecond
	start := time.Now()
	time.Sleep(quiet)
	floodStart := time.Now()
	var mu sync.Mutex
	statuses = map[int]int64{}
	count := func(code int) {
		mu.Lock()
		statuses[code]++
		mu.Unlock()
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	paths := []string{"/v1/workloads?limit=1000", "/v1/provers?limit=1000", "/v1/programs", "/v1/status",
		"/v1/workloads/" + strings.Repeat("ab", 32) + "/pending", "/v1/accounts/" + d.Keys[0].Address()}
	for i := range 8 {
		hc := httpFrom(fmt.Sprintf("127.0.0.%d", 1+i%4))
		wg.Add(2)
		go func() {
			defer wg.Done()
			buf := make([]byte, 256<<10)
			untilStopped(stop, func() {
				_, _ = rand.Read(buf)
				req, _ := http.NewRequest(http.MethodPut, d.BlobURL()+"/v1/blobs", bytes.NewReader(buf))
				count(do(hc, req))
			})
		}()
		go func() {
			defer wg.Done()
			j := 0
			untilStopped(stop, func() {
				req, _ := http.NewRequest(http.MethodGet, d.APIURL()+paths[j%len(paths)], nil)
				count(1000 + do(hc, req))
				j++
			})
		}()
	}
	time.Sleep(flood)
	close(stop)
	wg.Wait()
	return commits.intervals(start, floodStart), commits.intervals(floodStart, time.Now()), statuses
}

func untilStopped(stop <-chan struct{}, fn func()) {
	for {
		select {
		case <-stop:
			return
		default:
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
