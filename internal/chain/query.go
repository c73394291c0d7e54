package chain

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"

	abci "github.com/cometbft/cometbft/abci/types"
	cmtcrypto "github.com/cometbft/cometbft/api/cometbft/crypto/v1"

	"google.golang.org/protobuf/proto"

	"github.com/provernet/provernet/internal/alloc"
	"github.com/provernet/provernet/internal/protocol"
	"github.com/provernet/provernet/internal/store"
	"github.com/provernet/provernet/internal/store/iavltree"
	"github.com/provernet/provernet/wire/address"
	"github.com/provernet/provernet/wire/pb"
)

// Query paths. Values are the protobuf records of wire/pb (params are
// JSON); with prove=true a key-value query carries an ICS-23 proof against
// the app hash of the block at Height+1's header.
const (
	PathAccount  = "/account" // data: 20-byte address
	PathBeacon   = "/beacon"  // data: 8-byte big-endian height, empty for the latest
	PathParams   = "/params"
	PathSupply   = "/supply"
	PathProgram  = "/program"  // data: the 32-byte program id
	PathPrograms = "/programs" // data: a ListRequest; value: a page of a ProgramList, id order
	PathProver   = "/prover"   // data: the 20-byte address
	PathProvers  = "/provers"  // data: a ListRequest; value: a page of a ProverList, address order
	// PathValidators (issue 19): data: a ListRequest; value: a page of a
	// ValidatorList, consensus address order (bonded, unbonding and jailed).
	PathValidators = "/validators"

	PathWorkload   = "/workload"   // data: the 32-byte workload id; unproven answers show running votes in their slots
	PathWorkloads  = "/workloads"  // data: a ListRequest (or a bare 20-byte owner); value: a page of a WorkloadList, newest first
	PathPending    = "/pending"    // data: the 32-byte workload id; value: JSON []PendingResult, newest first
	PathResult     = "/result"     // data: workload id || 4-byte big-endian slot; value: the sealed age file
	PathFee        = "/fee"        // data: a Run (program, cycles, provers); value: a FeeQuote
	PathAllocation = "/allocation" // data: the 32-byte workload id; value: an AllocationAnswer (JSON)
	PathTree       = "/tree"       // data: the 32-byte tree id; value: the Tree, its nodes and kept proofs (issue 16)
)

// MaxWorkloadList is the page size of a /workloads query in the older
// form (empty data or a bare owner): the newest 1000.
const MaxWorkloadList = MaxPage

// Query codes, distinct from transaction codes.
const (
	QueryOK         uint32 = 0
	QueryNotFound   uint32 = 1
	QueryBadRequest uint32 = 2
	QueryNoState    uint32 = 3
	QueryBusy       uint32 = 4 // retry later: the node bounds how many of this query run at once
)

// ProofOpType names the proof operation a proven query returns.
const ProofOpType = "ics23:iavl"

// Query answers read-only questions about committed state.
// It takes no block lock: it reads committed versions only, sharing
// treeMu with CheckTx (see App).
func (a *App) Query(_ context.Context, req *abci.QueryRequest) (*abci.QueryResponse, error) {
	if req.Path == PathAllocation { // the one query that reads every prover
		select {
		case a.allocations <- struct{}{}:
			defer func() { <-a.allocations }()
		default:
			return &abci.QueryResponse{Code: QueryBusy, Log: "the node is recomputing another allocation; retry in a moment"}, nil
		}
	}
	if req.Path != PathPending { // /pending reads the tx cache, not the tree
		a.treeMu.RLock()
		defer a.treeMu.RUnlock()
	}
	snap, err := a.snapshotAt(req.Height)
	if err != nil {
		return &abci.QueryResponse{Code: QueryNoState, Log: err.Error(), Height: req.Height}, nil
	}
	var resp *abci.QueryResponse
	switch req.Path {
	case PathAllocation:
		resp, err = a.allocation(snap, req.Data)
	case PathWorkloads:
		resp, err = a.listWorkloads(snap, req.Data)
	case PathPending:
		resp, err = a.pendingResults(snap, req.Data)
	case PathBeacon:
		snap = a.beaconSnapshot(snap, req.Data)
		resp, err = query(snap, req)
	default:
		resp, err = query(snap, req)
	}
	if err != nil {
		code := QueryBadRequest
		switch {
		case errors.Is(err, store.ErrNotFound):
			code = QueryNotFound
		case errors.Is(err, errNoState):
			code = QueryNoState
		}
		return &abci.QueryResponse{Code: code, Log: err.Error(), Height: snap.Version()}, nil
	}
	resp.Height = snap.Version()
	return resp, nil
}

// beaconSnapshot is the state a /beacon query for the height data names
// reads: snap, which keeps the newest protocol.BeaconHistory entries
// (beacon.go), or for an older entry the state version of its own height,
// if this node keeps it (else snap, which answers not found).
func (a *App) beaconSnapshot(snap *iavltree.Snapshot, data []byte) *iavltree.Snapshot {
	if len(data) != 8 {
		return snap
	}
	h := int64(binary.BigEndian.Uint64(data))
	if h <= 0 || h >= snap.Version() {
		return snap
	}
	if _, err := protocol.GetBeacon(snap, h); !errors.Is(err, store.ErrNotFound) {
		return snap
	}
	if old, err := a.snapshotAt(h); err == nil {
		return old
	}
	return snap
}

// beaconAt reads the beacon entry of height h as beaconSnapshot finds it.
func (a *App) beaconAt(snap *iavltree.Snapshot, h int64) (*pb.BeaconEntry, error) {
	return protocol.GetBeacon(a.beaconSnapshot(snap, binary.BigEndian.AppendUint64(nil, uint64(h))), h)
}

func (a *App) snapshotAt(height int64) (*iavltree.Snapshot, error) {
	committed := a.committed.Load()
	if committed == nil {
		return nil, errors.New("no committed state yet")
	}
	if height == 0 || height == committed.Version() {
		return committed, nil
	}
	return a.tree.At(height)
}

func query(snap *iavltree.Snapshot, req *abci.QueryRequest) (*abci.QueryResponse, error) {
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
		return listPrograms(snap, req.Data)
	case PathProver:
		addr, err := address.FromBytes(req.Data)
		if err != nil {
			return nil, err
		}
		if req.Prove {
			return provenRecord(snap, append(protocol.ProverPrefix(), addr[:]...), "prover "+addr.String())
		}
		if _, err := protocol.GetProver(snap, addr); err != nil {
			return nil, err
		}
		return keyValue(snap, append(protocol.ProverPrefix(), addr[:]...), false)
	case PathProvers:
		return listProvers(snap, req.Data)
	case PathValidators: // issue 19
		return listValidators(snap, req.Data)
	case PathWorkload:
		if err := workloadID(req.Data); err != nil {
			return nil, err
		}
		if req.Prove { // the stored record, proven; running votes live in ballots
			return provenRecord(snap, protocol.WorkloadKey(req.Data), fmt.Sprintf("workload %x", req.Data))
		}
		w, err := protocol.WorkloadView(snap, req.Data)
		if err != nil {
			return nil, err
		}
		b, err := proto.Marshal(w)
		if err != nil {
			return nil, err
		}
		return &abci.QueryResponse{Key: protocol.WorkloadKey(req.Data), Value: b}, nil
	case PathResult:
		return sealedResult(snap, req.Data)
	case PathFee:
		return feeQuote(snap, req.Data)
	case PathAsks: // issue 17
		return asks(snap, req.Data)
	case PathMarket:
		return market(snap, req.Data)
	case PathReputation:
		return reputation(snap, req.Data)
	case PathPool:
		return pool(snap, req.Data)
	case PathTree: // issue 16
		if len(req.Data) != 32 {
			return nil, fmt.Errorf("a tree id is 32 bytes, got %d", len(req.Data))
		}
		if req.Prove {
			return provenRecord(snap, protocol.TreeKey(req.Data), fmt.Sprintf("tree %x", req.Data))
		}
		t, err := protocol.TreeView(snap, req.Data) // pending proofs' committees filled in
		if err != nil {
			return nil, err
		}
		b, err := proto.Marshal(t)
		return &abci.QueryResponse{Value: b}, err
	case PathTreeInputs:
		return treeInputs(snap, req.Data)
	case PathTreeProof:
		return treeProof(snap, req.Data)
	default:
		return nil, fmt.Errorf("unknown query path %q", req.Path)
	}
}

func keyValue(snap *iavltree.Snapshot, key []byte, prove bool) (*abci.QueryResponse, error) {
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

// provenRecord answers a proven query of one record: its value and proof,
// or, for an absent key, QueryNotFound carrying the proof of its absence
// (a client need not trust a "not found" either).
func provenRecord(snap *iavltree.Snapshot, key []byte, what string) (*abci.QueryResponse, error) {
	resp, err := keyValue(snap, key, true)
	if err != nil {
		return nil, err
	}
	if resp.Value == nil {
		resp.Code, resp.Log = QueryNotFound, what+" not found (the proof shows its absence)"
	}
	return resp, nil
}

func listResponse(list proto.Message, err error) (*abci.QueryResponse, error) {
	if err != nil {
		return nil, err
	}
	b, err := proto.Marshal(list)
	return &abci.QueryResponse{Value: b}, err
}

// errNoState marks an answer that needs a version of the state the node no
// longer keeps (QueryNoState).
var errNoState = errors.New("state not kept")

func workloadID(id []byte) error {
	if len(id) != 32 {
		return fmt.Errorf("a workload id is 32 bytes, got %d", len(id))
	}
	return nil
}

// sealedResult answers with the age file submitted for one slot.
func sealedResult(snap *iavltree.Snapshot, data []byte) (*abci.QueryResponse, error) {
	if len(data) != 36 {
		return nil, fmt.Errorf("result query data is the 32-byte workload id and a 4-byte big-endian slot, got %d bytes", len(data))
	}
	id, slot := data[:32], binary.BigEndian.Uint32(data[32:])
	w, err := protocol.GetWorkload(snap, id)
	if err != nil {
		return nil, err
	}
	if int(slot) >= len(w.Slots) {
		if w.State == pb.WorkloadState_WORKLOAD_STATE_PENDING {
			return nil, fmt.Errorf("workload %x is pending: its slots exist once it is allocated at height %d: %w", id, w.Height+1, store.ErrNotFound)
		}
		return nil, fmt.Errorf("workload %x has %d slots; there is no slot %d", id, len(w.Slots), slot)
	}
	file, err := protocol.SealedFile(snap, id, slot)
	if err != nil {
		return nil, err
	}
	if file == nil {
		return nil, fmt.Errorf("slot %d of workload %x has no sealed result (it is %s): %w",
			slot, id, protocol.SlotStateName(w.Slots[slot].State), store.ErrNotFound)
	}
	return &abci.QueryResponse{Value: file}, nil
}

// feeQuote answers what a Run of the program, cycles and provers in data
// (an encoded pb.Run) would cost, with the checks Run itself makes on them.
// A market Run's quote (a Run with a market order) is its escrow at
// max_price and the asks it would match now (marketFeeQuote).
func feeQuote(snap *iavltree.Snapshot, data []byte) (*abci.QueryResponse, error) {
	var m pb.Run
	if err := proto.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("fee query data must be an encoded Run: %w", err)
	}
	if len(m.Program) != 32 {
		return nil, fmt.Errorf("a program id is 32 bytes, got %d", len(m.Program))
	}
	params, err := protocol.GetParams(snap)
	if err != nil {
		return nil, err
	}
	prog, err := protocol.GetProgram(snap, m.Program)
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("no program %x is deployed", m.Program)
	} else if err != nil {
		return nil, err
	}
	switch {
	case prog.Prover == nil:
		return nil, fmt.Errorf("program %s (%x) is verifier-only and cannot be run", prog.Name, prog.Id)
	case m.Cycles == 0:
		return nil, errors.New("cycles must be positive")
	case m.Provers == 0 || m.Provers > params.MaxProversPerWorkload:
		return nil, fmt.Errorf("provers (k) is %d; it must be 1..%d (max_provers_per_workload)", m.Provers, params.MaxProversPerWorkload)
	}
	if m.Market != nil { // issue 17
		return marketFeeQuote(snap, params, prog, &m)
	}
	q, err := protocol.Quote(params, prog, m.Cycles, m.Provers)
	if err != nil {
		return nil, fmt.Errorf("no quote for %d provers x %d cycles of %s: %w", m.Provers, m.Cycles, prog.Name, err)
	}
	return listResponse(q, nil)
}

// AllocationAnswer is the /allocation query's answer: the allocation of a
// workload recomputed from the state it read (the state after
// Explanation.Height-1 and the beacon seed of that height) beside what the
// chain recorded in the workload's slots.
type AllocationAnswer struct {
	Seed        []byte            `json:"seed"`
	Explanation alloc.Explanation `json:"explanation"`
	Slots       []AllocationSlot  `json:"slots"`
	// Agrees: slot i was allocated to the i-th prover the recomputation
	// drew, and the slots past the draw to nobody.
	Agrees bool `json:"agrees"`
	// Mechanism is set for a market Run (market, cheapest), whose Market
	// says how it was matched; Explanation then holds only its workload,
	// height, k and the provers taken (Assignment).
	Mechanism string                  `json:"mechanism,omitempty"`
	Market    *alloc.MatchExplanation `json:"market,omitempty"`
}

// AllocationSlot is one slot as the chain records it now.
type AllocationSlot struct {
	Index       uint32 `json:"index"`
	AllocatedTo []byte `json:"allocated_to"` // empty: no prover was eligible
	Prover      []byte `json:"prover"`       // who holds or filled it now
	State       string `json:"state"`
}

// allocation answers the /allocation query. It recomputes the draw from
// the version of the state the allocation read, so it needs the App.
func (a *App) allocation(snap *iavltree.Snapshot, id []byte) (*abci.QueryResponse, error) {
	if err := workloadID(id); err != nil {
		return nil, err
	}
	w, err := protocol.GetWorkload(snap, id)
	if err != nil {
		return nil, err
	}
	if w.Market != nil { // issue 17
		return a.marketAllocation(snap, w)
	}
	h := w.AllocatedHeight
	switch {
	case w.Challenge:
		return nil, fmt.Errorf("workload %x is a challenge: the chain assigned it at height %d to the prover it tests; nothing was drawn", id, h)
	case h == 0:
		return nil, fmt.Errorf("workload %x is pending: it is allocated at height %d, the block after its inclusion: %w", id, w.Height+1, store.ErrNotFound)
	case h < 2:
		return nil, fmt.Errorf("workload %x was allocated at height %d, before any committed state: %w", id, h, errNoState)
	}
	before, err := a.snapshotAt(h - 1)
	if err != nil {
		return nil, fmt.Errorf("the state at height %d, which the allocation of %x read, is not kept: %v: %w", h-1, id, err, errNoState)
	}
	beacon, err := a.beaconAt(snap, h)
	if err != nil {
		return nil, err
	}
	provers, workloads, err := protocol.AllocationInput(before, h)
	if err != nil {
		return nil, err
	}
	e := alloc.Explain(beacon.Seed, h, provers, workloads, [32]byte(id))
	if !e.Found {
		return nil, fmt.Errorf("workload %x is not among the %d Runs queued for allocation at height %d", id, len(workloads), h)
	}
	ans := AllocationAnswer{Seed: beacon.Seed, Explanation: e, Slots: make([]AllocationSlot, 0, len(w.Slots)), Agrees: true}
	drawn := e.Assignment.Provers
	if len(drawn) > len(w.Slots) {
		ans.Agrees = false
	}
	for i, s := range w.Slots {
		ans.Slots = append(ans.Slots, AllocationSlot{Index: s.Index, AllocatedTo: s.AllocatedTo, Prover: s.Prover, State: protocol.SlotStateName(s.State)})
		var want []byte
		if i < len(drawn) {
			want = drawn[i][:]
		}
		if !bytes.Equal(s.AllocatedTo, want) {
			ans.Agrees = false
		}
	}
	b, err := json.Marshal(ans)
	return &abci.QueryResponse{Value: b}, err
}
