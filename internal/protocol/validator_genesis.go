package protocol

import (
	"fmt"

	"github.com/provernet/provernet/internal/store"
	"github.com/provernet/provernet/wire/pb"
)

// GenesisPower is a genesis validator as CometBFT's InitChain lists it.
type GenesisPower struct {
	PubKey []byte // ed25519
	Power  int64
}

// RecordGenesisValidators writes a record for each genesis validator (no
// stake: its power is the genesis's; its operator from app_state.validators
// if named), so that it counts toward max_validators and in the bonded
// count, and its operator can unbond it (issue 19). It writes nothing when
// staking is off, so genesis files that predate it keep their app hash.
func RecordGenesisValidators(kv store.KV, g *Genesis, vals []GenesisPower) error {
	if _, ok := g.Params.Validators(); !ok {
		return nil
	}
	for _, gv := range vals {
		if gv.Power <= 0 || gv.Power > maxValidatorPower {
			return fmt.Errorf("genesis validator %X: power %d must be 1..2^40", ConsensusAddress(gv.PubKey), gv.Power)
		}
		addr := ConsensusAddress(gv.PubKey)
		v := &pb.Validator{ConsensusAddress: addr, ConsensusPublicKey: gv.PubKey, Power: gv.Power}
		for _, x := range g.Validators {
			if string(x.Address) == string(addr) && x.Operator != nil {
				v.Operator = x.Operator[:]
			}
		}
		if err := putValidator(kv, v, 0); err != nil {
			return err
		}
	}
	return nil
}
