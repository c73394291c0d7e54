package prover

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"

	abci "github.com/cometbft/cometbft/abci/types"
	rpchttp "github.com/cometbft/cometbft/rpc/client/http"
	"google.golang.org/protobuf/proto"

	"github.com/provernet/provernet/internal/protocol"
	"github.com/provernet/provernet/wire/pb"
)

// chain is what the daemon reads from and sends to a node, over its
// CometBFT RPC: heights, block events, state queries and broadcasts.
type chain struct {
	rpc *rpchttp.HTTP
}

// errNotFound is a query for something the chain does not have.
var errNotFound = errors.New("not found")

func dialChain(addr string) (*chain, error) {
	c, err := rpchttp.New(addr)
	if err != nil {
		return nil, fmt.Errorf("failed to reach node RPC %s: %w", addr, err)
	}
	return &chain{rpc: c}, nil
}

func (c *chain) height(ctx context.Context) (int64, string, error) {
	h, network, _, err := c.status(ctx)
	return h, network, err
}

// status is the node's height, its chain id, and whether it is still
// catching up (block or state sync): such a node refuses transactions.
func (c *chain) status(ctx context.Context) (int64, string, bool, error) {
	st, err := c.rpc.Status(ctx)
	if err != nil {
		return 0, "", false, err
	}
	return st.SyncInfo.LatestBlockHeight, st.NodeInfo.Network, st.SyncInfo.CatchingUp, nil
}

// events returns every event of block h: the block's own (allocation,
// windows closing) then each transaction's, in order.
func (c *chain) events(ctx context.Context, h int64) ([]abci.Event, error) {
	res, err := c.rpc.BlockResults(ctx, &h)
	if err != nil {
		return nil, fmt.Errorf("block results %d: %w", h, err)
	}
	evs := append([]abci.Event{}, res.FinalizeBlockEvents...)
	for _, tx := range res.TxResults {
		if tx.Code == 0 {
			evs = append(evs, tx.Events...)
		}
	}
	return evs, nil
}

func (c *chain) query(ctx context.Context, path string, data []byte) ([]byte, error) {
	res, err := c.rpc.ABCIQuery(ctx, path, data)
	if err != nil {
		return nil, fmt.Errorf("query %s: %w", path, err)
	}
	switch res.Response.Code {
	case 0:
		return res.Response.Value, nil
	case 1:
		return nil, fmt.Errorf("query %s: %w: %s", path, errNotFound, res.Response.Log)
	}
	return nil, fmt.Errorf("query %s: %s", path, res.Response.Log)
}

func (c *chain) workload(ctx context.Context, id []byte) (*pb.Workload, error) {
	b, err := c.query(ctx, "/workload", id)
	if err != nil {
		return nil, err
	}
	var w pb.Workload
	return &w, proto.Unmarshal(b, &w)
}

func (c *chain) sealed(ctx context.Context, id []byte, slot uint32) ([]byte, error) {
	return c.query(ctx, "/result", binary.BigEndian.AppendUint32(append([]byte{}, id...), slot))
}

func (c *chain) program(ctx context.Context, id []byte) (*pb.Program, error) {
	b, err := c.query(ctx, "/program", id)
	if err != nil {
		return nil, err
	}
	var p pb.Program
	return &p, proto.Unmarshal(b, &p)
}

// beacon returns the beacon seed set by block height.
func (c *chain) beacon(ctx context.Context, height int64) ([]byte, error) {
	b, err := c.query(ctx, "/beacon", binary.BigEndian.AppendUint64(nil, uint64(height)))
	if err != nil {
		return nil, err
	}
	var e pb.BeaconEntry
	if err := proto.Unmarshal(b, &e); err != nil {
		return nil, err
	}
	return e.Seed, nil
}

func (c *chain) prover(ctx context.Context, addr []byte) (*pb.Prover, error) {
	b, err := c.query(ctx, "/prover", addr)
	if err != nil {
		return nil, err
	}
	var p pb.Prover
	return &p, proto.Unmarshal(b, &p)
}

func (c *chain) account(ctx context.Context, addr []byte) (*pb.Account, error) {
	b, err := c.query(ctx, "/account", addr)
	if err != nil {
		return nil, err
	}
	var a pb.Account
	return &a, proto.Unmarshal(b, &a)
}

func (c *chain) params(ctx context.Context) (protocol.Params, error) {
	var p protocol.Params
	b, err := c.query(ctx, "/params", nil)
	if err != nil {
		return p, err
	}
	return p, json.Unmarshal(b, &p)
}

// broadcast sends a signed transaction and returns CheckTx's verdict.
func (c *chain) broadcast(ctx context.Context, raw []byte) (uint32, string, error) {
	res, err := c.rpc.BroadcastTxSync(ctx, raw)
	if err != nil {
		return 0, "", err
	}
	return res.Code, res.Log, nil
}
