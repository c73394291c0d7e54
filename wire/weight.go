package wire

import "github.com/provernet/provernet/wire/pb"

// Weight is what a transaction costs a block to execute, in units of
// about one microsecond of FinalizeBlock on the reference machine (2 vCPU
// AMD EPYC), computed from the transaction alone: its size and, per
// message, the work the message makes the chain do (entries tallied,
// slots allocated, pieces issued). It never reads the state, so a client
// computes it before signing (the minimum fee depends on it) and a
// proposer from the transaction alone. Where the work depends on the
// state, the weight counts the most it can be. docs/CHAIN.md ("Block
// weight") gives the table and how each coefficient was measured; the
// coefficients are part of the consensus rules (a block over
// max_block_weight is refused), so changing one is a consensus change.
//
// The coefficients, each rounded up from the measured cost per item
// (docs/CHAIN.md, "Block weight").
const (
	// WeightPerTx: admission (the decode from the cache of verified
	// transactions, the sender's account, nonce and fee), the
	// transaction's own cache and its result.
	WeightPerTx = 20
	// WeightPerKiB: hashing, copying and storing the transaction's bytes
	// (a sealed result is written to the state whole), charged per byte.
	WeightPerKiB = 4

	WeightTransfer       = 16
	WeightDeploy         = 24
	WeightRegisterProver = 12
	WeightStake          = 10
	// WeightChallengePiece is one workload an admission challenge issues;
	// a Stake may issue admission_challenges challenges of up to
	// MaxChallengePieces pieces (one per core the prover declared).
	WeightChallengePiece = 28
	WeightUnbond         = 32
	WeightWithdraw       = 26
	// A Run: its own checks (the recipient's key is parsed: X25519
	// multiplications), the fee escrow and the queued workload;
	// WeightRunInput per input file; and its allocation at the next
	// height, WeightAllocation for the workload and WeightAllocSlot per
	// slot (k).
	WeightRun        = 200
	WeightRunInput   = 2
	WeightAllocation = 60
	WeightAllocSlot  = 8
	WeightAccept     = 28
	WeightDecline    = 56
	// WeightSubmitResult: the file's checks, the slot update and the copy
	// check; the file's bytes count through WeightPerKiB.
	WeightSubmitResult = 96
	// WeightRevealKey: the commit check, the committee draw and the ballot
	// it opens.
	WeightRevealKey = 56
	// A Vote: WeightVote (the voter's record and, at the end of the block,
	// its pay), WeightVoteEntry per entry (the tally), and WeightBallot per
	// ballot the block's votes name: read and decoded at its first vote in
	// the block, and written back or decided at its end. A transaction
	// alone is charged WeightBallot for every entry (TxWeight); a block
	// counts each ballot once (BlockBallots).
	WeightVote      = 40
	WeightVoteEntry = 2
	WeightBallot    = 15
	// WeightTimer is a workload whose timer falls due at a height (one of
	// its windows closes): read, advanced and written in BeginBlock. It is
	// no message's weight: the block at that height keeps room for it
	// (internal/protocol.DueWeight).
	WeightTimer = 140

	// issue 16: proof trees (docs/TREES.md, "Block weight"). A
	// SubmitNodeProof verifies one RFC 9381 proof (about 440 us of its
	// cost), hashes the children's outputs and rewrites the tree record;
	// a tree timer reads and writes the tree and, at the root's close,
	// pays up to 3(n-1) proofs. Both from BenchmarkTreeNodeProof and
	// BenchmarkTreeFinalize on a 64-input tree (the largest by default),
	// on a shared machine: a first calibration. WeightProveTree and
	// WeightTreeInput are a guess by analogy with a Run (no X25519, two
	// records written), not measured.
	// A ProveTree also carries, as its DeferredWeight, WeightTreeTimer
	// for each timer its tree can have at most (TreeTimers): the due work
	// it creates at later heights, which those blocks keep room for, is
	// paid for by its own fee.
	WeightProveTree       = 120
	WeightTreeInput       = 2
	WeightSubmitNodeProof = 600
	WeightTreeTimer       = 1700
	// WeightGnarkNodeProof is added for a SubmitNodeProof that carries
	// proof bytes (only the gnark pair's do: the hash pair's proof is
	// empty): parsing its level's verifying key and the proof, every
	// point checked, and verifying a Groth16 proof with one commitment
	// over BN254, 2.6 ms of CPU (internal/treepair
	// BenchmarkVerifyNodeProof, cpu-us/op, on a shared machine).
	WeightGnarkNodeProof = 3000
	// issue 17 (docs/MARKET.md). Calibrated guesses, not yet measured:
	// WeightSetAsk is the ask's record, its prover and the old entries,
	// WeightAskTarget per program or class it serves (a program read and
	// two book entries written, two deleted, its hardware checked).
	// WeightMarketMatch is a market Run's match at the next height on top
	// of its AllocationWeight: per target (its program, its class) at most
	// MarketScan + MarketSkip + MarketNearMisses book entries read (about
	// 1 us each) and a prover record read and decoded for each of the
	// MarketScan + MarketSkip entries that may need one (about 3 us), and
	// the sort of what was read: 2 * (324 + 4 * 320) = 2568, rounded up.
	// WeightSetAsk counts the pool's standing too (the prover's cheapest
	// ask per class: up to 16 ask records re-read when it changes, two
	// standing records, two score index entries): 40 + 20. A pool Run is
	// charged MarketAllocationWeight as a market Run is (its draw reads
	// one pool record and at most MaxPoolSize prover records: far less).
	// WeightPoolFreeze is the pools' freeze at an epoch's first block: per
	// class at most PoolTieFactor * MaxPoolSize score entries read and a
	// prover record for each (its reputation), ranked and stored:
	// 2 * (256 + 4 * 256) = 2560, rounded up.
	WeightSetAsk      = 60
	WeightAskTarget   = 12
	WeightMarketMatch = 2800
	WeightPoolFreeze  = 2800

	// issue 19: WeightValidator is a validator message (create, unbond,
	// withdraw): one account, one validator record, the VRF key and the
	// bonded count, no scan. Not measured by bench weight (the messages are
	// rare and never fill a block): an Unbond's 32 (a record and an
	// account) plus a quarter for the VRF key and the count.
	WeightValidator = 40
	// WeightSetHotKey is a hot key set or replaced: the prover record
	// read and written, the two accounts' index entries read, one deleted
	// and one written, no scan. Like WeightValidator, not measured (rare);
	// a routine message's look-up of its sender's hot key (one read) is
	// within the weights above, whose calibration runs on a shared
	// machine with more noise than a read.
	WeightSetHotKey = 40
)

// The pool's bounds (issue 17), constants for the same reason.
const (
	// MaxPoolSize caps the pool_size parameter.
	MaxPoolSize = 64
	// PoolTieFactor: a pool's freeze reads the score index from the top,
	// the first pool_size entries and then those tied with the last, at
	// most PoolTieFactor * pool_size in all.
	PoolTieFactor = 4
)

// The market's bounds (issue 17), constants rather than parameters
// because the weights above depend on them.
const (
	// MaxAskTargets caps the programs and classes one ask serves.
	MaxAskTargets = 8
	// MaxMarketList caps a market Run's allow and deny lists, each.
	MaxMarketList = 16
	// MarketScan is how many provers that could take it a market Run
	// reads per target (its program, its class), in the book's order, one
	// entry each; MarketSkip how many entries that cannot match (beyond
	// the other bound, denied, not allowed, without hardware or room, a
	// counted prover's further asks, set after the Run) it reads past
	// before it stops; MarketNearMisses how many beyond its priority's
	// bound it reads besides, to say what it missed
	// (internal/protocol/market_read.go, docs/MARKET.md).
	MarketScan       = 64
	MarketSkip       = 256
	MarketNearMisses = 4
)

// MaxChallengePieces is the most workloads one challenge issues (one per
// declared core); internal/protocol uses it as its bound.
const MaxChallengePieces = 64

// maxWeighedItems caps the count of any item a message claims (entries,
// inputs, k) so that a weight never overflows; a message claiming more is
// far over any block's weight anyway.
const maxWeighedItems = 1 << 24

// MsgWeight is the weight of one message, without its transaction's
// per-transaction and per-byte parts, a Vote's ballots counted as if no
// other vote of its block named them. admissionChallenges is the chain's
// admission_challenges parameter (what a Stake may issue).
func MsgWeight(m *pb.Msg, admissionChallenges uint32) uint64 {
	switch k := m.GetKind().(type) {
	case *pb.Msg_Transfer:
		return WeightTransfer
	case *pb.Msg_Deploy:
		return WeightDeploy
	case *pb.Msg_RegisterProver:
		return WeightRegisterProver
	case *pb.Msg_Stake:
		return WeightStake + uint64(admissionChallenges)*MaxChallengePieces*WeightChallengePiece
	case *pb.Msg_Unbond:
		return WeightUnbond
	case *pb.Msg_Withdraw:
		return WeightWithdraw
	case *pb.Msg_Run:
		return WeightRun + items(len(k.Run.GetInputs()))*WeightRunInput + DeferredWeight(m)
	case *pb.Msg_Accept:
		return WeightAccept
	case *pb.Msg_Decline:
		return WeightDecline
	case *pb.Msg_SubmitResult:
		return WeightSubmitResult
	case *pb.Msg_RevealKey:
		return WeightRevealKey
	case *pb.Msg_Vote:
		return WeightVote + items(len(k.Vote.GetBallots()))*(WeightVoteEntry+WeightBallot)
	case *pb.Msg_SetAsk:
		return WeightSetAsk + items(len(k.SetAsk.GetPrograms())+len(k.SetAsk.GetClasses()))*WeightAskTarget
	case *pb.Msg_ProveTree:
		return WeightProveTree + items(len(k.ProveTree.GetInputs()))*WeightTreeInput + DeferredWeight(m)
	case *pb.Msg_SubmitNodeProof:
		if len(k.SubmitNodeProof.GetProof()) > 0 {
			return WeightSubmitNodeProof + WeightGnarkNodeProof
		}
		return WeightSubmitNodeProof
	case *pb.Msg_SetHotKey: // issue 19
		return WeightSetHotKey
	case *pb.Msg_CreateValidator, *pb.Msg_ValidatorUnbond, *pb.Msg_ValidatorWithdraw: // issue 19
		return WeightValidator
	}
	return WeightTransfer // an unknown kind never decodes; the least any message weighs
}

// DeferredWeight is the part of m's weight that runs at a later height
// rather than in its own block: a Run's allocation (the next height), a
// ProveTree's timers (TreeTimerWeight).
func DeferredWeight(m *pb.Msg) uint64 {
	if r := m.GetRun(); r != nil {
		if r.GetMarket() != nil {
			return MarketAllocationWeight(r.GetProvers())
		}
		return AllocationWeight(r.GetProvers())
	}
	if t := m.GetProveTree(); t != nil {
		return TreeTimerWeight(len(t.GetInputs()))
	}
	return 0
}

// TreeTimers is the most timers a tree of n inputs falls due at (issue
// 16, docs/TREES.md "Block weight"): one to open it, and for each of its
// log2(n) levels the close of its window and of its two step-in windows.
// n that is not a power of two counts as the next one (such a ProveTree
// is refused anyway).
func TreeTimers(n int) uint64 {
	levels := uint64(0)
	for k := uint64(1); k < items(n); k <<= 1 {
		levels++
	}
	return 1 + 3*levels
}

// TreeTimerWeight is the due work a tree of n inputs can create:
// WeightTreeTimer for each of its TreeTimers.
func TreeTimerWeight(n int) uint64 { return TreeTimers(n) * WeightTreeTimer }

// AllocationWeight is the weight of allocating a workload of k slots.
func AllocationWeight(k uint32) uint64 {
	return WeightAllocation + items(int(min(k, maxWeighedItems)))*WeightAllocSlot
}

// MarketAllocationWeight is the weight of matching a market Run of k
// slots (issue 17).
func MarketAllocationWeight(k uint32) uint64 { return AllocationWeight(k) + WeightMarketMatch }

// TxWeight is the weight of a transaction of size bytes carrying msgs:
// what its minimum fee is charged on (fee_per_weight), and what may not
// exceed max_block_weight.
func TxWeight(size int, msgs []*pb.Msg, admissionChallenges uint32) uint64 {
	w := WeightPerTx + (uint64(max(size, 0))*WeightPerKiB+1023)/1024
	for _, m := range msgs {
		w += MsgWeight(m, admissionChallenges)
	}
	return w
}

// BlockWeight is what a transaction adds to its own block's weight before
// its votes' ballots: its TxWeight less the deferred part, which counts
// in the next block, and less WeightBallot per vote entry, which the
// block charges per distinct ballot instead (BlockBallots).
func BlockWeight(size int, msgs []*pb.Msg, admissionChallenges uint32) uint64 {
	w := TxWeight(size, msgs, admissionChallenges)
	for _, m := range msgs {
		w -= DeferredWeight(m) + items(len(m.GetVote().GetBallots()))*WeightBallot
	}
	return w
}

// BlockBallots calls fn with each ballot number msgs' votes name, those
// of a Vote that does not decode (to at most maxEntries entries) left
// out: the chain refuses it before it reads any ballot.
func BlockBallots(msgs []*pb.Msg, maxEntries int, fn func(ballot uint64)) {
	for _, m := range msgs {
		v := m.GetVote()
		if v == nil {
			continue
		}
		entries, err := DecodeVote(v, maxEntries)
		if err != nil {
			continue
		}
		for _, e := range entries {
			fn(e.Number)
		}
	}
}

func items(n int) uint64 { return uint64(min(max(n, 0), maxWeighedItems)) }
