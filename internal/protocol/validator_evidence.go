package protocol

import (
	"fmt"
	"strconv"

	"github.com/provernet/provernet/internal/store"
	"github.com/provernet/provernet/wire/pb"
)

// Evidence of double signing (issue 19). CometBFT hands the app the
// misbehaviour a block's evidence proves (FinalizeBlockRequest.Misbehavior:
// a duplicate vote, or a validator of a light client attack); the app
// burns slash_double_sign_bp of the validator's stake and jails it: power
// 0 to CometBFT, unbonding with validator_unbond_cooldown, after which its
// operator may withdraw what remains. A jailed key never bonds again.
//
// Evidence naming a consensus address without a record (unknown, or
// withdrawn) or a validator jailed for evidence already does nothing (one
// jailed for downtime is slashed, and jailed for evidence): the first
// evidence punishes, a second one for the same key (another vote of the
// same equivocation, or a light client attack listing it too) does not.
// The last bonded validator is slashed but not jailed: CometBFT refuses an
// empty validator set, and the chain would halt.

// Evidence is one misbehaviour to punish.
type Evidence struct {
	ConsensusAddress []byte // the validator's 20-byte consensus address
	Height           int64  // the height it misbehaved at
	Kind             string // "duplicate_vote" or "light_client_attack"
}

// ApplyEvidence punishes each misbehaviour in order, at the start of the
// block env.Block (before its transactions), and returns what it did.
func ApplyEvidence(kv store.KV, env Env, evidence []Evidence) ([]Event, error) {
	vp, ok := env.Params.Validators()
	if !ok || len(evidence) == 0 {
		return nil, nil
	}
	var evs []Event
	for _, e := range evidence {
		ev, err := punish(kv, env, vp, e)
		if err != nil {
			return nil, err
		}
		if ev != nil {
			evs = append(evs, *ev)
		}
	}
	return evs, nil
}

// punish slashes and jails the validator e names, if it is one and is not
// jailed already.
func punish(kv store.KV, env Env, vp ValidatorParams, e Evidence) (*Event, error) {
	if len(e.ConsensusAddress) != 20 {
		return nil, nil
	}
	v, err := GetValidator(kv, e.ConsensusAddress)
	if isNotFound(err) {
		return nil, nil
	}
	if err != nil || v.Jailed && !v.JailedForDowntime {
		return nil, err // jailed for evidence already: one equivocation punishes once
	}
	if e.Height < v.CreatedHeight {
		return nil, nil // signed by the key's earlier holder: not this record's infraction
	}
	slash := bpOf(v.Stake, vp.SlashDoubleSignBP)
	v.Stake -= slash
	v.Slashed += slash
	if err := burn(kv, slash); err != nil {
		return nil, err
	}
	jailed, err := jail(kv, env, vp, v, false)
	if err != nil {
		return nil, err
	}
	ev := event("validator_slashed", "validator", fmt.Sprintf("%X", v.ConsensusAddress), "operator", addrString(v.Operator),
		"reason", e.Kind, "infraction_height", strconv.FormatInt(e.Height, 10),
		"amount", strconv.FormatUint(slash, 10), "jailed", strconv.FormatBool(jailed))
	return &ev, nil
}

// jail takes a validator's power to 0 (unless it is the last bonded one)
// and starts, or extends, its cooldown; it writes the record either way
// and reports whether it jailed it. downtime says why: missed blocks
// (validator_downtime.go), or evidence, which also jails a validator
// jailed for downtime already.
func jail(kv store.KV, env Env, vp ValidatorParams, v *pb.Validator, downtime bool) (bool, error) {
	was := v.Power
	if was > 0 {
		n, err := BondedValidators(kv)
		if err != nil {
			return false, err
		}
		if n <= 1 {
			return false, putValidator(kv, v, was)
		}
	}
	v.Jailed, v.JailedForDowntime, v.Power = true, downtime, 0
	v.UnbondHeight = max(v.UnbondHeight, env.Height+vp.ValidatorUnbondCooldown)
	v.UnbondTime = max(v.UnbondTime, unlockTime(env, vp))
	if was > 0 {
		env.Block.queueBlockUpdate(ValidatorUpdate{PubKey: v.ConsensusPublicKey, Power: 0})
	}
	if err := forgetMissed(kv, v.ConsensusAddress); err != nil {
		return false, err
	}
	return true, putValidator(kv, v, was)
}
