package protocol

import (
	"fmt"
	"strconv"

	"github.com/provernet/provernet/internal/store"
	"github.com/provernet/provernet/wire/address"
	"github.com/provernet/provernet/wire/txn"
)

// What a block gathers for its validators (issue 19): the validator
// updates its evidence and transactions queued, returned by FinalizeBlock
// to CometBFT, and the proposer whose operator earns proposer_fee_bp of
// the fees of its transactions that are not protocol-critical
// (docs/CHAIN.md, "Validator income"), paid once, at EndBlock.

// blockValidators is the validator part of a Block.
type blockValidators struct {
	updates  []ValidatorUpdate // kept, in the order queued
	txUpdate []ValidatorUpdate // queued by the running transaction, kept if it succeeds (endTx)
	proposer []byte            // the proposer's consensus address, when its operator is paid
	operator *address.Address  // the proposer's operator; nil: every fee is burned
	shareBP  uint32            // proposer_fee_bp, when operator is set
	feeShare uint64            // what the block's fees owe the operator so far
}

// queueUpdate queues a validator update from the running transaction.
// Outside a block (CheckTx) there is nobody to tell.
func (b *Block) queueUpdate(u ValidatorUpdate) {
	if b == nil {
		return
	}
	b.vals.txUpdate = append(b.vals.txUpdate, u)
}

// queueBlockUpdate queues an update from the block's own work (evidence),
// which no transaction can take back.
func (b *Block) queueBlockUpdate(u ValidatorUpdate) {
	if b == nil {
		return
	}
	b.vals.updates = append(b.vals.updates, u)
}

// endValidatorTx keeps or drops the running transaction's updates.
func (b *Block) endValidatorTx(keep bool) {
	if keep {
		b.vals.updates = append(b.vals.updates, b.vals.txUpdate...)
	}
	b.vals.txUpdate = b.vals.txUpdate[:0]
}

// ValidatorUpdates returns the block's validator updates, one per key (the
// last queued wins; CometBFT refuses a key twice), in the order each key
// was first queued. The rules keep every update one CometBFT accepts: a
// key is created at most once (a record, even a jailed one, blocks a
// second CreateValidator), is not unbonded in the block that creates it,
// and only a bonded validator's removal is queued.
func (b *Block) ValidatorUpdates() []ValidatorUpdate {
	if b == nil {
		return nil
	}
	last := map[string]int64{}
	var order []string
	for _, u := range b.vals.updates {
		k := string(u.PubKey)
		if _, ok := last[k]; !ok {
			order = append(order, k)
		}
		last[k] = u.Power
	}
	out := make([]ValidatorUpdate, len(order))
	for i, k := range order {
		out[i] = ValidatorUpdate{PubKey: []byte(k), Power: last[k]}
	}
	return out
}

// SetProposer names the block's proposer (its consensus address), after
// the block's evidence: if staking is on and proposer_fee_bp is positive,
// and it has a validator record with an operator and is not jailed, the
// operator earns proposer_fee_bp of each fee the block's transactions pay.
func (b *Block) SetProposer(r store.Reader, params Params, consAddr []byte) error {
	if b == nil {
		return nil
	}
	b.vals.operator, b.vals.proposer = nil, nil
	vp, ok := params.Validators()
	if !ok || vp.ProposerFeeBP == 0 {
		return nil
	}
	v, err := GetValidator(r, consAddr)
	if isNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	if v.Jailed {
		return nil
	}
	op, err := address.FromBytes(v.Operator)
	if err != nil {
		return nil // a genesis validator without an operator: its share is burned
	}
	b.vals.operator, b.vals.proposer, b.vals.shareBP = &op, v.ConsensusAddress, vp.ProposerFeeBP
	return nil
}

// feeShare adds the proposer's share of tx's fee to the block's ledger and
// returns what is left to burn. Only the fees of transactions that are not
// protocol-critical are shared: the critical ones (Accept, Decline,
// SubmitResult, RevealKey, Vote, SubmitNodeProof) are duties a Run or a
// tree imposes on provers and voters, and a proposer that could take a
// share of them would earn from the work its own Runs make others pay for
// (docs/CHAIN.md, "Validator income"). A fee is kept whatever the
// messages do, so its share is never taken back.
func feeShare(env Env, tx *txn.Tx) uint64 {
	fee := tx.Body.Fee
	if env.Block == nil || env.Block.vals.operator == nil || Critical(tx) {
		return fee
	}
	share := bpOf(fee, env.Block.vals.shareBP)
	env.Block.vals.feeShare += share
	return fee - share
}

// payProposer credits the block's fee share to the proposer's operator, at
// EndBlock.
func payProposer(kv store.KV, env Env) ([]Event, error) {
	b := env.Block
	if b == nil || b.vals.operator == nil || b.vals.feeShare == 0 {
		return nil, nil
	}
	op, amount := *b.vals.operator, b.vals.feeShare
	b.vals.feeShare = 0
	acct, err := GetAccount(kv, op)
	if err != nil {
		return nil, err
	}
	if err := addBalance(kv, op, acct, +1, amount); err != nil {
		return nil, err
	}
	return []Event{event("proposer_paid", "validator", fmt.Sprintf("%X", b.vals.proposer), "operator", op.String(),
		"amount", strconv.FormatUint(amount, 10))}, nil
}
