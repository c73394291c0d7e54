package node

import (
	"path/filepath"
)

// The layout of a node's home directory.
//
//	config/config.toml            this node's configuration (Config)
//	config/genesis.json           CometBFT genesis with provernet's app_state
//	config/node_key.json          p2p identity
//	config/priv_validator_key.json  consensus key (validators)
//	config/vrf_key.json           beacon VRF key (validators)
//	data/                         CometBFT's databases and signing state
//	data/app/                     the committed application state
//	data/snapshots/HEIGHT/        state sync snapshots (state.snapshot_interval)
//	keys/NAME.json                account keys (mode 0600)
//	blobs/                        content-addressed blobs (modules, inputs, proofs)

// ConfigFile is the path of config.toml under home.
func ConfigFile(home string) string { return filepath.Join(home, "config", "config.toml") }

// GenesisFile is the path of genesis.json under home.
func GenesisFile(home string) string { return filepath.Join(home, "config", "genesis.json") }

// VRFKeyFile is the path of the validator's VRF key under home.
func VRFKeyFile(home string) string { return filepath.Join(home, "config", "vrf_key.json") }

// KeysDir is where account keys live under home.
func KeysDir(home string) string { return filepath.Join(home, "keys") }

func appDir(home string) string { return filepath.Join(home, "data", "app") }

// SnapshotDir is where the node keeps its state sync snapshots.
func SnapshotDir(home string) string { return filepath.Join(home, "data", "snapshots") }

// BlobDir is where the node keeps blobs under home.
func BlobDir(home string) string { return filepath.Join(home, "blobs") }
