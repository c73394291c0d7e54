// Package iavltree is the production implementation of store.KV: an IAVL
// tree (github.com/cosmos/iavl) on goleveldb, or on an in-memory database
// for tests. Its root hash is the app hash, and any key can be proven
// against it.
//
// Each block's writes stay in the tree's working set until Commit, which
// saves them as one new version in one database batch; a crash before
// Commit leaves the previous version intact and CometBFT replays the
// block. The tree's shape, and so its hash, depends on the order of
// writes; store.Cache flushes its buffer in key order for that reason.
//
// It lives apart from package store so that the protocol, which needs only
// the KV interface, never links IAVL or goleveldb.
package iavltree
