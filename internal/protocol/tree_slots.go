package protocol

import (
	"math"

	"github.com/provernet/provernet/internal/store"
	"github.com/provernet/provernet/wire"
)

// Tree timer slots (docs/TREES.md, "Block weight"). Every timer of a tree
// included at height h with node_deadline D falls due at some h+1+kD, k =
// 0..3·log2(n) (wire.TreeTimers: the opening, then each level's window
// and its two step-in windows, all D long), so a ProveTree reserves a slot
// at each of those heights, and is refused when one of them already
// holds maxTreesDue: no height ever has more tree timers than that, and
// the due work of trees never takes more than a quarter of a block (the
// ProveTree's fee has paid for it through its DeferredWeight). A slot is
// deleted at the start of its height. Invariant: the trees due at a
// height are at most the slots it holds.

var prefixTreeSlot = []byte("tree/slot/") // tree/slot/<height>/<id>: a tree may fall due then

func treeSlotKey(h int64, id []byte) []byte {
	return append(append(heightPrefix(prefixTreeSlot, h), '/'), id...)
}

// maxTreesDue is the most trees whose timers may fall due at one height:
// a quarter of max_block_weight in WeightTreeTimer, at least one.
func maxTreesDue(p Params) uint64 {
	return max(1, p.MaxBlockWeight/4/wire.WeightTreeTimer)
}

// treeSlotHeights are the heights a tree included at h with n inputs and
// node_deadline d may fall due at.
func treeSlotHeights(h int64, n int, d int64) []int64 {
	k := int64(wire.TreeTimers(n))
	out := make([]int64, 0, k)
	for i := range k {
		if d > (math.MaxInt64-h-1)/max(i, 1) {
			break // beyond any chain's life; max_node_deadline is at most 2^40
		}
		out = append(out, h+1+i*d)
	}
	return out
}

// fullTreeSlot returns the first of heights that holds maxTreesDue slots
// already, or 0.
func fullTreeSlot(r store.Reader, p Params, heights []int64) (int64, error) {
	limit := maxTreesDue(p)
	for _, h := range heights {
		due := append(heightPrefix(prefixTreeSlot, h), '/')
		n, err := countKeys(r, due, store.PrefixEnd(due), limit)
		if err != nil {
			return 0, err
		}
		if n >= limit {
			return h, nil
		}
	}
	return 0, nil
}

// reserveTreeSlots takes a slot for tree id at each of heights.
func reserveTreeSlots(kv store.KV, heights []int64, id []byte) error {
	for _, h := range heights {
		if err := kv.Set(treeSlotKey(h, id), []byte{1}); err != nil {
			return err
		}
	}
	return nil
}

// releaseTreeSlots deletes the slots of height h (at its start).
func releaseTreeSlots(kv store.KV, h int64) error {
	ids, err := dueAt(kv, prefixTreeSlot, h)
	if err != nil {
		return err
	}
	for _, id := range ids {
		if err := kv.Delete(treeSlotKey(h, id)); err != nil {
			return err
		}
	}
	return nil
}

// maxTimerSearch is how many heights treeTimerFrom looks at for a slot.
const maxTimerSearch = 64

// treeTimerFrom sets tree id's timer at the first height from from on
// where the tree holds a slot already or one is free, taking it, and
// returns that height. A tree's own window ends are reserved when it is
// included, so they are found at once; the committee path's timers (a
// ballot's end, a deciding node's close, and the windows after a node
// that decided late, which leave the reserved heights) look for a slot,
// so they too never make a height's tree timers exceed maxTreesDue
// (review M5), and only move later when heights are full. After
// maxTimerSearch full heights it takes the last one anyway: a tree is
// never left without a timer (docs/TREES.md, "Block weight").
func treeTimerFrom(kv store.KV, p Params, from int64, id []byte) (int64, error) {
	h := from
	for i := range maxTimerSearch {
		h = from + int64(i)
		held, free, err := treeSlotAt(kv, p, h, id)
		if err != nil {
			return 0, err
		}
		if held {
			return h, setTreeTimer(kv, h, id)
		}
		if free {
			break
		}
	}
	if err := kv.Set(treeSlotKey(h, id), []byte{1}); err != nil {
		return 0, err
	}
	return h, setTreeTimer(kv, h, id)
}

// treeSlotAt reports whether tree id holds a slot at h, and else whether
// one is free there.
func treeSlotAt(r store.Reader, p Params, h int64, id []byte) (held, free bool, err error) {
	v, err := r.Get(treeSlotKey(h, id))
	if err != nil || v != nil {
		return v != nil, false, err
	}
	full, err := fullTreeSlot(r, p, []int64{h})
	return false, full == 0, err
}
