// Package prover is the prover daemon: it sells a machine's proving
// capacity to the network by following the chain and answering for its
// account (PROTOCOL.md 4 and 5).
//
// It is split the way etcd raft splits a node into its state machine and
// the caller of Ready/Advance:
//
//   - The planner (plan.go, action.go) is pure. plan takes one workload as
//     the chain holds it, this prover's jobs of it, its standing (address,
//     chain record, free capacity), the chain tip and the parameters, and
//     returns the actions due: accept or decline an allocation by free
//     capacity, the decline limit and whether the slot came from the wait
//     list, take and prove a job, submit a result, resend what did not
//     land after resendAfter blocks, reveal once reveals open (also when
//     removed), verify as a committee member, drop a job whose slot is
//     gone or closed, forget a settled workload, stop watching one that
//     concerns it no more. planProved, planVotes and
//     afterTrouble decide after a worker reports. No I/O, clock,
//     randomness or goroutines, and they never change their inputs; the
//     scripts in testdata/plan drive them (plan_test.go). planTree
//     (tree_plan.go) is the same for one proof tree: which nodes this
//     prover's VRF scores would get kept, and which child proofs a merge
//     names; planTreeVotes (tree_vote.go) which pending node proofs of a
//     tree of deployed programs it judges as a committee member
//     (testdata/tree, tree_plan_test.go).
//   - The executor (daemon.go, follow.go, execute.go and the files it
//     calls: prove.go, verify.go, submit.go, vote.go, stage.go, fetch.go,
//     chain.go, signer.go, jobs.go, and for trees tree_exec.go,
//     tree_deployed.go, tree_files.go, tree_vote.go) reads the chain over a node's CometBFT
//     RPC, builds the planner's inputs, carries out the actions in order,
//     and records what happened. Faults for tests (fault.go) filter the
//     plan or spoil what is sealed; the planner itself is always honest.
//     Its Prometheus metrics (metrics.go) watch it from outside: nothing
//     it decides reads them.
//
// Every pass, it reads each height in order and without gaps, notes the
// workloads the block's events name, and tends each workload of interest
// once, and each proof tree of interest; then it sends the verdicts
// gathered since the last pass (Runs' and pending node proofs') in one
// Vote.
//
// Invariants:
//   - Restart-safe. A temporary identity is written to disk (jobs/) before
//     the SubmitResult carrying the file it seals is broadcast, so a
//     restarted daemon can always reveal what it sealed; every identity
//     ever sent is kept by its commit. A job is saved after its Accept is
//     sent (a lost save only sends the Accept again) and before its worker
//     starts. The height a transaction went out is saved with the job, so
//     the resend rule survives a restart. The last height read is saved
//     each pass before any workload is tended, so a restart resumes where
//     it stopped and never skips a height. Verifications and unsent verdicts live in memory: a
//     restart verifies again what the chain shows it has not voted on.
//   - One goroutine (Run's) plans, signs and broadcasts, so nonces are
//     assigned in order; proving and verifying run in worker processes (a
//     sandbox.Pool, kept between jobs) and only report back to it.
//   - Inputs are staged only through sandbox.StageInputs; blob inputs go
//     by the path of their cache file (linked or streamed), never read
//     whole into the daemon's memory.
//   - Nothing assumes the node shares the process or the disk: programs and
//     inputs come from the chain (inline) or the node's blob API.
package prover
