package store

import (
	"bytes"

	"github.com/google/btree"
)

// Cache buffers writes over a parent Reader. The chain uses it to run a
// transaction's messages and keep their writes only if all succeed, and to
// hold CheckTx's view of pending nonces and balances.
//
// The buffer is a B-tree in key order, so Iterate merges it with the
// parent's iteration as both go (a merge iterator): a call costs the keys
// it visits plus the buffered writes in its range, never a copy and sort of
// the parent's whole range.
//
// Iterate sees the state as it was when it was called: writes that fn
// makes to the cache during the iteration are not visited (they land in
// the buffer, not in the snapshot of it the iteration walks).
type Cache struct {
	parent Reader
	writes *btree.BTreeG[entry]
}

// entry is one buffered write; a nil value is a deletion.
type entry struct {
	key   string
	value []byte
}

func entryLess(a, b entry) bool { return a.key < b.key }

// cacheDegree is the B-tree's degree: nodes of up to 63 entries.
const cacheDegree = 32

var _ KV = (*Cache)(nil)

// NewCache returns an empty cache over parent.
func NewCache(parent Reader) *Cache {
	return &Cache{parent: parent, writes: btree.NewG(cacheDegree, entryLess)}
}

// Get implements Reader.
func (c *Cache) Get(key []byte) ([]byte, error) {
	if e, ok := c.writes.Get(entry{key: string(key)}); ok {
		return e.value, nil
	}
	return c.parent.Get(key)
}

// Set implements KV.
func (c *Cache) Set(key, value []byte) error {
	c.writes.ReplaceOrInsert(entry{key: string(key), value: append([]byte{}, value...)})
	return nil
}

// Delete implements KV.
func (c *Cache) Delete(key []byte) error {
	c.writes.ReplaceOrInsert(entry{key: string(key)})
	return nil
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
	var out []entry
	collect := func(e entry) bool {
		out = append(out, e)
		return true
	}
	if end == nil {
		c.writes.AscendGreaterOrEqual(entry{key: string(start)}, collect)
	} else {
		c.writes.AscendRange(entry{key: string(start)}, entry{key: string(end)}, collect)
	}
	return out
}

// Write flushes the buffered writes to dst in key order and empties the
// cache.
func (c *Cache) Write(dst KV) error {
	var err error
	c.writes.Ascend(func(e entry) bool {
		if e.value == nil {
			err = dst.Delete([]byte(e.key))
		} else {
			err = dst.Set([]byte(e.key), e.value)
		}
		return err == nil
	})
	if err != nil {
		return err
	}
	c.writes.Clear(false)
	return nil
}

// Len is the number of buffered writes.
func (c *Cache) Len() int { return c.writes.Len() }
