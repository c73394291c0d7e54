package verify

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/provernet/provernet/client"
)

// maxBisections bounds the extra headers one verification fetches when
// the validators changed too much to skip straight to the target.
const maxBisections = 64

// Verifier verifies the node's headers from a trust root, then records
// against them. It is safe for concurrent use.
type Verifier struct {
	c       *client.Client
	root    TrustRoot
	drift   time.Duration
	now     func() time.Time
	chainID string

	mu      sync.Mutex
	rootBlk *lightBlock // the root's header, once fetched and matched to its hash
	newest  *lightBlock // the newest header verified from it
}

// Option changes a Verifier.
type Option func(*Verifier)

// WithClock sets the clock the trusting period and clock drift are
// measured by (default time.Now).
func WithClock(now func() time.Time) Option { return func(v *Verifier) { v.now = now } }

// WithMaxClockDrift sets how far in the future a header may be (default
// DefaultMaxClockDrift).
func WithMaxClockDrift(d time.Duration) Option { return func(v *Verifier) { v.drift = d } }

// WithChainID requires the trust root (and so every header) to be of this
// chain; without it, the chain is the one the root's hash fixes.
func WithChainID(id string) Option { return func(v *Verifier) { v.chainID = id } }

// New returns a Verifier that asks c for headers and proofs and trusts
// only root. It fetches nothing until the first verification.
func New(c *client.Client, root TrustRoot, opts ...Option) (*Verifier, error) {
	if err := root.validate(); err != nil {
		return nil, err
	}
	if root.Period == 0 {
		root.Period = DefaultTrustingPeriod
	}
	v := &Verifier{c: c, root: root, drift: DefaultMaxClockDrift, now: time.Now}
	for _, o := range opts {
		o(v)
	}
	return v, nil
}

// Header is a header the Verifier verified.
type Header struct {
	Height  int64
	Hash    []byte // the block hash
	AppHash []byte // the app hash of the state after Height-1
	Time    time.Time
	ChainID string
}

// VerifiedHeader fetches the header of height (0: the node's newest) and
// verifies it from the trust root, or from the newest header verified
// since.
func (v *Verifier) VerifiedHeader(ctx context.Context, height int64) (*Header, error) {
	b, err := v.header(ctx, height)
	if err != nil {
		return nil, err
	}
	return &Header{Height: b.Height, Hash: b.Hash(), AppHash: b.AppHash, Time: b.Time, ChainID: b.ChainID}, nil
}

// header returns the verified light block of height (0: the newest).
func (v *Verifier) header(ctx context.Context, height int64) (*lightBlock, error) {
	root, err := v.rootBlock(ctx)
	if err != nil {
		return nil, err
	}
	target, err := v.fetch(ctx, height)
	if err != nil {
		return nil, err
	}
	from := v.startFor(root, target.Height)
	switch {
	case target.Height < root.Height:
		return nil, fmt.Errorf("%w: header %d is before the trust root's height %d; take a trust root at or before it", ErrTrustRoot, target.Height, root.Height)
	case target.Height == from.Height:
		if !bytes.Equal(target.Hash(), from.Hash()) {
			return nil, fmt.Errorf("%w: the node's header %d is %X, the trusted one %X", ErrHeader, target.Height, target.Hash(), from.Hash())
		}
		return from, nil
	}
	budget := maxBisections
	if err := v.verifyFrom(ctx, v.checks(root), from, target, &budget); err != nil {
		return nil, err
	}
	v.mu.Lock()
	if v.newest == nil || target.Height > v.newest.Height {
		v.newest = target
	}
	v.mu.Unlock()
	return target, nil
}

// startFor is the highest trusted header at or below height: the newest
// verified one if it is not past it, else the root.
func (v *Verifier) startFor(root *lightBlock, height int64) *lightBlock {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.newest != nil && v.newest.Height <= height && !expired(v.newest, v.checks(root)) {
		return v.newest
	}
	return root
}

// verifyFrom verifies target from trusted, bisecting when trusted's
// validators cannot vouch for target's directly (at most budget more
// headers).
func (v *Verifier) verifyFrom(ctx context.Context, c checks, trusted, target *lightBlock, budget *int) error {
	err := verifyHeader(trusted, target, c)
	if errors.Is(err, errCannotTrust) && *budget > 0 && target.Height > trusted.Height+1 {
		*budget--
		mid, ferr := v.fetch(ctx, trusted.Height+(target.Height-trusted.Height)/2)
		if ferr != nil {
			return ferr
		}
		if err := v.verifyFrom(ctx, c, trusted, mid, budget); err != nil {
			return err
		}
		return v.verifyFrom(ctx, c, mid, target, budget)
	}
	switch {
	case err == nil:
		return nil
	case errors.Is(err, ErrTrustRoot), errors.Is(err, ErrHeader):
		return err
	}
	return fmt.Errorf("%w: %w", ErrHeader, err)
}

// rootBlock fetches the trust root's header once and checks its hash.
func (v *Verifier) rootBlock(ctx context.Context) (*lightBlock, error) {
	v.mu.Lock()
	b := v.rootBlk
	v.mu.Unlock()
	if b != nil {
		return b, nil
	}
	b, err := v.fetch(ctx, v.root.Height)
	if err != nil {
		return nil, err
	}
	switch {
	case !bytes.Equal(b.Hash(), v.root.Hash):
		return nil, fmt.Errorf("%w: the node's header %d hashes to %X, the trust root says %X", ErrTrustRoot, b.Height, b.Hash(), v.root.Hash)
	case v.chainID != "" && b.ChainID != v.chainID:
		return nil, fmt.Errorf("%w: the trust root is of chain %q, not %q", ErrTrustRoot, b.ChainID, v.chainID)
	case expired(b, v.checks(b)):
		return nil, fmt.Errorf("%w: header %d (%s) is older than the trusting period %s; take a newer trust root",
			ErrTrustRoot, b.Height, b.Time.Format(time.RFC3339), v.root.Period)
	}
	v.mu.Lock()
	v.rootBlk = b
	v.mu.Unlock()
	return b, nil
}

// fetch gets and decodes the light block of height (0: the newest).
func (v *Verifier) fetch(ctx context.Context, height int64) (*lightBlock, error) {
	lb, err := v.c.LightBlock(ctx, height)
	if err != nil {
		return nil, fmt.Errorf("failed to fetch the header of height %d: %w", height, err)
	}
	return decodeLightBlock(lb, height)
}

// checks are the header checks from root: every header is of its chain.
func (v *Verifier) checks(root *lightBlock) checks {
	return checks{period: v.root.Period, drift: v.drift, now: v.now(), expectID: root.ChainID}
}
