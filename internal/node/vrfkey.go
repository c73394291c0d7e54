package node

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"

	"github.com/provernet/provernet/internal/vrf"
)

// VRFKey is a validator's beacon key, stored in config/vrf_key.json (0600).
type VRFKey struct {
	Secret []byte
	Public []byte
}

type vrfKeyFile struct {
	PublicKey string `json:"public_key"`
	SecretKey string `json:"secret_key"`
}

// GenerateVRFKey makes a new VRF key and writes it to path, never
// overwriting an existing file.
func GenerateVRFKey(path string) (*VRFKey, error) {
	secret, public, err := vrf.GenerateKey(nil)
	if err != nil {
		return nil, err
	}
	b, _ := json.MarshalIndent(vrfKeyFile{PublicKey: hex.EncodeToString(public), SecretKey: hex.EncodeToString(secret)}, "", "  ")
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("failed to create VRF key file: %w", err)
	}
	defer f.Close()
	if _, err := f.Write(append(b, '\n')); err != nil {
		return nil, fmt.Errorf("failed to write %s: %w", path, err)
	}
	return &VRFKey{Secret: secret, Public: public}, nil
}

// LoadVRFKey reads a VRF key file and checks that its halves match.
func LoadVRFKey(path string) (*VRFKey, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("failed to read VRF key: %w", err)
	}
	var f vrfKeyFile
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("failed to parse %s: %w", path, err)
	}
	secret, err1 := hex.DecodeString(f.SecretKey)
	public, err2 := hex.DecodeString(f.PublicKey)
	if err1 != nil || err2 != nil {
		return nil, fmt.Errorf("%s: keys must be hex", path)
	}
	derived, err := vrf.PublicKey(secret)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if hex.EncodeToString(derived) != f.PublicKey {
		return nil, fmt.Errorf("%s: public_key does not match secret_key", path)
	}
	return &VRFKey{Secret: secret, Public: public}, nil
}
