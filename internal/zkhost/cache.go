package zkhost

import (
	"crypto/sha256"
	"sync"

	"github.com/provernet/provernet/sdk/zkabi"
)

// Cache keeps parsed constraint systems and keys by the SHA-256 of their
// bytes, so a process proving many times with one circuit parses it once.
// It is bounded by the parsed objects' MemSize, dropping the least recently
// used. A hit changes nothing a program can see: the call charges the same
// cycles either way. Safe for concurrent use; concurrent misses on one key
// parse once.
type Cache struct {
	mu    sync.Mutex
	max   int64
	size  int64
	tick  uint64
	items map[cacheKey]*cacheEntry
}

// DefaultCacheBytes bounds a Cache made with NewCache(0).
const DefaultCacheBytes = 2 << 30

type objectKind uint8

const (
	kindSystem objectKind = iota + 1
	kindProvingKey
	kindVerifyingKey
)

func (k objectKind) String() string {
	switch k {
	case kindSystem:
		return "constraint system"
	case kindProvingKey:
		return "proving key"
	}
	return "verifying key"
}

type cacheKey struct {
	system zkabi.System
	curve  zkabi.Curve
	kind   objectKind
	hash   [32]byte
}

type cacheEntry struct {
	once sync.Once
	obj  Parsed
	err  error
	used uint64
	size int64
}

// NewCache makes a cache holding at most maxBytes of parsed objects
// (0: DefaultCacheBytes).
func NewCache(maxBytes int64) *Cache {
	if maxBytes <= 0 {
		maxBytes = DefaultCacheBytes
	}
	return &Cache{max: maxBytes, items: make(map[cacheKey]*cacheEntry)}
}

// get returns the parsed object for data, parsing it with parse on a miss.
// Failed parses are not kept.
func (c *Cache) get(b Backend, kind objectKind, data []byte, parse func([]byte) (Parsed, error)) (Parsed, error) {
	k := cacheKey{system: b.System(), curve: b.Curve(), kind: kind, hash: sha256.Sum256(data)}
	c.mu.Lock()
	e, ok := c.items[k]
	if !ok {
		e = &cacheEntry{}
		c.items[k] = e
	}
	c.tick++
	e.used = c.tick
	c.mu.Unlock()

	e.once.Do(func() {
		// A parse that panics must fail like one that errs: a worker is
		// kept between jobs, and a half-made entry would outlive this one.
		defer func() {
			if r := recover(); r != nil {
				e.obj, e.err = nil, Errorf(zkabi.ErrInternal, "host panic: %v", r)
			}
		}()
		e.obj, e.err = parse(data)
	})

	c.mu.Lock()
	defer c.mu.Unlock()
	if e.err != nil {
		if c.items[k] == e {
			delete(c.items, k)
		}
		return nil, e.err
	}
	if e.size == 0 && c.items[k] == e {
		e.size = max(e.obj.MemSize(), 1)
		c.size += e.size
		c.evict(k)
	}
	return e.obj, nil
}

// maxCacheEntries bounds the entries too: eviction scans them all, and a
// job could otherwise fill the cache with many tiny keys.
const maxCacheEntries = 1024

// evict drops least recently used entries (never keep) until the cache
// fits its bounds.
func (c *Cache) evict(keep cacheKey) {
	for c.size > c.max || len(c.items) > maxCacheEntries {
		var victim cacheKey
		var oldest *cacheEntry
		for k, e := range c.items {
			if k == keep || e.size == 0 {
				continue
			}
			if oldest == nil || e.used < oldest.used {
				victim, oldest = k, e
			}
		}
		if oldest == nil {
			return
		}
		delete(c.items, victim)
		c.size -= oldest.size
	}
}

// Len returns how many parsed objects the cache holds.
func (c *Cache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, e := range c.items {
		if e.size > 0 {
			n++
		}
	}
	return n
}
