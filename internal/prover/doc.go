// Package prover is the prover daemon: it sells a machine's proving
// capacity to the network by following the chain and answering for its
// account (PROTOCOL.md 4 and 5).
//
// Every height, in order and without gaps, it reads the block's events
// from a node's CometBFT RPC, notes the workloads they name, and looks at
// each workload it cares about: it accepts or declines allocations by its
// free capacity, answers challenges, fills open slots when it has room,
// proves in sandbox worker processes, seals each result with age and
// submits it, reveals the temporary identity once the chain opens reveals,
// and, as a committee member, verifies other provers' proofs and votes in
// one batch per height. Work that is settled, or a slot that is no longer
// its own, is dropped.
//
// Invariants:
//   - A temporary identity is written to disk (jobs/) before the result it
//     seals is broadcast, so a restarted daemon can always reveal what it
//     sealed. The last processed height is saved after each height, so a
//     restart resumes where it stopped and never skips a height.
//   - One goroutine (Run's) signs and broadcasts, so nonces are assigned
//     in order; proving runs in worker processes (a sandbox.Pool, kept between jobs) and only
//     reports back to that goroutine.
//   - Nothing assumes the node shares the process or the disk: programs and
//     inputs come from the chain (inline) or the node's blob API.
package prover
