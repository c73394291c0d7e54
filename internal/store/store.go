// Package store is the committed key-value store behind the chain's app hash.
//
// The state machine reads and writes through the small KV interface. The one
// production implementation is an IAVL tree (github.com/cosmos/iavl): its
// root hash is the app hash, and any key can be proven against it. Each
// block's writes stay in the tree's working set until Commit, which saves
// them as one new version in one database batch; a crash before Commit
// leaves the previous version intact and CometBFT replays the block.
//
// Invariant: the tree's shape, and so its hash, depends on the order of
// writes; callers that buffer writes (Cache) flush them in key order.
package store

import (
	"errors"
)

// ErrNotFound is returned by typed readers built on top of Get when a key is
// absent; Get itself returns (nil, nil) for an absent key.
var ErrNotFound = errors.New("not found")

// Reader reads a consistent view of the state.
type Reader interface {
	// Get returns the value of key, or nil if it is absent.
	Get(key []byte) ([]byte, error)
	// Iterate calls fn for each key in [start, end) in ascending order,
	// until fn returns false. A nil end means no upper bound.
	Iterate(start, end []byte, fn func(key, value []byte) bool) error
}

// KV is a writable view of the state.
type KV interface {
	Reader
	// Set stores value (which must not be nil) under key.
	Set(key, value []byte) error
	// Delete removes key; deleting an absent key is not an error.
	Delete(key []byte) error
}

// PrefixEnd returns the smallest key greater than every key with prefix p,
// or nil if there is none (p is all 0xff).
func PrefixEnd(p []byte) []byte {
	end := append([]byte(nil), p...)
	for i := len(end) - 1; i >= 0; i-- {
		if end[i] < 0xff {
			end[i]++
			return end[:i+1]
		}
	}
	return nil
}
