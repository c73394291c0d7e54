package chain

// LockBlocks takes the lock that PrepareProposal, FinalizeBlock and Commit
// hold, as a long block would; tests check that queries do not wait for it.
func LockBlocks(a *App) (unlock func()) {
	a.mu.Lock()
	return a.mu.Unlock
}

// TxCacheUsage reports the decoded-transaction cache's entries and bytes.
func TxCacheUsage(a *App) (int, int64) { return a.txs.usage() }

// HoldAllocation takes the one slot /allocation queries run in, as a
// long recomputation would.
func HoldAllocation(a *App) (release func()) {
	a.allocations <- struct{}{}
	return func() { <-a.allocations }
}
