// Package store is the key-value interface the state machine reads and
// writes through, and Cache, the write buffer a transaction or a block runs
// against.
//
// The production implementation of KV is the IAVL tree in package
// iavltree; it lives apart so that the protocol links only this interface.
//
// Invariant: a tree's shape, and so the app hash, depends on the order of
// writes; Cache flushes its buffer in key order, so the same writes give the
// same hash however they were buffered.
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
	// until fn returns false. A nil end means no upper bound. The key and
	// value fn gets are read-only and valid only during the call: fn must
	// not modify, append to or keep them (copy what it keeps), and must not
	// write to the Reader it iterates (a Cache over it may be written). If
	// the walk fails part way, fn may already have been called for the
	// keys before the failure.
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
