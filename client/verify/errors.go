package verify

import "errors"

// The parts of a verification that can fail. Each error returned wraps one
// of them, with the reason.
var (
	// ErrTrustRoot: the trust root is malformed, expired, newer than the
	// height asked, or the node's header at its height has another hash.
	ErrTrustRoot = errors.New("trust root")
	// ErrHeader: a signed header or validator set the node sent does not
	// verify from the trusted one (bad signatures, too little voting power,
	// wrong validator hash, malformed encoding...).
	ErrHeader = errors.New("header verification failed")
	// ErrProof: the ICS-23 proof does not prove the record's key and value
	// (or its absence) against the verified header's app hash.
	ErrProof = errors.New("proof verification failed")
	// ErrValue: the proven bytes are not the record asked for.
	ErrValue = errors.New("proven value is not the record")
	// ErrAbsent: the record is proven absent (it also matches
	// client.ErrNotFound).
	ErrAbsent = errors.New("proven absent")
)
