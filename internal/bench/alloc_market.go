package bench

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"runtime"
	"slices"
	"strconv"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"

	"github.com/provernet/provernet/internal/protocol"
	"github.com/provernet/provernet/wire/pb"
)

// The market and pool mechanisms' `bench alloc` (issue 17): the chain's
// own matching of a block's market Runs against the ask book (or its draw
// of a block's pool Runs in the epoch's pool), timed as the FinalizeBlock
// of the block that matches them (BeginBlock's market step, after the
// lottery's allocation of an empty lottery queue). Unlike the lottery's
// figure, which times alloc.Allocate on an in-memory population, this one
// reads the book from the real store (chain.App on an on-disk IAVL tree),
// as the chain does. For the pool, the genesis sets epoch_length to
// 3 * Runs + 2 and the bench advances to an epoch's first block, whose
// FinalizeBlock (the pools' freeze) it times apart, so that the timed
// blocks all fall in that epoch.

// MarketAllocOptions size the market benchmark.
type MarketAllocOptions struct {
	Mechanism string // "market" (the default) or "pool"
	Provers   int    // active provers
	Asks      int    // asks in the book, spread evenly over the provers (at most max_asks_per_prover each)
	Workloads int    // market Runs queued for each timed block
	Runs      int    // timed blocks; the median is reported
	Seed      uint64 // prices, latencies and orders
	Dir       string // the store's directory; empty: a temporary one
	Progress  io.Writer
}

// MarketAllocResult is the market benchmark's JSON report.
type MarketAllocResult struct {
	Mechanism string `json:"mechanism"` // "market" or "pool"
	Provers   int    `json:"provers"`
	Asks      int    `json:"asks"`      // asks set (every one in the book: each prover is active)
	Workloads int    `json:"workloads"` // market Runs per timed block
	// MsPerBlock is the median FinalizeBlock of the blocks that match the
	// queued Runs; EmptyMs the median of empty blocks before them, the
	// part of it that is not the market's.
	MsPerBlock    float64 `json:"ms_per_block"`
	EmptyMs       float64 `json:"empty_ms"`
	UsPerWorkload float64 `json:"us_per_workload"`
	// CPUMsPerBlock is the median CPU time (user and system, the whole
	// process) of those FinalizeBlocks, GCMsPerBlock the part the Go
	// runtime spent collecting garbage: on a shared machine the wall time
	// also counts the other processes' turns, the CPU time does not.
	CPUMsPerBlock float64 `json:"cpu_ms_per_block"`
	GCMsPerBlock  float64 `json:"gc_cpu_ms_per_block"`
	EmptyCPUMs    float64 `json:"empty_cpu_ms"` // the empty blocks' median CPU time
	// Per timed block, summed over all of them: Runs matched (at least one
	// ask taken), Runs that matched nothing (a market Run failed at once; a
	// pool Run drew nobody and its slots opened to the open market), the
	// slots asked for and the slots an ask took.
	Matched   int       `json:"matched"`
	Unmatched int       `json:"unmatched"`
	Slots     int       `json:"slots"`
	Taken     int       `json:"taken"`
	BlocksMs  []float64 `json:"blocks_ms"`
	// MissReasons counts the nearest misses the Runs that matched nothing
	// name (market_miss events, up to 8 per Run), by reason.
	MissReasons map[string]int `json:"miss_reasons"`
	// AcceptWindow is the genesis's accept_window: raised from the default
	// so that no accept timer of an earlier timed block falls due in a
	// later one (asks' latencies start there).
	AcceptWindow int64 `json:"accept_window"`
	// The pool's: the FinalizeBlock of the epoch's first block (an empty
	// block but for the freeze), and how many members each class's pool
	// got.
	FreezeMs    float64        `json:"freeze_ms,omitempty"`
	PoolMembers map[string]int `json:"pool_members,omitempty"`
	SetupS      float64        `json:"setup_s"`
	Runs        int            `json:"runs"`
	Seed        uint64         `json:"seed"`
	Machine     Machine        `json:"machine"`
}

const (
	mktAcceptWindow = 64
	mktMaxPrice     = 100 // asks price 1..mktMaxPrice uprv per mega-cycle
	mktLatencySpan  = 200 // asks' latency accept_window..+span
	mktBalance      = 1 << 42
)

func (o *MarketAllocOptions) ensureDefaults() {
	if o.Provers <= 0 {
		o.Provers = 100000
	}
	if o.Asks < 0 {
		o.Asks = 0
	}
	if o.Workloads <= 0 {
		o.Workloads = 10000
	}
	if o.Runs < 1 {
		o.Runs = 1
	}
	if o.Progress == nil {
		o.Progress = io.Discard
	}
	if o.Mechanism == "" {
		o.Mechanism = "market"
	}
}

// AllocMarket builds a chain of o.Provers active provers holding o.Asks
// asks, then o.Runs times queues o.Workloads market Runs in one block and
// times the next block, which matches them.
func AllocMarket(ctx context.Context, o MarketAllocOptions) (*MarketAllocResult, error) {
	o.ensureDefaults()
	if o.Mechanism != "market" && o.Mechanism != "pool" {
		return nil, fmt.Errorf("mechanism %q: want market or pool", o.Mechanism)
	}
	dir := o.Dir
	if dir == "" {
		d, err := os.MkdirTemp("", "provernet-bench-market-")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(d)
		dir = d
	}
	t0 := time.Now()
	h, err := newWLHarness(WorkloadsOptions{Provers: o.Provers, Runs: o.Workloads, Results: 1, Blocks: 1, Progress: o.Progress,
		genesis: func(g *protocol.Genesis) {
			g.Params.AcceptWindow = mktAcceptWindow
			if o.Mechanism == "pool" {
				g.Params.EpochLength = int64(3*o.Runs + 2)
			}
			for i := range g.Accounts { // 2^50 each overflows the supply past 16k accounts
				g.Accounts[i].Balance = mktBalance
			}
		}}, dir)
	if err != nil {
		return nil, err
	}
	defer h.tree.Close()
	if err := h.populate(ctx); err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(o.Seed, 0x6d61726b6574))
	asks, err := h.setAsks(ctx, rng, o.Asks)
	if err != nil {
		return nil, err
	}
	res := &MarketAllocResult{Mechanism: o.Mechanism, Provers: o.Provers, Asks: asks, Workloads: o.Workloads,
		MissReasons: map[string]int{}, AcceptWindow: h.params.AcceptWindow, Runs: o.Runs, Seed: o.Seed, Machine: machine()}
	if o.Mechanism == "pool" {
		if err := h.freezePool(ctx, res); err != nil {
			return nil, err
		}
	}
	res.SetupS = round3(time.Since(t0).Seconds())
	fmt.Fprintf(o.Progress, "%d provers, %d asks in the book at height %d (%.1f s)\n", o.Provers, asks, h.height, res.SetupS)
	var empty, timed, cpu, gc, emptyCPU []float64
	for r := range o.Runs {
		ms, _, err := h.timedBlock(ctx)
		if err != nil {
			return nil, err
		}
		empty, emptyCPU = append(empty, ms), append(emptyCPU, h.lastCPUMs)
		txs, slots := h.marketRuns(rng, o.Workloads, o.Mechanism == "pool")
		if err := h.plain(ctx, txs); err != nil {
			return nil, err
		}
		ms, resp, err := h.timedBlock(ctx)
		if err != nil {
			return nil, err
		}
		cpu, gc = append(cpu, h.lastCPUMs), append(gc, h.lastGCMs)
		c := countMarket(resp.Events)
		c.slots = slots
		if c.matched+c.unmatched != o.Workloads {
			return nil, fmt.Errorf("block %d matched %d and failed %d of %d market Runs", h.height, c.matched, c.unmatched, o.Workloads)
		}
		res.Matched, res.Unmatched, res.Slots, res.Taken = res.Matched+c.matched, res.Unmatched+c.unmatched, res.Slots+c.slots, res.Taken+c.taken
		for r, n := range c.misses {
			res.MissReasons[r] += n
		}
		timed = append(timed, ms)
		fmt.Fprintf(o.Progress, "block %d (%d of %d): %.1f ms (CPU %.1f ms, empty %.1f ms), %d matched, %d failed, %d of %d slots taken\n",
			h.height, r+1, o.Runs, ms, h.lastCPUMs, empty[len(empty)-1], c.matched, c.unmatched, c.taken, c.slots)
	}
	res.BlocksMs = slices.Clone(timed)
	res.MsPerBlock, res.EmptyMs = medianMs(timed), medianMs(empty)
	res.CPUMsPerBlock, res.GCMsPerBlock, res.EmptyCPUMs = medianMs(cpu), medianMs(gc), medianMs(emptyCPU)
	res.UsPerWorkload = round3(res.MsPerBlock * 1000 / float64(o.Workloads))
	return res, nil
}

// setAsks gives the provers n asks in all, one SetAsk tx per prover, each
// ask serving the bench program or the cpu class at a random price and
// latency; it returns how many it set.
func (h *wlHarness) setAsks(ctx context.Context, rng *rand.Rand, n int) (int, error) {
	per := min(n/max(len(h.provers), 1)+1, int(h.params.MaxAsksPerProver))
	set := 0
	var txs []*wlTx
	for _, p := range h.provers {
		var msgs []*pb.Msg
		for id := 0; id < per && set < n; id++ {
			a := &pb.SetAsk{Id: uint32(id + 1), Price: 1 + rng.Uint64N(mktMaxPrice),
				Latency: h.params.AcceptWindow + rng.Int64N(mktLatencySpan+1)}
			if rng.IntN(2) == 0 {
				a.Programs = [][]byte{h.program}
			} else {
				a.Classes = []string{"cpu"}
			}
			msgs = append(msgs, &pb.Msg{Kind: &pb.Msg_SetAsk{SetAsk: a}})
			set++
		}
		if len(msgs) > 0 {
			txs = append(txs, newTx("set_ask", p, msgs...))
		}
	}
	for len(txs) > 0 {
		k := min(len(txs), wlProverBatch)
		if err := h.plain(ctx, txs[:k]); err != nil {
			return 0, err
		}
		txs = txs[k:]
	}
	return set, nil
}

// marketRuns are n market Runs (pool Runs with pool), one per user: k
// 1..3, a max_price and a max_latency over the asks' ranges (some match
// nothing), either priority (a pool Run has none). It returns them and
// their slots (the sum of k).
func (h *wlHarness) marketRuns(rng *rand.Rand, n int, pool bool) ([]*wlTx, int) {
	txs, slots := make([]*wlTx, 0, n), 0
	for i := range n {
		u := h.users[i%len(h.users)]
		m := &pb.MarketOrder{Mechanism: pb.Mechanism_MECHANISM_MARKET, MaxPrice: 1 + rng.Uint64N(mktMaxPrice),
			MaxLatency: h.params.AcceptWindow + rng.Int64N(mktLatencySpan+1), Priority: pb.Priority(rng.IntN(2))}
		if pool {
			m.Mechanism, m.Priority = pb.Mechanism_MECHANISM_POOL, pb.Priority_PRIORITY_PRICE
		}
		run := &pb.Run{Program: h.program, Cycles: wlCycles, Provers: uint32(1 + rng.IntN(3)), Recipient: u.recipient,
			Deadline: h.deadline + mktAcceptWindow + mktLatencySpan, Inputs: []*pb.Input{{Name: "input.json", Data: []byte(strconv.Itoa(i))}},
			Market: m}
		slots += int(run.Provers)
		txs = append(txs, newTx("run", u, &pb.Msg{Kind: &pb.Msg_Run{Run: run}}))
	}
	return txs, slots
}

// freezePool runs empty blocks up to the first of the next epoch and
// times that one, which freezes the pools; res gets its time and the
// pools' sizes.
func (h *wlHarness) freezePool(ctx context.Context, res *MarketAllocResult) error {
	for (h.height+1)%h.params.EpochLength != 0 {
		if _, _, err := h.timedBlock(ctx); err != nil {
			return err
		}
	}
	ms, resp, err := h.timedBlock(ctx)
	if err != nil {
		return err
	}
	res.FreezeMs, res.PoolMembers = ms, map[string]int{}
	for _, ev := range resp.Events {
		if ev.Type == "pool" {
			res.PoolMembers[wlAttr(ev, "class")] = wlAttrInt(ev, "members")
		}
	}
	if res.PoolMembers["cpu"] == 0 {
		return fmt.Errorf("height %d froze no cpu pool (events %v)", h.height, resp.Events)
	}
	return nil
}

// timedBlock runs the next block with only its beacon entry and returns
// its FinalizeBlock time and response; h.lastCPUMs and h.lastGCMs get its
// CPU time and the garbage collector's part of it.
func (h *wlHarness) timedBlock(ctx context.Context) (float64, *abci.FinalizeBlockResponse, error) {
	height := h.height + 1
	beacon, err := protocol.ProposeBeacon(h.state(), height, h.valAddr, h.vrfSecret)
	if err != nil {
		return 0, nil, err
	}
	runtime.GC()
	t0, cpu0, gc0 := time.Now(), wlProcessCPU(), wlGCCPU()
	resp, err := h.app.FinalizeBlock(ctx, &abci.FinalizeBlockRequest{Txs: [][]byte{beacon}, Height: height,
		Time: time.Unix(1_700_000_000+height, 0), ProposerAddress: h.valAddr, Hash: bytes.Repeat([]byte{byte(height)}, 32)})
	ms := wlMs(time.Since(t0))
	h.lastCPUMs, h.lastGCMs = wlMs(wlProcessCPU()-cpu0), wlMs(wlGCCPU()-gc0)
	if err != nil {
		return 0, nil, fmt.Errorf("height %d: FinalizeBlock: %w", height, err)
	}
	if r := resp.TxResults[0]; r.Code != 0 {
		return 0, nil, fmt.Errorf("height %d: beacon entry failed: %s", height, r.Log)
	}
	if _, err := h.app.Commit(ctx, &abci.CommitRequest{}); err != nil {
		return 0, nil, fmt.Errorf("height %d: Commit: %w", height, err)
	}
	h.height = height
	return ms, resp, nil
}

type marketCounts struct {
	matched, unmatched, slots, taken int
	misses                           map[string]int
}

// countMarket counts a block's market_match and market_unmatched events
// (a pool Run drawn on nobody is matched 0: it counts as unmatched).
func countMarket(evs []abci.Event) marketCounts {
	c := marketCounts{misses: map[string]int{}}
	for _, ev := range evs {
		switch ev.Type {
		case "market_match":
			if n := wlAttrInt(ev, "matched"); n > 0 {
				c.matched++
				c.taken += n
			} else {
				c.unmatched++
			}
		case "market_unmatched":
			c.unmatched++
		case "market_miss":
			c.misses[wlAttr(ev, "reason")]++
		}
	}
	return c
}

func medianMs(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s) == 0 {
		return 0
	}
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return round3((s[len(s)/2-1] + s[len(s)/2]) / 2)
}
