package chain

import (
	"sync"
	"time"

	"github.com/provernet/provernet/wire/txn"
)

// PendingRefTTL is how long a blob hash named by a Run or Deploy that
// CheckTx admitted counts as referenced while the transaction waits in the
// mempool. A transaction still waiting after that is as good as dropped.
const PendingRefTTL = time.Hour

// maxPendingRefs bounds the hashes remembered from the mempool: a full
// mempool of Runs naming many inputs each cannot grow the heap past it.
const maxPendingRefs = 1 << 18

// pendingRefs remembers the blob hashes named by admitted, uncommitted Runs
// and Deploys, so that a blob uploaded for a Run is not collected while the
// Run waits for its block. It only ever makes a blob live longer.
type pendingRefs struct {
	mu  sync.Mutex
	now func() time.Time
	m   map[[32]byte]time.Time // hash -> when a transaction last named it
}

func newPendingRefs(now func() time.Time) *pendingRefs {
	if now == nil {
		now = time.Now
	}
	return &pendingRefs{now: now, m: make(map[[32]byte]time.Time)}
}

// note remembers the hashes tx's Runs and Deploys name.
func (p *pendingRefs) note(tx *txn.Tx) {
	hashes := blobRefs(tx)
	if len(hashes) == 0 {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.now()
	if len(p.m)+len(hashes) > maxPendingRefs {
		p.expireLocked(now)
	}
	for _, h := range hashes {
		if _, ok := p.m[h]; ok || len(p.m) < maxPendingRefs {
			p.m[h] = now
		}
	}
}

// has reports whether an admitted transaction named h within the TTL.
func (p *pendingRefs) has(h [32]byte) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	t, ok := p.m[h]
	return ok && p.now().Sub(t) < PendingRefTTL
}

// expire drops hashes older than the TTL.
func (p *pendingRefs) expire() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.expireLocked(p.now())
}

func (p *pendingRefs) expireLocked(now time.Time) {
	for h, t := range p.m {
		if now.Sub(t) >= PendingRefTTL {
			delete(p.m, h)
		}
	}
}

// blobRefs lists the blob hashes a transaction's Runs and Deploys name.
func blobRefs(tx *txn.Tx) [][32]byte {
	if tx == nil || tx.Body == nil {
		return nil
	}
	var b indexBatch
	for _, m := range tx.Body.Messages {
		if r := m.GetRun(); r != nil {
			for _, in := range r.Inputs {
				b.addRef(in.Sha256)
			}
		}
		if d := m.GetDeploy(); d != nil {
			b.addRef(d.GetProver().GetSha256())
			b.addRef(d.GetVerifier().GetSha256())
		}
	}
	return b.refs
}

// Referenced reports whether blob h (its SHA-256) is named by a committed
// Run's input or deployed program's module, or by a Run or Deploy that
// CheckTx admitted within PendingRefTTL. It takes no block lock, so the
// blob store's garbage collector may call it at any time. Before the index
// is built (before the first commit) every blob counts as referenced.
func (a *App) Referenced(h [32]byte) bool {
	if !a.index.isBuilt() {
		return true
	}
	return a.index.referenced(h) || a.pending.has(h)
}
