package httpapi

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/provernet/provernet/wire"
)

// The hub follows the chain for every event stream at once: one goroutine
// (running while any stream is open) asks the node for its height every
// hubPoll, reads each new block's events once, formats each event's
// Server-Sent Events frame once, keeps the last hubKeep blocks, and wakes
// every stream. A stream that is behind (it started from an older height)
// reads those blocks itself; a stream at the head only filters and writes
// frames. So a thousand subscribers cost one block read per block, not a
// thousand, and an event reaches them within a poll of its commit.

// hubPoll is how often the hub looks for a new block.
const hubPoll = 20 * time.Millisecond

// hubKeep is how many of the latest blocks' events the hub keeps.
const hubKeep = 32

// frame is one event and its SSE frame.
type frame struct {
	ev   wire.StreamEvent
	data []byte // "id: ...\nevent: ...\ndata: ...\n\n"
}

// hub is the shared block follower of one API server.
type hub struct {
	s *server

	mu      sync.Mutex
	subs    int               // open streams
	running bool              // the follower goroutine runs
	height  int64             // the latest block the follower has read (0: none yet)
	blocks  map[int64][]frame // the last hubKeep blocks read
	next    chan struct{}     // closed when the follower reads a block
}

func newHub(s *server) *hub {
	return &hub{s: s, blocks: map[int64][]frame{}, next: make(chan struct{})}
}

// join counts a stream in, starting the follower if it is the first.
func (h *hub) join() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.subs++
	if !h.running {
		h.running = true
		go h.follow()
	}
}

// leave counts a stream out; the follower stops when none is left.
func (h *hub) leave() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.subs--
}

// follow reads each new block once while any stream is open.
func (h *hub) follow() {
	tick := time.NewTicker(hubPoll)
	defer tick.Stop()
	for range tick.C {
		h.mu.Lock()
		if h.subs == 0 { // start afresh at the head when a stream comes
			h.running, h.height, h.blocks = false, 0, map[int64][]frame{}
			h.mu.Unlock()
			return
		}
		from := h.height
		h.mu.Unlock()
		h.advance(from)
	}
}

// advance reads the blocks after from up to the node's latest. The first
// time (from 0), it only takes the node's height: streams read older
// blocks themselves.
func (h *hub) advance(from int64) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	latest, err := h.s.committedHeight(ctx)
	if err != nil {
		return
	}
	if from == 0 {
		h.publish(latest, nil)
		return
	}
	for n := from + 1; n <= latest; n++ {
		evs, err := h.s.blockEvents(ctx, n)
		if err != nil {
			return // try again at the next poll
		}
		h.publish(n, frames(evs))
	}
}

// publish records block n's frames (nil: not read) and wakes the streams.
func (h *hub) publish(n int64, fs []frame) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if fs != nil {
		h.blocks[n] = fs
		delete(h.blocks, n-hubKeep)
	}
	h.height = n
	close(h.next)
	h.next = make(chan struct{})
}

// block returns block n's frames: from the hub's blocks, or read now for a
// block older than they are. If the follower has not reached n yet, ok is
// false and wait is closed when it reads the next block.
func (h *hub) block(ctx context.Context, n int64) (fs []frame, wait <-chan struct{}, ok bool, err error) {
	h.mu.Lock()
	height, fs, cached, next := h.height, h.blocks[n], h.blocks[n] != nil, h.next
	h.mu.Unlock()
	switch {
	case n > height:
		return nil, next, false, nil
	case cached:
		return fs, nil, true, nil
	}
	evs, err := h.s.blockEvents(ctx, n)
	if err != nil {
		return nil, nil, false, err
	}
	return frames(evs), nil, true, nil
}

// committedHeight is the latest block the application has committed: the
// lower of CometBFT's latest height and the app's own. CometBFT saves a
// block's results before the app commits its state, so a block is
// announced only once a query can see what it did (a client woken by its
// events then reads the new state, not the one before).
func (s *server) committedHeight(ctx context.Context) (int64, error) {
	st, err := s.b.Status(ctx)
	if err != nil {
		return 0, err
	}
	info, err := s.b.ABCIInfo(ctx)
	if err != nil {
		return 0, err
	}
	return min(st.SyncInfo.LatestBlockHeight, info.Response.LastBlockHeight), nil
}

// frames formats each event's frame once.
func frames(evs []wire.StreamEvent) []frame {
	out := make([]frame, 0, len(evs))
	for _, e := range evs {
		data, _ := json.Marshal(e) // strings and ints: cannot fail
		out = append(out, frame{ev: e, data: fmt.Appendf(nil, "id: %d:%d\nevent: %s\ndata: %s\n\n", e.Height, e.Index, e.Type, data)})
	}
	return out
}
