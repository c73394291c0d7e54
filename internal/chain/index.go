package chain

import (
	"bytes"
	"cmp"
	"fmt"
	"slices"
	"sync"

	"google.golang.org/protobuf/proto"

	"github.com/provernet/provernet/internal/protocol"
	"github.com/provernet/provernet/internal/store"
	"github.com/provernet/provernet/wire/address"
	"github.com/provernet/provernet/wire/pb"
)

// index is what the query side knows about the committed state without
// scanning it: every workload by inclusion height (all of them, and per
// owner), and every blob hash that a committed Run's input or a deployed
// program's module names. Workloads and programs are never deleted and
// their heights, owners, inputs and modules never change, so the index only
// grows, and a block adds to it exactly the records it creates.
//
// Invariants: after Commit of height h the index holds every workload and
// program of version h, no more (FinalizeBlock stages a block's records;
// Commit publishes them); a query of an older version filters by height.
// Its lock is never held while a block executes.
type index struct {
	mu      sync.RWMutex
	built   bool
	all     wlList
	byOwner map[address.Address]*wlList
	refs    map[[32]byte]struct{}
}

// wlEntry names one workload in listing order.
type wlEntry struct {
	height int64
	id     [32]byte
}

// cursorSize is the length of a workload cursor: height then id.
const cursorSize = 8 + 32

// MaxCursorBytes is the longest cursor a list hands out (a workload's).
const MaxCursorBytes = cursorSize

// wlList is kept sorted so that its last entry is the first listed: the
// highest inclusion height, and within a height the lowest id.
type wlList []wlEntry

func compareEntries(a, b wlEntry) int {
	if c := cmp.Compare(a.height, b.height); c != 0 {
		return c
	}
	return bytes.Compare(b.id[:], a.id[:])
}

func (l *wlList) insert(e wlEntry) {
	if n := len(*l); n == 0 || compareEntries((*l)[n-1], e) < 0 {
		*l = append(*l, e) // a new block's workloads: the common case
		return
	}
	i, found := slices.BinarySearchFunc(*l, e, compareEntries)
	if !found {
		*l = slices.Insert(*l, i, e)
	}
}

// page lists up to limit entries of height <= version, in listing order,
// starting after the entry after (nil: from the first). more reports that
// entries remain.
func (l wlList) page(version int64, after *wlEntry, limit int) (out []wlEntry, more bool) {
	i := len(l)
	if after != nil {
		i, _ = slices.BinarySearchFunc(l, *after, compareEntries)
	}
	for i--; i >= 0 && l[i].height > version; i-- {
	}
	for ; i >= 0 && len(out) < limit; i-- {
		out = append(out, l[i])
	}
	return out, i >= 0
}

// indexBatch is what one block adds to the index.
type indexBatch struct {
	workloads []wlBatchEntry
	refs      [][32]byte
}

type wlBatchEntry struct {
	wlEntry
	owner []byte
}

func newIndex() *index {
	return &index{byOwner: make(map[address.Address]*wlList), refs: make(map[[32]byte]struct{})}
}

// build fills an empty index from a committed version, scanning it once.
func (x *index) build(snap store.Reader) error {
	var b indexBatch
	err := protocol.Scan(snap, protocol.WorkloadPrefix(), func(w *pb.Workload) bool {
		b.addWorkload(w)
		return true
	})
	if err != nil {
		return fmt.Errorf("failed to index workloads: %w", err)
	}
	err = protocol.Scan(snap, protocol.ProgramPrefix(), func(p *pb.Program) bool {
		b.addProgram(p)
		return true
	})
	if err != nil {
		return fmt.Errorf("failed to index programs: %w", err)
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	x.all, x.byOwner, x.refs = nil, make(map[address.Address]*wlList), make(map[[32]byte]struct{})
	x.publishLocked(&b)
	x.built = true
	return nil
}

// publish adds a committed block's records.
func (x *index) publish(b *indexBatch) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.publishLocked(b)
}

func (x *index) publishLocked(b *indexBatch) {
	for _, w := range b.workloads {
		x.all.insert(w.wlEntry)
		if a, err := address.FromBytes(w.owner); err == nil {
			l := x.byOwner[a]
			if l == nil {
				l = new(wlList)
				x.byOwner[a] = l
			}
			l.insert(w.wlEntry)
		}
	}
	for _, h := range b.refs {
		x.refs[h] = struct{}{}
	}
}

func (x *index) isBuilt() bool {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return x.built
}

// referenced reports whether a committed record names blob h.
func (x *index) referenced(h [32]byte) bool {
	x.mu.RLock()
	defer x.mu.RUnlock()
	_, ok := x.refs[h]
	return ok
}

// workloads pages through the workloads of owner (all if nil).
func (x *index) workloads(owner *address.Address, version int64, after *wlEntry, limit int) ([]wlEntry, bool) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	l := x.all
	if owner != nil {
		p := x.byOwner[*owner]
		if p == nil {
			return nil, false
		}
		l = *p
	}
	return l.page(version, after, limit)
}

func (b *indexBatch) addWorkload(w *pb.Workload) {
	if len(w.Id) != 32 {
		return
	}
	b.workloads = append(b.workloads, wlBatchEntry{wlEntry{w.Height, [32]byte(w.Id)}, w.Owner})
	for _, in := range w.Inputs {
		b.addRef(in.Sha256)
	}
}

func (b *indexBatch) addProgram(p *pb.Program) {
	b.addRef(p.GetProver().GetSha256())
	b.addRef(p.GetVerifier().GetSha256())
}

func (b *indexBatch) addRef(h []byte) {
	if len(h) == 32 {
		b.refs = append(b.refs, [32]byte(h))
	}
}

// recorder passes a block's writes through to the working set and notes
// the workloads and programs the block creates (keys that were absent).
type recorder struct {
	store.KV
	batch *indexBatch
}

var _ store.KV = recorder{}

// Set implements store.KV.
func (r recorder) Set(key, value []byte) error {
	if err := r.note(key, value); err != nil {
		return err
	}
	return r.KV.Set(key, value)
}

func (r recorder) note(key, value []byte) error {
	isWorkload := bytes.HasPrefix(key, protocol.WorkloadPrefix())
	if !isWorkload && !bytes.HasPrefix(key, protocol.ProgramPrefix()) {
		return nil
	}
	old, err := r.KV.Get(key)
	if err != nil || old != nil {
		return err
	}
	if isWorkload {
		var w pb.Workload
		if proto.Unmarshal(value, &w) == nil {
			r.batch.addWorkload(&w)
		}
		return nil
	}
	var p pb.Program
	if proto.Unmarshal(value, &p) == nil {
		r.batch.addProgram(&p)
	}
	return nil
}
