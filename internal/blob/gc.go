package blob

import (
	"context"
	"errors"
	"os"
	"time"
)

// SweepStats is what one sweep found and did.
type SweepStats struct {
	Kept             int   `json:"kept"`
	Referenced       int   `json:"referenced"`
	Collected        int   `json:"collected"`
	CollectedBytes   int64 `json:"collected_bytes"`
	UnreferencedKept int64 `json:"unreferenced_bytes"` // still in their grace period
}

// Sweep looks at every blob: a referenced one is kept; an unreferenced one
// is deleted once older than the grace period, and counted against the
// quota until then. Without a Referenced function or a grace period it
// deletes nothing.
func (s *Store) Sweep() (SweepStats, error) {
	var st SweepStats
	if s.o.Referenced == nil || s.o.Grace <= 0 {
		return st, nil
	}
	refs := s.lookRefs()
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.o.Now()
	var errs []error
	s.unref = 0
	clear(s.byClient)
	for h, e := range s.blobs {
		ref, looked := refs[h]
		if !looked { // stored during this sweep: judged by the next
			ref = e.referenced
		}
		e.referenced = ref
		switch {
		case ref:
			st.Referenced++
		case now.Sub(e.stored) < s.o.Grace:
			s.chargeLocked(e)
			st.UnreferencedKept += e.size
		default:
			if err := os.Remove(s.Path(h)); err != nil && !errors.Is(err, os.ErrNotExist) {
				errs = append(errs, err)
				s.chargeLocked(e)
				continue
			}
			delete(s.blobs, h)
			st.Collected++
			st.CollectedBytes += e.size
			continue
		}
		st.Kept++
	}
	return st, errors.Join(errs...)
}

// lookRefs asks Referenced about every blob, without holding mu (it may
// take the chain's index lock).
func (s *Store) lookRefs() map[Hash]bool {
	s.mu.Lock()
	hashes := make([]Hash, 0, len(s.blobs))
	for h := range s.blobs {
		hashes = append(hashes, h)
	}
	s.mu.Unlock()
	refs := make(map[Hash]bool, len(hashes))
	for _, h := range hashes {
		refs[h] = s.o.Referenced(h)
	}
	return refs
}

// RunGC sweeps every interval until ctx ends, reporting each sweep to
// report (which may be nil).
func (s *Store) RunGC(ctx context.Context, interval time.Duration, report func(SweepStats, error)) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			st, err := s.Sweep()
			if report != nil {
				report(st, err)
			}
		}
	}
}
