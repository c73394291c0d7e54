package protocol

import (
	"fmt"

	"github.com/provernet/provernet/internal/pb"
	"github.com/provernet/provernet/internal/store"
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
	var balances, stakes uint64
	if err := Scan(r, prefixAccount, func(a *pb.Account) bool { balances += a.Balance; return true }); err != nil {
		return err
	}
	if err := Scan(r, prefixProver, func(p *pb.Prover) bool { stakes += p.Stake; return true }); err != nil {
		return err
	}
	if have, want := balances+stakes+s.Burned, s.Genesis+s.Minted; have != want {
		return fmt.Errorf("supply invariant broken: balances %d + stake %d + burned %d = %d, genesis %d + minted %d = %d",
			balances, stakes, s.Burned, have, s.Genesis, s.Minted, want)
	}
	return nil
}
