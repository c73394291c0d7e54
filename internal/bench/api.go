package bench

import (
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"runtime/pprof"
	"sort"
	"strings"
	"sync"
	"time"

	"filippo.io/age"

	"github.com/provernet/provernet/client"
	"github.com/provernet/provernet/internal/node"
	"github.com/provernet/provernet/wire"
	"github.com/provernet/provernet/wire/pb"
)

// APIOptions size the API benchmark.
type APIOptions struct {
	Workloads   int           // Runs put in state before the endpoints are measured
	Subscribers int           // event streams open at once
	Blocks      int           // blocks whose events the subscribers time
	Clients     int           // concurrent HTTP clients per endpoint
	Duration    time.Duration // how long each endpoint is measured
	Senders     int           // accounts sending the Runs
	Seed        uint64        // picks the pages and workloads asked for (0: from the clock)
	Progress    io.Writer
	// CPUProfile, if set, receives a CPU profile of the endpoints'
	// measurement, the node's side and the clients'.
	CPUProfile io.Writer
}

// APIEndpoint is one endpoint's figures under Clients concurrent clients.
type APIEndpoint struct {
	Path     string  `json:"path"`
	Requests int     `json:"requests"`
	Errors   int     `json:"errors"`
	RPS      float64 `json:"rps"`
	P50Ms    float64 `json:"p50_ms"`
	P99Ms    float64 `json:"p99_ms"`
	MaxMs    float64 `json:"max_ms"`
}

// APISSE is the event stream's fan-out: for every subscriber and block,
// the time from the node's commit of the block (CometBFT's NewBlock
// event, in process) to the subscriber's reading of the block's first
// event.
type APISSE struct {
	Subscribers int     `json:"subscribers"`
	Blocks      int     `json:"blocks"`
	Deliveries  int     `json:"deliveries"` // subscriber-block pairs timed
	Missed      int     `json:"missed"`     // pairs that never arrived
	P50Ms       float64 `json:"p50_ms"`
	P99Ms       float64 `json:"p99_ms"`
	MaxMs       float64 `json:"max_ms"`
}

// APIReport is `provernet bench api`'s JSON report.
type APIReport struct {
	Workloads int         `json:"workloads"` // in state when the endpoints were measured
	FillS     float64     `json:"fill_s"`
	Clients   int         `json:"clients"`
	List      APIEndpoint `json:"list"`
	Detail    APIEndpoint `json:"detail"`
	SSE       APISSE      `json:"sse"`
	Seed      uint64      `json:"seed"`
	Machine   Machine     `json:"machine"`
}

func (o *APIOptions) defaults() {
	if o.Workloads <= 0 {
		o.Workloads = 100_000
	}
	if o.Subscribers <= 0 {
		o.Subscribers = 1000
	}
	if o.Blocks <= 0 {
		o.Blocks = 20
	}
	if o.Clients <= 0 {
		o.Clients = 4
	}
	if o.Duration <= 0 {
		o.Duration = 10 * time.Second
	}
	if o.Senders <= 0 {
		o.Senders = 50
	}
	if o.Seed == 0 {
		o.Seed = uint64(time.Now().UnixNano())
	}
	if o.Progress == nil {
		o.Progress = io.Discard
	}
}

// API starts a devnet, times the event stream's fan-out to o.Subscribers,
// fills the state with o.Workloads Runs, and measures the workload list
// and detail endpoints under o.Clients concurrent clients.
func API(ctx context.Context, o APIOptions) (*APIReport, error) {
	o.defaults()
	home, err := os.MkdirTemp("", "provernet-bench-api-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(home)
	onLoopback, err := node.OnLoopback()
	if err != nil {
		return nil, err
	}
	params := node.DevnetParams()
	params.MaxBlockWeight = 1 << 32 // the 4 MiB of a block bound the fill, not its weight
	d, err := node.StartDevnet(ctx, node.DevnetOptions{Home: home, Accounts: o.Senders, Provers: 0, Params: &params,
		Balance: node.DevnetDefaults.Balance, BlockTime: node.DevnetDefaults.BlockTime,
		Node: node.Options{Log: io.Discard, Configure: func(c *node.Config) {
			onLoopback(c)
			c.API.MaxEventStreams = o.Subscribers + 16
		}}})
	if err != nil {
		return nil, err
	}
	defer d.Stop()
	c := client.New(d.APIURL())
	if _, err := c.WaitHeight(ctx, 2); err != nil {
		return nil, err
	}
	rep := &APIReport{Clients: o.Clients, Seed: o.Seed, Machine: machine()}
	fmt.Fprintf(o.Progress, "timing %d blocks' events on %d streams\n", o.Blocks, o.Subscribers)
	if rep.SSE, err = fanOut(ctx, d, o); err != nil {
		return nil, fmt.Errorf("event streams: %w", err)
	}
	start := time.Now()
	if err := fillRuns(ctx, d, c, o); err != nil {
		return nil, fmt.Errorf("fill: %w", err)
	}
	rep.FillS = round3(time.Since(start).Seconds())
	cursors, ids, err := walkWorkloads(ctx, c)
	if err != nil {
		return nil, err
	}
	rep.Workloads = len(ids)
	fmt.Fprintf(o.Progress, "%d workloads in state after %.1fs; measuring the list and detail endpoints for %s each\n", len(ids), rep.FillS, o.Duration)
	rng := rand.New(rand.NewPCG(o.Seed, 1))
	var mu sync.Mutex
	pick := func(list []string) string {
		mu.Lock()
		defer mu.Unlock()
		return list[rng.IntN(len(list))]
	}
	base := d.APIURL()
	if o.CPUProfile != nil {
		if err := pprof.StartCPUProfile(o.CPUProfile); err != nil {
			return nil, err
		}
		defer pprof.StopCPUProfile()
	}
	rep.List = hammer(ctx, "/v1/workloads?limit=100", o, func() string { return base + "/v1/workloads?limit=100&cursor=" + pick(cursors) })
	rep.Detail = hammer(ctx, "/v1/workloads/{id}", o, func() string { return base + "/v1/workloads/" + pick(ids) })
	return rep, ctx.Err()
}

// fillRuns sends o.Workloads Runs of a deployed program from o.Senders
// accounts, each sender's in nonce order, keeping the mempool under its
// size, and waits until the mempool is empty.
func fillRuns(ctx context.Context, d *node.Devnet, c *client.Client, o APIOptions) error {
	st, err := c.Status(ctx)
	if err != nil {
		return err
	}
	fp, err := c.FeeParams(ctx)
	if err != nil {
		return err
	}
	prog, err := deployBenchProgram(ctx, c, d.Keys[0])
	if err != nil {
		return err
	}
	quote, err := c.Fee(ctx, hex.EncodeToString(prog), 1_000_000, 1)
	if err != nil {
		return err
	}
	id, err := age.GenerateX25519Identity()
	if err != nil {
		return err
	}
	recipient := id.Recipient().String()
	senders := min(o.Senders, len(d.Keys))
	per := (o.Workloads + senders - 1) / senders
	var wg sync.WaitGroup
	errs := make([]error, senders)
	for s := range senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[s] = sendRuns(ctx, d, c, d.Keys[s], st.ChainID, fp, prog, recipient, quote.MinDeadline+100_000, per, s, o)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	for {
		n, err := d.RPC().NumUnconfirmedTxs(ctx)
		if err != nil {
			return err
		}
		if n.Total == 0 {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	now, err := c.Status(ctx)
	if err != nil {
		return err
	}
	_, err = c.WaitHeight(ctx, now.Height+2) // the last Runs' block committed and allocated
	return err
}

// sendRuns sends n Runs from key, nonces in order, pausing while the
// mempool is over half full.
func sendRuns(ctx context.Context, d *node.Devnet, c *client.Client, key *client.Key, chainID string, fp client.FeeParams, prog []byte, recipient string, deadline int64, n, sender int, o APIOptions) error {
	acct, err := c.Account(ctx, key.Address())
	if err != nil {
		return err
	}
	nonce := acct.Nonce
	for i := range n {
		if i%500 == 0 {
			if err := awaitMempoolRoom(ctx, d); err != nil {
				return err
			}
			if sender == 0 {
				fmt.Fprintf(o.Progress, "  sent %d of %d Runs\n", i*o.Senders, o.Workloads)
			}
		}
		run := &pb.Run{Program: prog, Cycles: 1_000_000, Provers: 1, Recipient: recipient, Deadline: deadline,
			Inputs: []*pb.Input{{Name: "input", Data: fmt.Appendf(nil, "bench api %d/%d", sender, i)}}}
		raw, err := client.SignTx(key, chainID, nonce, 0, fp, &pb.Msg{Kind: &pb.Msg_Run{Run: run}})
		if err != nil {
			return err
		}
		res, err := d.RPC().BroadcastTxSync(ctx, raw)
		if err != nil {
			return err
		}
		if res.Code != 0 {
			return fmt.Errorf("run %d of sender %d refused: %s", i, sender, res.Log)
		}
		nonce++
	}
	return nil
}

// awaitMempoolRoom waits while the node's mempool holds over half of its
// size.
func awaitMempoolRoom(ctx context.Context, d *node.Devnet) error {
	for {
		n, err := d.RPC().NumUnconfirmedTxs(ctx)
		if err != nil {
			return err
		}
		if n.Total < d.Config().Mempool.Size/2 {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// deployBenchProgram deploys a program the Runs can name: two small
// modules, uploaded. Nothing proves it (the devnet has no provers).
func deployBenchProgram(ctx context.Context, c *client.Client, key *client.Key) ([]byte, error) {
	var mods [2]*wire.Module
	for i, body := range []string{"bench api prover module", "bench api verifier module"} {
		info, err := c.PutBlob(ctx, strings.NewReader(body))
		if err != nil {
			return nil, err
		}
		mods[i] = &wire.Module{SHA256: info.SHA256, Size: uint64(len(body))}
	}
	msg, err := client.DeployMsg("bench-api", mods[0], mods[1], &wire.Hardware{CPUCores: 1, MemoryMB: 1024})
	if err != nil {
		return nil, err
	}
	res, err := c.Send(ctx, key, 0, msg)
	if err != nil {
		return nil, err
	}
	tx, err := c.WaitTx(ctx, res.Hash)
	if err != nil {
		return nil, err
	}
	if err := client.TxError(tx); err != nil {
		return nil, err
	}
	id, err := client.ProgramID(mods[0], mods[1])
	if err != nil {
		return nil, err
	}
	return hex.DecodeString(id)
}

// walkWorkloads reads every page of the workload list once: the cursors
// of its pages (the first page's is "") and every workload id.
func walkWorkloads(ctx context.Context, c *client.Client) (cursors, ids []string, err error) {
	cursor := ""
	for {
		page, err := c.WorkloadsPage(ctx, client.ListOptions{Limit: 100, Cursor: cursor})
		if err != nil {
			return nil, nil, err
		}
		cursors = append(cursors, cursor)
		for _, w := range page.Workloads {
			ids = append(ids, w.ID)
		}
		if page.Next == "" {
			break
		}
		cursor = page.Next
	}
	if len(ids) == 0 {
		return nil, nil, fmt.Errorf("no workloads in state")
	}
	return cursors, ids, nil
}

// hammer requests url() from o.Clients goroutines for o.Duration and
// reports the latencies of the requests that answered 200.
func hammer(ctx context.Context, path string, o APIOptions, url func() string) APIEndpoint {
	hc := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: o.Clients}}
	defer hc.CloseIdleConnections()
	var mu sync.Mutex
	var lat []time.Duration
	errs := 0
	ctx, cancel := context.WithTimeout(ctx, o.Duration)
	defer cancel()
	start := time.Now()
	var wg sync.WaitGroup
	for range o.Clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				t := time.Now()
				ok := get(ctx, hc, url())
				d := time.Since(t)
				mu.Lock()
				if ok {
					lat = append(lat, d)
				} else if ctx.Err() == nil {
					errs++
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	ep := APIEndpoint{Path: path, Requests: len(lat), Errors: errs, RPS: round3(float64(len(lat)) / time.Since(start).Seconds())}
	ep.P50Ms, ep.P99Ms, ep.MaxMs = durationPercentiles(lat)
	return ep
}

// get reports whether url answered 200, reading the whole body.
func get(ctx context.Context, hc *http.Client, url string) bool {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return false
	}
	resp, err := hc.Do(req)
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	_, err = io.Copy(io.Discard, resp.Body)
	return err == nil && resp.StatusCode == http.StatusOK
}

// durationPercentiles are the p50, p99 and max of ds in milliseconds.
func durationPercentiles(ds []time.Duration) (p50, p99, most float64) {
	if len(ds) == 0 {
		return 0, 0, 0
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	at := func(q float64) float64 {
		i := min(len(ds)-1, int(q*float64(len(ds))))
		return wlMs(ds[i])
	}
	return at(0.50), at(0.99), wlMs(ds[len(ds)-1])
}
