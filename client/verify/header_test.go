package verify

import (
	"errors"
	"testing"
	"time"

	"github.com/cometbft/cometbft/light"
	"github.com/cometbft/cometbft/types"
)

// TestVerifyHeaderMatchesLight is a differential test: verifyHeader, the
// port, accepts and rejects what CometBFT's light.Verify does, for the
// same reasons, on hand-built headers.
func TestVerifyHeaderMatchesLight(t *testing.T) {
	a, b, c := keys(0, 4), append(keys(2, 2), keys(10, 2)...), keys(20, 4)
	va, vb, vc := valSet(a), valSet(b), valSet(c)
	app := make([]byte, 32)
	trusted := block(1, va, va, a, app)
	now := t0.Add(time.Hour)
	week := 7 * 24 * time.Hour
	cases := []struct {
		name          string
		trusted, next *lightBlock
		now           time.Time
		period        time.Duration
		want          error // nil: accepted; else the class: errCannotTrust, ErrTrustRoot or any (errAny)
	}{
		{"adjacent", trusted, block(2, va, va, a, app), now, week, nil},
		{"adjacent, a quarter signed", trusted, block(2, va, va, a[:1], app), now, week, errAny},
		{"adjacent, other validators than named next", trusted, block(2, vb, vb, b, app), now, week, errAny},
		{"skipping", trusted, block(9, va, va, a, app), now, week, nil},
		{"skipping, half the trusted validators remain", trusted, block(9, vb, vb, b, app), now, week, nil},
		{"skipping, no trusted validator remains", trusted, block(9, vc, vc, c, app), now, week, errCannotTrust},
		{"skipping, two thirds not reached", trusted, block(9, va, va, a[:2], app), now, week, errAny},
		{"trusted header expired", trusted, block(9, va, va, a, app), t0.Add(week + time.Hour), week, ErrTrustRoot},
		{"header from the future", trusted, block(30, va, va, a, app), t0.Add(2 * time.Second), week, errAny},
		{"header not after the trusted one", trusted, block(1, va, va, a, app), now, week, errAny},
		{"validators not the header's", trusted, func() *lightBlock { l := block(9, va, va, a, app); l.vals = vb; return l }(), now, week, errAny},
		{"another chain", trusted, func() *lightBlock {
			l := block(9, va, va, a, app)
			l.ChainID = "other"
			l.Commit = sign(l.Header, va, a)
			return l
		}(), now, week, errAny},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := verifyHeader(tc.trusted, tc.next, checks{period: tc.period, drift: 10 * time.Second, now: tc.now, expectID: testChain})
			ref := light.Verify(tc.trusted.SignedHeader, tc.trusted.vals, tc.next.SignedHeader, tc.next.vals,
				tc.period, tc.now, 10*time.Second, light.DefaultTrustLevel)
			if (got == nil) != (ref == nil) {
				t.Fatalf("port says %v, light.Verify says %v", got, ref)
			}
			switch tc.want {
			case nil:
				if got != nil {
					t.Fatalf("rejected: %v", got)
				}
			case errCannotTrust:
				var e light.ErrNewValSetCantBeTrusted
				if !errors.Is(got, errCannotTrust) || !errors.As(ref, &e) {
					t.Fatalf("port %v, light %v: want both 'cannot trust'", got, ref)
				}
			case ErrTrustRoot:
				var e light.ErrOldHeaderExpired
				if !errors.Is(got, ErrTrustRoot) || !errors.As(ref, &e) {
					t.Fatalf("port %v, light %v: want both 'expired'", got, ref)
				}
			default:
				if got == nil || errors.Is(got, errCannotTrust) {
					t.Fatalf("accepted or 'cannot trust' (%v), want rejected", got)
				}
			}
		})
	}
}

var errAny = errors.New("any rejection")

// TestVerifyHeaderNilParts: a header without its commit, validators
// without keys and the like are errors, not panics.
func TestVerifyHeaderNilParts(t *testing.T) {
	a := keys(0, 4)
	va := valSet(a)
	trusted := block(1, va, va, a, nil)
	c := checks{period: time.Hour, drift: time.Second, now: t0.Add(time.Minute), expectID: testChain}
	for name, next := range map[string]*lightBlock{
		"no commit":     {SignedHeader: &types.SignedHeader{Header: block(5, va, va, a, nil).Header}, vals: va},
		"no header":     {SignedHeader: &types.SignedHeader{Commit: block(5, va, va, a, nil).Commit}, vals: va},
		"no validators": {SignedHeader: block(5, va, va, a, nil).SignedHeader, vals: &types.ValidatorSet{}},
		"nil validator": {SignedHeader: block(5, va, va, a, nil).SignedHeader, vals: &types.ValidatorSet{Validators: []*types.Validator{nil}}},
	} {
		if err := verifyHeader(trusted, next, c); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
