package sim

import "github.com/provernet/provernet/internal/protocol"

// ledger is what an engine hands to the report: who earned what, what
// became of each workload, how much work was done and paid, and the
// supply totals. Every engine fills the same fields.
type ledger struct {
	reward  []uint64 // network reward (minted) per prover
	fees    []uint64 // user fees (market prices, bids' clearing prices) per prover
	slashed []uint64 // per prover
	proofs  []uint32 // paid proofs per prover
	removed []bool   // per prover: removed from the active set
	// suspended says, per prover, whether it was ever suspended.
	suspended []bool
	msgs      []uint32 // per prover: messages sent (transaction fees)
	votes     []uint32 // per prover: vote entries sent (batched in Vote messages)
	// denied is, per prover, the pay its revealed proofs would have
	// earned had their committees not left them undecided or judged them
	// invalid: for each, the slot's share less its burn and vote pool
	// (protocol.PayoutFor). Every simulated proof is correct, so this is
	// pay withheld from correct work.
	denied []uint64

	out []outcome // per workload

	computed uint64 // proofs computed (submitted, or refused for arriving too late)
	paid     uint64 // proofs paid
	work     uint64 // cycles proven, whole or partial, paid or not
	paidWork uint64 // cycles of paid proofs
	// priced is what the paid proofs cost their users (each one's share
	// of the fee, or its market price, before the burn and the voters'
	// part), over pricedMcycles, their mega-cycles: the price per
	// mega-cycle users paid.
	priced, pricedMcycles uint64
	unmatched             int // market Runs no ask took (failed at once)
	// drawnNone counts pool Runs no member was drawn for: every slot
	// opened at once to the open market at max_price.
	drawnNone int
	events    uint64
	height    int64 // last height simulated

	// Supply: balances + escrow + stake + burned = genesis + minted.
	genesis, minted, burned, balances, escrow, stake uint64
	refunded                                         uint64
	supplyErr                                        error
}

// The end states of a workload.
const (
	outPending uint8 = iota
	outFinal
	outExpired
	outRejected
	outFailed
)

type outcome struct {
	state       uint8
	finalH      int64 // height of the first final proof
	firstResult int64 // height of the first accepted result (the user can open it)
	userPaid    uint64
	minted      uint64
}

func newLedger(provers, workloads int) *ledger {
	return &ledger{
		reward: make([]uint64, provers), fees: make([]uint64, provers), slashed: make([]uint64, provers), proofs: make([]uint32, provers),
		removed: make([]bool, provers), suspended: make([]bool, provers), msgs: make([]uint32, provers), votes: make([]uint32, provers), denied: make([]uint64, provers), out: make([]outcome, workloads),
	}
}

// bpOf is x * bp / 10000 rounded down, bp capped at 10000: the protocol's
// basis-point rule for shares.
func bpOf(x uint64, bp uint32) uint64 {
	bp = min(bp, 10000)
	return x/10000*uint64(bp) + x%10000*uint64(bp)/10000
}

// deniedPay is what ledger.denied counts for one proof left undecided or
// judged invalid.
func deniedPay(po protocol.Payout) uint64 { return po.Share - po.Burn - po.VotePool }
