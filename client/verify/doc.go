// Package verify checks what a provernet node answers instead of trusting
// it: a record (account, prover, workload) is accepted only with an ICS-23
// proof of its stored bytes against the app hash of a header that a
// CometBFT light client verified from a trust root.
//
// The trust model: the user trusts a trust root (a height and its block
// hash, taken from a node or a checkpoint they trust, as CometBFT's state
// sync takes one) and that, over the trusting period, validators holding
// more than a third of the voting power of each validator set the
// verification steps through are honest. Nothing the node says is trusted:
// it supplies the signed headers, validator sets, proofs and values, and a
// lie in any of them fails one of the checks, which say which
// (ErrTrustRoot, ErrHeader, ErrProof, ErrValue).
//
// A Verifier is built from the root and a client.Client. For a record it
// fetches and verifies the header of height H+1 (adjacent to a trusted
// header, or skipping with trust level 1/3, bisecting when the validators
// changed too much), fetches the record's proof at height H, checks it
// against that header's AppHash with ics23.IavlSpec (the chain's state is
// one IAVL tree whose root is the app hash), and decodes the proven bytes
// itself (package wire/record, the node's own conversion). It keeps the
// newest header it verified as its next starting point.
//
// Invariants: no input from the node panics (malformed JSON, proofs and
// headers return errors); this package links CometBFT's types and ics23
// but not the light package (whose client links CometBFT's databases),
// the chain's internal packages, IAVL, goleveldb, gnark or wazero
// (deps_test.go). The header checks are CometBFT's light.Verify, ported
// over types' commit checks and held to the original by a differential
// test.
package verify
