package client

import (
	"context"
	"fmt"
	"time"

	"github.com/provernet/provernet/wire"
)

// heightPoll is how often WaitHeight asks the node for its height: a
// fraction of the shortest block time a devnet runs.
const heightPoll = 50 * time.Millisecond

// WaitHeight waits until the node's chain reaches height h and returns the
// node's status at that point. Errors from the node while it starts are
// retried; when ctx ends first, the error says the last height seen and
// wraps the last error and ctx's.
func (c *Client) WaitHeight(ctx context.Context, h int64) (*wire.Status, error) {
	var last int64
	var lastErr error
	for {
		st, err := c.Status(ctx)
		if err == nil && st.Height >= h {
			return st, nil
		}
		if err == nil {
			last = st.Height
		} else {
			lastErr = err
		}
		select {
		case <-ctx.Done():
			if lastErr != nil {
				return nil, fmt.Errorf("the chain did not reach height %d (last seen %d; last error: %w): %w", h, last, lastErr, ctx.Err())
			}
			return nil, fmt.Errorf("the chain did not reach height %d (last seen %d): %w", h, last, ctx.Err())
		case <-time.After(heightPoll):
		}
	}
}
