// Package protocol is provernet's deterministic state machine.
//
// It turns (state, block) into (new state, results and events) and nothing
// else: no I/O, no wall clock, no goroutines, no floating point, no
// dependence on map iteration order, and no randomness but the beacon.
// Two nodes that apply the same blocks to the same genesis therefore write
// the same keys in the same order and reach the same app hash.
//
// The chain package calls it through a handful of entry points:
// InitGenesis and RecordGenesisValidators; for each block
// VerifyBeacon/ApplyBeacon, BeginBlock, ApplyEvidence and SetProposer
// (issue 19), DeliverTx per transaction, EndBlock, and the block's
// ValidatorUpdates for CometBFT; and CheckTx for the mempool.
// Every rejected transaction gets a stable wire.Code and a readable log;
// errors returned as Go errors are storage failures only, never a verdict
// on input, and nothing here panics on input.
//
// The app hash also depends on how writes reach the IAVL tree, whose
// shape follows their order: the chain gathers a block's writes in one
// store.Cache and flushes it once, in key order. How a replica buffers the
// writes of one transaction, and whether CheckTx ran first, must not
// matter; TestWorkloadProperty varies both and compares the results.
package protocol
