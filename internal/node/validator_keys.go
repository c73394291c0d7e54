package node

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/cometbft/cometbft/crypto/ed25519"

	"github.com/provernet/provernet/internal/vrf"
)

// ValidatorKeys are the public keys a CreateValidator names for a node
// (issue 19): its CometBFT consensus key and its VRF key.
type ValidatorKeys struct {
	ConsensusPublicKey []byte // ed25519, 32 bytes
	ConsensusAddress   []byte // SHA-256(ConsensusPublicKey)[:20]
	VRFPublicKey       []byte // 32 bytes
}

// ReadValidatorKeys reads a node's validator keys from path: a node home
// (its config/priv_validator_key.json and config/vrf_key.json), or a
// CometBFT priv_validator_key.json file, whose VRF key is vrfPath ("": the
// vrf_key.json beside it). Only the public halves are kept.
func ReadValidatorKeys(path, vrfPath string) (*ValidatorKeys, error) {
	keyFile := path
	if fi, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("consensus key: %w", err)
	} else if fi.IsDir() {
		keyFile = filepath.Join(path, "config", "priv_validator_key.json")
		if vrfPath == "" {
			vrfPath = VRFKeyFile(path)
		}
	}
	if vrfPath == "" {
		vrfPath = filepath.Join(filepath.Dir(keyFile), "vrf_key.json")
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

// readConsensusPublicKey reads the public key of a CometBFT
// priv_validator_key.json (an ed25519 key, as provernet's homes hold).
func readConsensusPublicKey(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("consensus key: %w", err)
	}
	var f struct {
		PubKey struct {
			Type  string `json:"type"`
			Value string `json:"value"`
		} `json:"pub_key"`
	}
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("consensus key %s: %w", path, err)
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
