package protocol

import (
	"crypto/ed25519"
	"fmt"
	"strconv"

	"github.com/provernet/provernet/internal/store"
	"github.com/provernet/provernet/internal/vrf"
	"github.com/provernet/provernet/wire"
	"github.com/provernet/provernet/wire/address"
	"github.com/provernet/provernet/wire/pb"
)

// maxValidatorPower bounds one validator's power: max_validators (at most
// 10,000) of them stay far below CometBFT's MaxTotalVotingPower (2^60).
const maxValidatorPower = 1 << 40

// createValidator bonds self_stake from the sender into a new validator it
// operates, registers its VRF key and queues its power for CometBFT.
func createValidator(kv store.KV, env Env, sender address.Address, m *pb.CreateValidator) (Result, error) {
	vp, ok := env.Params.Validators()
	if !ok {
		return reject(wire.CodeNotAllowed, "create validator: validator staking is off on this chain (its genesis sets no max_validators)"), nil
	}
	if len(m.ConsensusPublicKey) != ed25519.PublicKeySize || len(m.VrfPublicKey) != vrf.PublicKeySize {
		return reject(wire.CodeInvalidMessage, "create validator: consensus_public_key must be %d bytes (ed25519) and vrf_public_key %d", ed25519.PublicKeySize, vrf.PublicKeySize), nil
	}
	if res := checkPossession(env.ChainID, sender, m); !res.OK() {
		return res, nil
	}
	if m.SelfStake < vp.MinValidatorStake {
		return reject(wire.CodeInvalidMessage, "create validator: self_stake %d uprv is below min_validator_stake %d", m.SelfStake, vp.MinValidatorStake), nil
	}
	power := m.SelfStake / vp.PowerReduction
	if power < 1 || power > maxValidatorPower {
		return reject(wire.CodeInvalidMessage, "create validator: self_stake %d uprv gives power %d; it must give 1..2^40 at power_reduction %d", m.SelfStake, power, vp.PowerReduction), nil
	}
	addr := ConsensusAddress(m.ConsensusPublicKey)
	if res, err := keyFree(kv, addr); err != nil || !res.OK() {
		return res, err
	}
	n, err := BondedValidators(kv)
	if err != nil {
		return Result{}, err
	}
	if n >= uint64(vp.MaxValidators) {
		return reject(wire.CodeValidatorLimit, "create validator: %d validators are bonded and max_validators is %d; one must leave first", n, vp.MaxValidators), nil
	}
	acct, err := GetAccount(kv, sender)
	if err != nil {
		return Result{}, err
	}
	if acct.Balance < m.SelfStake {
		return reject(wire.CodeInsufficientFunds, "create validator: %s holds %d uprv and cannot bond %d", sender, acct.Balance, m.SelfStake), nil
	}
	if res, err := checkPowerCap(kv, env, vp, power); err != nil || !res.OK() {
		return res, err
	}
	if err := addBalance(kv, sender, acct, -1, m.SelfStake); err != nil {
		return Result{}, err
	}
	v := &pb.Validator{ConsensusAddress: addr, ConsensusPublicKey: m.ConsensusPublicKey, Operator: sender[:],
		Stake: m.SelfStake, Power: int64(power), CreatedHeight: env.Height}
	if err := putValidator(kv, v, 0); err != nil {
		return Result{}, err
	}
	if err := addGrowth(kv, env, vp, power); err != nil {
		return Result{}, err
	}
	if err := kv.Set(vrfKeyKey(addr), m.VrfPublicKey); err != nil {
		return Result{}, err
	}
	env.Block.queueUpdate(ValidatorUpdate{PubKey: m.ConsensusPublicKey, Power: v.Power})
	return emit(env, event("validator_created", "validator", fmt.Sprintf("%X", addr), "operator", sender.String(),
		"stake", strconv.FormatUint(v.Stake, 10), "power", strconv.FormatInt(v.Power, 10))), nil
}

// keyFree rejects a consensus key that has a record (bonded, unbonding,
// jailed or withdrawn: a key bonds once) or, on a chain whose genesis validators have no
// records, a VRF key.
func keyFree(kv store.Reader, addr []byte) (Result, error) {
	v, err := GetValidator(kv, addr)
	switch {
	case err == nil && v.Jailed && v.JailedForDowntime:
		return reject(wire.CodeAlreadyExists, "create validator: %X was jailed for downtime; its key never bonds again: make a new consensus key", addr), nil
	case err == nil && v.Jailed:
		return reject(wire.CodeAlreadyExists, "create validator: %X was jailed for double signing; its key never bonds again: make a new consensus key", addr), nil
	case err == nil && v.Withdrawn:
		return reject(wire.CodeAlreadyExists, "create validator: %X was a validator and withdrew; a consensus key bonds once (evidence from its first tenure must never reach a second): make a new one", addr), nil
	case err == nil:
		return reject(wire.CodeAlreadyExists, "create validator: %X is a validator already (or still unbonding)", addr), nil
	case !isNotFound(err):
		return Result{}, err
	}
	key, err := VRFKey(kv, addr)
	if err != nil {
		return Result{}, err
	}
	if key != nil {
		return reject(wire.CodeAlreadyExists, "create validator: %X has a VRF key already (a genesis validator)", addr), nil
	}
	return Result{}, nil
}
