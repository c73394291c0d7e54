package protocol

import (
	"bytes"
	"slices"

	"github.com/provernet/provernet/internal/store"
	"github.com/provernet/provernet/wire/pb"
)

// EndBlock does the chain's own work at the end of block env.Height, after
// its transactions: it decides the ballots that reached a quorum in the
// block (tally.go) and writes back the others, pays the block's voters
// (each voter's account and record written once, however many slots it
// was paid for), and records whether the block, whose protocol-critical
// transactions took txBytes, was full (fill.go). Its events are the
// block's own, like BeginBlock's.
func EndBlock(kv store.KV, env Env, txBytes uint64) ([]Event, error) {
	evs, err := endTallies(kv, env)
	if err != nil {
		return nil, err
	}
	if err := payVoters(kv, env); err != nil {
		return nil, err
	}
	return evs, recordFill(kv, env, txBytes)
}

// voterPay is what the block owes one voter.
type voterPay struct {
	amount uint64
	slots  uint64
}

// payVoter pays a member that decided a slot: into the block's ledger,
// paid at EndBlock, or at once outside a block (CheckTx, tests).
func payVoter(kv store.KV, env Env, member []byte, amount uint64) error {
	if env.Block == nil {
		if err := credit(kv, member, amount); err != nil {
			return err
		}
		return updateProver(kv, member, func(p *pb.Prover) { p.VotesPaid++ })
	}
	if env.Block.voterPay == nil {
		env.Block.voterPay = map[string]*voterPay{}
	}
	p, ok := env.Block.voterPay[string(member)]
	if !ok {
		p = &voterPay{}
		env.Block.voterPay[string(member)] = p
	}
	p.amount += amount
	p.slots++
	return nil
}

// payVoters pays what the block owes its voters, in address order.
func payVoters(kv store.KV, env Env) error {
	if env.Block == nil {
		return nil
	}
	members := make([][]byte, 0, len(env.Block.voterPay))
	for m := range env.Block.voterPay {
		members = append(members, []byte(m))
	}
	slices.SortFunc(members, bytes.Compare)
	for _, m := range members {
		p := env.Block.voterPay[string(m)]
		if err := credit(kv, m, p.amount); err != nil {
			return err
		}
		if err := updateProver(kv, m, func(pr *pb.Prover) { pr.VotesPaid += p.slots }); err != nil {
			return err
		}
	}
	env.Block.voterPay = nil
	return nil
}
