package chain

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	abci "github.com/cometbft/cometbft/abci/types"
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
	a.env = protocol.Env{ChainID: req.ChainId, Params: g.Params, Height: req.InitialHeight, Decode: a.txs.decode}
	a.resetCheck(store.NewCache(a.tree.Working()), false)
	return &abci.InitChainResponse{AppHash: a.tree.WorkingHash()}, nil
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
