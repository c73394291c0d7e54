package wire

import "encoding/json"

// Proof is what `?prove=true` adds to an account, prover or workload
// answer (under "proof"), and to the 404 of an unknown prover or workload:
// the record's bytes as the state stores them and an ICS-23 proof of them
// (or of their absence) against the app hash in the header of Height+1.
// A client that checks it decodes Value itself (package wire/record) and
// ignores the rest of the answer.
type Proof struct {
	Height int64     `json:"height"` // the state's version the proof is of
	Key    string    `json:"key"`    // hex: the state key
	Exists bool      `json:"exists"` // false: Ops prove the key absent
	Value  []byte    `json:"value"`  // base64: the stored protobuf record
	Ops    []ProofOp `json:"ops"`
}

// ProofOp is one proof operation, as CometBFT's ProofOp: its type (the
// chain's is "ics23:iavl"), key and data (base64 of an ICS-23
// CommitmentProof in protobuf).
type ProofOp struct {
	Type string `json:"type"`
	Key  []byte `json:"key"`
	Data []byte `json:"data"`
}

// LightBlock is GET /v1/light/{height}: what a light client needs to
// verify the header of one height, in CometBFT's own JSON encoding
// (libs/json, as its RPC writes it): SignedHeader decodes into
// types.SignedHeader, ValidatorSet into types.ValidatorSet. Canonical is
// false while the commit is the node's own view of the newest block rather
// than the one the next block recorded; either carries +2/3 of the votes.
type LightBlock struct {
	Height       int64           `json:"height"`
	Canonical    bool            `json:"canonical"`
	SignedHeader json.RawMessage `json:"signed_header"`
	ValidatorSet json.RawMessage `json:"validator_set"`
}
