package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"time"

	"github.com/provernet/provernet/client"
	"github.com/provernet/provernet/internal/node"
	"github.com/provernet/provernet/internal/prover"
	"github.com/provernet/provernet/wire"
)

// E2EOptions size the end-to-end benchmark.
type E2EOptions struct {
	Programs  string        // built example programs (build/programs)
	Workloads int           // tiny sha256-chain workloads
	K         int           // provers per workload
	Provers   int           // prover daemons
	Lanes     int           // workloads in flight at once (one user account each)
	BlockTime time.Duration // the devnet's block time
	Progress  io.Writer
	Log       io.Writer // the node's and the provers' logs (nil: discarded)
}

// E2EReport is the benchmark's JSON report. "Result" is the moment the
// first prover finished proving; "opened" the moment the user held the
// opened proof; "beyond proving" is Run-to-final minus that prover's
// proving time.
type E2EReport struct {
	Workloads   int   `json:"workloads"`
	Final       int   `json:"final"`
	K           int   `json:"k"`
	Provers     int   `json:"provers"`
	BlockTimeMS int64 `json:"block_time_ms"`

	SealedAfterResultBlocksP50  float64 `json:"sealed_after_result_blocks_p50"`
	SealedAfterResultBlocksP99  float64 `json:"sealed_after_result_blocks_p99"`
	SealedAfterResultSP50       float64 `json:"sealed_after_result_s_p50"`
	SealedAfterResultSP99       float64 `json:"sealed_after_result_s_p99"`
	FinalBeyondProvingBlocksP50 float64 `json:"final_beyond_proving_blocks_p50"`
	FinalBeyondProvingBlocksP99 float64 `json:"final_beyond_proving_blocks_p99"`
	FinalBeyondProvingSP50      float64 `json:"final_beyond_proving_s_p50"`
	FinalBeyondProvingSP99      float64 `json:"final_beyond_proving_s_p99"`
	ProvingBlocksP50            float64 `json:"proving_blocks_p50"`
	OpenedFromMempool           int     `json:"opened_from_mempool"` // workloads whose proof the user opened before its block
	RunToFinalBlocksP50         float64 `json:"run_to_final_blocks_p50"`
	WallS                       float64 `json:"wall_s"`
	Machine                     Machine `json:"machine"`
}

// stepKey names a slot's steps.
type stepKey struct {
	workload string
	slot     uint32
}

// steps records the provers' proving steps.
type steps struct {
	mu sync.Mutex
	m  map[stepKey]map[string]prover.Step
}

func (s *steps) observe(st prover.Step) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := stepKey{fmt.Sprintf("%x", st.Workload), st.Slot}
	if s.m[k] == nil {
		s.m[k] = map[string]prover.Step{}
	}
	s.m[k][st.Kind] = st
}

func (s *steps) get(workload string, slot uint32, kind string) (prover.Step, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, ok := s.m[stepKey{workload, slot}][kind]
	return st, ok
}

// sample is one workload's measurements.
type sample struct {
	sealedBlocks, beyondBlocks, provingBlocks, runToFinal float64
	sealedS, beyondS                                      float64
	final, fromMempool                                    bool
}

// openFirst waits for the first result with a proof and opens it as the
// user: from the node's mempool when it is there, else from its block. It
// returns the slot and where it was found.
func openFirst(ctx context.Context, c *client.Client, id, identity string) (uint32, string, error) {
	for {
		if r, err := c.OpenPending(ctx, id, identity, 1<<20); err == nil {
			return r.Slot, "mempool", nil
		}
		w, err := c.Workload(ctx, id)
		if err == nil {
			if first := w.FirstSubmitted(); first != nil {
				if _, err := c.OpenSlot(ctx, w, first.Index, identity, 1<<20); err != nil {
					return 0, "", fmt.Errorf("open: %w", err)
				}
				return first.Index, "block", nil
			}
			if w.Settled {
				return 0, "", errors.New("settled without a result")
			}
		}
		select {
		case <-ctx.Done():
			return 0, "", ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// E2E runs a devnet with prover daemons, submits tiny workloads and
// measures how soon the user holds each proof and how soon it is final.
func E2E(ctx context.Context, o E2EOptions) (*E2EReport, error) {
	if _, err := os.Stat(filepath.Join(o.Programs, "sha256-chain", "prover.wasm")); err != nil {
		return nil, fmt.Errorf("no sha256-chain program under %s (run `make programs`): %w", o.Programs, err)
	}
	home, err := os.MkdirTemp("", "provernet-bench-e2e-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(home)
	onLoopback, err := node.OnLoopback()
	if err != nil {
		return nil, err
	}
	logw := o.Log
	if logw == nil {
		logw = io.Discard
	}
	d, err := node.StartDevnet(ctx, node.DevnetOptions{Home: home, Accounts: o.Lanes, Provers: o.Provers,
		Balance: node.DevnetDefaults.Balance, BlockTime: o.BlockTime, Node: node.Options{Log: logw, Configure: onLoopback}})
	if err != nil {
		return nil, err
	}
	defer d.Stop()
	c := client.New(d.APIURL())
	if _, err := c.WaitHeight(ctx, 2); err != nil {
		return nil, err
	}
	rec := &steps{m: map[stepKey]map[string]prover.Step{}}
	ps, err := node.StartProvers(d.Node, d.ProverKeys, node.ProverOptions{Capacity: 2, Observe: rec.observe,
		Log: slog.New(slog.NewTextHandler(logw, nil))})
	if err != nil {
		return nil, err
	}
	defer ps.Stop()
	progs, err := node.DeployExamples(ctx, c, d.Keys[0], onlySHA(o.Programs, home))
	if err != nil || len(progs) == 0 {
		return nil, fmt.Errorf("deploy: %v", err)
	}
	if err := node.WaitActiveProvers(ctx, c, o.Provers); err != nil {
		return nil, err
	}
	start := time.Now()
	samples, err := runLanes(ctx, c, d, progs[0], o, rec)
	if err != nil {
		return nil, err
	}
	return summarize(o, samples, time.Since(start)), nil
}

// onlySHA makes a programs directory holding just sha256-chain (a link),
// so the benchmark does not upload the others.
func onlySHA(programs, home string) string {
	dir := filepath.Join(home, "programs")
	_ = os.MkdirAll(dir, 0o700)
	src, _ := filepath.Abs(filepath.Join(programs, "sha256-chain"))
	_ = os.Symlink(src, filepath.Join(dir, "sha256-chain"))
	return dir
}

// runLanes sends the workloads from o.Lanes users, each with one workload
// in flight.
func runLanes(ctx context.Context, c *client.Client, d *node.Devnet, prog node.ExampleProgram, o E2EOptions, rec *steps) ([]sample, error) {
	var mu sync.Mutex
	var samples []sample
	var firstErr error
	next := 0
	var wg sync.WaitGroup
	for lane := 0; lane < o.Lanes; lane++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			user := d.Keys[lane]
			id, err := client.LoadOrCreateIdentity(client.IdentityFile(d.Home(), user.Name))
			if err != nil {
				mu.Lock()
				firstErr = err
				mu.Unlock()
				return
			}
			for {
				mu.Lock()
				if next >= o.Workloads || firstErr != nil {
					mu.Unlock()
					return
				}
				n := next
				next++
				mu.Unlock()
				s, err := oneWorkload(ctx, c, user, id.String(), id.Recipient().String(), prog, n, o.K, rec)
				mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = err
				}
				samples = append(samples, s)
				if o.Progress != nil && len(samples)%20 == 0 {
					fmt.Fprintf(o.Progress, "e2e: %d/%d workloads done\n", len(samples), o.Workloads)
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return samples, firstErr
}

// oneWorkload runs one tiny workload: submit, open the first result as soon
// as it is in a block, then wait for finality.
func oneWorkload(ctx context.Context, c *client.Client, user *client.Key, identity, recipient string, prog node.ExampleProgram, n, k int, rec *steps) (sample, error) {
	var s sample
	input := fmt.Appendf(nil, `{"seed": "%08x", "iterations": 100}`, n)
	req := client.RunRequest{Program: prog.ID, Cycles: 200_000_000, Provers: uint32(k), Recipient: recipient,
		Inputs: []client.RunInput{{Name: "input.json", Data: input}}}
	sub, err := c.SubmitRun(ctx, user, req)
	if err != nil {
		return s, err
	}
	tx, err := c.WaitTx(ctx, sub.TxHash)
	if err != nil || tx.Code != 0 {
		return s, fmt.Errorf("run %d: %v %v", n, err, tx)
	}
	runAt := time.Now()
	slot, opened, err := openFirst(ctx, c, sub.Workload, identity)
	if err != nil {
		return s, fmt.Errorf("run %d: %w", n, err)
	}
	openedAt := time.Now()
	st, err := c.Status(ctx)
	if err != nil {
		return s, err
	}
	s.fromMempool = opened == "mempool"
	var w *wire.Workload
	if w, err = c.WaitWorkload(ctx, sub.Workload, 50*time.Millisecond, nil, func(w *wire.Workload) bool { return w.FinalHeight > 0 || w.Settled }); err != nil {
		return s, err
	}
	finalAt := time.Now()
	proving, ok1 := rec.get(sub.Workload, slot, "proving")
	proved, ok2 := rec.get(sub.Workload, slot, "proved")
	if !ok1 || !ok2 || w.FinalHeight == 0 {
		return s, nil // not final, or not measured: counted as not final
	}
	s.final = true
	s.sealedBlocks = float64(st.Height - proved.Height)
	s.sealedS = openedAt.Sub(proved.At).Seconds()
	s.provingBlocks = float64(proved.Height - proving.Height)
	s.runToFinal = float64(w.FinalHeight - tx.Height)
	s.beyondBlocks = s.runToFinal - s.provingBlocks
	s.beyondS = finalAt.Sub(runAt).Seconds() - proved.At.Sub(proving.At).Seconds()
	return s, nil
}

func summarize(o E2EOptions, samples []sample, wall time.Duration) *E2EReport {
	r := &E2EReport{Workloads: len(samples), K: o.K, Provers: o.Provers, BlockTimeMS: o.BlockTime.Milliseconds(),
		WallS: round(wall.Seconds()), Machine: machine()}
	var sb, ss, bb, bs, pb, rf []float64
	for _, s := range samples {
		if !s.final {
			continue
		}
		r.Final++
		if s.fromMempool {
			r.OpenedFromMempool++
		}
		sb, ss, bb, bs = append(sb, s.sealedBlocks), append(ss, s.sealedS), append(bb, s.beyondBlocks), append(bs, s.beyondS)
		pb, rf = append(pb, s.provingBlocks), append(rf, s.runToFinal)
	}
	r.SealedAfterResultBlocksP50, r.SealedAfterResultBlocksP99 = pct(sb, 50), pct(sb, 99)
	r.SealedAfterResultSP50, r.SealedAfterResultSP99 = pct(ss, 50), pct(ss, 99)
	r.FinalBeyondProvingBlocksP50, r.FinalBeyondProvingBlocksP99 = pct(bb, 50), pct(bb, 99)
	r.FinalBeyondProvingSP50, r.FinalBeyondProvingSP99 = pct(bs, 50), pct(bs, 99)
	r.ProvingBlocksP50, r.RunToFinalBlocksP50 = pct(pb, 50), pct(rf, 50)
	return r
}

// pct is the p-th percentile (nearest rank), rounded to 0.01.
func pct(xs []float64, p int) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	i := (p*len(s)+99)/100 - 1
	i = min(max(i, 0), len(s)-1)
	return float64(int64(s[i]*100+0.5)) / 100
}
