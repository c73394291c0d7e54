package httpapi

import (
	"context"
	"fmt"
	"time"
)

// Waiting for the node's indexer. CometBFT indexes a block's own events and
// then its transactions on a goroutine of its own once the block commits,
// so a search run right after a commit can miss the newest block: a
// timeline read next to a workload record that says "settled" would then
// lack its settlement and still claim to be complete. Timelines and
// histories therefore first wait, a short bounded while, for the indexes
// to hold every block up to the state they answer for.

// indexWait bounds that wait; past it the answer is served from what the
// indexes hold (a timeline says complete: false).
const indexWait = 3 * time.Second

// indexPoll is how often the wait looks again.
const indexPoll = 20 * time.Millisecond

// awaitIndex waits until the indexes hold block h's events and all its
// transactions, or indexWait passes (false), or ctx ends.
func (s *server) awaitIndex(ctx context.Context, h int64) (bool, error) {
	if h <= 0 {
		return true, nil
	}
	deadline := time.Now().Add(indexWait)
	for {
		ok, err := s.indexed(ctx, h)
		if err != nil || ok {
			return ok, err
		}
		if time.Now().After(deadline) {
			return false, nil
		}
		select {
		case <-ctx.Done():
			return false, ctx.Err()
		case <-time.After(indexPoll):
		}
	}
}

// indexed reports whether the indexes hold block h and all of its
// transactions (CometBFT indexes the block first, then its transactions).
func (s *server) indexed(ctx context.Context, h int64) (bool, error) {
	one := 1
	blocks, err := s.b.BlockSearch(ctx, fmt.Sprintf("block.height = %d", h), &one, &one, "asc")
	if err != nil {
		return false, searchErr(err)
	}
	if len(blocks.Blocks) == 0 || blocks.Blocks[0].Block == nil {
		return false, nil
	}
	n := len(blocks.Blocks[0].Block.Txs)
	if n == 0 {
		return true, nil
	}
	txs, err := s.b.TxSearch(ctx, fmt.Sprintf("tx.height = %d", h), false, &one, &one, "asc")
	if err != nil {
		return false, searchErr(err)
	}
	return txs.TotalCount >= n, nil
}
