package httpapi

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"

	"google.golang.org/protobuf/proto"

	"github.com/provernet/provernet/internal/alloc"
	"github.com/provernet/provernet/internal/chain"
	"github.com/provernet/provernet/wire"
	"github.com/provernet/provernet/wire/address"
	"github.com/provernet/provernet/wire/pb"
	"github.com/provernet/provernet/wire/record"
)

const workloadIDHint = "a workload id is 64 hex digits; `provernet query workloads` lists them"

// workloadID reads the {id} path value, writing the error itself.
func workloadID(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	id, err := hex.DecodeString(r.PathValue("id"))
	if err != nil || len(id) != 32 {
		fail(w, http.StatusBadRequest, fmt.Sprintf("%q is not a workload id", r.PathValue("id")), workloadIDHint)
		return nil, false
	}
	return id, true
}

func (s *server) workload(w http.ResponseWriter, r *http.Request) {
	id, ok := workloadID(w, r)
	if !ok {
		return
	}
	if answeredProven(w, r, func(height int64) { s.provenWorkload(w, r, id, height) }) {
		return
	}
	wl, _, ok := queryAs[pb.Workload](s, w, r, chain.PathWorkload, id)
	if !ok {
		return
	}
	reply(w, WorkloadOf(wl))
}

// sealed serves the age file submitted for a slot, as is.
func (s *server) sealed(w http.ResponseWriter, r *http.Request) {
	id, ok := workloadID(w, r)
	if !ok {
		return
	}
	slot, err := strconv.ParseUint(r.PathValue("slot"), 10, 32)
	if err != nil {
		fail(w, http.StatusBadRequest, "slot must be a slot index (0, 1, ...)", "")
		return
	}
	resp, ok := s.query(w, r.Context(), chain.PathResult, binary.BigEndian.AppendUint32(append([]byte{}, id...), uint32(slot)))
	if !ok {
		return
	}
	sum := sha256.Sum256(resp.Value)
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Length", strconv.Itoa(len(resp.Value)))
	w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=\"%x-%d.age\"", id[:8], slot))
	w.Header().Set("X-Sealed-Sha256", hex.EncodeToString(sum[:]))
	_, _ = w.Write(resp.Value)
}

func (s *server) fee(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	prog, err := hex.DecodeString(q.Get("program"))
	if err != nil || len(prog) != 32 {
		fail(w, http.StatusBadRequest, "program must be a 64-hex-digit program id", "`provernet query programs` lists them")
		return
	}
	cycles, err := strconv.ParseUint(q.Get("cycles"), 10, 64)
	if err != nil {
		fail(w, http.StatusBadRequest, "cycles must be a non-negative integer (per prover)", "")
		return
	}
	k, err := strconv.ParseUint(q.Get("provers"), 10, 32)
	if err != nil {
		fail(w, http.StatusBadRequest, "provers must be a non-negative integer (k)", "")
		return
	}
	order, deadline, ok := marketOrder(w, r) // issue 17
	if !ok {
		return
	}
	data, err := proto.Marshal(&pb.Run{Program: prog, Cycles: cycles, Provers: uint32(k), Market: order, Deadline: deadline})
	if err != nil {
		fail(w, http.StatusInternalServerError, err.Error(), "")
		return
	}
	fq, _, ok := queryAs[pb.FeeQuote](s, w, r, chain.PathFee, data)
	if !ok {
		return
	}
	out := wire.FeeQuote{Program: hex.EncodeToString(prog), Cycles: cycles, Provers: uint32(k), Fee: fq.Fee,
		PerSlot: fq.PerSlot, Mcycles: fq.Mcycles, ClassMultiplier: fq.ClassMultiplier, MinDeadline: fq.MinDeadline,
		PricePerMcycle: fq.PricePerMcycle, MinSlotFee: fq.MinSlotFee}
	if order != nil {
		out.Mechanism, out.Asks = record.MechanismName(order.Mechanism), record.Asks(fq.Asks)
	}
	reply(w, out)
}

func (s *server) allocation(w http.ResponseWriter, r *http.Request) {
	id, ok := workloadID(w, r)
	if !ok {
		return
	}
	resp, ok := s.query(w, r.Context(), chain.PathAllocation, id)
	if !ok {
		return
	}
	var ans chain.AllocationAnswer
	if err := json.Unmarshal(resp.Value, &ans); err != nil {
		fail(w, http.StatusInternalServerError, "failed to decode "+chain.PathAllocation+": "+err.Error(), "")
		return
	}
	reply(w, AllocationOf(&ans))
}

// WorkloadOf converts a stored workload to the API's form (record.Workload,
// which the client's proof checker shares).
func WorkloadOf(w *pb.Workload) wire.Workload { return record.Workload(w) }

// SlotOf converts a stored slot to the API's form.
func SlotOf(s *pb.Slot) wire.Slot { return record.Slot(s) }

// AllocationOf converts the /allocation answer to the API's form.
func AllocationOf(a *chain.AllocationAnswer) wire.Allocation {
	e := &a.Explanation
	out := wire.Allocation{Workload: hex.EncodeToString(e.Workload[:]), Height: e.Height, Seed: hex.EncodeToString(a.Seed),
		R: hex.EncodeToString(e.R[:]), Position: e.Position, K: e.K, Eligible: e.Eligible, Excluded: e.Excluded,
		AddedBack: e.AddedBack, AcceptBelow: e.AcceptBelow, AcceptAll: e.AcceptAll, Agrees: a.Agrees,
		Draws: make([]wire.AllocationDraw, 0, len(e.Draws)), Provers: make([]wire.AllocationProver, 0, len(e.Provers)),
		Drawn: make([]string, 0, len(e.Assignment.Provers)), Slots: make([]wire.AllocationSlot, 0, len(a.Slots))}
	for _, d := range e.Draws {
		cd := wire.AllocationDraw{Counter: d.Counter, Value: d.Value, Index: d.Index, Outcome: string(d.Outcome)}
		if d.Outcome == alloc.DrawAccepted {
			cd.Prover = address.Address(d.Prover).String()
		}
		out.Draws = append(out.Draws, cd)
	}
	for _, p := range e.Provers {
		out.Provers = append(out.Provers, wire.AllocationProver{Address: address.Address(p.Address).String(),
			Reason: string(p.Reason), Detail: p.Detail, Held: p.Held, InBlock: p.InBlock, MaxConcurrent: p.MaxConcurrent,
			LastAllocated: p.LastAllocated, Index: p.Index})
	}
	for _, p := range e.Assignment.Provers {
		out.Drawn = append(out.Drawn, address.Address(p).String())
	}
	for _, s := range a.Slots {
		out.Slots = append(out.Slots, wire.AllocationSlot{Index: s.Index, AllocatedTo: addrString(s.AllocatedTo),
			Prover: addrString(s.Prover), State: s.State})
	}
	if a.Market != nil { // issue 17
		out.Mechanism, out.Market = a.Mechanism, marketMatchOf(a.Market)
	}
	return out
}

func addrString(b []byte) string {
	a, err := address.FromBytes(b)
	if err != nil {
		return ""
	}
	return a.String()
}
