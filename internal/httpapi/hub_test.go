package httpapi

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	ctypes "github.com/cometbft/cometbft/rpc/core/types"
)

// blockBackend is a chain that grows when the test says: each block has
// one chain event naming its height, and every block read is counted.
type blockBackend struct {
	Backend
	height atomic.Int64
	app    atomic.Int64 // the app's committed height, if behind CometBFT's (0: not behind)
	mu     sync.Mutex
	reads  map[int64]int
}

func (b *blockBackend) Status(context.Context) (*ctypes.ResultStatus, error) {
	var st ctypes.ResultStatus
	st.SyncInfo.LatestBlockHeight = b.height.Load()
	return &st, nil
}

func (b *blockBackend) ABCIInfo(context.Context) (*ctypes.ResultABCIInfo, error) {
	h := b.height.Load()
	if a := b.app.Load(); a != 0 {
		h = a
	}
	return &ctypes.ResultABCIInfo{Response: abci.InfoResponse{LastBlockHeight: h}}, nil
}

func (b *blockBackend) BlockResults(_ context.Context, h *int64) (*ctypes.ResultBlockResults, error) {
	if *h > b.height.Load() {
		return nil, fmt.Errorf("height %d is not committed", *h)
	}
	b.mu.Lock()
	b.reads[*h]++
	b.mu.Unlock()
	return &ctypes.ResultBlockResults{Height: *h, FinalizeBlockEvents: []abci.Event{
		{Type: "beacon", Attributes: []abci.EventAttribute{{Key: "height", Value: fmt.Sprint(*h)}}}}}, nil
}

// TestHubFansOut: a hundred streams at the head get every new block's
// event, in order, while each block is read from the node once, not once
// per stream; one more stream than the cap is refused with 503.
func TestHubFansOut(t *testing.T) {
	const streams = 100
	b := &blockBackend{reads: map[int64]int{}}
	b.height.Store(5)
	srv := httptest.NewServer(HandlerWith(b, Options{MaxEventStreams: streams}))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	got := make([][]string, streams)
	var opened, wg sync.WaitGroup
	for i := range streams {
		opened.Add(1)
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/v1/events?from=6", nil)
			resp, err := http.DefaultClient.Do(req)
			opened.Done()
			if err != nil {
				t.Error(err)
				return
			}
			defer resp.Body.Close()
			s := bufio.NewScanner(resp.Body)
			for s.Scan() && len(got[i]) < 3 {
				if id, ok := strings.CutPrefix(s.Text(), "id: "); ok {
					got[i] = append(got[i], id)
				}
			}
		}()
	}
	opened.Wait()
	resp, err := http.Get(srv.URL + "/v1/events")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("stream %d past a cap of %d: status %d, want 503", streams+1, streams, resp.StatusCode)
	}
	for h := int64(6); h <= 8; h++ {
		time.Sleep(5 * hubPoll)
		b.height.Store(h)
	}
	wg.Wait()
	for i, ids := range got {
		if strings.Join(ids, ",") != "6:0,7:0,8:0" {
			t.Fatalf("stream %d saw %v, want 6:0,7:0,8:0", i, ids)
		}
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	for h := int64(6); h <= 8; h++ {
		if b.reads[h] != 1 {
			t.Fatalf("block %d read %d times for %d streams: the streams do not share the follower's read", h, b.reads[h], streams)
		}
	}
}

// TestHubWaitsForTheAppsCommit: CometBFT has saved block 7's results but
// the application has not committed it yet, so a query would still show
// the state before it: the stream announces block 7 only once the app has
// committed (a client woken by the event then reads the new state).
func TestHubWaitsForTheAppsCommit(t *testing.T) {
	b := &blockBackend{reads: map[int64]int{}}
	b.height.Store(6)
	srv := httptest.NewServer(Handler(b))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/v1/events?from=7", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b.app.Store(6)
	b.height.Store(7) // saved by CometBFT, not yet committed by the app
	var committed atomic.Bool
	go func() {
		time.Sleep(10 * hubPoll)
		committed.Store(true)
		b.app.Store(0)
	}()
	s := bufio.NewScanner(resp.Body)
	for s.Scan() {
		switch {
		case s.Text() == "event: error":
			s.Scan()
			t.Fatalf("the stream ended: %s", s.Text())
		case strings.HasPrefix(s.Text(), "id: 7:"):
			if !committed.Load() {
				t.Fatal("block 7 announced before the app committed it")
			}
			return
		}
	}
	t.Fatal("the stream ended without block 7")
}
