// Package protocol is provernet's deterministic state machine.
//
// It turns (state, block) into (new state, results and events) and nothing
// else: no I/O, no wall clock, no goroutines, no floating point, no
// dependence on map iteration order, and no randomness but the beacon.
// Two nodes that apply the same blocks to the same genesis therefore write
// the same keys in the same order and reach the same app hash.
//
// The chain package calls it through a handful of entry points:
// InitGenesis, VerifyBeacon/ApplyBeacon, CheckTx and DeliverTx. Every
// rejected transaction gets a stable Code and a readable log; errors returned
// as Go errors are storage failures only, never a verdict on input, and
// nothing here panics on input.
package protocol
