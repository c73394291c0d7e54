package chain

import (
	"bytes"
	"context"
	"fmt"

	abci "github.com/cometbft/cometbft/abci/types"

	"github.com/provernet/provernet/internal/store/iavltree"
)

// restoring is a state sync in progress: the snapshot CometBFT offered
// and accepted, the chunks applied so far and the import they feed.
type restoring struct {
	snap    *abci.Snapshot
	meta    snapshotMeta
	appHash []byte // the trusted app hash at the snapshot's height
	next    uint32 // the next chunk to apply
	imp     *iavltree.Importer
}

// ListSnapshots lists the snapshots this node serves, newest first.
func (a *App) ListSnapshots(context.Context, *abci.ListSnapshotsRequest) (*abci.ListSnapshotsResponse, error) {
	if a.snaps == nil {
		return &abci.ListSnapshotsResponse{}, nil
	}
	list, err := a.snaps.store.list()
	if err != nil {
		a.logger.Error("failed to list snapshots", "err", err)
		return &abci.ListSnapshotsResponse{}, nil
	}
	return &abci.ListSnapshotsResponse{Snapshots: list}, nil
}

// LoadSnapshotChunk returns one chunk of a snapshot this node serves (no
// chunk if it has not got it).
func (a *App) LoadSnapshotChunk(_ context.Context, req *abci.LoadSnapshotChunkRequest) (*abci.LoadSnapshotChunkResponse, error) {
	if a.snaps == nil {
		return &abci.LoadSnapshotChunkResponse{}, nil
	}
	c, err := a.snaps.store.chunk(req.Height, req.Format, req.Chunk)
	if err != nil {
		a.logger.Error("failed to load snapshot chunk", "height", req.Height, "chunk", req.Chunk, "err", err)
		return &abci.LoadSnapshotChunkResponse{}, nil
	}
	return &abci.LoadSnapshotChunkResponse{Chunk: c}, nil
}

// OfferSnapshot accepts a snapshot of a known format whose metadata hashes
// to its hash and whose root is the trusted app hash, if the app holds no
// state yet.
func (a *App) OfferSnapshot(_ context.Context, req *abci.OfferSnapshotRequest) (*abci.OfferSnapshotResponse, error) {
	res := func(r abci.OfferSnapshotResult) (*abci.OfferSnapshotResponse, error) {
		return &abci.OfferSnapshotResponse{Result: r}, nil
	}
	s := req.Snapshot
	if s == nil {
		return res(abci.OFFER_SNAPSHOT_RESULT_REJECT)
	}
	if s.Format != snapshotFormat {
		return res(abci.OFFER_SNAPSHOT_RESULT_REJECT_FORMAT)
	}
	meta, err := decodeSnapshotMeta(s.Metadata)
	if err != nil || s.Height == 0 || s.Height > 1<<62 || s.Chunks == 0 || s.Chunks > maxSnapshotChunks ||
		int(s.Chunks) != len(meta.chunks) || !bytes.Equal(snapshotHash(s.Metadata), s.Hash) ||
		!bytes.Equal(meta.root, req.AppHash) {
		a.logger.Info("snapshot refused", "height", s.Height, "err", err)
		return res(abci.OFFER_SNAPSHOT_RESULT_REJECT)
	}
	a.restoreMu.Lock()
	defer a.restoreMu.Unlock()
	a.abandonRestore()
	if a.committed.Load() != nil || a.tree.Version() != 0 {
		a.logger.Error("snapshot offered to an app that has state", "version", a.tree.Version())
		return res(abci.OFFER_SNAPSHOT_RESULT_ABORT)
	}
	imp, err := a.tree.Import(int64(s.Height))
	if err != nil {
		return nil, err
	}
	a.restore = &restoring{snap: s, meta: meta, appHash: bytes.Clone(req.AppHash), imp: imp}
	a.logger.Info("restoring snapshot", "height", s.Height, "chunks", s.Chunks)
	return res(abci.OFFER_SNAPSHOT_RESULT_ACCEPT)
}

// abandonRestore drops a restore in progress. Called with restoreMu held.
func (a *App) abandonRestore() {
	if a.restore != nil {
		a.restore.imp.Close()
		a.restore = nil
	}
}

// ApplySnapshotChunk imports the next chunk once its hash is the one the
// metadata lists (a chunk that is not is fetched again, from another
// sender); the last one commits the import and loads the state.
func (a *App) ApplySnapshotChunk(_ context.Context, req *abci.ApplySnapshotChunkRequest) (*abci.ApplySnapshotChunkResponse, error) {
	res := func(r abci.ApplySnapshotChunkResult) (*abci.ApplySnapshotChunkResponse, error) {
		return &abci.ApplySnapshotChunkResponse{Result: r}, nil
	}
	a.restoreMu.Lock()
	defer a.restoreMu.Unlock()
	r := a.restore
	switch {
	case r == nil:
		return res(abci.APPLY_SNAPSHOT_CHUNK_RESULT_ABORT)
	case req.Index < r.next:
		return res(abci.APPLY_SNAPSHOT_CHUNK_RESULT_ACCEPT) // applied already
	case req.Index > r.next:
		a.logger.Error("snapshot chunk out of order", "index", req.Index, "want", r.next)
		return res(abci.APPLY_SNAPSHOT_CHUNK_RESULT_RETRY_SNAPSHOT)
	}
	if !bytes.Equal(snapshotHash(req.Chunk), r.meta.chunks[req.Index]) {
		a.logger.Info("snapshot chunk refused: hash mismatch", "index", req.Index, "sender", req.Sender)
		resp := &abci.ApplySnapshotChunkResponse{Result: abci.APPLY_SNAPSHOT_CHUNK_RESULT_RETRY, RefetchChunks: []uint32{req.Index}}
		if req.Sender != "" {
			resp.RejectSenders = []string{req.Sender}
		}
		return resp, nil
	}
	if err := decodeChunk(req.Chunk, r.imp.Add); err != nil {
		// The chunk is the one the metadata names: the snapshot is bad.
		a.logger.Error("snapshot refused: bad chunk", "index", req.Index, "err", err)
		a.abandonRestore()
		return res(abci.APPLY_SNAPSHOT_CHUNK_RESULT_REJECT_SNAPSHOT)
	}
	r.next++
	if r.next < r.snap.Chunks {
		return res(abci.APPLY_SNAPSHOT_CHUNK_RESULT_ACCEPT)
	}
	a.restore = nil
	if err := a.finishRestore(r); err != nil {
		return nil, err
	}
	return res(abci.APPLY_SNAPSHOT_CHUNK_RESULT_ACCEPT)
}

// finishRestore commits the import, checks its root against the trusted
// app hash and loads everything derived from the committed state, as New
// does for a store that has a version.
func (a *App) finishRestore(r *restoring) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.treeMu.Lock()
	err := r.imp.Commit()
	a.treeMu.Unlock()
	if err != nil {
		return err
	}
	if !bytes.Equal(a.tree.Hash(), r.appHash) {
		// The version is committed and cannot be undone here: the
		// operator must clear the state and sync again.
		return fmt.Errorf("restored snapshot %d has root %X, not the trusted app hash %X", r.snap.Height, a.tree.Hash(), r.appHash)
	}
	if err := a.loadCommitted(); err != nil {
		return err
	}
	if err := a.index.build(a.committed.Load()); err != nil {
		return err
	}
	a.logger.Info("snapshot restored", "height", r.snap.Height)
	return nil
}
