package chain

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"

	abci "github.com/cometbft/cometbft/abci/types"
	cmtcrypto "github.com/cometbft/cometbft/api/cometbft/crypto/v1"

	"google.golang.org/protobuf/proto"

	"github.com/provernet/provernet/internal/address"
	"github.com/provernet/provernet/internal/pb"
	"github.com/provernet/provernet/internal/protocol"
	"github.com/provernet/provernet/internal/store"
)

// Query paths. Values are the protobuf records of internal/pb (params are
// JSON); with prove=true a key-value query carries an ICS-23 proof against
// the app hash of the block at Height+1's header.
const (
	PathAccount  = "/account" // data: 20-byte address
	PathBeacon   = "/beacon"  // data: 8-byte big-endian height, empty for the latest
	PathParams   = "/params"
	PathSupply   = "/supply"
	PathProgram  = "/program"  // data: the 32-byte program id
	PathPrograms = "/programs" // value: a ProgramList of every program
	PathProver   = "/prover"   // data: the 20-byte address
	PathProvers  = "/provers"  // value: a ProverList of every prover
)

// Query codes, distinct from transaction codes.
const (
	QueryOK         uint32 = 0
	QueryNotFound   uint32 = 1
	QueryBadRequest uint32 = 2
	QueryNoState    uint32 = 3
)

// ProofOpType names the proof operation a proven query returns.
const ProofOpType = "ics23:iavl"

// Query answers read-only questions about committed state.
func (a *App) Query(_ context.Context, req *abci.QueryRequest) (*abci.QueryResponse, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	snap, err := a.snapshotAt(req.Height)
	if err != nil {
		return &abci.QueryResponse{Code: QueryNoState, Log: err.Error(), Height: req.Height}, nil
	}
	resp, err := query(snap, req)
	if err != nil {
		code := QueryBadRequest
		if errors.Is(err, store.ErrNotFound) {
			code = QueryNotFound
		}
		return &abci.QueryResponse{Code: code, Log: err.Error(), Height: snap.Version()}, nil
	}
	resp.Height = snap.Version()
	return resp, nil
}

func (a *App) snapshotAt(height int64) (*store.Snapshot, error) {
	if a.committed == nil {
		return nil, errors.New("no committed state yet")
	}
	if height == 0 || height == a.committed.Version() {
		return a.committed, nil
	}
	return a.tree.At(height)
}

func query(snap *store.Snapshot, req *abci.QueryRequest) (*abci.QueryResponse, error) {
	switch req.Path {
	case PathAccount:
		addr, err := address.FromBytes(req.Data)
		if err != nil {
			return nil, err
		}
		return keyValue(snap, protocol.AccountKey(addr), req.Prove)
	case PathBeacon:
		h := snap.Version()
		if len(req.Data) == 8 {
			h = int64(binary.BigEndian.Uint64(req.Data))
		} else if len(req.Data) != 0 {
			return nil, fmt.Errorf("beacon query data must be empty or an 8-byte height, got %d bytes", len(req.Data))
		}
		if _, err := protocol.GetBeacon(snap, h); err != nil {
			return nil, err
		}
		return keyValue(snap, protocol.BeaconKey(h), req.Prove)
	case PathParams:
		p, err := protocol.GetParams(snap)
		if err != nil {
			return nil, err
		}
		b, err := json.Marshal(p)
		return &abci.QueryResponse{Value: b}, err
	case PathSupply:
		return keyValue(snap, protocol.SupplyKey(), req.Prove)
	case PathProgram:
		if _, err := protocol.GetProgram(snap, req.Data); err != nil {
			return nil, err
		}
		return keyValue(snap, protocol.ProgramKey(req.Data), req.Prove)
	case PathPrograms:
		return listPrograms(snap)
	case PathProver:
		addr, err := address.FromBytes(req.Data)
		if err != nil {
			return nil, err
		}
		if _, err := protocol.GetProver(snap, addr); err != nil {
			return nil, err
		}
		return keyValue(snap, append(protocol.ProverPrefix(), addr[:]...), req.Prove)
	case PathProvers:
		return listProvers(snap)
	default:
		return nil, fmt.Errorf("unknown query path %q", req.Path)
	}
}

func keyValue(snap *store.Snapshot, key []byte, prove bool) (*abci.QueryResponse, error) {
	v, err := snap.Get(key)
	if err != nil {
		return nil, err
	}
	resp := &abci.QueryResponse{Key: key, Value: v}
	if !prove {
		return resp, nil
	}
	proof, err := snap.Prove(key)
	if err != nil {
		return nil, fmt.Errorf("failed to prove %q: %w", key, err)
	}
	data, err := proof.Marshal()
	if err != nil {
		return nil, err
	}
	resp.ProofOps = &cmtcrypto.ProofOps{Ops: []cmtcrypto.ProofOp{{Type: ProofOpType, Key: key, Data: data}}}
	return resp, nil
}

// listPrograms answers with every deployed program, in id order.
func listPrograms(snap *store.Snapshot) (*abci.QueryResponse, error) {
	var list pb.ProgramList
	err := protocol.Scan(snap, protocol.ProgramPrefix(), func(p *pb.Program) bool {
		list.Programs = append(list.Programs, p)
		return true
	})
	return listResponse(&list, err)
}

// listProvers answers with every registered prover, in address order.
func listProvers(snap *store.Snapshot) (*abci.QueryResponse, error) {
	var list pb.ProverList
	err := protocol.Scan(snap, protocol.ProverPrefix(), func(p *pb.Prover) bool {
		list.Provers = append(list.Provers, p)
		return true
	})
	return listResponse(&list, err)
}

func listResponse(list proto.Message, err error) (*abci.QueryResponse, error) {
	if err != nil {
		return nil, err
	}
	b, err := proto.Marshal(list)
	return &abci.QueryResponse{Value: b}, err
}
