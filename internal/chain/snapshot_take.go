package chain

import (
	"fmt"
	"time"

	"github.com/provernet/provernet/internal/store/iavltree"
)

// snapshotter takes a snapshot of every interval-th committed version in
// the background. Its content derives from the committed version alone,
// so taking it or not changes nothing in the state machine.
type snapshotter struct {
	store    *snapshotStore
	interval int64
}

// maybeSnapshot starts a snapshot of the version just committed if its
// height is due and no snapshot is being taken (a slow one makes the next
// due height be skipped, never queued). Called with a.mu held.
func (a *App) maybeSnapshot(version int64) {
	s := a.snaps
	if s == nil || s.interval <= 0 || version%s.interval != 0 {
		return
	}
	if !a.snapRunning.CompareAndSwap(false, true) {
		a.logger.Info("snapshot skipped: the previous one is still being written", "height", version)
		return
	}
	snap := a.committed.Load()
	a.snapWG.Add(1)
	go func() {
		defer a.snapWG.Done()
		defer a.snapRunning.Store(false)
		t0 := time.Now()
		n, err := a.takeSnapshot(snap)
		if err != nil {
			a.logger.Error("snapshot failed", "height", version, "err", err)
			return
		}
		a.logger.Info("snapshot taken", "height", version, "chunks", n, "took", time.Since(t0))
	}()
}

// takeSnapshot exports snap and writes it. The export holds the tree's
// read lock (a block's flush waits for it, as for a long query); encoding
// the chunks happens under it, writing the files does not.
func (a *App) takeSnapshot(snap *iavltree.Snapshot) (int, error) {
	c := chunker{size: a.snaps.store.chunkSize}
	a.treeMu.RLock()
	err := snap.Export(c.add)
	a.treeMu.RUnlock()
	if err != nil {
		return 0, err
	}
	c.flush()
	if len(c.chunks) == 0 {
		return 0, fmt.Errorf("version %d is empty", snap.Version())
	}
	if _, err := a.snaps.store.write(snap.Version(), snap.Hash(), c.chunks); err != nil {
		return 0, err
	}
	return len(c.chunks), nil
}

// WaitSnapshots waits for a snapshot being taken to be written (the node
// calls it before it closes the store).
func (a *App) WaitSnapshots() { a.snapWG.Wait() }
