package protocol

import (
	"fmt"

	"github.com/provernet/provernet/internal/pb"
	"github.com/provernet/provernet/internal/store"
	"google.golang.org/protobuf/proto"
)

// CheckSupply verifies PROTOCOL.md 9's supply invariant:
// balances + escrow + stake + burned = genesis + minted.
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
	if have, want := balances+s.Burned, s.Genesis+s.Minted; have != want {
		return fmt.Errorf("supply invariant broken: balances %d + burned %d = %d, genesis %d + minted %d = %d",
			balances, s.Burned, have, s.Genesis, s.Minted, want)
	}
	return nil
}
