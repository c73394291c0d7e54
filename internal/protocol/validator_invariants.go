package protocol

import (
	"errors"
	"fmt"

	"github.com/provernet/provernet/internal/store"
	"github.com/provernet/provernet/wire/pb"
)

// CheckValidators verifies the validator records (issue 19): the bonded
// count is the number of records with power > 0, the total power their
// sum; a bonded validator is not
// jailed, has no unlock height, and has its VRF key; an unbonding one has
// an unlock height; a jailed one has power 0; every record that still holds
// stake or can still propose has its VRF key; and, once there are records
// (a chain started by InitChain with staking on), some validator is bonded.
func CheckValidators(r store.Reader) error {
	var bonded, records, power uint64
	var errs []error
	err := Scan(r, prefixValidator, func(v *pb.Validator) bool {
		records++
		if v.Power > 0 {
			bonded++
			power += uint64(v.Power)
		}
		if err := checkValidator(r, v); err != nil {
			errs = append(errs, err)
		}
		return len(errs) < 10
	})
	if err != nil {
		return err
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	count, err := BondedValidators(r)
	if err != nil {
		return err
	}
	if count != bonded {
		return fmt.Errorf("validators: valbonded is %d but %d records have power > 0", count, bonded)
	}
	total, err := TotalPower(r)
	if err != nil {
		return err
	}
	if total != power {
		return fmt.Errorf("validators: valpower is %d but the bonded records' power sums to %d", total, power)
	}
	if records > 0 && bonded == 0 {
		return errors.New("validators: none is bonded: the chain would have halted")
	}
	return nil
}

func checkValidator(r store.Reader, v *pb.Validator) error {
	id := fmt.Sprintf("validator %X", v.ConsensusAddress)
	switch {
	case string(ConsensusAddress(v.ConsensusPublicKey)) != string(v.ConsensusAddress):
		return fmt.Errorf("%s: its key hashes to another address", id)
	case v.Power < 0:
		return fmt.Errorf("%s: power %d", id, v.Power)
	case v.Power > 0 && (v.Jailed || v.UnbondHeight != 0 || v.UnbondTime != 0):
		return fmt.Errorf("%s: bonded with power %d but jailed=%v unbond_height=%d unbond_time=%d", id, v.Power, v.Jailed, v.UnbondHeight, v.UnbondTime)
	case v.Power == 0 && v.UnbondHeight == 0:
		return fmt.Errorf("%s: power 0 and no unlock height", id)
	}
	key, err := VRFKey(r, v.ConsensusAddress)
	if err != nil {
		return err
	}
	// A withdrawn record is a tombstone: no stake, no key.
	if v.Withdrawn && (v.Stake != 0 || key != nil) {
		return fmt.Errorf("%s: withdrawn with stake %d, VRF key %v", id, v.Stake, key != nil)
	}
	if tomb := v.Withdrawn || v.Jailed && v.Stake == 0; key == nil && !tomb {
		return fmt.Errorf("%s: no VRF key", id)
	}
	return nil
}

// validatorStakes sums the stake bonded in validators (CheckSupply).
func validatorStakes(r store.Reader) (uint64, error) {
	var sum uint64
	err := Scan(r, prefixValidator, func(v *pb.Validator) bool { sum += v.Stake; return true })
	return sum, err
}
