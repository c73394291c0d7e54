// Package blob is a node's content-addressed file store: program modules,
// large inputs and large proofs, each named by the SHA-256 of its bytes.
//
// Invariants: a blob on disk always hashes to its name (it is written to a
// temporary file, hashed while written, and renamed into place only if the
// hash matches what was asked for); a blob is never larger than the
// store's limit; and a blob fetched from a peer is checked the same way, so
// a lying peer can waste bandwidth but never plant bad data.
package blob

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"
)

// Errors callers branch on.
var (
	ErrNotFound     = errors.New("blob not found")
	ErrTooLarge     = errors.New("blob too large")
	ErrHashMismatch = errors.New("blob does not match its hash")
	ErrBadHash      = errors.New("invalid blob hash")
)

// Hash names a blob.
type Hash [32]byte

// ParseHash reads a 64-digit hex hash.
func ParseHash(s string) (Hash, error) {
	var h Hash
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != len(h) {
		return h, fmt.Errorf("%w %q: want 64 hex digits", ErrBadHash, s)
	}
	copy(h[:], b)
	return h, nil
}

// Sum is the hash of b.
func Sum(b []byte) Hash { return sha256.Sum256(b) }

func (h Hash) String() string { return hex.EncodeToString(h[:]) }

// Store keeps blobs under a directory, two-level fanned out by hash.
type Store struct {
	dir string
	max int64
}

// Open opens (creating if needed) a store in dir; blobs are at most max
// bytes.
func Open(dir string, max int64) (*Store, error) {
	if err := os.MkdirAll(filepath.Join(dir, "tmp"), 0o700); err != nil {
		return nil, fmt.Errorf("failed to create blob store in %s: %w", dir, err)
	}
	return &Store{dir: dir, max: max}, nil
}

// Max is the largest blob the store accepts.
func (s *Store) Max() int64 { return s.max }

// Path is where blob h lives (whether or not it is there).
func (s *Store) Path(h Hash) string {
	x := h.String()
	return filepath.Join(s.dir, x[:2], x)
}

// Has reports whether blob h is stored.
func (s *Store) Has(h Hash) bool {
	_, err := os.Stat(s.Path(h))
	return err == nil
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

// Put stores the bytes read from r and returns their hash and size.
func (s *Store) Put(r io.Reader) (Hash, int64, error) { return s.put(r, nil) }

// PutExpect stores r only if it hashes to want.
func (s *Store) PutExpect(r io.Reader, want Hash) (int64, error) {
	_, n, err := s.put(r, &want)
	return n, err
}

func (s *Store) put(r io.Reader, want *Hash) (Hash, int64, error) {
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
	if err := os.MkdirAll(filepath.Dir(s.Path(h)), 0o700); err != nil {
		return h, n, err
	}
	return h, n, os.Rename(tmp.Name(), s.Path(h))
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
