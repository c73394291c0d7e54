package wire

import (
	"encoding/binary"

	"github.com/provernet/provernet/wire/address"
)

// The messages a CreateValidator's keys prove possession with
// (docs/CHAIN.md, "Validators"). Each starts with its own domain, so that
// neither can be a transaction body, a vote, a beacon input or the other;
// the chain id is length-prefixed, so no two (chain id, operator) pairs
// give the same bytes. Naming the operator binds the proof to the account
// that bonds the key: a front-runner that copies a CreateValidator from the
// mempool cannot register the key under its own account, nor with its own
// VRF key, since the consensus key's signature names both.
const (
	validatorPoPDomain    = "provernet/validator-pop/consensus/v1\x00"
	validatorVRFPoPDomain = "provernet/validator-pop/vrf/v1\x00"
)

// ValidatorPoPMessage is what a CreateValidator's consensus key signs
// (ed25519): the domain, the chain id, the operator's address and the VRF
// public key the validator registers.
func ValidatorPoPMessage(chainID string, operator address.Address, vrfPublicKey []byte) []byte {
	b := popPrefix(validatorPoPDomain, chainID, operator)
	return append(b, vrfPublicKey...)
}

// ValidatorVRFPoPAlpha is the input of the VRF proof a CreateValidator's
// VRF key makes (RFC 9381): the domain, the chain id and the operator's
// address. A proof that verifies shows the key is a valid point whose
// secret the operator's side holds.
func ValidatorVRFPoPAlpha(chainID string, operator address.Address) []byte {
	return popPrefix(validatorVRFPoPDomain, chainID, operator)
}

// popPrefix is domain || uint32 big-endian len(chainID) || chainID ||
// operator.
func popPrefix(domain, chainID string, operator address.Address) []byte {
	b := make([]byte, 0, len(domain)+4+len(chainID)+len(operator)+32)
	b = append(b, domain...)
	b = binary.BigEndian.AppendUint32(b, uint32(len(chainID))) // CometBFT chain ids are at most 50 bytes
	b = append(b, chainID...)
	return append(b, operator[:]...)
}

// hotKeyConsentDomain starts what a hot key signs to consent to acting
// for a prover (SetHotKey, docs/PROVER.md "Hot keys").
const hotKeyConsentDomain = "provernet/hot-key/consent/v1\x00"

// HotKeyConsentMessage is what a hot key signs (ed25519) to let prover
// name it: the domain, the chain id, the prover's address and the hot
// key's own account nonce. The nonce spends the consent once the key sends
// a transaction (a resignation, say), so the prover cannot name the key
// again with an old signature.
func HotKeyConsentMessage(chainID string, prover address.Address, hotNonce uint64) []byte {
	return binary.BigEndian.AppendUint64(popPrefix(hotKeyConsentDomain, chainID, prover), hotNonce)
}
