package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/provernet/provernet/internal/localnet"
	"github.com/provernet/provernet/internal/node"
)

// report summarizes what the run saw.
func (r *loadRun) report(o LoadOptions, wall time.Duration) *LoadReport {
	r.mu.Lock()
	defer r.mu.Unlock()
	rep := &LoadReport{Workloads: r.accepted, Rejected: r.rejected, Kills: r.kills, Validators: o.Validators, Provers: o.Provers,
		K: o.K, BlockTimeMS: o.BlockTime.Milliseconds(), WallS: round(wall.Seconds()), Machine: machine()}
	var blocks, secs []float64
	var first, last int64
	for _, w := range r.ws {
		if !w.accepted {
			continue
		}
		if w.runHeight > 0 {
			rep.Included++
			if first == 0 || w.runHeight < first {
				first = w.runHeight
			}
		}
		switch {
		case w.settleHeight == 0:
			rep.Lost++
		case w.state == "final":
			rep.Final++
		default:
			rep.Failed++
			if rep.Failures == nil {
				rep.Failures = map[string]int{}
			}
			rep.Failures[fmt.Sprintf("%s (%s)", w.state, w.reason)]++
		}
		last = max(last, w.settleHeight)
		if w.finalHeight > 0 && w.runHeight > 0 {
			blocks = append(blocks, float64(w.finalHeight-w.runHeight))
			secs = append(secs, w.finalAt.Sub(w.sentAt).Seconds())
		}
	}
	rep.FinalP50Blocks, rep.FinalP99Blocks = pct(blocks, 50), pct(blocks, 99)
	rep.FinalP50S, rep.FinalP99S = pct(secs, 50), pct(secs, 99)
	if wall > 0 {
		rep.WorkloadsPerS = round(float64(rep.Final) / wall.Seconds())
	}
	if first > 0 {
		rep.Blocks = last - first + 1
	}
	return rep
}

// compareAppHashes asks every running node for the app hash it computed
// at each height all of them reached (CometBFT's block_results) and
// counts the heights at which they differ.
func compareAppHashes(ctx context.Context, l *localnet.Layout, rep *LoadReport) error {
	top := int64(-1)
	for _, n := range l.Nodes {
		h, err := rpcHeight(ctx, n.RPC)
		if err != nil {
			return fmt.Errorf("%s: %w", n.Name, err)
		}
		if top < 0 || h < top {
			top = h
		}
	}
	hashes := make([][]string, len(l.Nodes))
	var wg sync.WaitGroup
	errs := make([]error, len(l.Nodes))
	for i, n := range l.Nodes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			hashes[i], errs[i] = appHashes(ctx, n.RPC, top)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			return fmt.Errorf("%s: %w", l.Nodes[i].Name, err)
		}
	}
	for h := int64(1); h <= top; h++ {
		rep.HeightsCompared++
		for i := 1; i < len(hashes); i++ {
			if hashes[i][h-1] != hashes[0][h-1] {
				rep.AppHashMismatches++
				break
			}
		}
	}
	return nil
}

// rpcHeight is a node's latest height from CometBFT's /status.
func rpcHeight(ctx context.Context, rpc string) (int64, error) {
	var st struct {
		Result struct {
			SyncInfo struct {
				Height int64 `json:"latest_block_height,string"`
			} `json:"sync_info"`
		} `json:"result"`
	}
	if err := rpcGet(ctx, rpc+"/status", &st); err != nil {
		return 0, err
	}
	return st.Result.SyncInfo.Height, nil
}

// appHashes are the app hashes a node computed for heights 1..top.
func appHashes(ctx context.Context, rpc string, top int64) ([]string, error) {
	out := make([]string, top)
	for h := int64(1); h <= top; h++ {
		var br struct {
			Result struct {
				AppHash string `json:"app_hash"`
			} `json:"result"`
		}
		if err := rpcGet(ctx, fmt.Sprintf("%s/block_results?height=%d", rpc, h), &br); err != nil {
			return nil, fmt.Errorf("block_results %d: %w", h, err)
		}
		out[h-1] = br.Result.AppHash
	}
	return out, nil
}

var rpcClient = &http.Client{Timeout: 10 * time.Second}

func rpcGet(ctx context.Context, url string, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := rpcClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s", url, resp.Status)
	}
	return json.NewDecoder(resp.Body).Decode(out)
}

// checkNodes runs the invariants over every stopped node's state.
func checkNodes(l *localnet.Layout, rep *LoadReport) {
	for _, n := range l.Nodes {
		res := LoadNodeResult{Name: n.Name}
		c, err := node.CheckState(n.Home)
		switch {
		case err != nil:
			res.Error = err.Error()
			rep.InvariantFailures++
		default:
			res.Height, res.AppHash, res.Error = c.Height, c.AppHash, c.Err
			if c.Err != "" {
				rep.InvariantFailures++
			}
		}
		rep.Nodes = append(rep.Nodes, res)
	}
}
