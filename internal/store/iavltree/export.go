package iavltree

import (
	"errors"
	"fmt"

	"github.com/cosmos/iavl"
)

// Node is one node of an exported tree. Export yields the nodes of a
// version depth-first in post-order; Import rebuilds the identical tree
// (same root hash) from them in that order. A leaf (Height 0) has a
// non-nil Value; an inner node has none.
type Node = iavl.ExportNode

// Export calls fn with every node of the snapshot's version, in the order
// Import takes them, and stops at fn's first error. The caller keeps
// writers off the tree while it runs (as for any read of a committed
// version, see chain.App's treeMu).
func (s *Snapshot) Export(fn func(*Node) error) error {
	if s.t.Size() == 0 {
		return nil // an empty version exports no node (IAVL's exporter wants a root)
	}
	exp, err := s.t.Export()
	if err != nil {
		return fmt.Errorf("failed to export version %d: %w", s.Version(), err)
	}
	defer exp.Close()
	for {
		n, err := exp.Next()
		if errors.Is(err, iavl.ErrorExportDone) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("failed to export version %d: %w", s.Version(), err)
		}
		if err := fn(n); err != nil {
			return err
		}
	}
}

// Importer rebuilds an exported version into an empty tree. Nothing it
// adds is visible until Commit; after Close without Commit the tree is
// still empty (nodes already flushed to the database are unreachable).
type Importer struct {
	t   *Tree
	imp *iavl.Importer
}

// Import starts importing version into t, which must hold no version.
func (t *Tree) Import(version int64) (*Importer, error) {
	if t.Version() != 0 {
		return nil, fmt.Errorf("cannot import into a tree at version %d", t.Version())
	}
	imp, err := t.tree.Import(version)
	if err != nil {
		return nil, fmt.Errorf("failed to start import of version %d: %w", version, err)
	}
	return &Importer{t: t, imp: imp}, nil
}

// Add adds the next exported node.
func (i *Importer) Add(n *Node) error {
	if n.Version < 1 || n.Height < 0 {
		return fmt.Errorf("node of version %d, height %d", n.Version, n.Height)
	}
	if n.Height == 0 && n.Value == nil {
		return errors.New("leaf node without a value")
	}
	if n.Height != 0 && n.Value != nil {
		return errors.New("inner node with a value")
	}
	return i.imp.Add(n)
}

// Commit makes the imported version the tree's latest and only version
// and starts the read cache afresh at it.
func (i *Importer) Commit() error {
	if err := i.imp.Commit(); err != nil {
		return fmt.Errorf("failed to commit import: %w", err)
	}
	i.t.cache.reset(i.t.Version())
	return i.t.mirror.reload(i.t)
}

// Close abandons an import not committed (harmless after Commit).
func (i *Importer) Close() { i.imp.Close() }
