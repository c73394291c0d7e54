package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	cmted25519 "github.com/cometbft/cometbft/crypto/ed25519"
	cmtbytes "github.com/cometbft/cometbft/libs/bytes"
	rpcclient "github.com/cometbft/cometbft/rpc/client"
	ctypes "github.com/cometbft/cometbft/rpc/core/types"
	"github.com/cometbft/cometbft/types"

	"github.com/provernet/provernet/internal/chain"
	"github.com/provernet/provernet/internal/protocol"
	"github.com/provernet/provernet/internal/store/iavltree"
	"github.com/provernet/provernet/internal/vrf"
)

// appBackend is a Backend over a real chain.App with one committed block,
// without CometBFT: queries and broadcasts reach the app's own Query and
// CheckTx, so the API's inputs are checked all the way down. Methods the
// API does not use are left nil (calling one panics, and a fuzz target
// reports it).
type appBackend struct {
	Backend
	app *chain.App
}

func newAppBackend(t testing.TB) *appBackend {
	t.Helper()
	val := cmted25519.GenPrivKeyFromSecret([]byte("httpapi fuzz validator"))
	secret, public, err := vrf.GenerateKey(bytes.NewReader(bytes.Repeat([]byte{7}, vrf.SecretKeySize)))
	if err != nil {
		t.Fatal(err)
	}
	app, err := chain.New(chain.Options{Store: iavltree.OpenMemory(), ValidatorAddress: val.PubKey().Address(), VRFSecret: secret})
	if err != nil {
		t.Fatal(err)
	}
	g, _ := json.Marshal(protocol.Genesis{Params: protocol.DefaultParams(), BeaconSeed: bytes.Repeat([]byte{1}, 32),
		Validators: []protocol.GenesisValidator{{Name: "val", Address: []byte(val.PubKey().Address()), VRFPublicKey: public}}})
	ctx := context.Background()
	if _, err := app.InitChain(ctx, &abci.InitChainRequest{ChainId: "fuzz", InitialHeight: 1, Time: time.Unix(1, 0),
		Validators:    []abci.ValidatorUpdate{{PubKeyType: cmted25519.KeyType, PubKeyBytes: val.PubKey().Bytes(), Power: 1}},
		AppStateBytes: g}); err != nil {
		t.Fatal(err)
	}
	prop, err := app.PrepareProposal(ctx, &abci.PrepareProposalRequest{MaxTxBytes: 1 << 20, Height: 1, ProposerAddress: val.PubKey().Address()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := app.FinalizeBlock(ctx, &abci.FinalizeBlockRequest{Txs: prop.Txs, Height: 1, ProposerAddress: val.PubKey().Address()}); err != nil {
		t.Fatal(err)
	}
	if _, err := app.Commit(ctx, &abci.CommitRequest{}); err != nil {
		t.Fatal(err)
	}
	return &appBackend{app: app}
}

func (b *appBackend) ABCIQuery(ctx context.Context, path string, data cmtbytes.HexBytes) (*ctypes.ResultABCIQuery, error) {
	resp, err := b.app.Query(ctx, &abci.QueryRequest{Path: path, Data: data})
	if err != nil {
		return nil, err
	}
	return &ctypes.ResultABCIQuery{Response: *resp}, nil
}

func (b *appBackend) BroadcastTxSync(ctx context.Context, tx types.Tx) (*ctypes.ResultBroadcastTx, error) {
	resp, err := b.app.CheckTx(ctx, &abci.CheckTxRequest{Tx: tx, Type: abci.CHECK_TX_TYPE_CHECK})
	if err != nil {
		return nil, err
	}
	return &ctypes.ResultBroadcastTx{Code: resp.Code, Log: resp.Log, Codespace: resp.Codespace, Hash: tx.Hash()}, nil
}

func (b *appBackend) Status(context.Context) (*ctypes.ResultStatus, error) {
	st := &ctypes.ResultStatus{}
	st.SyncInfo.LatestBlockHeight = 1
	return st, nil
}

func (b *appBackend) ABCIInfo(ctx context.Context) (*ctypes.ResultABCIInfo, error) {
	resp, err := b.app.Info(ctx, &abci.InfoRequest{})
	if err != nil {
		return nil, err
	}
	return &ctypes.ResultABCIInfo{Response: *resp}, nil
}

func (b *appBackend) Block(_ context.Context, height *int64) (*ctypes.ResultBlock, error) {
	if height != nil && *height != 1 {
		return nil, errors.New("height must be less than or equal to the current blockchain height")
	}
	return &ctypes.ResultBlock{Block: &types.Block{Header: types.Header{Height: 1}}}, nil
}

func (b *appBackend) Tx(context.Context, []byte, bool) (*ctypes.ResultTx, error) {
	return nil, errors.New("tx not found")
}

func (b *appBackend) ABCIQueryWithOptions(ctx context.Context, path string, data cmtbytes.HexBytes, o rpcclient.ABCIQueryOptions) (*ctypes.ResultABCIQuery, error) {
	resp, err := b.app.Query(ctx, &abci.QueryRequest{Path: path, Data: data, Height: o.Height, Prove: o.Prove})
	if err != nil {
		return nil, err
	}
	return &ctypes.ResultABCIQuery{Response: *resp}, nil
}

// Commit and Validators: the fake has no consensus, so no light blocks.
func (b *appBackend) Commit(context.Context, *int64) (*ctypes.ResultCommit, error) {
	return nil, errors.New("height must be less than or equal to the current blockchain height")
}

func (b *appBackend) Validators(context.Context, *int64, *int, *int) (*ctypes.ResultValidators, error) {
	return nil, errors.New("height must be less than or equal to the current blockchain height")
}

// The app keeps no index of its own: every search finds nothing, and the
// one block has no events.
func (b *appBackend) TxSearch(context.Context, string, bool, *int, *int, string) (*ctypes.ResultTxSearch, error) {
	return &ctypes.ResultTxSearch{}, nil
}

func (b *appBackend) BlockSearch(context.Context, string, *int, *int, string) (*ctypes.ResultBlockSearch, error) {
	return &ctypes.ResultBlockSearch{}, nil
}

func (b *appBackend) BlockResults(_ context.Context, height *int64) (*ctypes.ResultBlockResults, error) {
	if height == nil || *height != 1 {
		return nil, errors.New("height must be less than or equal to the current blockchain height")
	}
	return &ctypes.ResultBlockResults{Height: 1}, nil
}
