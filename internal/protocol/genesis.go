package protocol

import (
	"encoding/hex"
	"errors"
	"fmt"
	"math/bits"

	"github.com/provernet/provernet/internal/store"
	"github.com/provernet/provernet/internal/vrf"
	"github.com/provernet/provernet/wire/address"
	"github.com/provernet/provernet/wire/pb"
)

// Genesis is the application part of the genesis file (CometBFT's
// app_state).
type Genesis struct {
	Params     Params             `json:"params"`
	BeaconSeed HexBytes           `json:"beacon_seed"` // seed[0], 32 bytes
	Accounts   []GenesisAccount   `json:"accounts"`
	Validators []GenesisValidator `json:"validators"`
	// Programs are deployed by the genesis (the challenge program, so that
	// admission challenges apply from block 1).
	Programs []GenesisProgram `json:"programs,omitempty"`
}

// GenesisAccount is an initial balance.
type GenesisAccount struct {
	Address address.Address `json:"address"`
	Balance uint64          `json:"balance"`
}

// GenesisValidator binds a CometBFT validator to its VRF key.
type GenesisValidator struct {
	Name         string   `json:"name,omitempty"`
	Address      HexBytes `json:"address"` // CometBFT consensus address, 20 bytes
	VRFPublicKey HexBytes `json:"vrf_public_key"`
	// Operator (issue 19, optional) is the account that may unbond this
	// validator and earns its share of fees; a validator without one
	// cannot be unbonded and its share is burned.
	Operator *address.Address `json:"operator,omitempty"`
}

// HexBytes is a byte string written as hex in JSON.
type HexBytes []byte

// MarshalText implements encoding.TextMarshaler.
func (h HexBytes) MarshalText() ([]byte, error) { return []byte(hex.EncodeToString(h)), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (h *HexBytes) UnmarshalText(b []byte) error {
	d, err := hex.DecodeString(string(b))
	if err != nil {
		return fmt.Errorf("invalid hex: %w", err)
	}
	*h = d
	return nil
}

// Validate checks the genesis for everything InitGenesis relies on.
func (g *Genesis) Validate() error {
	var errs []error
	if err := g.Params.Validate(); err != nil {
		errs = append(errs, fmt.Errorf("params: %w", err))
	}
	if len(g.BeaconSeed) != 32 {
		errs = append(errs, fmt.Errorf("beacon_seed is %d bytes, want 32", len(g.BeaconSeed)))
	}
	if len(g.Validators) == 0 {
		errs = append(errs, errors.New("no validators with VRF keys"))
	}
	for i, v := range g.Validators {
		if len(v.Address) != 20 || len(v.VRFPublicKey) != vrf.PublicKeySize {
			errs = append(errs, fmt.Errorf("validator %d: address must be 20 bytes and vrf_public_key %d", i, vrf.PublicKeySize))
		}
	}
	if _, err := g.total(); err != nil {
		errs = append(errs, err)
	}
	if err := validatePrograms(g.Params, g.Programs); err != nil {
		errs = append(errs, fmt.Errorf("programs: %w", err))
	}
	return errors.Join(errs...)
}

func (g *Genesis) total() (uint64, error) {
	var sum uint64
	seen := make(map[address.Address]bool, len(g.Accounts))
	for _, a := range g.Accounts {
		if seen[a.Address] {
			return 0, fmt.Errorf("account %s listed twice", a.Address)
		}
		seen[a.Address] = true
		var carry uint64
		sum, carry = bits.Add64(sum, a.Balance, 0)
		if carry != 0 {
			return 0, errors.New("genesis balances overflow uint64")
		}
	}
	return sum, nil
}

// InitGenesis writes the genesis state. It is called once, by InitChain.
func InitGenesis(kv store.KV, chainID string, g *Genesis) error {
	if err := g.Validate(); err != nil {
		return fmt.Errorf("invalid genesis: %w", err)
	}
	total, _ := g.total()
	if err := kv.Set(keyChainID, []byte(chainID)); err != nil {
		return err
	}
	if err := setParams(kv, g.Params); err != nil {
		return err
	}
	if err := kv.Set(keySeed, g.BeaconSeed); err != nil {
		return err
	}
	for _, v := range g.Validators {
		if err := kv.Set(vrfKeyKey(v.Address), v.VRFPublicKey); err != nil {
			return err
		}
	}
	for _, a := range g.Accounts {
		if a.Balance == 0 {
			// Nothing to store: an absent account reads as zero, and a
			// stored record of no bytes could not be proven present.
			continue
		}
		if err := setAccount(kv, a.Address, &pb.Account{Balance: a.Balance}); err != nil {
			return err
		}
	}
	if err := writePrograms(kv, g.Programs); err != nil {
		return err
	}
	if err := setSupply(kv, &pb.Supply{Genesis: total}); err != nil {
		return err
	}
	return kv.Set(keyGenesisDone, []byte{1})
}
