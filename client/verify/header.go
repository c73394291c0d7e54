package verify

import (
	"bytes"
	"errors"
	"fmt"
	"time"

	cmtmath "github.com/cometbft/cometbft/libs/math"
	"github.com/cometbft/cometbft/types"
)

// trustLevel is the share of a trusted validator set whose signatures on a
// later header are enough to trust that header's validators (CometBFT's
// light.DefaultTrustLevel): more than a third contains an honest one.
var trustLevel = cmtmath.Fraction{Numerator: 1, Denominator: 3}

// errCannotTrust marks a skip too long for the trusted validators (under
// trustLevel of them signed): bisect.
var errCannotTrust = errors.New("too little of the trusted voting power signed")

// checks are the parameters of header verification.
type checks struct {
	period   time.Duration // trusting period
	drift    time.Duration // how far in the future a header may be
	now      time.Time
	expectID string // the chain id every header must carry
}

// verifyHeader is CometBFT's light.Verify (adjacent or skipping with
// trustLevel), over types' commit checks: untrusted is accepted if it is
// valid and later than trusted, within the trusting period, and either
// the next header signed by the validators trusted named next, or signed
// by trustLevel of trusted's validators; in both cases by +2/3 of its own.
func verifyHeader(trusted, untrusted *lightBlock, c checks) (err error) {
	defer recoverAs(&err, ErrHeader)
	if expired(trusted, c) {
		return fmt.Errorf("%w: the trusted header %d (%s) is older than the trusting period %s",
			ErrTrustRoot, trusted.Height, trusted.Time.Format(time.RFC3339), c.period)
	}
	if err := untrusted.ValidateBasic(c.expectID); err != nil {
		return err
	}
	switch {
	case untrusted.Height <= trusted.Height:
		return fmt.Errorf("header %d is not after the trusted %d", untrusted.Height, trusted.Height)
	case !untrusted.Time.After(trusted.Time):
		return fmt.Errorf("header %d's time %v is not after the trusted header's %v", untrusted.Height, untrusted.Time, trusted.Time)
	case !untrusted.Time.Before(c.now.Add(c.drift)):
		return fmt.Errorf("header %d's time %v is in the future (now %v, drift %s)", untrusted.Height, untrusted.Time, c.now, c.drift)
	case !bytes.Equal(untrusted.ValidatorsHash, untrusted.vals.Hash()):
		return fmt.Errorf("header %d names validators %X, the set sent hashes to %X", untrusted.Height, untrusted.ValidatorsHash, untrusted.vals.Hash())
	}
	if untrusted.Height == trusted.Height+1 {
		if !bytes.Equal(untrusted.ValidatorsHash, trusted.NextValidatorsHash) {
			return fmt.Errorf("header %d's validators %X are not the ones header %d named next (%X)",
				untrusted.Height, untrusted.ValidatorsHash, trusted.Height, trusted.NextValidatorsHash)
		}
	} else if err := trusted.vals.VerifyCommitLightTrusting(trusted.ChainID, untrusted.Commit, trustLevel); err != nil {
		var weak types.ErrNotEnoughVotingPowerSigned
		if errors.As(err, &weak) {
			return fmt.Errorf("header %d from %d: %w: %v", untrusted.Height, trusted.Height, errCannotTrust, err)
		}
		return fmt.Errorf("header %d's commit, checked against the validators of %d: %w", untrusted.Height, trusted.Height, err)
	}
	// Last: untrusted.vals may be made large to cost the client time.
	if err := untrusted.vals.VerifyCommitLight(trusted.ChainID, untrusted.Commit.BlockID, untrusted.Height, untrusted.Commit); err != nil {
		return fmt.Errorf("header %d's commit: %w", untrusted.Height, err)
	}
	return nil
}

func expired(b *lightBlock, c checks) bool { return !b.Time.Add(c.period).After(c.now) }
