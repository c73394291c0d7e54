package store

import (
	"bytes"
	"sort"
)

// Cache buffers writes over a parent Reader. The chain uses it to run a
// transaction's messages and keep their writes only if all succeed, and to
// hold CheckTx's view of pending nonces and balances.
type Cache struct {
	parent Reader
	writes map[string][]byte // nil value: deleted
}

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
	c.writes[string(key)] = append([]byte{}, value...)
	return nil
}

// Delete implements KV.
func (c *Cache) Delete(key []byte) error {
	c.writes[string(key)] = nil
	return nil
}

// Iterate implements Reader, merging buffered writes with the parent.
func (c *Cache) Iterate(start, end []byte, fn func(k, v []byte) bool) error {
	merged := make(map[string][]byte)
	err := c.parent.Iterate(start, end, func(k, v []byte) bool {
		merged[string(k)] = v
		return true
	})
	if err != nil {
		return err
	}
	for k, v := range c.writes {
		if inRange([]byte(k), start, end) {
			merged[k] = v
		}
	}
	for _, k := range sortedKeys(merged) {
		if v := merged[k]; v != nil && !fn([]byte(k), v) {
			return nil
		}
	}
	return nil
}

// Write flushes the buffered writes to dst in key order and empties the
// cache.
func (c *Cache) Write(dst KV) error {
	for _, k := range sortedKeys(c.writes) {
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
	clear(c.writes)
	return nil
}

// Len is the number of buffered writes.
func (c *Cache) Len() int { return len(c.writes) }

func sortedKeys(m map[string][]byte) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func inRange(k, start, end []byte) bool {
	return bytes.Compare(k, start) >= 0 && (end == nil || bytes.Compare(k, end) < 0)
}
