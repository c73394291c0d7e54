package protocol

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"fmt"

	"filippo.io/edwards25519"

	"github.com/provernet/provernet/internal/vrf"
	"github.com/provernet/provernet/wire"
	"github.com/provernet/provernet/wire/address"
	"github.com/provernet/provernet/wire/pb"
)

// Proof of possession of a CreateValidator's keys (staking review,
// docs/CHAIN.md "Validators"). Without it one CreateValidator could bond
// a consensus key nobody runs, or 32 bytes that are no curve point, and so
// hold power that never signs; or copy another operator's keys from the
// mempool and register them under its own account, or with its own VRF
// key. The consensus key signs wire.ValidatorPoPMessage (the chain id,
// the operator and the VRF key) and the VRF key proves
// wire.ValidatorVRFPoPAlpha (the chain id and the operator): both keys are
// valid points whose secrets the operator's side holds, bound to this
// operator on this chain.

// popSignatureSize and popProofSize are the lengths of consensus_pop and
// vrf_pop.
const (
	popSignatureSize = ed25519.SignatureSize
	popProofSize     = vrf.ProofSize
)

// checkPossession rejects, with bad_possession, a CreateValidator whose
// keys do not prove possession for sender on chainID. The keys' lengths
// are checked before.
func checkPossession(chainID string, sender address.Address, m *pb.CreateValidator) Result {
	if len(m.ConsensusPop) != popSignatureSize || len(m.VrfPop) != popProofSize {
		return reject(wire.CodeBadPossession, "create validator: consensus_pop must be a %d-byte ed25519 signature and vrf_pop an %d-byte VRF proof (got %d and %d): both keys prove possession (`provernet tx validator create` makes them from the node's keys)",
			popSignatureSize, popProofSize, len(m.ConsensusPop), len(m.VrfPop))
	}
	if err := checkConsensusPoint(m.ConsensusPublicKey); err != nil {
		return reject(wire.CodeBadPossession, "create validator: consensus_public_key is not a usable ed25519 key: %v", err)
	}
	if !ed25519.Verify(m.ConsensusPublicKey, wire.ValidatorPoPMessage(chainID, sender, m.VrfPublicKey), m.ConsensusPop) {
		return reject(wire.CodeBadPossession, "create validator: consensus_pop is not the consensus key's signature of chain %q, operator %s and this VRF key: the key's holder must sign for this operator", chainID, sender)
	}
	if _, err := vrf.Verify(m.VrfPublicKey, m.VrfPop, wire.ValidatorVRFPoPAlpha(chainID, sender)); err != nil {
		return reject(wire.CodeBadPossession, "create validator: vrf_pop does not verify for this VRF key, chain %q and operator %s: %v", chainID, sender, err)
	}
	return Result{}
}

// errSmallOrder marks a consensus key of small order: anyone can make
// signatures that verify for it, so it proves nothing.
var errSmallOrder = errors.New("a point of small order")

// checkConsensusPoint accepts the canonical encoding of an edwards25519
// point that is not of small order.
func checkConsensusPoint(pub []byte) error {
	p, err := new(edwards25519.Point).SetBytes(pub)
	if err != nil {
		return fmt.Errorf("not a curve point: %w", err)
	}
	if !bytes.Equal(p.Bytes(), pub) {
		return errors.New("not the canonical encoding of a curve point")
	}
	if new(edwards25519.Point).MultByCofactor(p).Equal(edwards25519.NewIdentityPoint()) == 1 {
		return errSmallOrder
	}
	return nil
}
