package node

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"time"

	cmtcfg "github.com/cometbft/cometbft/config"
	"github.com/cometbft/cometbft/crypto"
	"github.com/cometbft/cometbft/crypto/ed25519"
	"github.com/cometbft/cometbft/p2p"
	"github.com/cometbft/cometbft/privval"
	"github.com/cometbft/cometbft/types"

	"github.com/provernet/provernet/internal/protocol"
	"github.com/provernet/provernet/internal/vrf"
)

// InitOptions describe a new single-validator home.
type InitOptions struct {
	ChainID  string
	Moniker  string
	Config   *Config          // nil: DefaultConfig
	Params   *protocol.Params // nil: DefaultParams
	Accounts []protocol.GenesisAccount
	// ChallengeProgram is a directory holding the built benchmark program
	// (prover.wasm, verifier.wasm): the genesis deploys it and names it
	// challenge_program, and each home's blob store gets its modules. ""
	// leaves challenges off (provers are admitted on stake alone).
	ChallengeProgram string
}

// InitResult tells what Init created.
type InitResult struct {
	Home             string `json:"home"`
	ChainID          string `json:"chain_id"`
	NodeID           string `json:"node_id"`
	ValidatorAddress string `json:"validator_address"`
	VRFPublicKey     string `json:"vrf_public_key"`
	Genesis          string `json:"genesis"`
	ChallengeProgram string `json:"challenge_program,omitempty"` // program id; "" when challenges are off
}

// ErrInitialized is returned by Init when home already has a genesis.
var ErrInitialized = errors.New("home is already initialized")

// Init creates a home directory: config.toml, node and validator keys, a VRF
// key and a genesis in which this node is the only validator.
func Init(home string, opts InitOptions) (*InitResult, error) {
	cfg := DefaultConfig()
	if opts.Config != nil {
		cfg = *opts.Config
	}
	if opts.Moniker != "" {
		cfg.Moniker = opts.Moniker
	}
	m, err := prepareHome(home, cfg)
	if err != nil {
		return nil, err
	}
	g, err := writeGenesis([]string{home}, opts, []*member{m})
	if err != nil {
		return nil, err
	}
	return m.result(home, g), nil
}

// Join creates a home for a node joining a running network (issue 19):
// config.toml (cfg, with its persistent peers), node and validator keys
// and a VRF key, and the network's genesis, copied as it is. The node
// starts as a full node; `provernet tx validator create` with its keys
// makes it a validator.
func Join(home string, genesis []byte, cfg Config) (*InitResult, error) {
	g, err := types.GenesisDocFromJSON(genesis)
	if err != nil {
		return nil, fmt.Errorf("the network's genesis: %w", err)
	}
	m, err := prepareHome(home, cfg)
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(GenesisFile(home), genesis, 0o600); err != nil {
		return nil, fmt.Errorf("failed to write genesis: %w", err)
	}
	return m.result(home, g), nil
}

// member is one validator's identity while a genesis is being made.
type member struct {
	moniker string
	nodeKey *p2p.NodeKey
	pv      *privval.FilePV
	vrf     *vrf.Key
}

func (m *member) result(home string, g *types.GenesisDoc) *InitResult {
	return &InitResult{
		Home: home, ChainID: g.ChainID, NodeID: string(m.nodeKey.ID()),
		ValidatorAddress: m.pv.Key.Address.String(), VRFPublicKey: fmt.Sprintf("%x", m.vrf.Public),
		Genesis: GenesisFile(home), ChallengeProgram: challengeProgramOf(g),
	}
}

// challengeProgramOf reads challenge_program back from a genesis.
func challengeProgramOf(g *types.GenesisDoc) string {
	var app protocol.Genesis
	if json.Unmarshal(g.AppState, &app) != nil {
		return ""
	}
	return app.Params.ChallengeProgram
}

// prepareHome writes config.toml and creates the node, validator and VRF
// keys of a home that has no genesis yet.
func prepareHome(home string, cfg Config) (*member, error) {
	if _, err := os.Stat(GenesisFile(home)); err == nil {
		return nil, fmt.Errorf("%w: %s exists", ErrInitialized, GenesisFile(home))
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if err := WriteConfig(home, cfg); err != nil {
		return nil, err
	}
	cc := cometConfig(home, cfg)
	cmtcfg.EnsureRoot(home)
	if err := os.MkdirAll(cc.DBDir(), 0o700); err != nil {
		return nil, err
	}
	nodeKey, err := p2p.LoadOrGenNodeKey(cc.NodeKeyFile())
	if err != nil {
		return nil, fmt.Errorf("failed to create node key: %w", err)
	}
	pv, err := privval.LoadOrGenFilePV(cc.PrivValidatorKeyFile(), cc.PrivValidatorStateFile(), func() (crypto.PrivKey, error) {
		return ed25519.GenPrivKey(), nil
	})
	if err != nil {
		return nil, fmt.Errorf("failed to create validator key: %w", err)
	}
	vk, err := vrf.GenerateKeyFile(VRFKeyFile(home))
	if err != nil {
		return nil, err
	}
	return &member{moniker: cfg.Moniker, nodeKey: nodeKey, pv: pv, vrf: vk}, nil
}

// writeGenesis writes one genesis, naming every member as a validator with
// its VRF key, into each home.
func writeGenesis(homes []string, opts InitOptions, members []*member) (*types.GenesisDoc, error) {
	seed := make([]byte, 32)
	if _, err := rand.Read(seed); err != nil {
		return nil, err
	}
	params := protocol.DefaultParams()
	// A chain made by init or testnet without explicit parameters keeps a
	// fixed validator set: a review found that a validator's stake unlocks
	// after a number of blocks only, while evidence and light clients
	// trust for a time, and that genesis power has no stake behind it
	// (docs/CHAIN.md, "Before turning staking on"; the halt one
	// CreateValidator could buy is fixed). The devnet and localnet turn it
	// on (DevnetParams), as does a genesis that sets its params.
	params.ValidatorParams = nil
	if opts.Params != nil {
		params = *opts.Params
	}
	app := protocol.Genesis{Params: params, BeaconSeed: seed, Accounts: opts.Accounts}
	var mods *challengeModules
	if opts.ChallengeProgram != "" {
		var err error
		if mods, err = withChallenges(&app, opts.ChallengeProgram); err != nil {
			return nil, err
		}
	}
	var vals []types.GenesisValidator
	for _, m := range members {
		app.Validators = append(app.Validators, protocol.GenesisValidator{
			Name: m.moniker, Address: protocol.HexBytes(m.pv.Key.Address), VRFPublicKey: m.vrf.Public})
		vals = append(vals, types.GenesisValidator{Address: m.pv.Key.Address, PubKey: m.pv.Key.PubKey, Power: 10, Name: m.moniker})
	}
	if err := app.Validate(); err != nil {
		return nil, err
	}
	appState, err := json.MarshalIndent(app, "", "  ")
	if err != nil {
		return nil, err
	}
	chainID := opts.ChainID
	if chainID == "" {
		chainID = "provernet-local"
	}
	// block.max_bytes -1: CometBFT hands every pending transaction to
	// PrepareProposal, which orders them (protocol-critical messages first,
	// docs/SECURITY.md "Block stuffing") and caps the block itself
	// (chain.MaxProposalTxBytes); with a positive limit CometBFT would reap
	// in arrival order first, and a block's worth of spam ahead of an
	// Accept would keep it out.
	cp := types.DefaultConsensusParams()
	cp.Block.MaxBytes = -1
	fitEvidenceAge(cp, params)
	g := &types.GenesisDoc{
		ChainID:         chainID,
		GenesisTime:     time.Now().UTC().Truncate(time.Second),
		InitialHeight:   1,
		ConsensusParams: cp,
		Validators:      vals,
		AppState:        appState,
	}
	if err := g.ValidateAndComplete(); err != nil {
		return nil, fmt.Errorf("invalid genesis: %w", err)
	}
	for _, home := range homes {
		if mods != nil {
			if err := mods.install(home, DefaultConfig().Blobs.MaxSize); err != nil {
				return nil, err
			}
		}
		if err := g.SaveAs(GenesisFile(home)); err != nil {
			return nil, fmt.Errorf("failed to write genesis: %w", err)
		}
	}
	return g, nil
}

// fitEvidenceAge shortens CometBFT's evidence window to a chain whose
// validator stake unlocks sooner than CometBFT's default of 100,000
// blocks (the devnet's 100): the app refuses a genesis whose cooldown is
// shorter than max_age_num_blocks (chain.checkStakingConsensus), since a
// double signer could withdraw before its evidence landed. The duration
// bound is cut to one second a block, so that neither bound keeps old
// evidence alive past the cooldown on a chain of one-second blocks or
// slower.
func fitEvidenceAge(cp *types.ConsensusParams, p protocol.Params) {
	vp, ok := p.Validators()
	if !ok || vp.ValidatorUnbondCooldown >= cp.Evidence.MaxAgeNumBlocks {
		return
	}
	cp.Evidence.MaxAgeNumBlocks = vp.ValidatorUnbondCooldown
	cp.Evidence.MaxAgeDuration = time.Duration(vp.ValidatorUnbondCooldown) * time.Second
}
