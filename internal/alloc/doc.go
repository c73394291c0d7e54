// Package alloc is the pure workload allocator of PROTOCOL.md section 5.2:
// given the beacon seed of the allocation height, the active provers and the
// workloads to allocate in one block, it says which provers get which
// workload. Every node computes the same answer from the same state, and
// anyone holding the state can recompute and check it.
//
// # Invariants
//
//   - Deterministic. The result is a function of the arguments only: no wall
//     clock, no goroutines, no floating point, no dependence on map iteration
//     order, and no randomness other than the seed it is given (through
//     SHA-256).
//   - Total. No input makes it panic: empty, duplicate, unsorted or absurd
//     values (k <= 0, k larger than the population, MaxConcurrent 0, Active
//     above MaxConcurrent, empty seed) all have a defined, documented result.
//   - Safe. Every assignment names distinct provers, each of which meets the
//     workload's minimum hardware and holds fewer than its MaxConcurrent
//     workloads, counting those allocated earlier in the same block.
//   - Fast. Allocate does one O(N) pass per block, plus one O(N) pass per
//     distinct set of hardware classes admitted by the workloads' minimum
//     hardware (programs share few requirements), and then O(k log N)
//     expected work per workload; never an O(N) scan per workload. The
//     result is exactly that of AllocateNaive, the O(N)-per-workload
//     reference, which the tests compare it with.
//
// # Rules
//
// Allocate processes the workloads by Rank (lower first), then in the order
// of SHA-256("provernet/alloc-order/v1" || seed || id) (Order; equal ids in
// the order given), whatever order they are given in: a proposer cannot
// steer the allocation by ordering its block. For one workload w with k = w.K:
//
//  1. Hardware. A prover qualifies if its Hardware meets w.MinHardware (see
//     Meets for the exact rule, GPUs included).
//  2. Capacity. It holds fewer than MaxConcurrent workloads, where "holds" is
//     Active plus the workloads this same call has already assigned to it
//     (for workloads earlier in the order).
//  3. Previous round. A prover with LastAllocated == height-1 (and
//     LastAllocated != 0, which means never) was allocated work at the
//     previous height and is excluded. If fewer than k provers pass 1-3,
//     the excluded ones that pass 1-2 are added back: the eligible list is
//     then simply every prover passing 1-2. Being allocated earlier in the
//     same block does not count as the previous round (only as capacity).
//  4. The eligible list is sorted by address (ascending bytes). Let n be its
//     length and m = min(k, n) (0 if k <= 0). r = SHA-256(seed || w.ID).
//     For counter c = 0, 1, 2, ... let x be the first 8 bytes, big-endian,
//     of SHA-256(r || c) with c as 8 bytes big-endian. If
//     x >= floor(2^64/n)*n the value is rejected (this removes modulo bias;
//     when n is a power of two nothing is rejected). Otherwise the index is
//     x mod n; an index already drawn for this workload is rejected; any
//     other is accepted. Drawing stops once m indices are accepted. The
//     assignment lists the provers at the accepted indices in draw order.
//  5. If n < k the workload gets only n provers; the caller opens the
//     remaining k-n slots to the open market (PROTOCOL 5.3).
//
// The caller filters the active provers; Allocate treats every prover given
// as active. Explain reports, for one workload, every draw and every
// prover's reason for being eligible or not.
package alloc
