package chain

import (
	"sync"

	"github.com/provernet/provernet/wire/address"
)

// ordinaryShareBP is the share of this node's mempool (in bytes and in
// transactions) that ordinary transactions may fill; the rest is kept for
// protocol-critical ones (protocol.Critical: Accept, Decline, SubmitResult,
// RevealKey, Vote, SubmitNodeProof), whose windows a spammer must not be able to close by
// filling the mempool (docs/SECURITY.md, "Block stuffing").
const ordinaryShareBP = 7500

// senderShareBP is the share of the mempool's bytes one sender may hold,
// critical transactions included, in bytes and in transactions: filling
// the mempool with critical-class filler (Votes of ignored entries) then
// takes that many staked provers. An honest prover holds a few results of
// at most 1 MiB at a time.
const senderShareBP = 1250

// senderFloorBytes and senderFloorTxs keep a sender's share from falling
// below eight of the largest results (a small mempool must not refuse an
// honest prover's result for good) and 64 transactions.
const (
	senderFloorBytes = 8 * (1<<20 + 64<<10)
	senderFloorTxs   = 64
)

// mempoolRoom counts the transactions this node admitted that are still in
// its mempool, so that CheckTx can refuse a new one once ordinary
// transactions fill their share, or its sender holds its share. It is
// local policy, not consensus: nodes may disagree on it without harm.
//
// CometBFT does not tell the application when it drops a transaction, so
// the count follows what the application does see: an admitted
// transaction is added; one included in a block or failing its recheck is
// removed; and after every commit, CometBFT rechecks every transaction
// still in its mempool, so an entry not rechecked since the commit before
// last is gone and is dropped. The count can therefore only run low (more
// permissive), never hold a transaction the mempool no longer has.
type mempoolRoom struct {
	mu           sync.Mutex
	maxBytes     int64 // ordinary transactions' bytes; 0: no limit
	maxTxs       int64 // ordinary transactions; 0: no limit
	maxSender    int64 // one sender's bytes; 0: no limit
	maxSenderTxs int64 // one sender's transactions; 0: no limit
	entries      map[[32]byte]roomEntry
	bytes        int64                     // ordinary
	count        int64                     // ordinary
	senders      map[address.Address]int64 // bytes held per sender
	senderTxs    map[address.Address]int64 // transactions held per sender
	gen          uint64                    // commits seen
}

type roomEntry struct {
	size     int64
	sender   address.Address
	ordinary bool
	gen      uint64 // last admitted or rechecked after this many commits
}

// newMempoolRoom sizes the shares from the mempool's limits (0: unlimited).
func newMempoolRoom(mempoolBytes, mempoolTxs int64) *mempoolRoom {
	r := &mempoolRoom{
		maxBytes:  mempoolBytes * ordinaryShareBP / 10000,
		maxTxs:    mempoolTxs * ordinaryShareBP / 10000,
		entries:   map[[32]byte]roomEntry{},
		senders:   map[address.Address]int64{},
		senderTxs: map[address.Address]int64{},
	}
	if mempoolBytes > 0 {
		r.maxSender = max(mempoolBytes*senderShareBP/10000, senderFloorBytes)
	}
	if mempoolTxs > 0 {
		r.maxSenderTxs = max(mempoolTxs*senderShareBP/10000, senderFloorTxs)
	}
	return r
}

// refusal says why a transaction does not fit: which share, how full.
type refusal struct {
	sender bool  // the sender's share, else the ordinary share
	fullBP int64 // how full that share is, in basis points
}

// admits reports whether a transaction of size bytes from sender fits, and
// if not why.
func (r *mempoolRoom) admits(size int64, sender address.Address, ordinary bool) (bool, refusal) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.maxSender > 0 && r.senders[sender]+size > r.maxSender {
		return false, refusal{sender: true, fullBP: r.senders[sender] * 10000 / r.maxSender}
	}
	if r.maxSenderTxs > 0 && r.senderTxs[sender]+1 > r.maxSenderTxs {
		return false, refusal{sender: true, fullBP: r.senderTxs[sender] * 10000 / r.maxSenderTxs}
	}
	if !ordinary {
		return true, refusal{}
	}
	ok := true
	var full int64
	if r.maxBytes > 0 {
		ok = r.bytes+size <= r.maxBytes
		full = r.bytes * 10000 / r.maxBytes
	}
	if r.maxTxs > 0 {
		ok = ok && r.count+1 <= r.maxTxs
		full = max(full, r.count*10000/r.maxTxs)
	}
	return ok, refusal{fullBP: full}
}

// hold counts an admitted (or rechecked) transaction.
func (r *mempoolRoom) hold(key [32]byte, size int64, sender address.Address, ordinary bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.dropLocked(key)
	r.entries[key] = roomEntry{size: size, sender: sender, ordinary: ordinary, gen: r.gen}
	r.senders[sender] += size
	r.senderTxs[sender]++
	if ordinary {
		r.bytes += size
		r.count++
	}
}

// release stops counting a transaction (included in a block, or failed its
// recheck); unknown keys are ignored.
func (r *mempoolRoom) release(key [32]byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.dropLocked(key)
}

func (r *mempoolRoom) dropLocked(key [32]byte) {
	e, ok := r.entries[key]
	if !ok {
		return
	}
	delete(r.entries, key)
	if r.senders[e.sender] -= e.size; r.senders[e.sender] <= 0 {
		delete(r.senders, e.sender)
	}
	if r.senderTxs[e.sender]--; r.senderTxs[e.sender] <= 0 {
		delete(r.senderTxs, e.sender)
	}
	if e.ordinary {
		r.bytes -= e.size
		r.count--
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
			r.dropLocked(k)
		}
	}
}
