package client

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/provernet/provernet/wire"
)

// The waiting methods look at a workload when the chain says something
// happened to it, not on a clock: a waker follows the node's event stream
// (GET /v1/events?workload=ID) and wakes the wait at each of the
// workload's events. Nothing is lost between a look and the next event:
// the stream starts at the height the node had before the first look, so
// any change after that look comes as an event (one already seen only
// wakes the wait once more). Two clocks remain:
//   - a slow safety look every wakeSafety, in case the stream is
//     reconnecting;
//   - the caller's own interval while it asks for one (FollowRun, while a
//     proof may reach the mempool before any block says so), and whenever
//     the stream is not connected: before it opens, while it is dialled
//     again, and for good when the node refuses it (an older node answers
//     404; a busy one 503 until a stream frees).

// wakeSafety is how often a wait looks even when no event came.
const wakeSafety = 2 * time.Second

// waker wakes a wait at each event of one workload.
type waker struct {
	wake chan struct{} // one pending wake-up at most
	live atomic.Bool   // a connection of the stream is open
}

// watch starts following workload id's events from the node's current
// height; the stream ends with ctx. If the node's height cannot be read,
// there is no stream and the wait polls.
func (c *Client) watch(ctx context.Context, id string) *waker {
	wk := &waker{wake: make(chan struct{}, 1)}
	st, err := c.Status(ctx)
	if err != nil {
		return wk
	}
	up := func(live bool) {
		if wk.live.Swap(live) && !live {
			wk.ring() // the stream dropped: look now, then poll until it is back
		}
	}
	go c.events(ctx, EventFilter{Workload: id, From: max(st.Height, 1)}, up, func(wire.StreamEvent) bool {
		wk.ring()
		return true
	})
	return wk
}

// ring wakes the wait once (non-blocking).
func (wk *waker) ring() {
	select {
	case wk.wake <- struct{}{}:
	default:
	}
}

// sleep waits for the next look: an event, the safety clock, or every if
// eager or the stream is not connected. It returns ctx's error if ctx
// ends.
func (wk *waker) sleep(ctx context.Context, every time.Duration, eager bool) error {
	d := wakeSafety
	if eager || !wk.live.Load() {
		d = every
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-wk.wake:
	case <-t.C:
	}
	return nil
}
