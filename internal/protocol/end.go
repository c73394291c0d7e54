package protocol

import (
	"bytes"
	"slices"
	"strconv"

	"github.com/provernet/provernet/internal/store"
	"github.com/provernet/provernet/wire/pb"
)

// EndBlock does the chain's own work at the end of block env.Height, after
// its transactions: it decides the ballots that reached a quorum in the
// block (tally.go) and writes back the others, pays the block's voters
// (each voter's account and record written once, however many slots it
// was paid for), pays the proposer's operator its share of the block's
// fees (issue 19), and records whether the block, whose protocol-critical
// transactions took f, was full (fill.go). Its events are the
// block's own, like BeginBlock's.
func EndBlock(kv store.KV, env Env, f Fill) ([]Event, error) {
	evs, err := endTallies(kv, env)
	if err != nil {
		return nil, err
	}
	env.Block.endTx(true) // the pay the decisions queued: nothing can take them back now
	paid, err := payVoters(kv, env)
	if err != nil {
		return nil, err
	}
	evs = append(evs, paid...)
	if paid, err = payProposer(kv, env); err != nil { // issue 19
		return nil, err
	}
	return append(evs, paid...), recordFill(kv, env, f)
}

// voterPay is what the block owes one voter.
type voterPay struct {
	amount uint64
	slots  uint64
}

// payVoter pays a member that decided a slot: into the running
// transaction's share of the block's ledger, paid at EndBlock, or at once
// outside a block (CheckTx, BeginBlock, tests), where the store is the
// only ledger.
//
// The block's ledger lives outside the transaction's store cache, so the
// pay a transaction queues is held apart (Block.txPay) until the
// transaction ends: DeliverTx and Apply keep it when the transaction's
// writes are kept and drop it when they are dropped (endTx). Without that,
// a settlement in a transaction whose later message fails would be rolled
// back while its voters were still paid.
func payVoter(kv store.KV, env Env, member []byte, amount uint64) error {
	if env.Block == nil {
		if err := credit(kv, member, amount); err != nil {
			return err
		}
		return updateProver(kv, member, func(p *pb.Prover) { p.VotesPaid++ })
	}
	env.Block.txPay = append(env.Block.txPay, queuedPay{member: string(member), amount: amount})
	return nil
}

// queuedPay is one vote pay a running transaction owes.
type queuedPay struct {
	member string
	amount uint64
}

// endTx ends the running transaction's share of the block's ledger: kept
// when the transaction's writes are, dropped otherwise.
func (b *Block) endTx(keep bool) {
	if b == nil {
		return
	}
	b.endValidatorTx(keep)
	if keep && len(b.txPay) > 0 && b.voterPay == nil {
		b.voterPay = map[string]*voterPay{}
	}
	for _, q := range b.txPay {
		if !keep {
			break
		}
		p, ok := b.voterPay[q.member]
		if !ok {
			p = &voterPay{}
			b.voterPay[q.member] = p
		}
		p.amount += q.amount
		p.slots++
	}
	b.txPay = b.txPay[:0]
}

// payVoters pays what the block owes its voters, in address order.
func payVoters(kv store.KV, env Env) ([]Event, error) {
	if env.Block == nil {
		return nil, nil
	}
	members := make([][]byte, 0, len(env.Block.voterPay))
	for m := range env.Block.voterPay {
		members = append(members, []byte(m))
	}
	slices.SortFunc(members, bytes.Compare)
	evs := make([]Event, 0, len(members))
	for _, m := range members {
		p := env.Block.voterPay[string(m)]
		if err := credit(kv, m, p.amount); err != nil {
			return nil, err
		}
		if err := updateProver(kv, m, func(pr *pb.Prover) { pr.VotesPaid += p.slots }); err != nil {
			return nil, err
		}
		// One event per voter and block (not per slot): what its
		// history shows as vote_paid.
		evs = append(evs, event("vote_paid", "voter", addrString(m), "amount", strconv.FormatUint(p.amount, 10),
			"slots", strconv.FormatUint(p.slots, 10)))
	}
	env.Block.voterPay = nil
	return evs, nil
}
