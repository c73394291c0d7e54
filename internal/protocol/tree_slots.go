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
// at each of those heights, and is refused when one of them is full: no
// height ever has more tree timers than maxTreesDue, and the due work of
// trees never takes more than a quarter of a block (the ProveTree's fee
// has paid for it through its DeferredWeight). The committee path's
// timers (tree_committee.go) take slots of their own kind, at most
// committeeTimerSlots of a height, so they cannot fill the heights new
// trees need. A slot is deleted at the start of its height. Invariant:
// the trees due at a height are at most the slots it holds.

var (
	prefixTreeSlot      = []byte("tree/slot/")  // tree/slot/<height>/<id>: a ProveTree reserved it
	prefixTreeTimerSlot = []byte("tree/tslot/") // tree/tslot/<height>/<id>: a committee-path timer took it
)

func treeSlotKey(h int64, id []byte) []byte {
	return append(append(heightPrefix(prefixTreeSlot, h), '/'), id...)
}

func treeTimerSlotKey(h int64, id []byte) []byte {
	return append(append(heightPrefix(prefixTreeTimerSlot, h), '/'), id...)
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

// committeeTimerSlots is how many of a height's maxTreesDue slots the
// committee path's timers may take (treeTimerFrom: a draw, a ballot's
// end, a deciding node's close, a window moved off the reserved
// heights): half, at least one. The rest are ProveTrees' whatever those
// timers do. A ProveTree needs a slot at the next height (its opening),
// and a pending proof sets two such timers for 600 of weight, whatever
// its verdict (a silent committee refunds its fee): with one pool, an
// attacker sending maxTreesDue trees of its own one pending proof each a
// block filled every height a vote_window ahead and shut every new tree
// out, at any node_deadline (TestCommitteeTimersCannotShutOutNewTrees).
func committeeTimerSlots(p Params) uint64 {
	return max(1, maxTreesDue(p)/2)
}

// fullTreeSlot returns the first of heights where a ProveTree finds no
// slot, or 0: one that holds maxTreesDue slots, unless the ProveTrees'
// own hold fewer than their share (maxTreesDue - committeeTimerSlots, at
// least one).
func fullTreeSlot(r store.Reader, p Params, heights []int64) (int64, error) {
	limit := maxTreesDue(p)
	share := max(1, limit-min(limit, committeeTimerSlots(p)))
	for _, h := range heights {
		reserved, err := slotCount(r, prefixTreeSlot, h, limit)
		if err != nil {
			return 0, err
		}
		if reserved < share {
			continue
		}
		taken, err := slotCount(r, prefixTreeTimerSlot, h, limit)
		if err != nil {
			return 0, err
		}
		if reserved+taken >= limit {
			return h, nil
		}
	}
	return 0, nil
}

// slotCount counts the slots of one kind (prefix) at height h, stopping
// at most.
func slotCount(r store.Reader, prefix []byte, h int64, most uint64) (uint64, error) {
	due := append(heightPrefix(prefix, h), '/')
	return countKeys(r, due, store.PrefixEnd(due), most)
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

// releaseTreeSlots deletes the slots of height h, of both kinds (at its
// start).
func releaseTreeSlots(kv store.KV, h int64) error {
	for _, x := range []struct {
		prefix []byte
		key    func(int64, []byte) []byte
	}{{prefixTreeSlot, treeSlotKey}, {prefixTreeTimerSlot, treeTimerSlotKey}} {
		ids, err := dueAt(kv, x.prefix, h)
		if err != nil {
			return err
		}
		for _, id := range ids {
			if err := kv.Delete(x.key(h, id)); err != nil {
				return err
			}
		}
	}
	return nil
}

// maxTimerSearch is how many heights treeTimerFrom looks at for a slot.
const maxTimerSearch = 64

// treeTimerFrom sets tree id's timer at the first height from from on
// where the tree holds a slot already or the committee path may take one
// (treeSlotAt), taking it, and returns that height. A tree's own window
// ends are reserved when it is included, so they are found at once; the
// committee path's timers (a draw, a ballot's end, a deciding node's
// close, and the windows after a node that decided late, which leave the
// reserved heights) look for a slot, so they too never make a height's
// tree timers exceed maxTreesDue (review M5), and only move later when
// heights are full; they never take a ProveTree's share
// (committeeTimerSlots). After maxTimerSearch full heights it takes the
// last one anyway: a tree is never left without a timer (docs/TREES.md,
// "Block weight").
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
	if err := kv.Set(treeTimerSlotKey(h, id), []byte{1}); err != nil {
		return 0, err
	}
	return h, setTreeTimer(kv, h, id)
}

// treeSlotAt reports whether tree id holds a slot of either kind at h,
// and else whether the committee path may take one there: it holds fewer
// than committeeTimerSlots, and the height fewer than maxTreesDue in all.
func treeSlotAt(r store.Reader, p Params, h int64, id []byte) (held, free bool, err error) {
	for _, key := range [][]byte{treeSlotKey(h, id), treeTimerSlotKey(h, id)} {
		v, err := r.Get(key)
		if err != nil || v != nil {
			return v != nil, false, err
		}
	}
	limit := maxTreesDue(p)
	taken, err := slotCount(r, prefixTreeTimerSlot, h, limit)
	if err != nil || taken >= committeeTimerSlots(p) {
		return false, false, err
	}
	reserved, err := slotCount(r, prefixTreeSlot, h, limit)
	return false, reserved+taken < limit, err
}
