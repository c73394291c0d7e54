package sim

import (
	"bytes"
	"slices"
	"strings"

	"github.com/provernet/provernet/internal/store"
)

// memKV is an in-memory store.KV for the full fidelity: a map per key
// partition (the text up to the first '/', which is how the protocol's
// keys are laid out) with each partition's sorted key list rebuilt only
// when a key was added or removed since the last iteration. The IAVL
// tree of iavltree.OpenMemory is correct too but computes hashes the
// simulator never reads.
type memKV struct {
	parts map[string]*memPart
}

type memPart struct {
	m      map[string][]byte
	keys   []string // sorted; valid when !dirty
	dirty  bool
	prefix string
}

var _ store.KV = (*memKV)(nil)

func newMemKV() *memKV { return &memKV{parts: map[string]*memPart{}} }

func partOf(key []byte) string {
	if i := bytes.IndexByte(key, '/'); i >= 0 {
		return string(key[:i+1])
	}
	return string(key)
}

func (s *memKV) part(key []byte, create bool) *memPart {
	name := partOf(key)
	p := s.parts[name]
	if p == nil && create {
		p = &memPart{m: map[string][]byte{}, prefix: name}
		s.parts[name] = p
	}
	return p
}

// Get implements store.Reader.
func (s *memKV) Get(key []byte) ([]byte, error) {
	p := s.part(key, false)
	if p == nil {
		return nil, nil
	}
	return p.m[string(key)], nil
}

// Set implements store.KV.
func (s *memKV) Set(key, value []byte) error {
	p := s.part(key, true)
	k := string(key)
	if _, ok := p.m[k]; !ok {
		p.dirty = true
	}
	p.m[k] = append([]byte{}, value...)
	return nil
}

// Delete implements store.KV.
func (s *memKV) Delete(key []byte) error {
	p := s.part(key, false)
	if p == nil {
		return nil
	}
	k := string(key)
	if _, ok := p.m[k]; ok {
		delete(p.m, k)
		p.dirty = true
	}
	return nil
}

func (p *memPart) sorted() []string {
	if p.dirty || p.keys == nil {
		p.keys = p.keys[:0]
		for k := range p.m {
			p.keys = append(p.keys, k)
		}
		slices.Sort(p.keys)
		p.dirty = false
	}
	return p.keys
}

// Iterate implements store.Reader. fn must not write to the store (the
// protocol collects keys first and writes after).
func (s *memKV) Iterate(start, end []byte, fn func(key, value []byte) bool) error {
	var parts []*memPart
	name := partOf(start)
	if p := s.parts[name]; strings.HasSuffix(name, "/") && end != nil && bytes.Compare(end, store.PrefixEnd([]byte(name))) <= 0 {
		if p != nil {
			parts = []*memPart{p}
		}
	} else {
		for _, p := range s.parts {
			parts = append(parts, p)
		}
		slices.SortFunc(parts, func(a, b *memPart) int { return strings.Compare(a.prefix, b.prefix) })
	}
	for _, p := range parts {
		keys := p.sorted()
		i, _ := slices.BinarySearch(keys, string(start))
		for ; i < len(keys); i++ {
			k := keys[i]
			if end != nil && k >= string(end) {
				break
			}
			if !fn([]byte(k), p.m[k]) {
				return nil
			}
		}
	}
	return nil
}
