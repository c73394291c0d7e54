// Package sim is a seeded, deterministic discrete-event simulator of a
// population of provers serving workloads, to put numbers on the seeds'
// questions: does allocation centralise rewards, how live is the network
// when provers fail, how much work is wasted, what does a proof cost.
//
// # What is simulated
//
// Time is blocks. A Population (population.go) holds provers in hardware
// classes (cycles proven per block, declared hardware, maximum concurrent
// jobs), each with a strategy (honest, lazy decliner, silent, copier, a
// sybil operator's prover, an undercutter's prover), a crash rate, and
// users' Runs arriving evenly over Options.Blocks, with cycles, k, program
// and deadline. Proving time is the workload's cycles over the class's
// speed, with a jitter. Every behavioural decision is a hash of the seed
// and of what it concerns (prover, workload, slot, role), never a position
// in a shared random stream, so it does not depend on the order in which
// an engine visits things.
//
// # Mechanisms and fidelities
//
// Eight mechanisms (Options.Mechanism): vrf, the protocol's lottery
// (PROTOCOL.md 5); vrf-noexcl, the same with every prover's last
// allocation hidden from the allocator; market and cheapest, the chain's
// market (issue 17): the provers' asks (asks.go) matched by the chain's own
// alloc.Match on a book read as the chain reads it (fast_market.go), with
// reputation kept as the chain keeps it (reputation.go); pool, the chain's
// pool: per epoch the top provers by stake and ask frozen with
// alloc.PoolRank, each Run drawn among them with alloc.PoolDraw, a member
// that misses slashed (fast_pool.go); race, a pure
// proof race; bids and votes, seed 004's Scroll and B52 designs
// (designs.go). race, bids and votes are the simulator's own rules
// (market.go), not the protocol's, and are kept apart from the code that
// drives the protocol.
//
// Another, tree (tree.go), simulates issue 16's proof trees rather than
// Runs, with its own report (TreeReport): it builds each tree's record
// and asks the chain's tree functions what is kept, which root wins and
// what is paid.
//
// vrf, market, cheapest and pool run at one of two fidelities that share the
// protocol's code and never copy it:
//
//   - full (full.go) drives the real state machine: protocol.Apply for
//     every prover message (SetAsk, Run, Accept, Decline, SubmitResult
//     with a real age file from wire/seal, RevealKey, Vote) and
//     protocol.ApplyBeacon and BeginBlock for every block (allocation,
//     deadlines, settlement), on an in-memory store.KV, with
//     protocol.CheckInvariants. Hundreds of provers and a few thousand
//     workloads.
//   - fast (fast.go, the default) keeps compact arrays and follows the same
//     timeline with its own event loop, calling the real alloc.Allocate for
//     every block's allocation and the real protocol.Quote, MinDeadline,
//     TiersFor and DecayBP for every price and payment, and, for market
//     Runs, the real alloc.Order, alloc.Match, SlotPrice, MarketPayout and
//     ReputationOf. It runs 100k provers and 1M workloads in seconds.
//     TestFastMatchesFull (and ...Market, ...BusyBook) requires it
//     to pay every prover exactly what the full fidelity pays, end every
//     workload at the same height in the same state, and agree on every
//     supply total.
//
// Not simulated: random and admission challenges (challenge_program is
// empty, so provers are admitted on stake), fail outcomes (every program
// completes within its cycles), invalid proofs (every committee member
// votes valid), transaction fees, unbonding, and provers that change
// strategy over time.
//
// # Determinism
//
// A Report is a function of the Options: the same seed gives the same
// report, except WallS and EventsPerS, which measure the machine. The
// engines use no wall clock, no goroutines, and no map iteration order;
// the race's dealing of free provers uses a seeded math/rand/v2 PCG. (The
// market's what-if books, Options.MarketBook room and all, are not the
// chain and run at fidelity fast only.)
package sim
