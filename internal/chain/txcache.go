package chain

import (
	"container/list"
	"crypto/sha256"
	"sync"

	"github.com/provernet/provernet/wire/txn"
)

// txCacheBytes bounds the decoded-transaction cache. An entry is charged
// entryCost: its wire bytes twice (the raw bytes and the decoded copy of
// their fields) plus a fixed overhead, so a flood of large transactions
// evicts the oldest entries instead of growing the heap.
const txCacheBytes = 128 << 20

// entryOverhead is charged per entry on top of its bytes (the map slot,
// the list element, the decoded structs).
const entryOverhead = 512

// warmLimit: larger transactions are decoded under the lock, after the size
// check, instead of being verified speculatively.
const warmLimit = 64 << 10

// txCache remembers decoded and verified transactions that CheckTx
// admitted, so that a transaction's signature is checked once, when it
// enters the mempool, and not again on recheck or in its block. Invariants:
//   - only transactions CheckTx admitted are kept (a rejected or undecodable
//     one is decoded again if it comes back; it never takes cache space);
//   - the entries' total cost never exceeds max bytes; the oldest admitted
//     are evicted first;
//   - a decode result is a pure function of the bytes, so the cache never
//     changes an outcome, only its cost.
//
// The admission order it keeps is also the mempool's order, so newest
// answers the /pending query without asking CometBFT.
type txCache struct {
	mu    sync.Mutex
	m     map[[32]byte]*list.Element // of *cached
	order *list.List                 // oldest admitted at the front
	bytes int64
	max   int64
}

type cached struct {
	key  [32]byte
	tx   *txn.Tx
	cost int64
}

func newTxCache(maxBytes int64) *txCache {
	return &txCache{m: make(map[[32]byte]*list.Element), order: list.New(), max: maxBytes}
}

func entryCost(raw []byte) int64 { return 2*int64(len(raw)) + entryOverhead }

// decode returns the cached transaction for raw, decoding it on a miss
// without caching the result.
func (c *txCache) decode(raw []byte) (*txn.Tx, error) { return c.decodeKeyed(sha256.Sum256(raw), raw) }

// decodeKeyed is decode for a raw whose key (its SHA-256) is known.
func (c *txCache) decodeKeyed(key [32]byte, raw []byte) (*txn.Tx, error) {
	if tx := c.lookup(key); tx != nil {
		return tx, nil
	}
	return txn.Decode(raw)
}

func (c *txCache) lookup(key [32]byte) *txn.Tx {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.m[key]; ok {
		return e.Value.(*cached).tx
	}
	return nil
}

// admit caches tx (raw, whose SHA-256 is key), which CheckTx has just
// admitted. An entry already
// present keeps its place (a recheck does not make a transaction newer).
func (c *txCache) admit(key [32]byte, raw []byte, tx *txn.Tx) {
	cost := entryCost(raw)
	if tx == nil || cost > c.max {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.m[key]; ok {
		return
	}
	for c.bytes+cost > c.max {
		c.removeLocked(c.order.Front())
	}
	c.m[key] = c.order.PushBack(&cached{key: key, tx: tx, cost: cost})
	c.bytes += cost
}

func (c *txCache) removeLocked(e *list.Element) {
	ce := c.order.Remove(e).(*cached)
	delete(c.m, ce.key)
	c.bytes -= ce.cost
}

// forget drops raw from the cache (it has been included in a block, or a
// recheck found it no longer valid).
func (c *txCache) forget(raw []byte) { c.forgetKey(sha256.Sum256(raw)) }

// forgetKey is forget for a transaction whose key is known.
func (c *txCache) forgetKey(key [32]byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.m[key]; ok {
		c.removeLocked(e)
	}
}

// newest calls fn for at most n cached transactions, newest admitted
// first, until fn returns false. fn runs under the cache's lock and must
// not call back into the cache.
func (c *txCache) newest(n int, fn func(key [32]byte, tx *txn.Tx) bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for e := c.order.Back(); e != nil && n > 0; e, n = e.Prev(), n-1 {
		if ce := e.Value.(*cached); !fn(ce.key, ce.tx) {
			return
		}
	}
}

// usage reports the entries and bytes the cache holds.
func (c *txCache) usage() (entries int, bytes int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.m), c.bytes
}
