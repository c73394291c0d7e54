package bench

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/provernet/provernet/client"
	"github.com/provernet/provernet/internal/node"
	"github.com/provernet/provernet/internal/store"
)

// Flood classes: a one-validator devnet on loopback in a temporary home,
// with its default limits and a separate upload listener, as
// TestFloodDoesNotDelayBlocks (internal/httpapi) starts it. For each flood
// the gaps between commits are measured for o.Quiet without a flood and
// then for o.Flood during it; block_time_ratio is the p99 gap during the
// flood over the p99 gap without it. The flood is paced (a fixed request
// rate, from four client addresses, 127.0.0.1-4) and runs in this
// process, beside the node, as the test's does. Neither flood costs the
// attacker or anyone else uprv: nothing on chain is charged, so both
// uprv figures are 0, and what the flood could take from the honest side
// is block time.

// flood is one flood class.
type flood struct {
	class string
	note  string
	start func(f *floodRun, stop <-chan struct{}, wg *sync.WaitGroup)
}

var floods = []flood{
	{"query_flood", "paced queries: lists with limit=1000, a record, /pending, status, an account", startQueries},
	{"blob_flood", "paced uploads of fresh 256 KiB blobs to the upload listener (default rate limits and quotas)", startUploads},
}

// FloodAttack is a flood class's detail.
type FloodAttack struct {
	BlockTimeMs      float64          `json:"block_time_ms"`
	QuietS           float64          `json:"quiet_s"`
	FloodS           float64          `json:"flood_s"`
	TargetPerS       int              `json:"target_requests_per_s"`
	RequestsPerS     float64          `json:"requests_per_s"` // sent
	Statuses         map[string]int64 `json:"statuses"`       // HTTP status of each answer ("0": no answer)
	BaselineBlocks   int              `json:"baseline_intervals"`
	FloodBlocks      int              `json:"flood_intervals"`
	OtherCPUShare    float64          `json:"other_processes_cpu_share"` // of the machine, while quiet
	Attempts         []float64        `json:"attempt_ratios"`
	BaselineMedianMs float64          `json:"baseline_median_ms"`
	FloodMedianMs    float64          `json:"flood_median_ms"`
}

// floodRun is one flood's state while it runs.
type floodRun struct {
	d        *node.Devnet
	perS     int
	mu       sync.Mutex
	statuses map[string]int64
	sent     atomic.Int64
}

func (f *floodRun) count(code int) {
	f.sent.Add(1)
	f.mu.Lock()
	f.statuses[strconv.Itoa(code)]++
	f.mu.Unlock()
}

// commitLog records when each height commits.
type commitLog struct {
	mu sync.Mutex
	at []time.Time
}

func (c *commitLog) record(int64, store.Reader) error {
	c.mu.Lock()
	c.at = append(c.at, time.Now())
	c.mu.Unlock()
	return nil
}

// intervals are the gaps between the commits in [from, to).
func (c *commitLog) intervals(from, to time.Time) []time.Duration {
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

// floodNode is the devnet the floods share, started on first use.
type floodNode struct {
	d       *node.Devnet
	home    string
	commits *commitLog
}

var sharedFloodNode *floodNode

func startFloodNode(ctx context.Context, o AttackOptions) (*floodNode, error) {
	if sharedFloodNode != nil {
		return sharedFloodNode, nil
	}
	home, err := os.MkdirTemp("", "provernet-bench-attack-")
	if err != nil {
		return nil, err
	}
	onLoopback, err := node.OnLoopback()
	if err != nil {
		return nil, err
	}
	ports, err := node.LoopbackPorts(1)
	if err != nil {
		return nil, err
	}
	n := &floodNode{home: home, commits: &commitLog{}}
	n.d, err = node.StartDevnet(ctx, node.DevnetOptions{Home: home, Accounts: 2, Balance: 1_000_000, BlockTime: o.BlockTime,
		Node: node.Options{Log: io.Discard, AfterCommit: n.commits.record, Configure: func(c *node.Config) {
			onLoopback(c)
			c.Chain.BlockTime = node.Duration{Duration: o.BlockTime}
			c.Blobs.Listen = fmt.Sprintf("127.0.0.1:%d", ports[0])
		}}})
	if err != nil {
		os.RemoveAll(home)
		return nil, err
	}
	c := client.New(n.d.APIURL())
	if err := waitAPIHeight(ctx, c, 3); err != nil {
		n.stop()
		return nil, err
	}
	sharedFloodNode = n
	return n, nil
}

func (n *floodNode) stop() {
	n.d.Stop()
	os.RemoveAll(n.home)
}

// StopAttackNode stops the flood classes' node, if one was started.
func StopAttackNode() {
	if sharedFloodNode != nil {
		sharedFloodNode.stop()
		sharedFloodNode = nil
	}
}

func runFloodClass(ctx context.Context, fl flood, o AttackOptions) (AttackClass, error) {
	n, err := startFloodNode(ctx, o)
	if err != nil {
		return AttackClass{}, fmt.Errorf("failed to start the node: %w", err)
	}
	perS := o.QueriesPerS
	if fl.class == "blob_flood" {
		perS = o.UploadsPerS
	}
	d := &FloodAttack{BlockTimeMs: ms(o.BlockTime), QuietS: o.Quiet.Seconds(), FloodS: o.Flood.Seconds(), TargetPerS: perS, Statuses: map[string]int64{}}
	var bases, floodsP99, ratios []float64
	var allBase, allFlood []time.Duration
	var other, sent float64
	for range max(1, o.FloodAttempts) {
		base, during, f, cpu := floodAttempt(n, fl, perS, o)
		if len(base) < 2 || len(during) < 2 {
			return AttackClass{}, fmt.Errorf("too few blocks measured (%d quiet, %d during the flood): lengthen --quiet and --flood", len(base), len(during))
		}
		b, fp := ms(p99(base)), ms(p99(during))
		bases, floodsP99, ratios = append(bases, b), append(floodsP99, fp), append(ratios, round3(fp/b))
		allBase, allFlood = append(allBase, base...), append(allFlood, during...)
		other += cpu
		sent += float64(f.sent.Load())
		for k, v := range f.statuses {
			d.Statuses[k] += v
		}
	}
	tries := float64(len(ratios))
	d.Attempts, d.OtherCPUShare = ratios, round3(other/tries)
	d.RequestsPerS = round(sent / tries / o.Flood.Seconds())
	d.BaselineBlocks, d.FloodBlocks = len(allBase), len(allFlood)
	d.BaselineMedianMs, d.FloodMedianMs = ms(medianGap(allBase)), ms(medianGap(allFlood))
	i := medianIndex(ratios)
	ratio, baseMs, floodMs := ratios[i], bases[i], floodsP99[i]
	return AttackClass{Class: fl.class, Method: "node", BlockTimeRatio: &ratio, BaselineP99Ms: &baseMs, FloodP99Ms: &floodMs,
		Flood: d, Note: fl.note}, nil
}

// floodAttempt measures the quiet gaps, then floods and measures again.
func floodAttempt(n *floodNode, fl flood, perS int, o AttackOptions) (base, during []time.Duration, f *floodRun, otherCPU float64) {
	start, cpu0 := time.Now(), sampleCPU()
	time.Sleep(o.Quiet)
	floodStart, cpu1 := time.Now(), sampleCPU()
	f = &floodRun{d: n.d, perS: perS, statuses: map[string]int64{}}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	fl.start(f, stop, &wg)
	time.Sleep(o.Flood)
	floodEnd := time.Now()
	close(stop)
	wg.Wait()
	return n.commits.intervals(start, floodStart), n.commits.intervals(floodStart, floodEnd), f, otherWork(cpu0, cpu1)
}

// startQueries runs 8 workers sharing the query rate.
func startQueries(f *floodRun, stop <-chan struct{}, wg *sync.WaitGroup) {
	paths := []string{"/v1/workloads?limit=1000", "/v1/provers?limit=1000", "/v1/programs", "/v1/status",
		"/v1/workloads/" + strings.Repeat("ab", 32) + "/pending", "/v1/accounts/" + f.d.Keys[0].Address()}
	workers := 8
	for i := range workers {
		hc := httpFrom(fmt.Sprintf("127.0.0.%d", 1+i%4))
		wg.Add(1)
		go func() {
			defer wg.Done()
			j := i
			paced(stop, rateShare(f.perS, workers, i), func() {
				req, _ := http.NewRequest(http.MethodGet, f.d.APIURL()+paths[j%len(paths)], nil)
				f.count(doRequest(hc, req))
				j++
			})
		}()
	}
}

// startUploads runs 4 workers, one per client address, sharing the
// upload rate; every upload is a fresh 256 KiB blob.
func startUploads(f *floodRun, stop <-chan struct{}, wg *sync.WaitGroup) {
	workers := 4
	for i := range workers {
		hc := httpFrom(fmt.Sprintf("127.0.0.%d", 1+i))
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]byte, 256<<10)
			paced(stop, rateShare(f.perS, workers, i), func() {
				binary.BigEndian.PutUint64(buf, blobSeq.Add(1)) // a fresh blob, without paying for randomness
				req, _ := http.NewRequest(http.MethodPut, f.d.BlobURL()+"/v1/blobs", bytes.NewReader(buf))
				f.count(doRequest(hc, req))
			})
		}()
	}
}

// blobSeq numbers the uploaded blobs, so that each is new to the node.
var blobSeq atomic.Uint64

// rateShare is worker i's part of perS requests a second over n workers.
func rateShare(perS, n, i int) int {
	share := perS / n
	if i < perS%n {
		share++
	}
	return share
}

// httpFrom is a client whose connections come from local address ip (all
// of 127/8 is loopback), so that one process plays several clients.
func httpFrom(ip string) *http.Client {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: 5 * time.Second}
	return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DialContext: d.DialContext, MaxIdleConnsPerHost: 4},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// paced calls fn perSecond times a second (fewer if fn is slower) until
// stop closes; not at all if perSecond is 0.
func paced(stop <-chan struct{}, perSecond int, fn func()) {
	if perSecond <= 0 {
		<-stop
		return
	}
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

// doRequest sends req and returns its status (0 if it failed).
func doRequest(hc *http.Client, req *http.Request) int {
	resp, err := hc.Do(req)
	if err != nil {
		return 0
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

func p99(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[min(len(s)-1, len(s)*99/100)]
}

func medianGap(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

// medianIndex is the index of the median of xs (the lower of two).
func medianIndex(xs []float64) int {
	idx := make([]int, len(xs))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return xs[idx[a]] < xs[idx[b]] })
	return idx[(len(idx)-1)/2]
}

func ms(d time.Duration) float64 { return round(float64(d) / float64(time.Millisecond)) }

// cpuSample is the machine's busy CPU time and this process's, in clock
// ticks (Linux /proc; zero elsewhere).
type cpuSample struct {
	machine, self uint64
	at            time.Time
}

func sampleCPU() cpuSample {
	s := cpuSample{at: time.Now()}
	if b, err := os.ReadFile("/proc/stat"); err == nil {
		line, _, _ := strings.Cut(string(b), "\n")
		for i, v := range strings.Fields(line) { // cpu user nice system idle iowait irq softirq steal ...
			if i == 0 || i == 4 || i == 5 {
				continue
			}
			n, _ := strconv.ParseUint(v, 10, 64)
			s.machine += n
		}
	}
	if b, err := os.ReadFile("/proc/self/stat"); err == nil {
		if _, rest, ok := strings.Cut(string(b), ") "); ok {
			f := strings.Fields(rest)
			if len(f) > 13 {
				u, _ := strconv.ParseUint(f[11], 10, 64)
				st, _ := strconv.ParseUint(f[12], 10, 64)
				s.self = u + st
			}
		}
	}
	return s
}

// otherWork is the share of the machine's CPU that other processes used
// between a and b (clock ticks are 1/100 s on Linux).
func otherWork(a, b cpuSample) float64 {
	capacity := b.at.Sub(a.at).Seconds() * 100 * float64(runtime.NumCPU())
	if capacity <= 0 || b.machine < a.machine {
		return 0
	}
	return max(0, (float64(b.machine-a.machine)-float64(b.self-a.self))/capacity)
}
