package blob

import (
	"net"
	"net/http"
	"sync"
	"time"
)

// Limiter is a token bucket per client address: each client may spend
// Rate tokens a second with bursts of Burst. An action of cost c is allowed
// while the bucket holds c tokens. Charge may overdraw it (an upload's size
// is known only once it is read); the client is then refused until the
// bucket refills. IPv6 clients are bucketed by /64, since one
// host commonly holds a whole /64.
//
// Invariant: the limiter holds at most maxClients buckets; when full it
// forgets the buckets that have refilled (a refilled bucket is the same as
// none), and clients beyond that share one overflow bucket, so a flood
// from many addresses costs memory for at most maxClients of them.
type Limiter struct {
	rate, burst float64
	now         func() time.Time

	mu       sync.Mutex
	buckets  map[string]*bucket
	overflow bucket
	swept    time.Time // the last sweep of full buckets
}

type bucket struct {
	tokens float64
	last   time.Time
}

// maxClients bounds the buckets a Limiter keeps.
const maxClients = 10_000

// NewLimiter returns a limiter of rate tokens a second and bursts of
// burst; a rate <= 0 means no limit (nil).
func NewLimiter(rate, burst float64, now func() time.Time) *Limiter {
	if rate <= 0 {
		return nil
	}
	if now == nil {
		now = time.Now
	}
	return &Limiter{rate: rate, burst: max(burst, 1), now: now, buckets: make(map[string]*bucket)}
}

// Allow reports whether client's bucket holds cost tokens, and if so takes
// them. A nil Limiter allows everything.
func (l *Limiter) Allow(client string, cost float64) bool {
	if l == nil {
		return true
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.bucketLocked(client)
	if b.tokens < cost {
		return false
	}
	b.tokens -= cost
	return true
}

// Charge takes cost more tokens from client (an upload's bytes, once read).
func (l *Limiter) Charge(client string, cost float64) {
	if l == nil || cost == 0 {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.bucketLocked(client).tokens -= cost
}

// RetryAfter is how long until client's bucket holds cost tokens.
func (l *Limiter) RetryAfter(client string, cost float64) time.Duration {
	if l == nil {
		return 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.bucketLocked(client)
	if b.tokens >= cost {
		return 0
	}
	return time.Duration((cost - b.tokens) / l.rate * float64(time.Second))
}

func (l *Limiter) bucketLocked(client string) *bucket {
	now := l.now()
	b := l.buckets[client]
	if b == nil {
		if len(l.buckets) >= maxClients && now.Sub(l.swept) >= time.Second {
			// At most once a second: under a flood from many addresses a
			// sweep per new client would make every request scan them all.
			l.forgetFullLocked(now)
			l.swept = now
		}
		if len(l.buckets) >= maxClients {
			b = &l.overflow
		} else {
			b = &bucket{tokens: l.burst, last: now}
			l.buckets[client] = b
		}
	}
	b.tokens = min(l.burst, b.tokens+now.Sub(b.last).Seconds()*l.rate)
	b.last = now
	return b
}

func (l *Limiter) forgetFullLocked(now time.Time) {
	for k, b := range l.buckets {
		if b.tokens+now.Sub(b.last).Seconds()*l.rate >= l.burst {
			delete(l.buckets, k)
		}
	}
}

// ClientOf names the client of r for rate limiting: its IP address (a
// /64 for IPv6), from the connection, never from headers a client writes.
func ClientOf(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	ip := net.ParseIP(host)
	if ip == nil {
		return host
	}
	if ip.To4() == nil {
		return ip.Mask(net.CIDRMask(64, 128)).String() + "/64"
	}
	return ip.String()
}
