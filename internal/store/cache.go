package store

import (
	"bytes"
	"slices"

	"github.com/google/btree"
)

// Cache buffers writes over a parent Reader. The chain uses it to run a
// transaction's messages and keep their writes only if all succeed, and to
// hold CheckTx's view of pending nonces and balances.
//
// The buffer is a map (reads and rewrites of a key cost O(1)). From the
// first Iterate on, its keys are also kept in a B-tree in key order, so
// Iterate merges the buffer with the parent's iteration as both go (a
// merge iterator): a call costs the keys it visits plus the buffered
// writes in its range, never a copy and sort of the parent's whole range.
// A cache that is never iterated (most transactions' caches) pays for no
// ordering until Write sorts its keys once.
//
// Iterate sees the state as it was when it was called: writes that fn
// makes to the cache during the iteration are not visited (they land in
// the buffer, not in the snapshot of it the iteration walks).
type Cache struct {
	parent Reader
	writes map[string][]byte     // nil value: deleted
	keys   *btree.BTreeG[string] // the keys of writes, in order; nil until the first Iterate
}

// cacheDegree is the key B-tree's degree: nodes of up to 63 keys.
const cacheDegree = 32

var _ KV = (*Cache)(nil)

// NewCache returns an empty cache over parent.
func NewCache(parent Reader) *Cache {
	return &Cache{parent: parent, writes: make(map[string][]byte)}
}

// Get implements Reader.
func (c *Cache) Get(key []byte) ([]byte, error) {
	if v, ok := c.writes[string(key)]; ok {
		return v, nil
	}
	return c.parent.Get(key)
}

// Set implements KV.
func (c *Cache) Set(key, value []byte) error {
	c.put(string(key), append([]byte{}, value...))
	return nil
}

// Delete implements KV.
func (c *Cache) Delete(key []byte) error {
	c.put(string(key), nil)
	return nil
}

// put buffers a write of k (a nil v deletes it); v is the cache's own.
func (c *Cache) put(k string, v []byte) {
	if _, ok := c.writes[k]; !ok && c.keys != nil {
		c.keys.ReplaceOrInsert(k)
	}
	c.writes[k] = v
}

// Iterate implements Reader, merging buffered writes with the parent: for
// each key the parent yields, the buffered writes before it are visited
// first, and a buffered write of the same key replaces (or deletes) the
// parent's value.
func (c *Cache) Iterate(start, end []byte, fn func(k, v []byte) bool) error {
	buf := c.buffered(start, end)
	stopped := false
	// flush visits the buffered writes with keys below limit (all of them
	// when limit is nil), skipping deletions; false when fn stopped.
	flush := func(limit []byte) bool {
		for len(buf) > 0 && (limit == nil || buf[0].key < string(limit)) {
			e := buf[0]
			buf = buf[1:]
			if e.value != nil && !fn([]byte(e.key), e.value) {
				stopped = true
				return false
			}
		}
		return true
	}
	err := c.parent.Iterate(start, end, func(k, v []byte) bool {
		if !flush(k) {
			return false
		}
		if len(buf) > 0 && buf[0].key == string(k) {
			v = buf[0].value
			buf = buf[1:]
			if v == nil {
				return true // deleted in the cache
			}
		}
		// The parent's key may share memory with its value (an IAVL node
		// loaded from disk): fn gets its own copy, as it gets of the
		// buffered keys.
		if !fn(bytes.Clone(k), v) {
			stopped = true
			return false
		}
		return true
	})
	if err != nil || stopped {
		return err
	}
	flush(nil)
	return nil
}

// buffered returns the buffered writes with keys in [start, end), in key
// order: the snapshot an Iterate call walks.
func (c *Cache) buffered(start, end []byte) []entry {
	if c.keys == nil {
		c.keys = btree.NewOrderedG[string](cacheDegree)
		for k := range c.writes {
			c.keys.ReplaceOrInsert(k)
		}
	}
	var out []entry
	collect := func(k string) bool {
		out = append(out, entry{key: k, value: c.writes[k]})
		return true
	}
	if end == nil {
		c.keys.AscendGreaterOrEqual(string(start), collect)
	} else {
		c.keys.AscendRange(string(start), string(end), collect)
	}
	return out
}

// entry is one buffered write; a nil value is a deletion.
type entry struct {
	key   string
	value []byte
}

// Write flushes the buffered writes to dst in key order and empties the
// cache. A Cache writing into a Cache hands its values over without
// copying them: they were copied when they were Set, and this cache lets
// go of them.
func (c *Cache) Write(dst KV) error {
	if d, ok := dst.(*Cache); ok {
		for k, v := range c.writes { // the order does not matter: d orders its own keys
			d.put(k, v)
		}
		c.clear()
		return nil
	}
	for _, k := range c.sortedKeys() {
		var err error
		if v := c.writes[k]; v == nil {
			err = dst.Delete([]byte(k))
		} else {
			err = dst.Set([]byte(k), v)
		}
		if err != nil {
			return err
		}
	}
	c.clear()
	return nil
}

// sortedKeys lists the buffered keys in order: from the B-tree when there
// is one, else by sorting the map's keys.
func (c *Cache) sortedKeys() []string {
	out := make([]string, 0, len(c.writes))
	if c.keys != nil {
		c.keys.Ascend(func(k string) bool {
			out = append(out, k)
			return true
		})
		return out
	}
	for k := range c.writes {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func (c *Cache) clear() {
	clear(c.writes)
	c.keys = nil
}

// Len is the number of buffered writes.
func (c *Cache) Len() int { return len(c.writes) }
