package iavltree

import (
	"bytes"
	"errors"
	"sync"

	"github.com/google/btree"

	"github.com/provernet/provernet/internal/store"
)

// The mirror keeps chosen key prefixes of the tree in memory, in key
// order, so that a walk over one of them costs a B-tree step per key
// instead of a walk down the IAVL tree (which, on a state of a hundred
// thousand provers, misses IAVL's node cache and reads goleveldb). The
// chain mirrors the indexes its blocks walk: the active provers, the
// random challenges' draw and the ask book (a block at
// 100,000 active provers spent 0.9 s listing them from IAVL; from the
// mirror it is a few milliseconds).
//
// Invariant: for each mirrored prefix, `committed` holds exactly the keys
// and values the latest committed version holds under it, and `work`
// (when not nil) exactly those the working set holds. The tree's only
// writers keep it: working.Set and working.Delete write `work` too,
// Commit makes `work` the committed copy, Discard drops it, and a restore
// (Import) reloads it from the tree. It is an index of the tree, never a
// second source of truth: a node that restarts rebuilds it from the
// tree, so it is in no hash and needs no migration.
//
// Concurrency: `work` is a lazy copy-on-write clone of `committed`
// (btree.Clone), so writes to it never touch the nodes a reader of the
// committed copy (a query's snapshot) is walking.
type mirror struct {
	mu        sync.Mutex
	prefixes  [][]byte
	at        int64                // the version `committed` is of
	committed *btree.BTreeG[mItem] // nil: no prefix is mirrored
	work      *btree.BTreeG[mItem] // the working set's; nil until its first write since the last commit
}

// mItem is one mirrored key and its value; both are the mirror's own.
type mItem struct{ key, value []byte }

const mirrorDegree = 32

func mItemLess(a, b mItem) bool { return bytes.Compare(a.key, b.key) < 0 }

// Mirror loads every key under prefixes from the latest version into
// memory and from then on serves from memory the walks of the working set
// and of the latest version that stay within one of them. It replaces any
// earlier set of prefixes. Prefixes must not overlap. It refuses a tree
// with uncommitted writes: it loads by walking the working set, which
// must then be the latest version.
func (t *Tree) Mirror(prefixes ...[]byte) error {
	if !bytes.Equal(t.tree.WorkingHash(), t.tree.Hash()) {
		return errors.New("cannot mirror a tree with uncommitted writes: commit or discard them first")
	}
	m := &t.mirror
	m.mu.Lock()
	defer m.mu.Unlock()
	m.prefixes = nil
	for _, p := range prefixes {
		m.prefixes = append(m.prefixes, bytes.Clone(p))
	}
	return m.loadLocked(t)
}

// reload rebuilds the mirror from the latest version (a restored
// snapshot).
func (m *mirror) reload(t *Tree) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.loadLocked(t)
}

func (m *mirror) loadLocked(t *Tree) error {
	m.committed, m.work, m.at = nil, nil, t.tree.Version()
	if len(m.prefixes) == 0 {
		return nil
	}
	bt := btree.NewG(mirrorDegree, mItemLess)
	snap := working{t: t.tree} // no writes pending: the latest version
	for _, p := range m.prefixes {
		err := snap.iavlIterate(p, store.PrefixEnd(p), func(k, v []byte) bool {
			bt.ReplaceOrInsert(mItem{bytes.Clone(k), bytes.Clone(v)})
			return true
		})
		if err != nil {
			return err
		}
	}
	m.committed = bt
	return nil
}

// covers says whether [start, end) lies within one mirrored prefix.
func (m *mirror) covers(start, end []byte) bool {
	if end == nil {
		return false
	}
	for _, p := range m.prefixes {
		if bytes.HasPrefix(start, p) {
			pe := store.PrefixEnd(p)
			return pe != nil && bytes.Compare(end, pe) <= 0
		}
	}
	return false
}

// mirrored says whether key falls under a mirrored prefix.
func (m *mirror) mirrored(key []byte) bool {
	for _, p := range m.prefixes {
		if bytes.HasPrefix(key, p) {
			return true
		}
	}
	return false
}

// set records a write of the working set (a nil value: a deletion).
func (m *mirror) set(key, value []byte) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.committed == nil || !m.mirrored(key) {
		return
	}
	if m.work == nil {
		m.work = m.committed.Clone()
	}
	if value == nil {
		m.work.Delete(mItem{key: key})
		return
	}
	m.work.ReplaceOrInsert(mItem{bytes.Clone(key), bytes.Clone(value)})
}

// workingTree returns the copy the working set's walks read, or nil when
// [start, end) is not mirrored.
func (m *mirror) workingTree(start, end []byte) *btree.BTreeG[mItem] {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.committed == nil || !m.covers(start, end) {
		return nil
	}
	if m.work != nil {
		return m.work
	}
	return m.committed
}

// versionTree returns the committed copy when it is of version v and
// [start, end) is mirrored, else nil.
func (m *mirror) versionTree(v int64, start, end []byte) *btree.BTreeG[mItem] {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.committed == nil || m.at != v || !m.covers(start, end) {
		return nil
	}
	return m.committed
}

// committedAs makes the working set's copy the committed one, of version v.
func (m *mirror) committedAs(v int64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.work != nil {
		m.committed, m.work = m.work, nil
	}
	m.at = v
}

// discarded drops the working set's copy.
func (m *mirror) discarded() {
	m.mu.Lock()
	m.work = nil
	m.mu.Unlock()
}

// walkMirror calls fn for bt's keys in [start, end) until it returns
// false. The key and value are the mirror's: read-only, as store.Reader
// says.
func walkMirror(bt *btree.BTreeG[mItem], start, end []byte, fn func(k, v []byte) bool) {
	bt.AscendRange(mItem{key: start}, mItem{key: end}, func(it mItem) bool { return fn(it.key, it.value) })
}
