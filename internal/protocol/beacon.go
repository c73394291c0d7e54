package protocol

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"strconv"

	"google.golang.org/protobuf/proto"

	"github.com/provernet/provernet/internal/store"
	"github.com/provernet/provernet/internal/vrf"
	"github.com/provernet/provernet/wire/pb"
)

// The randomness beacon (PROTOCOL.md 2). The proposer of block h puts a
// BeaconTx first in the block with pi = VRF_prove(sk, seed[h-1]); every
// validator checks it before voting, and FinalizeBlock sets
// seed[h] = SHA-256(seed[h-1] || beta). The proposer cannot choose beta
// (the VRF is unique for its key), and a block hash is never used.

// beaconMagic starts every beacon entry. A protobuf Tx cannot start with a
// zero byte (field number 0 is invalid), so the two never collide.
const beaconMagic = "\x00provernet/beacon\x00"

// ErrBadBeacon is wrapped by every beacon verification failure.
var ErrBadBeacon = errors.New("bad beacon")

// IsBeaconTx reports whether raw is a beacon entry.
func IsBeaconTx(raw []byte) bool { return bytes.HasPrefix(raw, []byte(beaconMagic)) }

// Seed returns the current seed: after block h is committed, seed[h].
func Seed(r store.Reader) ([]byte, error) {
	s, err := r.Get(keySeed)
	if err != nil {
		return nil, fmt.Errorf("failed to read seed: %w", err)
	}
	if len(s) != sha256.Size {
		return nil, fmt.Errorf("seed: %w (genesis not applied?)", store.ErrNotFound)
	}
	return s, nil
}

// ProposeBeacon builds the beacon entry for block height, proposed by the
// validator with consensus address proposer and VRF secret key secret.
func ProposeBeacon(r store.Reader, height int64, proposer, secret []byte) ([]byte, error) {
	seed, err := Seed(r)
	if err != nil {
		return nil, err
	}
	pi, err := vrf.Prove(secret, seed)
	if err != nil {
		return nil, fmt.Errorf("failed to prove beacon: %w", err)
	}
	body, err := marshal.Marshal(&pb.BeaconTx{Height: height, Proposer: proposer, Pi: pi})
	if err != nil {
		return nil, fmt.Errorf("failed to encode beacon: %w", err)
	}
	return append([]byte(beaconMagic), body...), nil
}

// VerifyBeacon checks that raw is the beacon entry the proposer of block
// height must produce over the state r (the state after height-1), and
// returns the entry to record.
func VerifyBeacon(r store.Reader, height int64, proposer, raw []byte) (*pb.BeaconEntry, error) {
	if !IsBeaconTx(raw) {
		return nil, fmt.Errorf("%w: the block's first transaction is not a beacon entry", ErrBadBeacon)
	}
	var bt pb.BeaconTx
	if err := proto.Unmarshal(raw[len(beaconMagic):], &bt); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadBeacon, err)
	}
	if bt.Height != height || !bytes.Equal(bt.Proposer, proposer) {
		return nil, fmt.Errorf("%w: entry is for height %d proposer %X, block is %d by %X", ErrBadBeacon, bt.Height, bt.Proposer, height, proposer)
	}
	key, err := r.Get(vrfKeyKey(proposer))
	if err != nil {
		return nil, fmt.Errorf("failed to read VRF key: %w", err)
	}
	if key == nil {
		return nil, fmt.Errorf("%w: proposer %X has no registered VRF key", ErrBadBeacon, proposer)
	}
	prev, err := Seed(r)
	if err != nil {
		return nil, err
	}
	beta, err := vrf.Verify(key, bt.Pi, prev)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadBeacon, err)
	}
	return &pb.BeaconEntry{
		Height: height, Proposer: proposer, Pi: bt.Pi, Beta: beta,
		PrevSeed: prev, Seed: nextSeed(prev, beta),
	}, nil
}

func nextSeed(prev, beta []byte) []byte {
	h := sha256.New()
	h.Write(prev)
	h.Write(beta)
	return h.Sum(nil)
}

// BeaconHistory is how many of the newest beacon entries the state keeps
// (issue 19). No rule reads an entry older than the current seed (the
// allocation, the challenges and the trees read the seed, or a copy in
// their own records), so history exists for queries only: explaining an
// allocation, which also needs the state of the height before it, and
// /beacon/{height}. Each is read from the state version of its own height
// when the node keeps it. Kept forever, one entry a block was most of a
// state sync snapshot (28 MB at 100,000 blocks).
const BeaconHistory = 1024

// ApplyBeacon records a verified entry, advances the seed, and drops the
// entry BeaconHistory heights older (one delete a block, so the history
// stays bounded without a scan).
func ApplyBeacon(kv store.KV, e *pb.BeaconEntry) (Event, error) {
	if err := setProto(kv, beaconKey(e.Height), e); err != nil {
		return Event{}, err
	}
	if old := e.Height - BeaconHistory; old > 0 {
		if err := kv.Delete(beaconKey(old)); err != nil {
			return Event{}, err
		}
	}
	if err := kv.Set(keySeed, e.Seed); err != nil {
		return Event{}, err
	}
	return event("beacon", "height", strconv.FormatInt(e.Height, 10), "seed", fmt.Sprintf("%x", e.Seed)), nil
}

// GetBeacon reads the beacon entry recorded at height.
func GetBeacon(r store.Reader, height int64) (*pb.BeaconEntry, error) {
	b, err := r.Get(beaconKey(height))
	if err != nil {
		return nil, fmt.Errorf("failed to read beacon %d: %w", height, err)
	}
	if b == nil {
		return nil, fmt.Errorf("beacon at height %d: %w", height, store.ErrNotFound)
	}
	var e pb.BeaconEntry
	if err := proto.Unmarshal(b, &e); err != nil {
		return nil, fmt.Errorf("failed to decode beacon %d: %w", height, err)
	}
	return &e, nil
}

// VRFKey returns the VRF public key registered for a validator, or nil.
func VRFKey(r store.Reader, consAddr []byte) ([]byte, error) { return r.Get(vrfKeyKey(consAddr)) }
