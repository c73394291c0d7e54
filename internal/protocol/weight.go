package protocol

import (
	"math"

	"github.com/provernet/provernet/internal/store"
	"github.com/provernet/provernet/wire"
	"github.com/provernet/provernet/wire/pb"
)

// Block weight. Every transaction has a weight (wire.TxWeight): integer
// units of about a microsecond of FinalizeBlock on the reference machine,
// from its size and the work each message causes, never from the state.
// A block's transactions may weigh at most max_block_weight less the
// weight of the chain's own work already due at its height (DueWeight),
// so that the heaviest block of any composition finishes FinalizeBlock in
// half the block time (docs/CHAIN.md, "Block weight", says how the
// coefficients and the limit were measured). The chain enforces it in
// PrepareProposal and ProcessProposal; admission refuses a transaction
// that could fit no block (wire.CodeTooHeavy), and the minimum fee
// charges fee_per_weight per unit.

// TxWeight is the weight of a transaction of size bytes carrying msgs.
func (p Params) TxWeight(size int, msgs []*pb.Msg) uint64 {
	return wire.TxWeight(size, msgs, p.AdmissionChallenges)
}

// BlockWeight is what a transaction of size bytes carrying msgs adds to
// its own block before its votes' ballots (Weigher counts those once per
// block): its weight less the part that runs at the next height (a Run's
// allocation), which DueWeight keeps room for there.
func (p Params) BlockWeight(size int, msgs []*pb.Msg) uint64 {
	return wire.BlockWeight(size, msgs, p.AdmissionChallenges)
}

// Weigher sums a block's weight as its transactions are added: each
// transaction's BlockWeight, plus wire.WeightBallot once for each ballot
// the block's votes name (a ballot is read once per block, however many
// entries name it). Its figure is a function of the block's bytes alone.
type Weigher struct {
	p       Params
	ballots map[uint64]struct{}
	weight  uint64
}

// NewWeigher starts an empty block's weight under p.
func NewWeigher(p Params) *Weigher { return &Weigher{p: p, ballots: map[uint64]struct{}{}} }

// Weight is the weight of the transactions added so far.
func (w *Weigher) Weight() uint64 { return w.weight }

// Add adds a transaction of size bytes carrying msgs if the block's
// weight stays within room, and reports whether it did; a transaction
// that does not fit leaves the Weigher as it was.
func (w *Weigher) Add(size int, msgs []*pb.Msg, room uint64) bool {
	add := w.p.BlockWeight(size, msgs)
	var fresh []uint64
	wire.BlockBallots(msgs, maxVoteEntries, func(n uint64) {
		if _, seen := w.ballots[n]; !seen {
			fresh = append(fresh, n)
		}
	})
	add += uint64(len(fresh)) * wire.WeightBallot
	if w.weight+add > room || w.weight+add < w.weight {
		return false
	}
	w.weight += add
	for _, n := range fresh {
		w.ballots[n] = struct{}{}
	}
	return true
}

// DueWeight is the weight of the work the block at height does for
// messages of earlier blocks, in BeginBlock: the allocation of the Runs
// included at height-1, each counted at max_provers_per_workload slots
// (the queue records only their ids), and the workloads whose timers fall
// due (a window closes), wire.WeightTimer each; the market and pool Runs
// queued at height-1; the trees' timers; the pools' freeze at an epoch's
// first block. r is the state after height-1.
func DueWeight(r store.Reader, p Params, height int64) (uint64, error) {
	runs, timers, err := DueWork(r, height)
	if err != nil {
		return 0, err
	}
	waiting, err := countKeys(r, prefixWait, store.PrefixEnd(prefixWait), WaitRedraws)
	if err != nil {
		return 0, err
	}
	market, err := countKeys(r, heightPrefix(prefixMarketQ, height-1), heightPrefix(prefixMarketQ, height), math.MaxUint64)
	if err != nil {
		return 0, err
	}
	trees, err := dueTrees(r, height) // issue 16
	var freeze uint64
	if poolFreezeDue(p, height) { // issue 17: the pools' freeze
		freeze = wire.WeightPoolFreeze
	}
	return (runs+waiting)*wire.AllocationWeight(p.MaxProversPerWorkload) + timers*wire.WeightTimer +
		market*wire.MarketAllocationWeight(p.MaxProversPerWorkload) + trees*wire.WeightTreeTimer + freeze, err
}

// dueTrees counts the trees whose timers fall due at height.
func dueTrees(r store.Reader, height int64) (uint64, error) {
	due := append(heightPrefix(prefixTreeTimer, height), '/')
	return countKeys(r, due, store.PrefixEnd(due), math.MaxUint64)
}

// DueWork counts the Runs the block at height allocates and the workloads
// whose timers fall due in it.
func DueWork(r store.Reader, height int64) (runs, timers uint64, err error) {
	if runs, err = countKeys(r, heightPrefix(prefixQueue, height-1), heightPrefix(prefixQueue, height), math.MaxUint64); err != nil {
		return 0, 0, err
	}
	due := append(heightPrefix(prefixTimer, height), '/')
	timers, err = countKeys(r, due, store.PrefixEnd(due), math.MaxUint64)
	return runs, timers, err
}

// countKeys counts the keys in [start, end), stopping at most.
func countKeys(r store.Reader, start, end []byte, most uint64) (uint64, error) {
	var n uint64
	err := r.Iterate(start, end, func(_, _ []byte) bool { n++; return n < most })
	return n, err
}

// TxRoom is the weight a block at height may give its transactions:
// max_block_weight less DueWeight (0 when the due work fills it).
func TxRoom(r store.Reader, p Params, height int64) (uint64, error) {
	due, err := DueWeight(r, p, height)
	if err != nil || due >= p.MaxBlockWeight {
		return 0, err
	}
	return p.MaxBlockWeight - due, nil
}
