package chain

import (
	"sync"
)

// ordinaryShareBP is the share of this node's mempool (in bytes and in
// transactions) that ordinary transactions may fill; the rest is kept for
// protocol-critical ones (allCritical: Accept, Decline, SubmitResult,
// RevealKey, Vote), whose windows a spammer must not be able to close by
// filling the mempool (docs/SECURITY.md, "Block stuffing").
const ordinaryShareBP = 7500

// mempoolRoom counts the ordinary transactions this node admitted that are
// still in its mempool, so that CheckTx can refuse a new ordinary one once
// they fill their share. It is local policy, not consensus: nodes may
// disagree on it without harm.
//
// CometBFT does not tell the application when it drops a transaction, so
// the count follows what the application does see: an admitted ordinary
// transaction is added; one included in a block or failing its recheck is
// removed; and after every commit, CometBFT rechecks every transaction
// still in its mempool, so an entry not rechecked since the commit before
// last is gone and is dropped. The count can therefore only run low (more
// permissive), never hold a transaction the mempool no longer has.
type mempoolRoom struct {
	mu       sync.Mutex
	maxBytes int64 // 0: no limit
	maxTxs   int64 // 0: no limit
	entries  map[[32]byte]roomEntry
	bytes    int64
	gen      uint64 // commits seen
}

type roomEntry struct {
	size int64
	gen  uint64 // last admitted or rechecked after this many commits
}

// newMempoolRoom sizes the ordinary share from the mempool's limits (0:
// unlimited).
func newMempoolRoom(mempoolBytes, mempoolTxs int64) *mempoolRoom {
	return &mempoolRoom{
		maxBytes: mempoolBytes * ordinaryShareBP / 10000,
		maxTxs:   mempoolTxs * ordinaryShareBP / 10000,
		entries:  map[[32]byte]roomEntry{},
	}
}

// admits reports whether an ordinary transaction of size bytes fits in the
// ordinary share, and how full the share is (in basis points of the
// tighter limit) for the refusal's message.
func (r *mempoolRoom) admits(size int64) (bool, int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	ok := true
	var full int64
	if r.maxBytes > 0 {
		ok = r.bytes+size <= r.maxBytes
		full = r.bytes * 10000 / r.maxBytes
	}
	if r.maxTxs > 0 {
		ok = ok && int64(len(r.entries))+1 <= r.maxTxs
		full = max(full, int64(len(r.entries))*10000/r.maxTxs)
	}
	return ok, full
}

// hold counts an admitted (or rechecked) ordinary transaction.
func (r *mempoolRoom) hold(key [32]byte, size int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if e, ok := r.entries[key]; ok {
		r.bytes -= e.size
	}
	r.entries[key] = roomEntry{size: size, gen: r.gen}
	r.bytes += size
}

// release stops counting a transaction (included in a block, or failed its
// recheck); unknown keys are ignored.
func (r *mempoolRoom) release(key [32]byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if e, ok := r.entries[key]; ok {
		r.bytes -= e.size
		delete(r.entries, key)
	}
}

// committed drops the entries no recheck has seen since the commit before
// this one: the mempool no longer holds them.
func (r *mempoolRoom) committed() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.gen++
	for k, e := range r.entries {
		if e.gen+1 < r.gen {
			r.bytes -= e.size
			delete(r.entries, k)
		}
	}
}
