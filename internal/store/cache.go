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
// first Iterate on, its writes are also kept in a B-tree in key order, so
// Iterate merges the buffer with the parent's iteration as both go (a
// merge iterator), reading the B-tree a few keys at a time: a call costs
// the keys it visits, never a copy of the buffered writes in its range
// (a block's walk of the ask book, stopped after a few entries, no longer
// pays for every entry the block has taken out of the book) nor a copy
// and sort of the parent's range. A cache that is never iterated (most
// transactions' caches) pays for no ordering until Write sorts its keys
// once.
//
// Iterate sees the state as it was when it was called: writes that fn
// makes to the cache during the iteration are not visited. A write during
// an iteration goes to a lazy copy-on-write clone of the B-tree
// (btree.Clone), which leaves the tree the iteration walks as it was.
type Cache struct {
	parent Reader
	writes map[string][]byte    // nil value: deleted
	keys   *btree.BTreeG[entry] // the writes, in key order; nil until the first Iterate
	// walked: an Iterate in progress reads keys, so the next write clones
	// it first; iterating counts the Iterate calls in progress.
	walked    bool
	iterating int
}

// cacheDegree is the key B-tree's degree: nodes of up to 63 keys.
const cacheDegree = 32

// bufferedChunk is how many buffered writes Iterate reads from the B-tree
// at a time.
const bufferedChunk = 16

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
	if c.keys != nil {
		if c.walked { // an iteration reads this tree: write to a copy
			c.keys, c.walked = c.keys.Clone(), false
		}
		c.keys.ReplaceOrInsert(entry{key: k, value: v})
	}
	c.writes[k] = v
}

// Iterate implements Reader, merging buffered writes with the parent: for
// each key the parent yields, the buffered writes before it are visited
// first, and a buffered write of the same key replaces (or deletes) the
// parent's value.
func (c *Cache) Iterate(start, end []byte, fn func(k, v []byte) bool) error {
	buf := c.buffered(start, end)
	c.iterating++
	defer func() {
		if c.iterating--; c.iterating == 0 {
			c.walked = false
		}
	}()
	stopped := false
	// flush visits the buffered writes with keys below limit (all of them
	// when limit is nil), skipping deletions; false when fn stopped.
	flush := func(limit []byte) bool {
		for {
			e, ok := buf.peek()
			if !ok || (limit != nil && e.key >= string(limit)) {
				return true
			}
			buf.pop()
			if e.value != nil && !fn([]byte(e.key), e.value) {
				stopped = true
				return false
			}
		}
	}
	err := c.parent.Iterate(start, end, func(k, v []byte) bool {
		if !flush(k) {
			return false
		}
		if e, ok := buf.peek(); ok && e.key == string(k) {
			v = e.value
			buf.pop()
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

// buffered returns a cursor over the buffered writes with keys in
// [start, end), in key order: the snapshot an Iterate call walks. The
// tree it reads is left alone by later writes (put clones it).
func (c *Cache) buffered(start, end []byte) *cursor {
	if c.keys == nil {
		c.keys = btree.NewG(cacheDegree, entryLess)
		for k, v := range c.writes {
			c.keys.ReplaceOrInsert(entry{key: k, value: v})
		}
	}
	c.walked = true
	return &cursor{tree: c.keys, next: string(start), end: end}
}

// cursor reads a range of a B-tree of writes a chunk at a time.
type cursor struct {
	tree  *btree.BTreeG[entry]
	next  string // the first key not read yet
	end   []byte // nil: no upper bound
	chunk []entry
	done  bool // the range is read to its end
}

// peek returns the cursor's next write, if any.
func (u *cursor) peek() (entry, bool) {
	if len(u.chunk) == 0 && !u.done {
		u.fill()
	}
	if len(u.chunk) == 0 {
		return entry{}, false
	}
	return u.chunk[0], true
}

// pop moves past the write peek returned.
func (u *cursor) pop() { u.chunk = u.chunk[1:] }

// fill reads the next chunk.
func (u *cursor) fill() {
	u.chunk = u.chunk[:0:0]
	visit := func(e entry) bool {
		u.chunk = append(u.chunk, e)
		return len(u.chunk) < bufferedChunk
	}
	if u.end == nil {
		u.tree.AscendGreaterOrEqual(entry{key: u.next}, visit)
	} else {
		u.tree.AscendRange(entry{key: u.next}, entry{key: string(u.end)}, visit)
	}
	if len(u.chunk) < bufferedChunk {
		u.done = true
		return
	}
	u.next = u.chunk[len(u.chunk)-1].key + "\x00" // the smallest key after it
}

// entry is one buffered write; a nil value is a deletion.
type entry struct {
	key   string
	value []byte
}

func entryLess(a, b entry) bool { return a.key < b.key }

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
		c.keys.Ascend(func(e entry) bool {
			out = append(out, e.key)
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
	c.keys, c.walked = nil, false
}

// Len is the number of buffered writes.
func (c *Cache) Len() int { return len(c.writes) }
