package chain

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/provernet/provernet/internal/protocol"
	"github.com/provernet/provernet/wire/address"
	"github.com/provernet/provernet/wire/pb"
)

// Filters on the list queries. A filtered page still reads a bounded
// number of records: it examines at most scanBudget of them and, if it
// stopped there, answers the records it found so far (possibly none) with
// the cursor of the last one it examined. A short page with a cursor so
// means "keep going", never "the end".

// maxScan caps the records one page examines, whatever its limit.
const maxScan = 10 * MaxPage

// scanBudget is how many records a page of limit may examine.
func scanBudget(limit int) int { return min(10*limit, maxScan) }

// filterMagic starts an encoded ListRequest that carries filters; the
// unfiltered form keeps listMagic, so older data stays valid.
const filterMagic = 'F'

// Hardware classes a prover filter names: "gpu" declares a GPU, "cpu"
// none (the classes the fee's class multiplier prices).
const (
	HardwareCPU = "cpu"
	HardwareGPU = "gpu"
)

// Filter narrows a list query. The zero Filter keeps every record.
type Filter struct {
	// State keeps the records in this state: a prover state (/provers) or
	// a workload state (/workloads), by its lower-case name.
	State string
	// Hardware keeps the provers of this class (HardwareCPU, HardwareGPU).
	Hardware string
	// Label keeps the provers registered with this label (exactly).
	Label string
	// Program keeps the workloads of this program (32 bytes).
	Program []byte
	// FromHeight and ToHeight keep the workloads included at a height in
	// [FromHeight, ToHeight]; 0 leaves that end open.
	FromHeight, ToHeight int64
}

func (f Filter) empty() bool {
	return f.State == "" && f.Hardware == "" && f.Label == "" && len(f.Program) == 0 && f.FromHeight == 0 && f.ToHeight == 0
}

// maxFilterField bounds a filter's string fields.
const maxFilterField = 64

// appendFilter encodes f after a filtered request's cursor: state,
// hardware, label and program each with a one-byte length, then the two
// heights (8 bytes big-endian each).
func appendFilter(b []byte, f Filter) []byte {
	for _, s := range [][]byte{[]byte(f.State), []byte(f.Hardware), []byte(f.Label), f.Program} {
		b = append(append(b, byte(len(s))), s...)
	}
	b = binary.BigEndian.AppendUint64(b, uint64(f.FromHeight))
	return binary.BigEndian.AppendUint64(b, uint64(f.ToHeight))
}

var errFilterData = errors.New("malformed filtered list request")

// readFilter decodes what appendFilter wrote; it must be all of b.
func readFilter(b []byte) (Filter, error) {
	var fields [4][]byte
	for i := range fields {
		if len(b) < 1 || len(b) < 1+int(b[0]) {
			return Filter{}, errFilterData
		}
		fields[i], b = b[1:1+int(b[0])], b[1+int(b[0]):]
	}
	if len(b) != 16 {
		return Filter{}, errFilterData
	}
	f := Filter{State: string(fields[0]), Hardware: string(fields[1]), Label: string(fields[2]), Program: fields[3],
		FromHeight: int64(binary.BigEndian.Uint64(b)), ToHeight: int64(binary.BigEndian.Uint64(b[8:]))}
	if f.FromHeight < 0 || f.ToHeight < 0 || len(f.State) > maxFilterField || len(f.Hardware) > maxFilterField || len(f.Label) > maxFilterField {
		return Filter{}, errFilterData
	}
	return f, nil
}

// proverFilter checks f for /provers and returns its predicate.
func proverFilter(f Filter) (func(*pb.Prover) bool, error) {
	if len(f.Program) != 0 || f.FromHeight != 0 || f.ToHeight != 0 {
		return nil, errors.New("/provers filters by state, hardware and label only")
	}
	state, ok := pb.ProverState(0), true
	if f.State != "" {
		if state, ok = proverStateNamed(f.State); !ok {
			return nil, fmt.Errorf("no prover state %q: pending, active, suspended, leaving, exited or removed", f.State)
		}
	}
	if f.Hardware != "" && f.Hardware != HardwareCPU && f.Hardware != HardwareGPU {
		return nil, fmt.Errorf("no hardware class %q: %s or %s", f.Hardware, HardwareCPU, HardwareGPU)
	}
	return func(p *pb.Prover) bool {
		if (f.State != "" && p.State != state) || (f.Label != "" && p.Label != f.Label) {
			return false
		}
		return f.Hardware == "" || (HardwareOf(p.Hardware) == f.Hardware)
	}, nil
}

// HardwareOf is the class of a prover's declared hardware.
func HardwareOf(hw *pb.Hardware) string {
	if len(hw.GetGpus()) > 0 {
		return HardwareGPU
	}
	return HardwareCPU
}

// workloadFilter checks f for /workloads and returns its predicate on a
// workload record; the heights are applied to the index before it.
func workloadFilter(f Filter) (func(*pb.Workload) bool, error) {
	switch {
	case f.Hardware != "" || f.Label != "":
		return nil, errors.New("/workloads filters by owner, program, state and height only")
	case len(f.Program) != 0 && len(f.Program) != 32:
		return nil, fmt.Errorf("a program id is 32 bytes, got %d", len(f.Program))
	case f.ToHeight != 0 && f.FromHeight > f.ToHeight:
		return nil, fmt.Errorf("from_height %d is past to_height %d", f.FromHeight, f.ToHeight)
	}
	state, ok := pb.WorkloadState(0), true
	if f.State != "" {
		if state, ok = workloadStateNamed(f.State); !ok {
			return nil, fmt.Errorf("no workload state %q: pending, allocated, running, sealed, revealing, verifying, final, failed, rejected or expired", f.State)
		}
	}
	return func(w *pb.Workload) bool {
		if f.State != "" && w.State != state {
			return false
		}
		return len(f.Program) == 0 || string(w.Program) == string(f.Program)
	}, nil
}

func proverStateNamed(name string) (pb.ProverState, bool) {
	for v := range pb.ProverState_name {
		if s := pb.ProverState(v); s != pb.ProverState_PROVER_STATE_UNSPECIFIED && protocol.StateName(s) == name {
			return s, true
		}
	}
	return 0, false
}

func workloadStateNamed(name string) (pb.WorkloadState, bool) {
	for v := range pb.WorkloadState_name {
		if s := pb.WorkloadState(v); s != pb.WorkloadState_WORKLOAD_STATE_UNSPECIFIED && protocol.WorkloadStateName(s) == name {
			return s, true
		}
	}
	return 0, false
}

// ownerOf checks a request's owner (0 or 20 bytes).
func ownerOf(r ListRequest) (*address.Address, error) {
	if len(r.Owner) == 0 {
		return nil, nil
	}
	o, err := address.FromBytes(r.Owner)
	if err != nil {
		return nil, fmt.Errorf("workloads query owner: %w", err)
	}
	return &o, nil
}
