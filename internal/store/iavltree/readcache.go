package iavltree

import (
	"sync"

	lru "github.com/hashicorp/golang-lru/v2"
)

// The read cache keeps values of the latest committed version by key, so
// that a query (or CheckTx) reading a record of the latest version costs a
// map lookup instead of a walk down the tree, which on a state of a
// hundred thousand workloads misses IAVL's node cache and reads goleveldb
// at each level. It is what IAVL's fast storage does for reads, without
// its second index written at every commit (which doubled Commit's time
// on a full block).
//
// Invariant: every entry holds the value its key has in version `at`.
// Commit removes the keys the block wrote before it moves `at` on, so
// what stays is still right; a reader of another version neither reads
// nor fills the cache; and a value read from the tree is added only if
// the cache is still at the reader's version when it is added.
type readCache struct {
	mu      sync.RWMutex
	at      int64 // the version the entries are of (0: none yet)
	entries *lru.Cache[string, []byte]
	written map[string]struct{} // keys the working set has set or deleted since the last commit
}

// Entries and sizes the cache keeps: a value larger than maxCachedValue
// (a sealed result, a program's record with many inputs) is read from the
// tree every time.
const (
	readCacheEntries = 1 << 17
	maxCachedValue   = 16 << 10
)

func newReadCache() *readCache {
	c, err := lru.New[string, []byte](readCacheEntries)
	if err != nil {
		panic(err) // only for a non-positive size
	}
	return &readCache{entries: c, written: map[string]struct{}{}}
}

// get returns key's value at version v, if cached.
func (c *readCache) get(v int64, key []byte) ([]byte, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.at != v {
		return nil, false
	}
	return c.entries.Get(string(key))
}

// add records key's value at version v (nil: absent), unless the cache
// has moved past v since the value was read.
func (c *readCache) add(v int64, key, value []byte) {
	if len(value) > maxCachedValue {
		return
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.at == v {
		c.entries.Add(string(key), value)
	}
}

// wrote notes a key the working set changed.
func (c *readCache) wrote(key []byte) {
	c.mu.Lock()
	c.written[string(key)] = struct{}{}
	c.mu.Unlock()
}

// committed moves the cache to version v: the keys written since the last
// commit leave it.
func (c *readCache) committed(v int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if v != c.at+1 && c.at != 0 {
		c.entries.Purge() // not the next version (a first commit, a reload): start empty
	}
	for k := range c.written {
		c.entries.Remove(k)
	}
	clear(c.written)
	c.at = v
}

// discarded forgets the working set's writes (they never reach a
// version).
func (c *readCache) discarded() {
	c.mu.Lock()
	clear(c.written)
	c.mu.Unlock()
}

// reset empties the cache and moves it to version v (a version that did
// not come from committing the working set: a restored snapshot).
func (c *readCache) reset(v int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.entries.Purge()
	clear(c.written)
	c.at = v
}
