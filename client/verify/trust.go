package verify

import (
	"encoding/hex"
	"fmt"
	"strings"
	"time"
)

// DefaultTrustingPeriod is how long a trusted header stays a starting
// point when TrustRoot.Period is 0: a week, as CometBFT's light client
// suggests for chains whose validators stay bonded for weeks.
const DefaultTrustingPeriod = 7 * 24 * time.Hour

// DefaultMaxClockDrift is how far in the future a header's time may be.
const DefaultMaxClockDrift = 10 * time.Second

// TrustRoot is what the user trusts, as CometBFT's light.TrustOptions: the
// hash of the block at Height, from a node or checkpoint they trust (e.g.
// `provernet query block H` on their own node), and how long a trusted
// header may be used to verify later ones.
type TrustRoot struct {
	Height int64
	Hash   []byte // the block (header) hash, 32 bytes
	Period time.Duration
}

// ParseTrustRoot reads a trust root from a height and a block hash in hex
// (as `provernet query block` and /v1/blocks print it). period 0 is
// DefaultTrustingPeriod.
func ParseTrustRoot(height int64, hashHex string, period time.Duration) (TrustRoot, error) {
	h, err := hex.DecodeString(strings.TrimPrefix(strings.TrimSpace(hashHex), "0x"))
	if err != nil {
		return TrustRoot{}, fmt.Errorf("%w: the hash is not hex: %v", ErrTrustRoot, err)
	}
	r := TrustRoot{Height: height, Hash: h, Period: period}
	return r, r.validate()
}

func (r TrustRoot) validate() error {
	switch {
	case r.Height < 1:
		return fmt.Errorf("%w: height %d: want a positive height", ErrTrustRoot, r.Height)
	case len(r.Hash) != 32:
		return fmt.Errorf("%w: the hash is %d bytes, want a 32-byte block hash (64 hex digits)", ErrTrustRoot, len(r.Hash))
	case r.Period < 0:
		return fmt.Errorf("%w: negative trusting period %s", ErrTrustRoot, r.Period)
	}
	return nil
}
