package node

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/cometbft/cometbft/crypto/ed25519"

	"github.com/provernet/provernet/internal/vrf"
	"github.com/provernet/provernet/wire"
	"github.com/provernet/provernet/wire/address"
)

// ValidatorKeys are the public keys a CreateValidator names for a node
// (issue 19): its CometBFT consensus key and its VRF key.
type ValidatorKeys struct {
	ConsensusPublicKey []byte // ed25519, 32 bytes
	ConsensusAddress   []byte // SHA-256(ConsensusPublicKey)[:20]
	VRFPublicKey       []byte // 32 bytes
	// The proofs of possession (ProveValidatorKeys only).
	ConsensusPoP []byte // ed25519 signature of wire.ValidatorPoPMessage
	VRFPoP       []byte // VRF proof of wire.ValidatorVRFPoPAlpha
}

// ReadValidatorKeys reads a node's validator keys from path: a node home
// (its config/priv_validator_key.json and config/vrf_key.json), or a
// CometBFT priv_validator_key.json file, whose VRF key is vrfPath ("": the
// vrf_key.json beside it). Only the public halves are kept.
func ReadValidatorKeys(path, vrfPath string) (*ValidatorKeys, error) {
	keyFile, vrfPath, err := validatorKeyPaths(path, vrfPath)
	if err != nil {
		return nil, err
	}
	pub, err := readConsensusPublicKey(keyFile)
	if err != nil {
		return nil, err
	}
	vk, err := vrf.LoadKeyFile(vrfPath)
	if err != nil {
		return nil, err
	}
	return &ValidatorKeys{ConsensusPublicKey: pub, ConsensusAddress: ed25519.PubKey(pub).Address(), VRFPublicKey: vk.Public}, nil
}

// pvKeyFile is the part of a CometBFT priv_validator_key.json read here.
type pvKeyFile struct {
	PubKey  typedKey `json:"pub_key"`
	PrivKey typedKey `json:"priv_key"`
}

type typedKey struct {
	Type  string `json:"type"`
	Value string `json:"value"`
}

// readKeyFile reads a CometBFT priv_validator_key.json.
func readKeyFile(path string) (*pvKeyFile, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("consensus key: %w", err)
	}
	var f pvKeyFile
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("consensus key %s: %w", path, err)
	}
	return &f, nil
}

// validatorKeyPaths are the consensus and VRF key files that path (a home
// or a key file) and vrfPath ("": the default) name.
func validatorKeyPaths(path, vrfPath string) (string, string, error) {
	keyFile := path
	if fi, err := os.Stat(path); err != nil {
		return "", "", fmt.Errorf("consensus key: %w", err)
	} else if fi.IsDir() {
		keyFile = filepath.Join(path, "config", "priv_validator_key.json")
		if vrfPath == "" {
			vrfPath = VRFKeyFile(path)
		}
	}
	if vrfPath == "" {
		vrfPath = filepath.Join(filepath.Dir(keyFile), "vrf_key.json")
	}
	return keyFile, vrfPath, nil
}

// readConsensusPublicKey reads the public key of a CometBFT
// priv_validator_key.json (an ed25519 key, as provernet's homes hold).
func readConsensusPublicKey(path string) ([]byte, error) {
	f, err := readKeyFile(path)
	if err != nil {
		return nil, err
	}
	if f.PubKey.Type != ed25519.PubKeyName {
		return nil, fmt.Errorf("consensus key %s: type %q; validators take %s keys only", path, f.PubKey.Type, ed25519.PubKeyName)
	}
	pub, err := base64.StdEncoding.DecodeString(f.PubKey.Value)
	if err != nil || len(pub) != ed25519.PubKeySize {
		return nil, fmt.Errorf("consensus key %s: pub_key.value must be %d bytes of base64", path, ed25519.PubKeySize)
	}
	return pub, nil
}

// readConsensusPrivateKey reads the private key of a CometBFT
// priv_validator_key.json, and checks it is the file's public key's.
func readConsensusPrivateKey(path string, pub []byte) (ed25519.PrivKey, error) {
	f, err := readKeyFile(path)
	if err != nil {
		return nil, err
	}
	priv, err := base64.StdEncoding.DecodeString(f.PrivKey.Value)
	if err != nil || f.PrivKey.Type != ed25519.PrivKeyName || len(priv) != ed25519.PrivateKeySize {
		return nil, fmt.Errorf("consensus key %s: priv_key must be a %s of %d bytes of base64", path, ed25519.PrivKeyName, ed25519.PrivateKeySize)
	}
	key := ed25519.PrivKey(priv)
	if !bytes.Equal(key.PubKey().Bytes(), pub) {
		return nil, fmt.Errorf("consensus key %s: priv_key is not pub_key's", path)
	}
	return key, nil
}

// ProveValidatorKeys reads a node's validator keys as ReadValidatorKeys
// does, with their private halves, and makes the proofs of possession a
// CreateValidator by operator on chainID carries (docs/CHAIN.md,
// "Validators"): the consensus key's signature of
// wire.ValidatorPoPMessage and the VRF key's proof of
// wire.ValidatorVRFPoPAlpha. The private keys do not leave this function.
func ProveValidatorKeys(path, vrfPath, chainID string, operator address.Address) (*ValidatorKeys, error) {
	keyFile, vrfPath, err := validatorKeyPaths(path, vrfPath)
	if err != nil {
		return nil, err
	}
	keys, err := ReadValidatorKeys(path, vrfPath)
	if err != nil {
		return nil, err
	}
	priv, err := readConsensusPrivateKey(keyFile, keys.ConsensusPublicKey)
	if err != nil {
		return nil, err
	}
	if keys.ConsensusPoP, err = priv.Sign(wire.ValidatorPoPMessage(chainID, operator, keys.VRFPublicKey)); err != nil {
		return nil, fmt.Errorf("consensus key: proof of possession: %w", err)
	}
	vk, err := vrf.LoadKeyFile(vrfPath)
	if err != nil {
		return nil, err
	}
	if keys.VRFPoP, err = vrf.Prove(vk.Secret, wire.ValidatorVRFPoPAlpha(chainID, operator)); err != nil {
		return nil, fmt.Errorf("vrf key: proof of possession: %w", err)
	}
	return keys, nil
}
