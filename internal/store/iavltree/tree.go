package iavltree

import (
	"errors"
	"fmt"
	"os"

	corestore "cosmossdk.io/core/store"
	"github.com/cosmos/iavl"
	iavldb "github.com/cosmos/iavl/db"
	ics23 "github.com/cosmos/ics23/go"

	"github.com/provernet/provernet/internal/store"
)

// cacheNodes is the number of IAVL nodes kept in memory. IAVL v1 adds
// every node it saves to this cache, so it fills whatever the state's
// size: a million nodes held about 590 MiB of heap on a 10,000-key state
// after 750 blocks, against 110 MiB at 100,000. A million made a
// 100,000-prover block of 10,000 market Runs 9% faster (docs/MARKET.md);
// not worth that on every node.
const cacheNodes = 100_000

// Tree is the committed store: an IAVL tree on goleveldb (on disk) or on an
// in-memory database (tests).
type Tree struct {
	db     iavldb.DB
	tree   *iavl.MutableTree
	keep   int64      // versions to keep; 0 keeps all
	cache  *readCache // the latest version's values by key (readcache.go)
	mirror mirror     // chosen prefixes in memory (mirror.go)
}

var _ store.KV = (*working)(nil)

// OpenDisk opens (or creates) the tree under dir and loads its latest
// version. keep > 0 prunes versions older than the newest keep.
func OpenDisk(dir string, keep int64) (*Tree, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("failed to create %s: %w", dir, err)
	}
	db, err := iavldb.NewGoLevelDB("state", dir)
	if err != nil {
		return nil, fmt.Errorf("failed to open state database in %s: %w", dir, err)
	}
	return open(db, keep)
}

// OpenMemory returns an empty tree that lives in memory only.
func OpenMemory() *Tree {
	t, err := open(iavldb.NewMemDB(), 0)
	if err != nil {
		panic(fmt.Sprintf("store: in-memory tree failed to load: %v", err)) // cannot happen on an empty db
	}
	return t
}

func open(db iavldb.DB, keep int64) (*Tree, error) {
	tree := iavl.NewMutableTree(db, cacheNodes, true, iavl.NewNopLogger())
	if _, err := tree.Load(); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("failed to load state tree: %w", err)
	}
	cache := newReadCache()
	cache.at = tree.Version()
	return &Tree{db: db, tree: tree, keep: keep, cache: cache}, nil
}

// Working is the uncommitted state of the block being executed.
func (t *Tree) Working() store.KV { return working{t.tree, t.cache, &t.mirror} }

// WorkingHash is the hash the tree will have once the working set commits.
func (t *Tree) WorkingHash() []byte { return t.tree.WorkingHash() }

// Discard drops the working set, returning to the last committed version.
func (t *Tree) Discard() {
	t.tree.Rollback()
	t.cache.discarded()
	t.mirror.discarded()
}

// Commit saves the working set as a new version in one batch.
func (t *Tree) Commit() (hash []byte, version int64, err error) {
	hash, version, err = t.tree.SaveVersion()
	if err != nil {
		return nil, 0, fmt.Errorf("failed to save version: %w", err)
	}
	t.cache.committed(version)
	t.mirror.committedAs(version)
	if t.keep > 0 && version > t.keep && version%t.keep == 0 {
		if err := t.tree.DeleteVersionsTo(version - t.keep); err != nil {
			return nil, 0, fmt.Errorf("failed to prune versions: %w", err)
		}
	}
	return hash, version, nil
}

// SetInitialVersion makes the first Commit save this version instead of 1
// (a genesis whose initial height is not 1). It has no effect once a
// version exists.
func (t *Tree) SetInitialVersion(v int64) {
	if v > 0 {
		t.tree.SetInitialVersion(uint64(v))
	}
}

// Version is the last committed version (the last committed height).
func (t *Tree) Version() int64 { return t.tree.Version() }

// Hash is the root hash of the last committed version.
func (t *Tree) Hash() []byte { return t.tree.Hash() }

// At returns a read-only snapshot of a committed version.
func (t *Tree) At(version int64) (*Snapshot, error) {
	it, err := t.tree.GetImmutable(version)
	if err != nil {
		return nil, fmt.Errorf("failed to load version %d: %w", version, err)
	}
	return &Snapshot{t: it, cache: t.cache, mirror: &t.mirror}, nil
}

// Close closes the tree and its database.
func (t *Tree) Close() error {
	return errors.Join(t.tree.Close(), t.db.Close())
}

// Snapshot is a committed, immutable version of the tree.
type Snapshot struct {
	t      *iavl.ImmutableTree
	cache  *readCache // shared with the tree: used only while the snapshot is the latest version
	mirror *mirror    // likewise
}

var _ store.Reader = (*Snapshot)(nil)

// Get implements store.Reader.
// A value of the latest version comes from the read cache when it holds
// it; the cache's values are shared, never to be modified.
func (s *Snapshot) Get(key []byte) ([]byte, error) {
	v := s.t.Version()
	if value, ok := s.cache.get(v, key); ok {
		return value, nil
	}
	value, err := s.t.Get(key)
	if err == nil {
		s.cache.add(v, key, value)
	}
	return value, err
}

// Iterate implements store.Reader; a walk within a mirrored prefix of the
// latest version is served from memory.
func (s *Snapshot) Iterate(start, end []byte, fn func(k, v []byte) bool) error {
	if bt := s.mirror.versionTree(s.t.Version(), start, end); bt != nil {
		walkMirror(bt, start, end, fn)
		return nil
	}
	it, err := s.t.Iterator(start, end, true)
	if err != nil {
		return err
	}
	return drain(it, fn)
}

// Version is the snapshot's version.
func (s *Snapshot) Version() int64 { return s.t.Version() }

// Hash is the snapshot's root hash.
func (s *Snapshot) Hash() []byte { return s.t.Hash() }

// Prove returns an ICS-23 proof that key is present (or absent) under Hash.
func (s *Snapshot) Prove(key []byte) (*ics23.CommitmentProof, error) {
	return s.t.GetProof(key)
}

type working struct {
	t      *iavl.MutableTree
	cache  *readCache
	mirror *mirror
}

func (w working) Get(key []byte) ([]byte, error) { return w.t.Get(key) }

func (w working) Set(key, value []byte) error {
	w.cache.wrote(key)
	if _, err := w.t.Set(key, value); err != nil {
		return err
	}
	w.mirror.set(key, value)
	return nil
}

func (w working) Delete(key []byte) error {
	w.cache.wrote(key)
	if _, _, err := w.t.Remove(key); err != nil {
		return err
	}
	w.mirror.set(key, nil)
	return nil
}

// Iterate implements store.Reader; a walk within a mirrored prefix is
// served from memory.
func (w working) Iterate(start, end []byte, fn func(k, v []byte) bool) error {
	if bt := w.mirror.workingTree(start, end); bt != nil {
		walkMirror(bt, start, end, fn)
		return nil
	}
	return w.iavlIterate(start, end, fn)
}

// iavlIterate walks the IAVL tree itself.
func (w working) iavlIterate(start, end []byte, fn func(k, v []byte) bool) error {
	it, err := w.t.Iterator(start, end, true)
	if err != nil {
		return err
	}
	return drain(it, fn)
}

func drain(it corestore.Iterator, fn func(k, v []byte) bool) error {
	defer it.Close()
	for ; it.Valid(); it.Next() {
		if !fn(it.Key(), it.Value()) {
			break
		}
	}
	return it.Error()
}
