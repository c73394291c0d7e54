package chain

import (
	"crypto/sha256"
	"sync"

	"github.com/provernet/provernet/internal/txn"
)

// txCacheSize bounds the decoded-transaction cache (about a full mempool).
const txCacheSize = 50_000

// warmLimit: larger transactions are decoded under the lock, after the size
// check, instead of being verified speculatively.
const warmLimit = 64 << 10

// txCache remembers the result of decoding and verifying transaction bytes,
// so that a transaction's signature is checked once, when it enters the
// mempool, and not again on recheck or in its block. The result is a pure
// function of the bytes, so the cache never changes an outcome.
type txCache struct {
	mu  sync.Mutex
	m   map[[32]byte]decoded
	max int
}

type decoded struct {
	tx  *txn.Tx
	err error
}

func newTxCache(max int) *txCache {
	return &txCache{m: make(map[[32]byte]decoded), max: max}
}

// decode returns the cached result for raw, decoding it on a miss.
func (c *txCache) decode(raw []byte) (*txn.Tx, error) {
	key := sha256.Sum256(raw)
	c.mu.Lock()
	d, ok := c.m[key]
	c.mu.Unlock()
	if ok {
		return d.tx, d.err
	}
	tx, err := txn.Decode(raw)
	c.mu.Lock()
	if len(c.m) >= c.max {
		clear(c.m) // crude but bounded; entries are cheap to recompute
	}
	c.m[key] = decoded{tx, err}
	c.mu.Unlock()
	return tx, err
}

// warm decodes raw into the cache if it is small enough.
func (c *txCache) warm(raw []byte) {
	if len(raw) <= warmLimit {
		_, _ = c.decode(raw)
	}
}

// forget drops raw from the cache (it has been included in a block).
func (c *txCache) forget(raw []byte) {
	key := sha256.Sum256(raw)
	c.mu.Lock()
	delete(c.m, key)
	c.mu.Unlock()
}
