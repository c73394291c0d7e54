package protocol

import (
	"encoding/binary"

	"github.com/provernet/provernet/internal/address"
)

// State layout. Every key starts with a one-word prefix and a slash; numbers
// inside keys are big-endian so that iteration follows numeric order.
var (
	keyParams      = []byte("params")
	keySupply      = []byte("supply")
	keySeed        = []byte("beacon/seed")
	prefixAccount  = []byte("acct/")
	prefixBeacon   = []byte("beacon/h/")
	prefixVRFKey   = []byte("vrfkey/")
	keyChainID     = []byte("chain_id")
	keyGenesisDone = []byte("genesis")
	prefixProgram  = []byte("program/")
	prefixProver   = []byte("prover/")
)

func accountKey(a address.Address) []byte { return append(append([]byte{}, prefixAccount...), a[:]...) }

func beaconKey(height int64) []byte {
	return binary.BigEndian.AppendUint64(append([]byte{}, prefixBeacon...), uint64(height))
}

func vrfKeyKey(consAddr []byte) []byte {
	return append(append([]byte{}, prefixVRFKey...), consAddr...)
}

// AccountKey is the store key of an account (for proven queries).
func AccountKey(a address.Address) []byte { return accountKey(a) }

// BeaconKey is the store key of the beacon entry at height.
func BeaconKey(height int64) []byte { return beaconKey(height) }

// SupplyKey is the store key of the supply totals.
func SupplyKey() []byte { return append([]byte{}, keySupply...) }
