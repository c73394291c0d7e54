package protocol

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"

	"google.golang.org/protobuf/proto"

	"github.com/provernet/provernet/internal/store"
	"github.com/provernet/provernet/wire/pb"
)

// Validator staking (issue 19, docs/CHAIN.md "Validators"). An account
// bonds stake into a CometBFT validator with CreateValidator; the record
// lives at val/<consensus address>, its VRF key at vrfkey/<consensus
// address> (so that its beacon entries verify), and the block returns a
// validator update of power stake / power_reduction, which CometBFT
// applies two blocks later. ValidatorUnbond sends power 0 at once and
// locks the stake for validator_unbond_cooldown (>= 2) blocks, after which
// ValidatorWithdraw returns it and deletes the record and the VRF key.
// Evidence of double signing (validator_evidence.go) burns
// slash_double_sign_bp of the stake and jails the validator: power 0, the
// same cooldown, and its key never bonds again; missing more than
// downtime_max_missed_bp of the last downtime_window blocks jails it too,
// without a slash (validator_downtime.go). Both keys prove possession
// (validator_pop.go), and the power added recently stays below a third of
// the total (validator_power.go).
//
// Invariants (CheckValidators): a record's stake counts in the supply until
// withdrawn; valbonded counts the records with power > 0, never zero once
// staking is on (the chain would halt); every record has its VRF key until
// it is withdrawn, which is after the last block it can propose.

// prefixValidator holds validator records: val/<20-byte consensus address>.
var prefixValidator = []byte("val/")

// keyValidatorsBonded counts the records with power > 0 (8 bytes,
// big-endian), so that CreateValidator and ValidatorUnbond need not scan
// them; written only on a chain with staking on.
var keyValidatorsBonded = []byte("valbonded")

func validatorKey(consAddr []byte) []byte {
	return append(append([]byte{}, prefixValidator...), consAddr...)
}

// ValidatorPrefix is the store prefix of validator records (for the
// /validators query).
func ValidatorPrefix() []byte { return append([]byte{}, prefixValidator...) }

// ValidatorKey is the store key of a validator record (for proven queries).
func ValidatorKey(consAddr []byte) []byte { return validatorKey(consAddr) }

// ConsensusAddress is CometBFT's address of an ed25519 consensus key: the
// first 20 bytes of its SHA-256.
func ConsensusAddress(pub []byte) []byte {
	h := sha256.Sum256(pub)
	return h[:20]
}

// GetValidator reads the validator record of a consensus address.
func GetValidator(r store.Reader, consAddr []byte) (*pb.Validator, error) {
	b, err := r.Get(validatorKey(consAddr))
	if err != nil {
		return nil, fmt.Errorf("failed to read validator %X: %w", consAddr, err)
	}
	if b == nil {
		return nil, fmt.Errorf("validator %X: %w", consAddr, store.ErrNotFound)
	}
	var v pb.Validator
	if err := proto.Unmarshal(b, &v); err != nil {
		return nil, fmt.Errorf("failed to decode validator %X: %w", consAddr, err)
	}
	return &v, nil
}

// putValidator writes v, whose power before this change was wasPower, and
// keeps the count of bonded validators and their total power.
func putValidator(kv store.KV, v *pb.Validator, wasPower int64) error {
	if err := setProto(kv, validatorKey(v.ConsensusAddress), v); err != nil {
		return err
	}
	if err := addTotalPower(kv, v.Power-wasPower); err != nil {
		return err
	}
	switch {
	case wasPower == 0 && v.Power > 0:
		return addBonded(kv, +1)
	case wasPower > 0 && v.Power == 0:
		return addBonded(kv, -1)
	}
	return nil
}

// BondedValidators is the number of validators with power > 0.
func BondedValidators(r store.Reader) (uint64, error) {
	b, err := r.Get(keyValidatorsBonded)
	if err != nil {
		return 0, fmt.Errorf("failed to read the bonded validator count: %w", err)
	}
	if len(b) != 8 {
		return 0, nil
	}
	return binary.BigEndian.Uint64(b), nil
}

func addBonded(kv store.KV, delta int64) error {
	n, err := BondedValidators(kv)
	if err != nil {
		return err
	}
	return kv.Set(keyValidatorsBonded, binary.BigEndian.AppendUint64(nil, uint64(int64(n)+delta)))
}

// ValidatorUpdate is a change of a validator's voting power for CometBFT
// (ed25519 key; power 0 removes it).
type ValidatorUpdate struct {
	PubKey []byte
	Power  int64
}
