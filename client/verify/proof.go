package verify

import (
	"bytes"
	"encoding/hex"
	"fmt"

	ics23 "github.com/cosmos/ics23/go"

	"github.com/provernet/provernet/wire"
)

// ProofOpType is the one proof operation the chain answers: an ICS-23
// CommitmentProof of the state's IAVL tree, whose root is the app hash.
const ProofOpType = "ics23:iavl"

// maxProofBytes bounds a proof operation's data; an IAVL path of a tree of
// billions of keys is a few KiB.
const maxProofBytes = 1 << 20

// checkProof checks that p proves key's value (p.Exists) or its absence
// against root, the app hash of a verified header. It trusts nothing in p
// but what the proof itself binds: the key is the caller's, the root the
// header's.
func checkProof(p *wire.Proof, key, root []byte) (err error) {
	defer recoverAs(&err, ErrProof)
	switch {
	case p == nil:
		return fmt.Errorf("%w: no proof", ErrProof)
	case len(p.Ops) != 1:
		return fmt.Errorf("%w: %d proof operations, want one of type %s", ErrProof, len(p.Ops), ProofOpType)
	case p.Ops[0].Type != ProofOpType:
		return fmt.Errorf("%w: proof operation of type %q, want %s", ErrProof, p.Ops[0].Type, ProofOpType)
	case !bytes.Equal(p.Ops[0].Key, key):
		return fmt.Errorf("%w: the proof is of key %x, not %x", ErrProof, p.Ops[0].Key, key)
	case p.Key != hex.EncodeToString(key):
		return fmt.Errorf("%w: the answer names key %s, not %x", ErrProof, p.Key, key)
	case len(p.Ops[0].Data) > maxProofBytes:
		return fmt.Errorf("%w: the proof is %d bytes, more than %d", ErrProof, len(p.Ops[0].Data), maxProofBytes)
	}
	var cp ics23.CommitmentProof
	if err := cp.Unmarshal(p.Ops[0].Data); err != nil {
		return fmt.Errorf("%w: the proof does not decode: %v", ErrProof, err)
	}
	if p.Exists {
		if !ics23.VerifyMembership(ics23.IavlSpec, root, &cp, key, p.Value) {
			return fmt.Errorf("%w: it does not prove key %x holds the %d bytes sent under app hash %X", ErrProof, key, len(p.Value), root)
		}
		return nil
	}
	if len(p.Value) != 0 {
		return fmt.Errorf("%w: an absence proof came with a value", ErrProof)
	}
	if !ics23.VerifyNonMembership(ics23.IavlSpec, root, &cp, key) {
		return fmt.Errorf("%w: it does not prove key %x absent under app hash %X", ErrProof, key, root)
	}
	return nil
}
