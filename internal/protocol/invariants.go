package protocol

import (
	"fmt"

	"github.com/provernet/provernet/internal/pb"
	"github.com/provernet/provernet/internal/store"
	"google.golang.org/protobuf/proto"
)

// CheckSupply verifies PROTOCOL.md 9's supply invariant:
// balances + escrow + stake + burned = genesis + minted (escrow arrives
// with workloads).
// It reads every account, so tests call it after every block and the
// production path never does.
func CheckSupply(r store.Reader) error {
	s, err := GetSupply(r)
	if err != nil {
		return err
	}
	var balances uint64
	var decodeErr error
	err = r.Iterate(prefixAccount, store.PrefixEnd(prefixAccount), func(k, v []byte) bool {
		var a pb.Account
		if decodeErr = proto.Unmarshal(v, &a); decodeErr != nil {
			return false
		}
		balances += a.Balance
		return true
	})
	if err != nil {
		return err
	}
	if decodeErr != nil {
		return decodeErr
	}
	stakes, err := sumStakes(r)
	if err != nil {
		return err
	}
	if have, want := balances+stakes+s.Burned, s.Genesis+s.Minted; have != want {
		return fmt.Errorf("supply invariant broken: balances %d + stake %d + burned %d = %d, genesis %d + minted %d = %d",
			balances, stakes, s.Burned, have, s.Genesis, s.Minted, want)
	}
	return nil
}

func sumStakes(r store.Reader) (uint64, error) {
	var sum uint64
	var decodeErr error
	err := r.Iterate(prefixProver, store.PrefixEnd(prefixProver), func(_, v []byte) bool {
		var p pb.Prover
		if decodeErr = proto.Unmarshal(v, &p); decodeErr != nil {
			return false
		}
		sum += p.Stake
		return true
	})
	if err == nil {
		err = decodeErr
	}
	return sum, err
}
