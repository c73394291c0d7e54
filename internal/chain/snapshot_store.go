package chain

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	abci "github.com/cometbft/cometbft/abci/types"
)

// snapshotStore keeps snapshots on disk, one directory per height:
// dir/<height>/manifest.json (the abci.Snapshot CometBFT is offered) and
// dir/<height>/<index> (the chunks). A snapshot is written under
// <height>.tmp and renamed when complete, so a listed snapshot is whole.
type snapshotStore struct {
	dir       string
	keep      int // snapshots kept, newest first
	chunkSize int
}

type snapshotManifest struct {
	Height   uint64 `json:"height"`
	Format   uint32 `json:"format"`
	Chunks   uint32 `json:"chunks"`
	Hash     []byte `json:"hash"`
	Metadata []byte `json:"metadata"`
}

func (m snapshotManifest) abci() *abci.Snapshot {
	return &abci.Snapshot{Height: m.Height, Format: m.Format, Chunks: m.Chunks, Hash: m.Hash, Metadata: m.Metadata}
}

// write saves a snapshot of height made of chunks and prunes the oldest
// beyond keep.
func (s *snapshotStore) write(height int64, root []byte, chunks [][]byte) (*abci.Snapshot, error) {
	meta := snapshotMeta{root: root}
	for _, c := range chunks {
		meta.chunks = append(meta.chunks, snapshotHash(c))
	}
	mb := meta.encode()
	m := snapshotManifest{Height: uint64(height), Format: snapshotFormat, Chunks: uint32(len(chunks)), Hash: snapshotHash(mb), Metadata: mb}
	final := filepath.Join(s.dir, strconv.FormatInt(height, 10))
	tmp := final + ".tmp"
	if err := os.RemoveAll(tmp); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(tmp, 0o700); err != nil {
		return nil, fmt.Errorf("failed to create snapshot directory: %w", err)
	}
	for i, c := range chunks {
		if err := os.WriteFile(filepath.Join(tmp, strconv.Itoa(i)), c, 0o600); err != nil {
			return nil, fmt.Errorf("failed to write snapshot chunk: %w", err)
		}
	}
	mj, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(tmp, "manifest.json"), mj, 0o600); err != nil {
		return nil, fmt.Errorf("failed to write snapshot manifest: %w", err)
	}
	if err := os.RemoveAll(final); err != nil {
		return nil, err
	}
	if err := os.Rename(tmp, final); err != nil {
		return nil, fmt.Errorf("failed to publish snapshot: %w", err)
	}
	return m.abci(), s.prune()
}

// heights lists the complete snapshots' heights, newest first.
func (s *snapshotStore) heights() ([]uint64, error) {
	ents, err := os.ReadDir(s.dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var hs []uint64
	for _, e := range ents {
		if h, err := strconv.ParseUint(e.Name(), 10, 64); err == nil && e.IsDir() && !strings.HasPrefix(e.Name(), "0") {
			hs = append(hs, h)
		}
	}
	slices.Sort(hs)
	slices.Reverse(hs)
	return hs, nil
}

// list returns the snapshots kept, newest first.
func (s *snapshotStore) list() ([]*abci.Snapshot, error) {
	hs, err := s.heights()
	if err != nil {
		return nil, err
	}
	var out []*abci.Snapshot
	for _, h := range hs {
		m, err := s.manifest(h)
		if err != nil {
			return nil, err
		}
		out = append(out, m.abci())
	}
	return out, nil
}

func (s *snapshotStore) manifest(height uint64) (snapshotManifest, error) {
	var m snapshotManifest
	b, err := os.ReadFile(filepath.Join(s.dir, strconv.FormatUint(height, 10), "manifest.json"))
	if err != nil {
		return m, err
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return m, fmt.Errorf("snapshot %d: bad manifest: %w", height, err)
	}
	return m, nil
}

// chunk returns one chunk, or nil if this store does not have it.
func (s *snapshotStore) chunk(height uint64, format, index uint32) ([]byte, error) {
	m, err := s.manifest(height)
	if errors.Is(err, os.ErrNotExist) || (err == nil && (m.Format != format || index >= m.Chunks)) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return os.ReadFile(filepath.Join(s.dir, strconv.FormatUint(height, 10), strconv.FormatUint(uint64(index), 10)))
}

// prune removes all but the newest keep snapshots.
func (s *snapshotStore) prune() error {
	hs, err := s.heights()
	if err != nil || len(hs) <= s.keep {
		return err
	}
	var errs []error
	for _, h := range hs[s.keep:] {
		errs = append(errs, os.RemoveAll(filepath.Join(s.dir, strconv.FormatUint(h, 10))))
	}
	return errors.Join(errs...)
}
