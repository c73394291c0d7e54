package node

import (
	"sync"

	dbm "github.com/cometbft/cometbft-db"
	cmtcfg "github.com/cometbft/cometbft/config"
)

// dbTracker opens CometBFT's databases and closes them all at shutdown.
// CometBFT v1.0's node does not close its indexer databases on Stop, which
// leaves their file locks held and makes an in-process restart fail.
type dbTracker struct {
	mu  sync.Mutex
	dbs []*stopSafeDB
}

func (t *dbTracker) provide(ctx *cmtcfg.DBContext) (dbm.DB, error) {
	db, err := cmtcfg.DefaultDBProvider(ctx)
	if err != nil {
		return nil, err
	}
	safe := &stopSafeDB{DB: db}
	t.mu.Lock()
	t.dbs = append(t.dbs, safe)
	t.mu.Unlock()
	return safe, nil
}

// closeAll closes every database (closing twice is harmless).
func (t *dbTracker) closeAll() {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, db := range t.dbs {
		_ = db.Close()
	}
	t.dbs = nil
}

// stopSafeDB is a database that reads as empty and ignores writes once it
// is closed. CometBFT v1.0 closes its block store while per-peer consensus
// goroutines may still wake from a sleep and read it; the block store
// panics on the closed database's error and takes the process down. After
// Close, such a late read finds nothing instead.
type stopSafeDB struct {
	dbm.DB
	mu     sync.RWMutex
	closed bool
}

func (d *stopSafeDB) Get(k []byte) ([]byte, error) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	if d.closed {
		return nil, nil
	}
	return d.DB.Get(k)
}

func (d *stopSafeDB) Has(k []byte) (bool, error) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	if d.closed {
		return false, nil
	}
	return d.DB.Has(k)
}

func (d *stopSafeDB) Set(k, v []byte) error { return d.write(func() error { return d.DB.Set(k, v) }) }
func (d *stopSafeDB) SetSync(k, v []byte) error {
	return d.write(func() error { return d.DB.SetSync(k, v) })
}
func (d *stopSafeDB) Delete(k []byte) error { return d.write(func() error { return d.DB.Delete(k) }) }
func (d *stopSafeDB) DeleteSync(k []byte) error {
	return d.write(func() error { return d.DB.DeleteSync(k) })
}

func (d *stopSafeDB) write(f func() error) error {
	d.mu.RLock()
	defer d.mu.RUnlock()
	if d.closed {
		return nil
	}
	return f()
}

func (d *stopSafeDB) Iterator(start, end []byte) (dbm.Iterator, error) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	if d.closed {
		return dbm.NewMemDB().Iterator(start, end)
	}
	return d.DB.Iterator(start, end)
}

func (d *stopSafeDB) ReverseIterator(start, end []byte) (dbm.Iterator, error) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	if d.closed {
		return dbm.NewMemDB().ReverseIterator(start, end)
	}
	return d.DB.ReverseIterator(start, end)
}

func (d *stopSafeDB) NewBatch() dbm.Batch {
	d.mu.RLock()
	defer d.mu.RUnlock()
	if d.closed {
		return dbm.NewMemDB().NewBatch()
	}
	return d.DB.NewBatch()
}

// Close closes the database once; later calls return nil.
func (d *stopSafeDB) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return nil
	}
	d.closed = true
	return d.DB.Close()
}
