package chain

import (
	"slices"

	"bytes"
	"context"
	"encoding/json"
	"fmt"
	cmtproto "github.com/cometbft/cometbft/api/cometbft/types/v1"

	abci "github.com/cometbft/cometbft/abci/types"
	"github.com/cometbft/cometbft/crypto/ed25519"
	cryptoenc "github.com/cometbft/cometbft/crypto/encoding"

	"github.com/provernet/provernet/internal/protocol"
	"github.com/provernet/provernet/internal/store"
)

// InitChain writes the genesis state into the working set; block 1 commits
// it together with its own writes.
func (a *App) InitChain(_ context.Context, req *abci.InitChainRequest) (*abci.InitChainResponse, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	var g protocol.Genesis
	dec := json.NewDecoder(bytes.NewReader(req.AppStateBytes))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&g); err != nil {
		return nil, fmt.Errorf("failed to parse app_state of genesis: %w", err)
	}
	if err := checkValidatorsHaveVRF(req.Validators, &g); err != nil {
		return nil, err
	}
	if req.InitialHeight > 1 {
		a.tree.SetInitialVersion(req.InitialHeight) // store versions are block heights
	}
	if err := protocol.InitGenesis(a.tree.Working(), req.ChainId, &g); err != nil {
		return nil, err
	}
	if err := checkStakingConsensus(&g, req.ConsensusParams); err != nil {
		return nil, err
	}
	if err := recordGenesisValidators(a.tree.Working(), &g, req.Validators); err != nil {
		return nil, err
	}
	a.env = protocol.Env{ChainID: req.ChainId, Params: g.Params, Height: req.InitialHeight, Decode: a.txs.decode}
	a.resetCheck(store.NewCache(a.tree.Working()), false)
	return &abci.InitChainResponse{AppHash: a.tree.WorkingHash()}, nil
}

// checkStakingConsensus refuses a genesis whose validator staking
// CometBFT's consensus parameters would break (found in review): a
// validator update of a key type the chain does not take halts it, and a
// stake that unlocks before evidence against it expires escapes its slash.
func checkStakingConsensus(g *protocol.Genesis, cp *cmtproto.ConsensusParams) error {
	vp, ok := g.Params.Validators()
	if !ok || cp == nil {
		return nil
	}
	if v := cp.Validator; v != nil && !slices.Contains(v.PubKeyTypes, ed25519.KeyType) {
		return fmt.Errorf("validator staking sends ed25519 validator updates, and consensus_params.validator.pub_key_types %v lacks ed25519", v.PubKeyTypes)
	}
	if e := cp.Evidence; e != nil && vp.ValidatorUnbondCooldown < e.MaxAgeNumBlocks {
		return fmt.Errorf("validator_unbond_cooldown %d is shorter than consensus_params.evidence.max_age_num_blocks %d: a double signer would withdraw before its evidence lands",
			vp.ValidatorUnbondCooldown, e.MaxAgeNumBlocks)
	}
	return nil
}

// recordGenesisValidators gives the genesis validators records when the
// genesis turns validator staking on (issue 19); it writes nothing
// otherwise, so older genesis files keep their app hash.
func recordGenesisValidators(kv store.KV, g *protocol.Genesis, vals []abci.ValidatorUpdate) error {
	if _, ok := g.Params.Validators(); !ok {
		return nil
	}
	powers := make([]protocol.GenesisPower, len(vals))
	for i, v := range vals {
		if v.PubKeyType != ed25519.KeyType {
			return fmt.Errorf("genesis validator key type %q: validator staking takes ed25519 keys only", v.PubKeyType)
		}
		powers[i] = protocol.GenesisPower{PubKey: v.PubKeyBytes, Power: v.Power}
	}
	return protocol.RecordGenesisValidators(kv, g, powers)
}

// checkValidatorsHaveVRF refuses a genesis in which a validator could not
// produce a beacon (every block it proposed would be rejected).
func checkValidatorsHaveVRF(vals []abci.ValidatorUpdate, g *protocol.Genesis) error {
	for _, v := range vals {
		pk, err := cryptoenc.PubKeyFromTypeAndBytes(v.PubKeyType, v.PubKeyBytes)
		if err != nil {
			return fmt.Errorf("genesis validator key: %w", err)
		}
		found := false
		for _, gv := range g.Validators {
			found = found || bytes.Equal(gv.Address, pk.Address())
		}
		if !found {
			return fmt.Errorf("genesis validator %X has no VRF key in app_state.validators", pk.Address())
		}
	}
	return nil
}
