package chain

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"

	abci "github.com/cometbft/cometbft/abci/types"
	"google.golang.org/protobuf/proto"

	"github.com/provernet/provernet/internal/protocol"
	"github.com/provernet/provernet/internal/store"
	"github.com/provernet/provernet/internal/store/iavltree"
	"github.com/provernet/provernet/wire/address"
	"github.com/provernet/provernet/wire/pb"
)

// Page sizes of the list queries (/programs, /provers, /workloads).
const (
	DefaultPage = 100  // records in a page when the request names no limit
	MaxPage     = 1000 // the most records one page holds
)

// listMagic starts an encoded ListRequest; it tells one apart from the
// older forms of list query data (empty, or a bare 20-byte owner).
const listMagic = 'L'

// ListRequest is the data of a paginated list query. The answer's value is
// the list (a ProgramList, ProverList or WorkloadList) and its Info the
// cursor of the next page in hex, empty on the last page.
type ListRequest struct {
	// Owner restricts /workloads to one owner's (20 bytes); empty for all.
	Owner []byte
	// Limit is the page size: 0 means DefaultPage, and it is capped at
	// MaxPage.
	Limit uint32
	// After is the cursor a previous page returned (decoded from hex), or
	// empty for the first page.
	After []byte
	// Filter narrows the list (filter.go); a filtered page may be short,
	// or empty, and still have a next cursor.
	Filter Filter
}

// Encode is the query data for r: 'L', the owner's length (one byte), the
// owner, the limit (4 bytes big-endian), then the cursor. With a filter it
// is 'F', the owner's length, the owner, the limit, the cursor's length
// (one byte), the cursor, then the filter (appendFilter).
func (r ListRequest) Encode() []byte {
	magic := byte(listMagic)
	if !r.Filter.empty() {
		magic = filterMagic
	}
	b := append([]byte{magic, byte(len(r.Owner))}, r.Owner...)
	b = binary.BigEndian.AppendUint32(b, r.Limit)
	if magic == listMagic {
		return append(b, r.After...)
	}
	b = append(append(b, byte(len(r.After))), r.After...)
	return appendFilter(b, r.Filter)
}

// decodeListRequest reads list query data. Empty data, or (for
// /workloads) a bare 20-byte owner, is the first page of legacyLimit.
func decodeListRequest(data []byte, legacyLimit uint32) (ListRequest, error) {
	switch {
	case len(data) == 0:
		return ListRequest{Limit: legacyLimit}, nil
	case len(data) == address.Size:
		return ListRequest{Owner: data, Limit: legacyLimit}, nil
	case (data[0] != listMagic && data[0] != filterMagic) || len(data) < 2 || len(data) < 2+int(data[1])+4:
		return ListRequest{}, errors.New("list query data must be empty or an encoded ListRequest")
	}
	n := int(data[1])
	r := ListRequest{Owner: data[2 : 2+n], Limit: binary.BigEndian.Uint32(data[2+n:]), After: data[2+n+4:]}
	if data[0] == filterMagic {
		rest := r.After
		if len(rest) < 1 || len(rest) < 1+int(rest[0]) {
			return ListRequest{}, errFilterData
		}
		r.After = rest[1 : 1+int(rest[0])]
		f, err := readFilter(rest[1+int(rest[0]):])
		if err != nil {
			return ListRequest{}, err
		}
		r.Filter = f
	}
	if n != 0 && n != address.Size {
		return r, fmt.Errorf("a list query's owner is %d bytes; want 0 or %d", n, address.Size)
	}
	return r, nil
}

// pageSize is the request's limit with the default and the cap applied.
func (r ListRequest) pageSize() int {
	if r.Limit == 0 {
		return DefaultPage
	}
	return int(min(r.Limit, MaxPage))
}

// pageResponse encodes a page with the cursor of the next one.
func pageResponse(list proto.Message, next []byte) (*abci.QueryResponse, error) {
	b, err := proto.Marshal(list)
	if err != nil {
		return nil, err
	}
	resp := &abci.QueryResponse{Value: b}
	if next != nil {
		resp.Info = hex.EncodeToString(next)
	}
	return resp, nil
}

// scanPage decodes up to limit records under prefix whose keys come after
// prefix||after and that keep (nil: all) keeps, in key order, and returns
// the key suffix of the last one it examined if more remain. It examines
// at most scanBudget(limit) records (reading one more to tell whether any
// remain), so a filtered page may stop short with a cursor.
func scanPage[T any, PT interface {
	*T
	proto.Message
}](snap store.Reader, prefix []byte, r ListRequest, keyLen int, keep func(PT) bool) ([]PT, []byte, error) {
	if len(r.Owner) != 0 {
		return nil, nil, errors.New("only /workloads takes an owner")
	}
	if len(r.After) != 0 && len(r.After) != keyLen {
		return nil, nil, fmt.Errorf("a cursor here is %d bytes, got %d", keyLen, len(r.After))
	}
	start := append(append([]byte{}, prefix...), r.After...)
	if len(r.After) != 0 {
		start = append(start, 0) // strictly after the cursor
	}
	limit := r.pageSize()
	budget, examined := scanBudget(limit), 0
	var out []PT
	var last, next []byte
	err := protocol.ScanFrom(snap, prefix, start, func(k []byte, m PT) bool {
		if len(out) == limit || examined == budget {
			next = last[len(prefix):]
			return false
		}
		examined, last = examined+1, bytes.Clone(k)
		if keep == nil || keep(m) {
			out = append(out, m)
		}
		return true
	})
	return out, next, err
}

// listPrograms answers a page of deployed programs, in id order.
func listPrograms(snap store.Reader, data []byte) (*abci.QueryResponse, error) {
	r, err := decodeListRequest(data, MaxPage)
	if err != nil {
		return nil, err
	}
	if !r.Filter.empty() {
		return nil, errors.New("/programs takes no filters")
	}
	ps, next, err := scanPage[pb.Program](snap, protocol.ProgramPrefix(), r, 32, nil)
	if err != nil {
		return nil, err
	}
	return pageResponse(&pb.ProgramList{Programs: ps}, next)
}

// listProvers answers a page of registered provers, in address order.
func listProvers(snap store.Reader, data []byte) (*abci.QueryResponse, error) {
	r, err := decodeListRequest(data, MaxPage)
	if err != nil {
		return nil, err
	}
	keep, err := proverFilter(r.Filter)
	if err != nil {
		return nil, err
	}
	ps, next, err := scanPage[pb.Prover](snap, protocol.ProverPrefix(), r, address.Size, keep)
	if err != nil {
		return nil, err
	}
	return pageResponse(&pb.ProverList{Provers: ps}, next)
}

// listValidators answers a page of validator records, in consensus address
// order (issue 19).
func listValidators(snap store.Reader, data []byte) (*abci.QueryResponse, error) {
	r, err := decodeListRequest(data, MaxPage)
	if err != nil {
		return nil, err
	}
	if !r.Filter.empty() {
		return nil, errors.New("/validators takes no filters")
	}
	vs, next, err := scanPage[pb.Validator](snap, protocol.ValidatorPrefix(), r, 20, nil)
	if err != nil {
		return nil, err
	}
	return pageResponse(&pb.ValidatorList{Validators: vs}, next)
}

// listWorkloads answers a page of workloads, of one owner if the request
// names one, newest first (highest inclusion height, then id order), that
// pass its filter. It reads the index, which the heights narrow, and then
// only the records it examines: at most scanBudget(limit).
func (a *App) listWorkloads(snap *iavltree.Snapshot, data []byte) (*abci.QueryResponse, error) {
	r, err := decodeListRequest(data, MaxWorkloadList)
	if err != nil {
		return nil, err
	}
	owner, err := ownerOf(r)
	if err != nil {
		return nil, err
	}
	keep, err := workloadFilter(r.Filter)
	if err != nil {
		return nil, err
	}
	var after *wlEntry
	switch len(r.After) {
	case 0:
	case cursorSize:
		after = &wlEntry{height: int64(binary.BigEndian.Uint64(r.After)), id: [32]byte(r.After[8:])}
	default:
		return nil, fmt.Errorf("a workloads cursor is %d bytes, got %d", cursorSize, len(r.After))
	}
	version := snap.Version()
	if to := r.Filter.ToHeight; to > 0 {
		version = min(version, to)
	}
	limit := r.pageSize()
	entries, more := a.index.workloads(owner, version, after, scanBudget(limit))
	list := &pb.WorkloadList{Workloads: make([]*pb.Workload, 0, min(len(entries), limit))}
	var last *wlEntry
	for i := range entries {
		e := &entries[i]
		if e.height < r.Filter.FromHeight {
			more = false // the index lists by height: nothing further passes
			break
		}
		if len(list.Workloads) == limit {
			more = true
			break
		}
		last = e
		w, err := protocol.GetWorkload(snap, e.id[:])
		if errors.Is(err, store.ErrNotFound) {
			continue // not in this version: the page is short, the cursor still right
		} else if err != nil {
			return nil, err
		}
		if keep(w) {
			list.Workloads = append(list.Workloads, w)
		}
	}
	var next []byte
	if more && last != nil {
		next = append(binary.BigEndian.AppendUint64(nil, uint64(last.height)), last.id[:]...)
	}
	return pageResponse(list, next)
}
