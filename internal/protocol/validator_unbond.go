package protocol

import (
	"fmt"
	"strconv"

	"github.com/provernet/provernet/internal/store"
	"github.com/provernet/provernet/wire"
	"github.com/provernet/provernet/wire/address"
	"github.com/provernet/provernet/wire/pb"
)

// A validator leaves in two steps (issue 19): ValidatorUnbond takes its
// power to 0 at once and starts the cooldown; ValidatorWithdraw, once the
// cooldown is over, returns what is left of its stake. The cooldown keeps
// the stake slashable while evidence of what it signed can still land
// (validator_evidence.go), and keeps its VRF key past the last block it
// can propose (CometBFT applies the power change two blocks later).

// ownValidator reads the validator the sender operates, or rejects.
func ownValidator(kv store.KV, sender address.Address, consAddr []byte, what string) (*pb.Validator, Result, error) {
	if len(consAddr) != 20 {
		return nil, reject(wire.CodeInvalidMessage, "%s: consensus_address must be 20 bytes, got %d", what, len(consAddr)), nil
	}
	v, err := GetValidator(kv, consAddr)
	if isNotFound(err) {
		return nil, reject(wire.CodeNotFound, "%s: %X is not a validator", what, consAddr), nil
	}
	if err != nil {
		return nil, Result{}, err
	}
	if string(v.Operator) != string(sender[:]) {
		return nil, reject(wire.CodeNotAllowed, "%s: %s does not operate validator %X", what, sender, consAddr), nil
	}
	return v, Result{}, nil
}

func validatorUnbond(kv store.KV, env Env, sender address.Address, m *pb.ValidatorUnbond) (Result, error) {
	vp, ok := env.Params.Validators()
	if !ok {
		return reject(wire.CodeNotAllowed, "validator unbond: validator staking is off on this chain"), nil
	}
	v, res, err := ownValidator(kv, sender, m.ConsensusAddress, "validator unbond")
	if err != nil || !res.OK() {
		return res, err
	}
	switch {
	case v.Jailed:
		return reject(wire.CodeNotAllowed, "validator unbond: %X is jailed and unbonding already; withdraw from height %d", v.ConsensusAddress, v.UnbondHeight), nil
	case v.Power == 0:
		return reject(wire.CodeNotAllowed, "validator unbond: %X is unbonding already; withdraw from height %d", v.ConsensusAddress, v.UnbondHeight), nil
	case v.CreatedHeight == env.Height:
		// Its power and its removal would reach CometBFT in one block,
		// which refuses to remove a validator it does not have yet.
		return reject(wire.CodeWindowClosed, "validator unbond: %X was created in this block; unbond from the next", v.ConsensusAddress), nil
	}
	n, err := BondedValidators(kv)
	if err != nil {
		return Result{}, err
	}
	if n <= 1 {
		return reject(wire.CodeLastValidator, "validator unbond: %X is the last bonded validator; without it the chain would halt", v.ConsensusAddress), nil
	}
	was := v.Power
	v.Power, v.UnbondHeight, v.UnbondTime = 0, env.Height+vp.ValidatorUnbondCooldown, unlockTime(env, vp)
	if err := putValidator(kv, v, was); err != nil {
		return Result{}, err
	}
	if err := forgetMissed(kv, v.ConsensusAddress); err != nil {
		return Result{}, err
	}
	env.Block.queueUpdate(ValidatorUpdate{PubKey: v.ConsensusPublicKey, Power: 0})
	attrs := []string{"validator", fmt.Sprintf("%X", v.ConsensusAddress), "operator", sender.String(), "unlocks_at", strconv.FormatInt(v.UnbondHeight, 10)}
	if v.UnbondTime > 0 {
		attrs = append(attrs, "unlocks_time", strconv.FormatInt(v.UnbondTime, 10))
	}
	return emit(env, event("validator_unbond", attrs...)), nil
}

// unlockTime is the block time from which a stake unbonding now may be
// withdrawn; 0 when validator_unbond_time_s is 0 (blocks only).
func unlockTime(env Env, vp ValidatorParams) int64 {
	if vp.ValidatorUnbondTime == 0 {
		return 0
	}
	return env.Time + vp.ValidatorUnbondTime
}

func validatorWithdraw(kv store.KV, env Env, sender address.Address, m *pb.ValidatorWithdraw) (Result, error) {
	v, res, err := ownValidator(kv, sender, m.ConsensusAddress, "validator withdraw")
	if err != nil || !res.OK() {
		return res, err
	}
	switch {
	case v.Power != 0 || v.UnbondHeight == 0:
		return reject(wire.CodeNotAllowed, "validator withdraw: %X is bonded; unbond first", v.ConsensusAddress), nil
	case env.Height < v.UnbondHeight:
		return reject(wire.CodeWindowClosed, "validator withdraw: the stake of %X unlocks at height %d (now %d)", v.ConsensusAddress, v.UnbondHeight, env.Height), nil
	case env.Time < v.UnbondTime && (env.Time > 0 || !env.checking):
		// (A node that has seen no block since it started does not know
		// the time in CheckTx; the block decides.)
		return reject(wire.CodeWindowClosed, "validator withdraw: the stake of %X unlocks at block time %d (unix seconds; the last block's is %d): validator_unbond_time_s outlives the light clients' trust period", v.ConsensusAddress, v.UnbondTime, env.Time), nil
	}
	if key, err := VRFKey(kv, v.ConsensusAddress); err != nil || key == nil {
		if err != nil {
			return Result{}, err
		}
		return reject(wire.CodeNotAllowed, "validator withdraw: %X has withdrawn already; its record stays so that its key never bonds again", v.ConsensusAddress), nil
	}
	acct, err := GetAccount(kv, sender)
	if err != nil {
		return Result{}, err
	}
	amount := v.Stake
	if err := addBalance(kv, sender, acct, +1, amount); err != nil {
		return Result{}, err
	}
	if err := removeValidator(kv, v); err != nil {
		return Result{}, err
	}
	return emit(env, event("validator_withdraw", "validator", fmt.Sprintf("%X", v.ConsensusAddress),
		"operator", sender.String(), "amount", strconv.FormatUint(amount, 10))), nil
}

// removeValidator deletes a withdrawn validator's VRF key and keeps its
// record with no stake, a tombstone: its key never bonds again, so old
// evidence against it can never slash a later holder of the key (found in
// review: a deleted record let one register the key again and be slashed
// for the first holder's double sign, which escaped).
func removeValidator(kv store.KV, v *pb.Validator) error {
	if err := kv.Delete(vrfKeyKey(v.ConsensusAddress)); err != nil {
		return err
	}
	v.Stake, v.Withdrawn = 0, true
	return putValidator(kv, v, 0)
}
