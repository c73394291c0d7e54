// Package chain is the ABCI 2.0 application that CometBFT drives.
//
// It is the only package that imports CometBFT's ABCI types. It decodes
// blocks, hands them to the deterministic protocol package, commits the
// store once per block and answers queries. Invariants:
//   - every block's first transaction is the proposer's beacon entry;
//     ProcessProposal rejects a block without a valid one, and one whose
//     transactions exceed MaxProposalTxBytes or the weight left at its
//     height (weight.go);
//   - FinalizeBlock writes only to the store's working set and Commit saves
//     it in one batch, so a crash between the two loses nothing CometBFT
//     cannot replay;
//   - between Commit of h-1 and FinalizeBlock of h the working set holds
//     exactly the state after h-1 (the genesis state before block 1), so
//     Prepare/ProcessProposal read the beacon seed from it;
//   - CheckTx runs against its own cache over that state and never writes
//     to the working set;
//   - state sync snapshots (snapshot_*.go) are exports of committed
//     versions, taken in the background, and change nothing in the state;
//     a restore imports one into an empty tree only, and checks its root
//     against the trusted app hash before the app loads it.
//
// The App is safe for concurrent use (the node runs it on CometBFT's
// unsynchronised local client). mu guards block execution; checkMu guards
// the mempool's view, which reads only the last committed (immutable)
// version, so CheckTx runs while a block executes. CheckTx verifies a
// transaction's signature before taking any lock. Lock order: mu before
// checkMu. Before the first commit the mempool view reads the working set,
// so CheckTx then takes mu as well.
//
// Queries never take mu: they read the last committed version, an
// immutable IAVL tree published atomically at Commit, and an index of
// workloads and blob references (index.go) that Commit extends. They share
// treeMu with CheckTx, which the block takes only to flush its writes and
// to save the version, so a query waits at most for a flush and a block
// waits at most for the queries already running; and every list query is
// paginated (page.go), so none reads more than a page of records.
package chain

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	"github.com/cometbft/cometbft/libs/log"

	"github.com/provernet/provernet/internal/protocol"
	"github.com/provernet/provernet/internal/store"
	"github.com/provernet/provernet/internal/store/iavltree"
)

// AppVersion is the version of the state machine, reported to CometBFT.
const AppVersion uint64 = 1

// Options configure an App.
type Options struct {
	// Store is the committed store; the App owns it from now on.
	Store *iavltree.Tree
	// ValidatorAddress and VRFSecret are this node's consensus address and
	// VRF secret key, used to add the beacon when it proposes. Nodes that
	// are not validators leave them empty.
	ValidatorAddress []byte
	VRFSecret        []byte
	// Logger receives the app's logs; nil discards them.
	Logger log.Logger
	// AfterCommit, if set, is called after every commit with the new
	// committed state (tests use it to check invariants after each block).
	AfterCommit func(height int64, state store.Reader) error
	// TxCacheBytes bounds the decoded-transaction cache; 0 means 128 MiB.
	TxCacheBytes int64
	// MempoolBytes and MempoolTxs are the mempool's limits (CometBFT's
	// mempool.max_txs_bytes and size). Ordinary transactions may fill
	// three quarters of each; the rest is kept for protocol-critical ones
	// (room.go). 0 sets no limit.
	MempoolBytes, MempoolTxs int64
	// Now is the clock of the pending blob references; nil means time.Now.
	Now func() time.Time
	// Metrics, if set, records the app's Prometheus metrics (metrics.go).
	Metrics *Metrics
	// SnapshotDir holds the state sync snapshots (snapshot_*.go); empty
	// serves none. One is taken of every SnapshotInterval-th height (0:
	// none) and the newest SnapshotKeep are kept (0 means 2).
	SnapshotDir      string
	SnapshotInterval int64
	SnapshotKeep     int
}

// App is provernet's ABCI application.
type App struct {
	abci.BaseApplication
	txs     *txCache
	room    *mempoolRoom // the ordinary transactions' share of the mempool
	strikes proofStrikes // senders of node proofs that failed here (proof_strikes.go)
	opts    Options
	tree    *iavltree.Tree
	logger  log.Logger

	index       *index
	pending     *pendingRefs
	allocations chan struct{} // /allocation queries running (it reads every prover)

	// treeMu keeps readers of committed versions (queries, CheckTx) off
	// the tree while a block's writes reach it and while it saves a
	// version: IAVL copies nodes on write and, doing so, detaches the child
	// pointers of nodes that committed versions share. Writers hold it for
	// the flush and the save only, never for a block's execution; a reader
	// for one bounded query or one transaction. It is the innermost lock.
	treeMu sync.RWMutex

	mu        sync.Mutex
	env       protocol.Env // chain id, params and the height being built
	staged    indexBatch   // the records the block being executed creates
	committed atomic.Pointer[iavltree.Snapshot]

	checkMu   sync.Mutex
	checkEnv  protocol.Env // env as CheckTx sees it
	check     *store.Cache // CheckTx's pending view over committed
	checkLive atomic.Bool  // check reads a committed snapshot, not the working set

	snaps       *snapshotter   // nil: no snapshots served (snapshot_take.go)
	snapRunning atomic.Bool    // a snapshot is being taken
	snapWG      sync.WaitGroup // the snapshot being taken
	restoreMu   sync.Mutex     // guards restore
	restore     *restoring     // the state sync in progress (snapshot_restore.go)
}

var _ abci.Application = (*App)(nil)

// New returns an App over opts.Store, resuming from its last version.
func New(opts Options) (*App, error) {
	if opts.Store == nil {
		return nil, errors.New("chain: no store")
	}
	if opts.TxCacheBytes <= 0 {
		opts.TxCacheBytes = txCacheBytes
	}
	a := &App{opts: opts, tree: opts.Store, logger: opts.Logger, txs: newTxCache(opts.TxCacheBytes),
		room:  newMempoolRoom(opts.MempoolBytes, opts.MempoolTxs),
		index: newIndex(), pending: newPendingRefs(opts.Now), allocations: make(chan struct{}, 1)}
	if a.logger == nil {
		a.logger = log.NewNopLogger()
	}
	if opts.SnapshotDir != "" {
		a.snaps = &snapshotter{interval: opts.SnapshotInterval,
			store: &snapshotStore{dir: opts.SnapshotDir, keep: cmp.Or(opts.SnapshotKeep, 2), chunkSize: snapshotChunkBytes}}
	}
	if err := a.tree.Mirror(protocol.WalkedIndexes()...); err != nil {
		return nil, fmt.Errorf("failed to load the walked indexes into memory: %w", err)
	}
	if a.tree.Version() > 0 {
		if err := a.loadCommitted(); err != nil {
			return nil, err
		}
		if err := a.index.build(a.committed.Load()); err != nil {
			return nil, err
		}
	}
	return a, nil
}

// loadCommitted refreshes everything derived from the committed state.
func (a *App) loadCommitted() error {
	snap, err := a.tree.At(a.tree.Version())
	if err != nil {
		return err
	}
	a.committed.Store(snap)
	if a.env.ChainID, err = protocol.GetChainID(snap); err != nil {
		return err
	}
	if a.env.Params, err = protocol.GetParams(snap); err != nil {
		return err
	}
	a.env.Height = snap.Version() + 1
	a.env.Decode = a.txs.decode
	a.strikes.sweep(a.env.Height)
	a.resetCheck(store.NewCache(snap), true)
	return nil
}

// resetCheck replaces the mempool's view; CometBFT then rechecks the
// mempool's transactions against it.
func (a *App) resetCheck(view *store.Cache, live bool) {
	a.checkMu.Lock()
	a.check, a.checkEnv = view, a.env
	a.checkMu.Unlock()
	a.checkLive.Store(live)
}

// Committed returns the last committed state, or nil before genesis. Its
// reads take the tree's read lock (treeMu), as queries and CheckTx do, so
// a caller outside the app never reads a version while a block's writes
// reach the tree.
func (a *App) Committed() *CommittedState {
	snap := a.committed.Load()
	if snap == nil {
		return nil
	}
	return &CommittedState{snap: snap, mu: &a.treeMu}
}

// CommittedState is one committed version, read under the tree's read
// lock.
type CommittedState struct {
	snap *iavltree.Snapshot
	mu   *sync.RWMutex
}

// Get implements store.Reader.
func (c *CommittedState) Get(key []byte) ([]byte, error) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.snap.Get(key)
}

// Iterate implements store.Reader; the read lock is held for the whole
// iteration, so fn must not wait for a block.
func (c *CommittedState) Iterate(start, end []byte, fn func(key, value []byte) bool) error {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.snap.Iterate(start, end, fn)
}

// Version is the committed height.
func (c *CommittedState) Version() int64 { return c.snap.Version() }

// Info tells CometBFT where the app stands, so the handshake can replay any
// blocks it missed. Once a version is committed it reads that version and
// takes no lock (anyone can call it through CometBFT's abci_info).
func (a *App) Info(context.Context, *abci.InfoRequest) (*abci.InfoResponse, error) {
	resp := &abci.InfoResponse{Data: "provernet", Version: "provernet/" + fmt.Sprint(AppVersion), AppVersion: AppVersion}
	if snap := a.committed.Load(); snap != nil {
		resp.LastBlockHeight, resp.LastBlockAppHash = snap.Version(), snap.Hash()
		return resp, nil
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	resp.LastBlockHeight, resp.LastBlockAppHash = a.tree.Version(), a.tree.Hash()
	return resp, nil
}

// Commit saves the block's writes as a new version in one batch.
func (a *App) Commit(ctx context.Context, req *abci.CommitRequest) (*abci.CommitResponse, error) {
	t0 := time.Now()
	resp, err := a.commit(ctx, req)
	if err == nil {
		a.opts.Metrics.observeCommit(time.Since(t0), a.tree.Version())
	}
	return resp, err
}

func (a *App) commit(context.Context, *abci.CommitRequest) (*abci.CommitResponse, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.treeMu.Lock()
	_, version, err := a.tree.Commit()
	a.treeMu.Unlock()
	if err != nil {
		return nil, fmt.Errorf("failed to commit: %w", err)
	}
	// The index first: a query that meets the new index with the old
	// version filters the new records out by height.
	if err := a.publishIndex(version); err != nil {
		return nil, err
	}
	if err := a.loadCommitted(); err != nil {
		return nil, err
	}
	a.room.committed()
	a.maybeSnapshot(version)
	if a.opts.AfterCommit != nil {
		if err := a.opts.AfterCommit(version, a.committed.Load()); err != nil {
			return nil, fmt.Errorf("after commit of %d: %w", version, err)
		}
	}
	return &abci.CommitResponse{}, nil
}

// publishIndex adds the committed block's records to the index; the first
// commit of a chain (whose genesis wrote records no block staged) builds it
// from the committed state instead.
func (a *App) publishIndex(version int64) error {
	batch := a.staged
	a.staged = indexBatch{}
	a.pending.expire()
	if !a.index.isBuilt() {
		snap, err := a.tree.At(version)
		if err != nil {
			return err
		}
		return a.index.build(snap)
	}
	a.index.publish(&batch)
	return nil
}
