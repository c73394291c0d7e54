package alloc

import (
	"strconv"
)

// Reason says why a prover was or was not eligible for a workload.
type Reason string

const (
	// ReasonEligible: meets the hardware, has capacity, not excluded.
	ReasonEligible Reason = "eligible"
	// ReasonAddedBack: allocated at the previous height, but added back
	// because fewer than k provers were otherwise eligible.
	ReasonAddedBack Reason = "added_back"
	// ReasonHardware: does not meet the program's minimum hardware.
	ReasonHardware Reason = "hardware"
	// ReasonCapacity: already holds MaxConcurrent workloads, counting those
	// allocated earlier in the same block.
	ReasonCapacity Reason = "capacity"
	// ReasonPreviousRound: allocated at the previous height and not needed
	// to reach k.
	ReasonPreviousRound Reason = "previous_round"
	// ReasonDuplicate: an address given more than once; only its first entry
	// counts.
	ReasonDuplicate Reason = "duplicate"
)

// ProverExplanation is one prover's standing for the explained workload.
type ProverExplanation struct {
	Address [20]byte `json:"address"`
	Reason  Reason   `json:"reason"`
	Detail  string   `json:"detail,omitempty"` // human-readable specifics
	// Held is what the prover held when the workload was allocated: Active
	// plus InBlock, the workloads assigned to it earlier in the same block.
	Held          uint64 `json:"held"`
	InBlock       uint64 `json:"in_block"`
	MaxConcurrent uint32 `json:"max_concurrent"`
	LastAllocated int64  `json:"last_allocated"`
	Index         int    `json:"index"` // position in the eligible list, -1 if not eligible
}

// Explanation is how one workload of a block was allocated.
type Explanation struct {
	Found    bool     `json:"found"` // false: no workload with that id (nothing else is set)
	Workload [32]byte `json:"workload"`
	Position int      `json:"position"` // index in the block's workloads (the first with this id)
	K        int      `json:"k"`
	Height   int64    `json:"height"`
	R        [32]byte `json:"r"` // SHA-256(seed || workload id)
	// Excluded counts provers passing hardware and capacity that were
	// allocated at the previous height; AddedBack says they were added back.
	Excluded  int  `json:"excluded"`
	AddedBack bool `json:"added_back"`
	Eligible  int  `json:"eligible"` // n, the eligible list's length
	// AcceptBelow is floor(2^64/n)*n, the bound on draw values; AcceptAll
	// is set instead when that is 2^64 (n a power of two): nothing is
	// rejected for bias.
	AcceptBelow uint64              `json:"accept_below"`
	AcceptAll   bool                `json:"accept_all"`
	Draws       []Draw              `json:"draws"`
	Provers     []ProverExplanation `json:"provers"` // address order, then repeated addresses
	Assignment  Assignment          `json:"assignment"`
}

// Explain recomputes the allocation of the block (same arguments as
// Allocate, in Order) up to the first workload with id workloadID and explains that
// workload: the eligibility of every prover and every draw. Its assignment
// equals Allocate's for that workload. It costs O(N) plus the allocation of
// the workloads before it.
func Explain(seed []byte, height int64, provers []Prover, workloads []Workload, workloadID [32]byte) Explanation {
	s := newState(seed, height, provers)
	pos := -1
	for _, i := range Order(seed, workloads) {
		if workloads[i].ID == workloadID {
			pos = i
			break
		}
		s.allocate(workloads[i])
	}
	if pos < 0 {
		return Explanation{Workload: workloadID, Position: -1}
	}
	w := workloads[pos]
	e := Explanation{Found: true, Workload: w.ID, Position: pos, K: w.K, Height: height}
	e.R, s.rbuf = workloadR(s.rbuf, seed, w.ID)

	// Classify every prover by scanning, independently of the lists.
	e.Provers = make([]ProverExplanation, 0, len(s.ps)+len(s.dropped))
	var capOK, freshOK int
	for i := range s.ps {
		p := &s.ps[i]
		pe := ProverExplanation{Address: p.Address, Held: s.held[i], InBlock: s.held[i] - uint64(p.Active),
			MaxConcurrent: p.MaxConcurrent, LastAllocated: p.LastAllocated, Index: -1}
		switch {
		case !Meets(p.Hardware, w.MinHardware):
			pe.Reason, pe.Detail = ReasonHardware, hardwareShortfall(p.Hardware, w.MinHardware)
		case s.held[i] >= uint64(p.MaxConcurrent):
			pe.Reason = ReasonCapacity
			pe.Detail = "holds " + u(s.held[i]) + " of " + u(uint64(p.MaxConcurrent)) + " (" + u(pe.InBlock) + " allocated earlier in this block)"
		case !s.fresh[i]:
			pe.Reason, pe.Detail = ReasonPreviousRound, "allocated at height "+strconv.FormatInt(p.LastAllocated, 10)
			capOK++
		default:
			pe.Reason = ReasonEligible
			capOK++
			freshOK++
		}
		e.Provers = append(e.Provers, pe)
	}
	e.Excluded = capOK - freshOK
	e.AddedBack = w.K > 0 && freshOK < w.K && e.Excluded > 0
	var eligible []int // indices into e.Provers / s.ps
	for i := range e.Provers {
		pe := &e.Provers[i]
		if pe.Reason == ReasonPreviousRound && e.AddedBack {
			pe.Reason = ReasonAddedBack
		}
		if pe.Reason == ReasonEligible || pe.Reason == ReasonAddedBack {
			pe.Index = len(eligible)
			eligible = append(eligible, i)
		}
	}
	for _, p := range s.dropped {
		e.Provers = append(e.Provers, ProverExplanation{Address: p.Address, Reason: ReasonDuplicate,
			Detail: "address given more than once; the first entry counts", MaxConcurrent: p.MaxConcurrent,
			LastAllocated: p.LastAllocated, Index: -1})
	}
	e.Eligible = len(eligible)
	if e.Eligible > 0 {
		e.AcceptBelow, e.AcceptAll = acceptBound(uint64(e.Eligible))
	}
	e.Draws = []Draw{}
	idx := drawIndices(e.R, uint64(e.Eligible), w.K, &e.Draws)
	chosen := make([]int, len(idx))
	for i, x := range idx {
		chosen[i] = eligible[x]
	}
	for i, a := 0, 0; i < len(e.Draws); i++ {
		if e.Draws[i].Outcome == DrawAccepted {
			e.Draws[i].Prover = s.ps[chosen[a]].Address
			a++
		}
	}
	e.Assignment = s.assignment(w.ID, chosen)
	return e
}

// hardwareShortfall names the first requirement have does not meet.
func hardwareShortfall(have, need Hardware) string {
	switch {
	case have.CPUCores < need.CPUCores:
		return "cpu_cores " + u(uint64(have.CPUCores)) + " < " + u(uint64(need.CPUCores))
	case have.MemoryMB < need.MemoryMB:
		return "memory_mb " + u(have.MemoryMB) + " < " + u(need.MemoryMB)
	case have.DiskGB < need.DiskGB:
		return "disk_gb " + u(have.DiskGB) + " < " + u(need.DiskGB)
	}
	return "gpus: the " + strconv.Itoa(len(need.GPUs)) + " required GPUs cannot be matched to distinct GPUs among the " +
		strconv.Itoa(len(have.GPUs)) + " declared (model and memory)"
}

func u(x uint64) string { return strconv.FormatUint(x, 10) }
