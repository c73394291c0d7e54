// Package blob is a node's content-addressed file store: program modules,
// large inputs and large proofs, each named by the SHA-256 of its bytes.
//
// Invariants:
//   - a blob on disk always hashes to its name (it is written to a temporary
//     file, hashed while written, and renamed into place only if the hash
//     matches what was asked for), and a blob fetched from a peer is checked
//     the same way, so a lying peer can waste bandwidth but never plant bad
//     data;
//   - a blob is never larger than Options.MaxSize;
//   - the blobs that nothing on chain references (Options.Referenced: no
//     committed or admitted Run or Deploy names them) never total more than
//     Options.Quota bytes, nor those one client uploaded more than
//     Options.ClientQuota: an upload that would pass either is refused, and
//     a referenced blob is never refused for quota;
//   - an unreferenced blob is deleted by the next sweep (gc.go) once it is
//     older than Options.Grace; a referenced one is never deleted.
//
// The store keeps an index of its blobs in memory (hash, size, when stored,
// referenced at the last look), read from the directory at Open, so that
// accounting and sweeps never walk the disk.
package blob

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// Errors callers branch on.
var (
	ErrNotFound     = errors.New("blob not found")
	ErrTooLarge     = errors.New("blob too large")
	ErrHashMismatch = errors.New("blob does not match its hash")
	ErrBadHash      = errors.New("invalid blob hash")
	ErrQuota        = errors.New("the node's quota for unreferenced blobs is full")
)

// Hash names a blob.
type Hash [32]byte

// ParseHash reads a 64-digit hex hash.
func ParseHash(s string) (Hash, error) {
	var h Hash
	if len(s) != 2*len(h) {
		return h, fmt.Errorf("%w %.80q: want 64 hex digits", ErrBadHash, s)
	}
	b, err := hex.DecodeString(s)
	if err != nil {
		return h, fmt.Errorf("%w %q: want 64 hex digits", ErrBadHash, s)
	}
	copy(h[:], b)
	return h, nil
}

// Sum is the hash of b.
func Sum(b []byte) Hash { return sha256.Sum256(b) }

func (h Hash) String() string { return hex.EncodeToString(h[:]) }

// Options configure a Store.
type Options struct {
	// MaxSize caps one blob (bytes); it must be positive.
	MaxSize int64
	// Quota caps the total bytes of unreferenced blobs; 0 means no cap.
	Quota int64
	// ClientQuota caps the bytes of unreferenced blobs one client (as
	// PutFrom names it) stored; 0 means no cap.
	ClientQuota int64
	// Grace is how long an unreferenced blob is kept before a sweep may
	// delete it; 0 means sweeps delete nothing.
	Grace time.Duration
	// Referenced reports whether something on chain names blob h. Nil
	// means everything is referenced: no quota applies, nothing is swept.
	Referenced func(Hash) bool
	// Now is the store's clock; nil means time.Now.
	Now func() time.Time
}

// Store keeps blobs under a directory, two-level fanned out by hash.
type Store struct {
	dir string
	max int64
	o   Options

	mu       sync.Mutex
	blobs    map[Hash]*entry
	unref    int64            // bytes of blobs not referenced at the last look
	byClient map[string]int64 // the same, by the client that stored them
}

type entry struct {
	size       int64
	stored     time.Time
	referenced bool
	client     string // who stored it ("" for blobs found on disk or fetched)
}

// Open opens (creating if needed) a store in dir whose blobs are at most
// max bytes, with no quota and no collection.
func Open(dir string, max int64) (*Store, error) { return OpenWith(dir, Options{MaxSize: max}) }

// OpenWith opens (creating if needed) a store in dir and indexes the blobs
// already there.
func OpenWith(dir string, o Options) (*Store, error) {
	if o.MaxSize <= 0 {
		return nil, fmt.Errorf("blob store: max size must be positive, got %d", o.MaxSize)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if err := os.MkdirAll(filepath.Join(dir, "tmp"), 0o700); err != nil {
		return nil, fmt.Errorf("failed to create blob store in %s: %w", dir, err)
	}
	s := &Store{dir: dir, max: o.MaxSize, o: o, blobs: make(map[Hash]*entry), byClient: make(map[string]int64)}
	if err := s.load(); err != nil {
		return nil, err
	}
	return s, nil
}

// load indexes the blobs on disk and empties tmp (uploads a crash cut).
func (s *Store) load() error {
	tmp := filepath.Join(s.dir, "tmp")
	if ents, err := os.ReadDir(tmp); err == nil {
		for _, e := range ents {
			_ = os.Remove(filepath.Join(tmp, e.Name()))
		}
	}
	err := filepath.WalkDir(s.dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		h, perr := ParseHash(d.Name())
		if perr != nil || path != s.Path(h) {
			return nil // not a blob (tmp files, strays)
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		s.index(h, info.Size(), info.ModTime())
		return nil
	})
	if err != nil {
		return fmt.Errorf("failed to index blob store %s: %w", s.dir, err)
	}
	return nil
}

// index records blob h; the caller holds mu or owns the store.
func (s *Store) index(h Hash, size int64, stored time.Time) *entry {
	e := &entry{size: size, stored: stored, referenced: s.referenced(h)}
	s.blobs[h] = e
	if !e.referenced {
		s.chargeLocked(e)
	}
	return e
}

func (s *Store) referenced(h Hash) bool { return s.o.Referenced == nil || s.o.Referenced(h) }

// Max is the largest blob the store accepts.
func (s *Store) Max() int64 { return s.max }

// Path is where blob h lives (whether or not it is there).
func (s *Store) Path(h Hash) string {
	x := h.String()
	return filepath.Join(s.dir, x[:2], x)
}

// Has reports whether blob h is stored.
func (s *Store) Has(h Hash) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.blobs[h]
	return ok
}

// Open opens blob h for reading.
func (s *Store) Open(h Hash) (*os.File, error) {
	f, err := os.Open(s.Path(h))
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s", ErrNotFound, h)
	}
	return f, err
}

// Get reads blob h into memory.
func (s *Store) Get(h Hash) ([]byte, error) {
	f, err := s.Open(h)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(f)
}

// Usage reports the blobs stored, their bytes, and the bytes of those
// unreferenced at the last look.
func (s *Store) Usage() (blobs int, bytes, unreferenced int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, e := range s.blobs {
		bytes += e.size
	}
	return len(s.blobs), bytes, s.unref
}

// Put stores the bytes read from r and returns their hash and size.
func (s *Store) Put(r io.Reader) (Hash, int64, error) { return s.put(r, nil, "") }

// PutFrom is Put on behalf of client, whose unreferenced blobs count
// against Options.ClientQuota.
func (s *Store) PutFrom(r io.Reader, client string) (Hash, int64, error) {
	return s.put(r, nil, client)
}

// PutExpect stores r only if it hashes to want.
func (s *Store) PutExpect(r io.Reader, want Hash) (int64, error) {
	_, n, err := s.put(r, &want, "")
	return n, err
}

func (s *Store) put(r io.Reader, want *Hash, client string) (Hash, int64, error) {
	var h Hash
	tmp, err := os.CreateTemp(filepath.Join(s.dir, "tmp"), "put-*")
	if err != nil {
		return h, 0, err
	}
	defer os.Remove(tmp.Name())
	hw := sha256.New()
	n, err := copyLimited(io.MultiWriter(tmp, hw), r, s.max)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return h, n, err
	}
	copy(h[:], sumOf(hw))
	if want != nil && h != *want {
		return h, n, fmt.Errorf("%w: got %s, want %s", ErrHashMismatch, h, *want)
	}
	return h, n, s.commit(tmp.Name(), h, n, client)
}

// commit moves a hashed upload into place, charging the quota unless
// something references it. A blob already stored is refreshed: its grace
// period starts again.
func (s *Store) commit(tmp string, h Hash, n int64, client string) error {
	ref := s.referenced(h) // outside mu: it may take the chain's index lock
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.o.Now()
	if e, ok := s.blobs[h]; ok {
		e.stored = now
		_ = os.Chtimes(s.Path(h), now, now)
		return nil
	}
	if !ref {
		if err := s.checkQuota(n, client); err != nil {
			return err
		}
	}
	if err := os.MkdirAll(filepath.Dir(s.Path(h)), 0o700); err != nil {
		return err
	}
	if err := os.Rename(tmp, s.Path(h)); err != nil {
		return err
	}
	e := &entry{size: n, stored: now, referenced: ref, client: client}
	s.blobs[h] = e
	if !ref {
		s.chargeLocked(e)
	}
	return nil
}

// checkQuota refuses n more unreferenced bytes from client if they pass
// the node's quota or the client's share; the caller holds mu.
func (s *Store) checkQuota(n int64, client string) error {
	const hint = "until a Run or Deploy names one or the grace period collects one"
	if s.o.Quota > 0 && s.unref+n > s.o.Quota {
		return fmt.Errorf("%w: %d of %d bytes used; a blob of %d bytes does not fit %s", ErrQuota, s.unref, s.o.Quota, n, hint)
	}
	if used := s.byClient[client]; client != "" && s.o.ClientQuota > 0 && used+n > s.o.ClientQuota {
		return fmt.Errorf("%w: %s has stored %d of its %d bytes; a blob of %d bytes does not fit %s", ErrQuota, client, used, s.o.ClientQuota, n, hint)
	}
	return nil
}

// chargeLocked counts e as unreferenced.
func (s *Store) chargeLocked(e *entry) {
	s.unref += e.size
	if e.client != "" {
		s.byClient[e.client] += e.size
	}
}

// copyLimited copies r to w, failing with ErrTooLarge past max bytes.
func copyLimited(w io.Writer, r io.Reader, max int64) (int64, error) {
	n, err := io.Copy(w, io.LimitReader(r, max+1))
	if err != nil {
		return n, fmt.Errorf("failed to read blob: %w", err)
	}
	if n > max {
		return n, fmt.Errorf("%w: more than %d bytes", ErrTooLarge, max)
	}
	return n, nil
}

func sumOf(h hash.Hash) []byte { return h.Sum(nil) }
