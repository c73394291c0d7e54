package bench

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/cometbft/cometbft/types"

	"github.com/provernet/provernet/internal/node"
)

// fanOut opens o.Subscribers event streams on the node's API and times,
// for o.Blocks blocks, how long after the node committed each block every
// subscriber read the block's first event (every block has at least its
// beacon entry's). The commit moment is CometBFT's NewBlock event,
// subscribed in process.
func fanOut(ctx context.Context, d *node.Devnet, o APIOptions) (APISSE, error) {
	out := APISSE{Subscribers: o.Subscribers, Blocks: o.Blocks}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	blocks, err := d.RPC().Subscribe(ctx, "bench-api", types.QueryForEvent(types.EventNewBlock).String(), 256)
	if err != nil {
		return out, fmt.Errorf("subscribe to new blocks: %w", err)
	}
	defer func() { _ = d.RPC().UnsubscribeAll(context.Background(), "bench-api") }()

	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: -1, DisableCompression: true}}
	defer hc.CloseIdleConnections()
	subs := make([]map[int64]time.Time, o.Subscribers)
	var opened, wg sync.WaitGroup
	var mu sync.Mutex
	var openErr error
	for i := range subs {
		subs[i] = map[int64]time.Time{}
		opened.Add(1)
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := readStream(ctx, hc, d.APIURL()+"/v1/events", subs[i], &opened); err != nil {
				mu.Lock()
				openErr = err
				mu.Unlock()
			}
		}()
	}
	opened.Wait()
	if openErr != nil {
		return out, openErr
	}
	// Time the blocks committed after every stream opened: each stream
	// starts at the block after the node's latest when it opened.
	st, err := d.RPC().Status(ctx)
	if err != nil {
		return out, err
	}
	committed := map[int64]time.Time{}
	for len(committed) < o.Blocks {
		select {
		case <-ctx.Done():
			return out, ctx.Err()
		case ev := <-blocks:
			if nb, ok := ev.Data.(types.EventDataNewBlock); ok && nb.Block.Height > st.SyncInfo.LatestBlockHeight {
				committed[nb.Block.Height] = time.Now()
			}
		}
	}
	time.Sleep(time.Second) // the last block's events on their way
	cancel()
	wg.Wait()
	var lat []time.Duration
	for _, seen := range subs {
		for h, at := range committed {
			got, ok := seen[h]
			if !ok {
				out.Missed++
				continue
			}
			lat = append(lat, max(0, got.Sub(at)))
		}
	}
	out.Deliveries = len(lat)
	out.P50Ms, out.P99Ms, out.MaxMs = durationPercentiles(lat)
	return out, nil
}

// readStream follows one event stream until ctx ends, recording when it
// read each block's first event; opened is marked done once the stream
// answered (or failed to).
func readStream(ctx context.Context, hc *http.Client, url string, seen map[int64]time.Time, opened *sync.WaitGroup) error {
	once := sync.OnceFunc(opened.Done)
	defer once()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("event stream: status %d", resp.StatusCode)
	}
	once()
	s := bufio.NewScanner(resp.Body)
	s.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for s.Scan() {
		id, ok := strings.CutPrefix(s.Text(), "id: ")
		if !ok {
			continue
		}
		hs, _, _ := strings.Cut(id, ":")
		h, err := strconv.ParseInt(hs, 10, 64)
		if err != nil {
			continue
		}
		if _, dup := seen[h]; !dup {
			seen[h] = time.Now()
		}
	}
	return nil
}
