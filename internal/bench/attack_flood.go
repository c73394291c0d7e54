package bench

import (
	"context"
	"fmt"
	"io"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/provernet/provernet/client"
	"github.com/provernet/provernet/internal/loadtest"
	"github.com/provernet/provernet/internal/node"
	"github.com/provernet/provernet/internal/stats"
)

// Flood classes: a one-validator devnet on loopback in a temporary home,
// with its default limits and a separate upload listener, as
// TestFloodDoesNotDelayBlocks (internal/httpapi) starts it. For each flood
// the gaps between commits are measured for o.Quiet without a flood and
// then for o.Flood during it; block_time_ratio is the p99 gap during the
// flood over the p99 gap without it. The flood is paced (a fixed request
// rate, from four client addresses, 127.0.0.1-4) and runs in this
// process, beside the node, as the test's does: both drive and measure
// their floods with internal/loadtest. Neither flood costs the
// attacker or anyone else uprv: nothing on chain is charged, so both
// uprv figures are 0, and what the flood could take from the honest side
// is block time.

// flood is one flood class.
type flood struct {
	class string
	note  string
	flood func(f *floodRun) loadtest.Flood
}

var floods = []flood{
	{"query_flood", "paced queries: lists with limit=1000, a record, /pending, status, an account", queryFlood},
	{"blob_flood", "paced uploads of fresh 256 KiB blobs to the upload listener (default rate limits and quotas)", blobFlood},
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

// floodNode is the devnet the floods share, started on first use.
type floodNode struct {
	d       *node.Devnet
	home    string
	commits *loadtest.Commits
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
	n := &floodNode{home: home, commits: &loadtest.Commits{}}
	n.d, err = node.StartDevnet(ctx, node.DevnetOptions{Home: home, Accounts: 2, Balance: 1_000_000, BlockTime: o.BlockTime,
		Node: node.Options{Log: io.Discard, AfterCommit: n.commits.Record, Configure: func(c *node.Config) {
			onLoopback(c)
			c.Chain.BlockTime = node.Duration{Duration: o.BlockTime}
			c.Blobs.Listen = fmt.Sprintf("127.0.0.1:%d", ports[0])
		}}})
	if err != nil {
		os.RemoveAll(home)
		return nil, err
	}
	c := client.New(n.d.APIURL())
	if _, err := c.WaitHeight(ctx, 3); err != nil {
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
		f := &floodRun{d: n.d, perS: perS, statuses: map[string]int64{}}
		g := loadtest.Measure(n.commits, o.Quiet, o.Flood, fl.flood(f))
		if len(g.Base) < 2 || len(g.During) < 2 {
			return AttackClass{}, fmt.Errorf("too few blocks measured (%d quiet, %d during the flood): lengthen --quiet and --flood", len(g.Base), len(g.During))
		}
		b, fp := ms(stats.P99(g.Base)), ms(stats.P99(g.During))
		bases, floodsP99, ratios = append(bases, b), append(floodsP99, fp), append(ratios, round3(fp/b))
		allBase, allFlood = append(allBase, g.Base...), append(allFlood, g.During...)
		other += g.OtherCPU
		sent += float64(f.sent.Load())
		for k, v := range f.statuses {
			d.Statuses[k] += v
		}
	}
	tries := float64(len(ratios))
	d.Attempts, d.OtherCPUShare = ratios, round3(other/tries)
	d.RequestsPerS = round(sent / tries / o.Flood.Seconds())
	d.BaselineBlocks, d.FloodBlocks = len(allBase), len(allFlood)
	d.BaselineMedianMs, d.FloodMedianMs = ms(stats.Median(allBase)), ms(stats.Median(allFlood))
	i := stats.MedianIndex(ratios)
	ratio, baseMs, floodMs := ratios[i], bases[i], floodsP99[i]
	return AttackClass{Class: fl.class, Method: "node", BlockTimeRatio: &ratio, BaselineP99Ms: &baseMs, FloodP99Ms: &floodMs,
		Flood: d, Note: fl.note}, nil
}

// queryFlood is the query flood class's requests, at f's rate.
func queryFlood(f *floodRun) loadtest.Flood {
	return loadtest.Queries(f.d.APIURL(), f.d.Keys[0].Address(), f.perS, f.count)
}

// blobFlood is the blob flood class's uploads, at f's rate.
func blobFlood(f *floodRun) loadtest.Flood {
	return loadtest.Uploads(f.d.BlobURL(), &blobSeq, f.perS, f.count)
}

// blobSeq numbers the uploaded blobs, so that each is new to the node.
var blobSeq atomic.Uint64

func ms(d time.Duration) float64 { return round(float64(d) / float64(time.Millisecond)) }
