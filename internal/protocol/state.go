package protocol

import (
	"encoding/json"
	"errors"
	"fmt"

	"google.golang.org/protobuf/proto"

	"github.com/provernet/provernet/internal/store"
	"github.com/provernet/provernet/wire/address"
	"github.com/provernet/provernet/wire/pb"
)

var marshal = proto.MarshalOptions{Deterministic: true}

// GetAccount reads an account; an address never seen has a zero account.
func GetAccount(r store.Reader, a address.Address) (*pb.Account, error) {
	acct := &pb.Account{}
	if err := getProto(r, accountKey(a), acct); err != nil {
		return nil, fmt.Errorf("failed to read account %s: %w", a, err)
	}
	return acct, nil
}

func setAccount(kv store.KV, a address.Address, acct *pb.Account) error {
	return setProto(kv, accountKey(a), acct)
}

// GetSupply reads the supply totals.
func GetSupply(r store.Reader) (*pb.Supply, error) {
	s := &pb.Supply{}
	if err := getProto(r, keySupply, s); err != nil {
		return nil, fmt.Errorf("failed to read supply: %w", err)
	}
	return s, nil
}

func setSupply(kv store.KV, s *pb.Supply) error { return setProto(kv, keySupply, s) }

// burn records amount as burned (taken out of circulation for good).
func burn(kv store.KV, amount uint64) error {
	s, err := GetSupply(kv)
	if err != nil {
		return err
	}
	s.Burned += amount
	return setSupply(kv, s)
}

// GetParams reads the chain parameters.
func GetParams(r store.Reader) (Params, error) {
	var p Params
	b, err := r.Get(keyParams)
	if err != nil {
		return p, fmt.Errorf("failed to read params: %w", err)
	}
	if b == nil {
		return p, fmt.Errorf("params: %w (genesis not applied?)", store.ErrNotFound)
	}
	if err := json.Unmarshal(b, &p); err != nil {
		return p, fmt.Errorf("failed to decode params: %w", err)
	}
	return p, nil
}

func setParams(kv store.KV, p Params) error {
	b, err := json.Marshal(p)
	if err != nil {
		return fmt.Errorf("failed to encode params: %w", err)
	}
	return kv.Set(keyParams, b)
}

// GetChainID reads the chain id fixed at genesis.
func GetChainID(r store.Reader) (string, error) {
	b, err := r.Get(keyChainID)
	if err != nil {
		return "", fmt.Errorf("failed to read chain id: %w", err)
	}
	return string(b), nil
}

func getProto(r store.Reader, key []byte, m proto.Message) error {
	b, err := r.Get(key)
	if err != nil || b == nil {
		return err
	}
	return proto.Unmarshal(b, m)
}

func setProto(kv store.KV, key []byte, m proto.Message) error {
	b, err := marshal.Marshal(m)
	if err != nil {
		return fmt.Errorf("failed to encode %T: %w", m, err)
	}
	return kv.Set(key, b)
}

func isNotFound(err error) bool { return errors.Is(err, store.ErrNotFound) }

// Scan decodes every record under prefix, in key order, and calls fn with
// each until it returns false.
func Scan[T any, PT interface {
	*T
	proto.Message
}](r store.Reader, prefix []byte, fn func(PT) bool) error {
	return ScanFrom(r, prefix, prefix, func(_ []byte, m PT) bool { return fn(m) })
}

// ScanFrom is Scan from key start (within prefix) on, and gives fn each
// record's key too.
func ScanFrom[T any, PT interface {
	*T
	proto.Message
}](r store.Reader, prefix, start []byte, fn func(key []byte, m PT) bool) error {
	var decodeErr error
	err := r.Iterate(start, store.PrefixEnd(prefix), func(k, v []byte) bool {
		m := PT(new(T))
		if decodeErr = proto.Unmarshal(v, m); decodeErr != nil {
			decodeErr = fmt.Errorf("failed to decode %q: %w", k, decodeErr)
			return false
		}
		return fn(k, m)
	})
	if err != nil {
		return err
	}
	return decodeErr
}
