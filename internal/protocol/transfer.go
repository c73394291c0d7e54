package protocol

import (
	"strconv"

	"github.com/provernet/provernet/internal/store"
	"github.com/provernet/provernet/wire"
	"github.com/provernet/provernet/wire/address"
	"github.com/provernet/provernet/wire/pb"
)

// transfer moves amount uprv from sender to m.To.
func transfer(kv store.KV, env Env, sender address.Address, m *pb.Transfer) (Result, error) {
	to, err := address.FromBytes(m.To)
	if err != nil {
		return reject(wire.CodeInvalidMessage, "transfer: recipient: %v", err), nil
	}
	if m.Amount == 0 {
		return reject(wire.CodeInvalidMessage, "transfer: amount must be positive"), nil
	}
	from, err := GetAccount(kv, sender)
	if err != nil {
		return Result{}, err
	}
	if from.Balance < m.Amount {
		return reject(wire.CodeInsufficientFunds, "transfer: %s holds %d uprv after the fee, cannot send %d", sender, from.Balance, m.Amount), nil
	}
	if err := addBalance(kv, sender, from, -1, m.Amount); err != nil {
		return Result{}, err
	}
	dst, err := GetAccount(kv, to)
	if err != nil {
		return Result{}, err
	}
	if err := addBalance(kv, to, dst, +1, m.Amount); err != nil {
		return Result{}, err
	}
	if env.checking {
		return Result{}, nil
	}
	return Result{Events: []Event{event("transfer",
		"from", sender.String(), "to", to.String(),
		"amount", strconv.FormatUint(m.Amount, 10))}}, nil
}

// addBalance adds (sign > 0) or subtracts amount; the caller checked that a
// subtraction is covered, and supply conservation bounds any sum by the
// total supply, which genesis checked fits in a uint64.
func addBalance(kv store.KV, a address.Address, acct *pb.Account, sign int, amount uint64) error {
	if sign > 0 {
		acct.Balance += amount
	} else {
		acct.Balance -= amount
	}
	return setAccount(kv, a, acct)
}
