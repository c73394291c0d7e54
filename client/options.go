package client

import (
	"net/http"
	"time"
)

// Option changes a Client made by New.
type Option func(*Client)

// WithHTTPClient makes the client send its requests through h (its
// transport, timeout, redirects). A nil h is ignored.
func WithHTTPClient(h *http.Client) Option {
	return func(c *Client) {
		if h != nil {
			c.http = h
		}
	}
}

// WithPollInterval sets how often the waiting methods (WaitTx,
// WaitWorkload without an interval of its own) ask the node again. A
// non-positive d is ignored.
func WithPollInterval(d time.Duration) Option {
	return func(c *Client) {
		if d > 0 {
			c.poll = d
		}
	}
}
