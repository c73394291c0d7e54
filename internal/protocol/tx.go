package protocol

import (
	"errors"
	"strconv"

	"github.com/provernet/provernet/internal/store"
	"github.com/provernet/provernet/wire"
	"github.com/provernet/provernet/wire/address"
	"github.com/provernet/provernet/wire/pb"
	"github.com/provernet/provernet/wire/txn"
)

// Env is what a transaction may know of the block it runs in.
type Env struct {
	ChainID string
	Height  int64
	// Time is the block's time in unix seconds (CometBFT's BFT time, which
	// every replica gets with the block); in CheckTx the last committed
	// block's, or 0 when the node has not seen one since it started.
	Time   int64
	Params Params
	// Decode, if set, replaces txn.Decode. The chain passes a cache of
	// transactions it has already verified; decoding is a pure function of
	// the bytes, so a cache cannot change any result.
	Decode func(raw []byte) (*txn.Tx, error)

	// Block, set by FinalizeBlock from BeginBlock, carries what the block
	// computed once; nil in CheckTx.
	Block *Block

	// active, set by treeTimers, holds the active provers once read: its
	// committee redraws would read the whole index each (activeProvers)
	active *activeList
	// ballotEnd, set by treeTimers for each tree it advances, holds the
	// height the ballots the tree opens now end at, once looked up
	// (ballotEnd): each lookup may scan maxTimerSearch full heights
	ballotEnd *int64

	checking bool   // in CheckTx: results carry no events (nobody reads them)
	txNonce  uint64 // the running transaction's nonce
	msgIndex int    // the running message's index in its transaction
}

// CheckTx decides whether a transaction may enter the mempool, against kv,
// the node's pending view (committed state plus the mempool's earlier
// transactions). An accepted transaction's effects are written to kv so
// that the sender's next transaction is checked against them; a rejected one
// leaves kv untouched.
//
// Admission does each piece of work once: the transaction is decoded once
// (env.Decode) and the sender's account read and decoded once (admit
// hands it to payFee).
func CheckTx(kv store.KV, env Env, raw []byte) (Result, error) {
	env.checking = true
	tx, acct, res, err := admit(kv, env, raw)
	if err != nil || !res.OK() {
		return res, err
	}
	cache := store.NewCache(kv)
	if err := payFee(cache, env, tx, acct); err != nil {
		return Result{}, err
	}
	res, err = runMessages(cache, env, tx)
	if err != nil || !res.OK() {
		return res, err
	}
	return res, cache.Write(kv)
}

// DeliverTx executes a transaction included in a block. A transaction that
// passes admission pays its fee and uses its nonce even if a message then
// fails; the messages' effects are all-or-nothing.
func DeliverTx(kv store.KV, env Env, raw []byte) (Result, error) {
	tx, acct, res, err := admit(kv, env, raw)
	if err != nil || !res.OK() {
		return res, err
	}
	if err := payFee(kv, env, tx, acct); err != nil {
		return Result{}, err
	}
	cache := store.NewCache(kv)
	res, err = runMessages(cache, env, tx)
	res.Admitted, res.Critical = true, Critical(tx)
	ok := err == nil && res.OK()
	env.Block.endTx(ok) // the voter pay its settlements queued goes with its writes
	if !ok {
		return res, err
	}
	return res, cache.Write(kv)
}

// admit runs the checks that need no message execution: size, decoding
// and signature, weight, chain id, nonce, and the fee against the balance.
// It returns the sender's account as it read it.
func admit(r store.Reader, env Env, raw []byte) (*txn.Tx, *pb.Account, Result, error) {
	if uint64(len(raw)) > env.Params.MaxTxBytes {
		return nil, nil, reject(wire.CodeOversize, "transaction is %d bytes; the limit is %d", len(raw), env.Params.MaxTxBytes), nil
	}
	if IsBeaconTx(raw) {
		return nil, nil, reject(wire.CodeNotAllowed, "a beacon entry is only valid as the first transaction of a proposal"), nil
	}
	decode := env.Decode
	if decode == nil {
		decode = txn.Decode
	}
	tx, err := decode(raw)
	if err != nil {
		return nil, nil, Result{Code: decodeCode(err), Log: err.Error()}, nil
	}
	msgs := tx.Body.GetMessages()
	weight := env.Params.TxWeight(len(raw), msgs)
	if weight > env.Params.MaxBlockWeight {
		return nil, nil, reject(wire.CodeTooHeavy, "transaction weighs %d; a block carries at most %d (max_block_weight): split it", weight, env.Params.MaxBlockWeight), nil
	}
	if tx.Body.ChainId != env.ChainID {
		return nil, nil, reject(wire.CodeWrongChainID, "signed for chain %q; this is %q", tx.Body.ChainId, env.ChainID), nil
	}
	acct, err := GetAccount(r, tx.Sender)
	if err != nil {
		return nil, nil, Result{}, err
	}
	if tx.Body.Nonce != acct.Nonce {
		return nil, nil, reject(wire.CodeWrongNonce, "nonce %d for %s; its next nonce is %d", tx.Body.Nonce, tx.Sender, acct.Nonce), nil
	}
	if min := env.Params.minFee(len(raw), len(msgs), weight); tx.Body.Fee < min {
		return nil, nil, reject(wire.CodeFeeTooLow, "fee %d uprv is below the minimum %d uprv for %d bytes, %d messages and weight %d",
			tx.Body.Fee, min, len(raw), len(msgs), weight), nil
	}
	if acct.Balance < tx.Body.Fee {
		return nil, nil, reject(wire.CodeInsufficientFunds, "%s holds %d uprv and cannot pay the fee of %d uprv", tx.Sender, acct.Balance, tx.Body.Fee), nil
	}
	return tx, acct, Result{}, nil
}

func decodeCode(err error) wire.Code {
	switch {
	case errors.Is(err, txn.ErrBadSignature):
		return wire.CodeBadSignature
	case errors.Is(err, txn.ErrUnknownMsg):
		return wire.CodeUnknownMessage
	case errors.Is(err, txn.ErrNoMessages):
		return wire.CodeNoMessages
	default:
		return wire.CodeMalformed
	}
}

// Critical reports whether every message of tx has a window to meet
// (Accept, Decline, SubmitResult, RevealKey, Vote, SubmitNodeProof): the transactions a
// proposal puts first and a full block is made of (fill.go).
func Critical(tx *txn.Tx) bool {
	for _, m := range tx.Body.GetMessages() {
		switch m.GetKind().(type) {
		case *pb.Msg_Accept, *pb.Msg_Decline, *pb.Msg_SubmitResult, *pb.Msg_RevealKey, *pb.Msg_Vote, *pb.Msg_SubmitNodeProof:
		default:
			return false
		}
	}
	return len(tx.Body.GetMessages()) > 0
}

// payFee takes the fee from the sender, burns it and uses the nonce; acct
// is the sender's account as admit read it from kv's parent, unchanged
// since. Fees are burned (docs/RATIONALE.md), less, for a transaction
// that is not protocol-critical in a block whose proposer has an operator,
// its proposer_fee_bp share, paid at EndBlock (issue 19,
// validator_block.go).
func payFee(kv store.KV, env Env, tx *txn.Tx, acct *pb.Account) error {
	acct.Balance -= tx.Body.Fee // admit checked the balance
	acct.Nonce++
	if err := setAccount(kv, tx.Sender, acct); err != nil {
		return err
	}
	return burn(kv, feeShare(env, tx))
}

func runMessages(kv store.KV, env Env, tx *txn.Tx) (Result, error) {
	var res Result
	if !env.checking {
		ev, err := txEvent(kv, tx)
		if err != nil {
			return Result{}, err
		}
		res.Events = []Event{ev}
	}
	if res, ok := voteAlone(tx); !ok {
		return res, nil
	}
	env.txNonce = tx.Body.Nonce
	for i, m := range tx.Body.Messages {
		env.msgIndex = i
		r, err := runMessage(kv, env, tx.Sender, m)
		if err != nil {
			return Result{}, err
		}
		if !r.OK() {
			r.Log = "message " + strconv.Itoa(i) + ": " + r.Log
			return r, nil
		}
		res.Events = append(res.Events, r.Events...)
	}
	return res, nil
}

// voteAlone refuses a Vote among other messages: a Vote counts in the
// block's tallies, which a failing later message could not take back
// (tally.go).
func voteAlone(tx *txn.Tx) (Result, bool) {
	msgs := tx.Body.GetMessages()
	if len(msgs) < 2 {
		return Result{}, true
	}
	for i, m := range msgs {
		if _, ok := m.GetKind().(*pb.Msg_Vote); ok {
			return reject(wire.CodeInvalidMessage, "message %d: a Vote travels alone in its transaction; this one has %d messages", i, len(msgs)), false
		}
	}
	return Result{}, true
}

// txEvent is the event every transaction opens with: its sender, nonce
// and fee, and, when the sender is a prover's hot key and the transaction
// carries routine messages, the prover they act for (hotkey.go).
func txEvent(kv store.Reader, tx *txn.Tx) (Event, error) {
	attrs := []string{"sender", tx.Sender.String(),
		"nonce", strconv.FormatUint(tx.Body.Nonce, 10),
		"fee", strconv.FormatUint(tx.Body.Fee, 10)}
	if !carriesRoutine(tx) {
		return event("tx", attrs...), nil
	}
	p, ok, err := HotKeyOf(kv, tx.Sender)
	if err != nil {
		return Event{}, err
	}
	if ok {
		attrs = append(attrs, "for", p.String())
	}
	return event("tx", attrs...), nil
}

// runMessage dispatches one message to its handler, a routine message of
// a prover's hot key acting for the prover (hotkey.go).
func runMessage(kv store.KV, env Env, sender address.Address, m *pb.Msg) (Result, error) {
	sender, err := actingFor(kv, sender, m)
	if err != nil {
		return Result{}, err
	}
	switch k := m.GetKind().(type) {
	case *pb.Msg_Transfer:
		return transfer(kv, env, sender, k.Transfer)
	case *pb.Msg_Deploy:
		return deploy(kv, env, sender, k.Deploy)
	case *pb.Msg_RegisterProver:
		return registerProver(kv, env, sender, k.RegisterProver)
	case *pb.Msg_Stake:
		return stake(kv, env, sender, k.Stake)
	case *pb.Msg_Unbond:
		return unbond(kv, env, sender)
	case *pb.Msg_Withdraw:
		return withdraw(kv, env, sender)
	case *pb.Msg_Run:
		return run(kv, env, sender, k.Run)
	case *pb.Msg_Accept:
		return accept(kv, env, sender, k.Accept)
	case *pb.Msg_Decline:
		return decline(kv, env, sender, k.Decline)
	case *pb.Msg_SubmitResult:
		return submitResult(kv, env, sender, k.SubmitResult)
	case *pb.Msg_RevealKey:
		return revealKey(kv, env, sender, k.RevealKey)
	case *pb.Msg_Vote:
		return vote(kv, env, sender, k.Vote)
	case *pb.Msg_SetAsk:
		return setAsk(kv, env, sender, k.SetAsk)
	case *pb.Msg_SetHotKey: // issue 19
		return setHotKey(kv, env, sender, k.SetHotKey)
	case *pb.Msg_ProveTree: // issue 16
		return proveTree(kv, env, sender, k.ProveTree)
	case *pb.Msg_SubmitNodeProof: // issue 16
		return submitNodeProof(kv, env, sender, k.SubmitNodeProof)
	case *pb.Msg_CreateValidator: // issue 19
		return createValidator(kv, env, sender, k.CreateValidator)
	case *pb.Msg_ValidatorUnbond: // issue 19
		return validatorUnbond(kv, env, sender, k.ValidatorUnbond)
	case *pb.Msg_ValidatorWithdraw: // issue 19
		return validatorWithdraw(kv, env, sender, k.ValidatorWithdraw)
	default:
		return reject(wire.CodeUnknownMessage, "unknown message kind %T", k), nil
	}
}

// Apply runs one message from sender at env.Height with no transaction
// around it: no signature, nonce or fee. The chain never calls it; it
// exists for the simulator (internal/sim) and tests, which drive the real
// state machine at scales where signing every message would dominate.
// Like a message inside a transaction, a rejected message leaves kv
// untouched.
func Apply(kv store.KV, env Env, sender address.Address, nonce uint64, m *pb.Msg) (Result, error) {
	env.txNonce, env.msgIndex = nonce, 0
	cache := store.NewCache(kv)
	res, err := runMessage(cache, env, sender, m)
	ok := err == nil && res.OK()
	env.Block.endTx(ok)
	if !ok {
		return res, err
	}
	return res, cache.Write(kv)
}
