package client

import "time"

// The SDK's defaults, which the provernet CLI shows in its help and uses
// as its flags' defaults, so the two never disagree.
const (
	// DefaultDeadlineSlack is what a Run without a deadline gets beyond the
	// chain's minimum for its cycles (FeeQuote.MinDeadline), in blocks: a
	// prover that starts a few blocks late still delivers.
	DefaultDeadlineSlack = 100
	// DefaultPollInterval is how often the waiting methods ask the node.
	DefaultPollInterval = 100 * time.Millisecond
	// DefaultRequestTimeout bounds one request of a Client made without
	// WithHTTPClient.
	DefaultRequestTimeout = 30 * time.Second
	// DefaultMaxProof bounds a proof opened when the chain's
	// max_proof_size cannot be read (it is the chain's own default).
	DefaultMaxProof = 1 << 20
)
