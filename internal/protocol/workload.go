package protocol

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"

	"google.golang.org/protobuf/proto"

	"github.com/provernet/provernet/internal/store"
	"github.com/provernet/provernet/wire"
	"github.com/provernet/provernet/wire/address"
	"github.com/provernet/provernet/wire/pb"
)

// Workloads (PROTOCOL.md 5): a Run, or a challenge the chain makes, with
// k slots. A workload is written under wl/<id>; a timer index
// (timer/<height>/<id>) names the next height at which the chain must look
// at it, so a block only visits workloads whose deadlines fall due.

// GetWorkload reads a workload, or returns store.ErrNotFound.
func GetWorkload(r store.Reader, id []byte) (*pb.Workload, error) {
	b, err := r.Get(workloadKey(id))
	if err != nil {
		return nil, fmt.Errorf("failed to read workload %x: %w", id, err)
	}
	if b == nil {
		return nil, fmt.Errorf("workload %x: %w", id, store.ErrNotFound)
	}
	var w pb.Workload
	if err := proto.Unmarshal(b, &w); err != nil {
		return nil, fmt.Errorf("failed to decode workload %x: %w", id, err)
	}
	return &w, nil
}

func setWorkload(kv store.KV, w *pb.Workload) error { return setProto(kv, workloadKey(w.Id), w) }

// workloadFor reads the workload a message names, or rejects the message.
func workloadFor(kv store.KV, env Env, id []byte, what string) (*pb.Workload, Result, error) {
	if len(id) != sha256.Size {
		return nil, reject(wire.CodeInvalidMessage, "%s: workload id is %d bytes, want 32", what, len(id)), nil
	}
	w, err := GetWorkload(kv, id)
	if isNotFound(err) {
		return nil, reject(wire.CodeNotFound, "%s: no workload %x", what, id), nil
	}
	if err == nil && env.checking {
		// CheckTx runs before the block's timers: close the windows that
		// will have closed by the next block, so the mempool judges a
		// message as the block will.
		_, err = advance(kv, env, w)
	}
	return w, Result{}, err
}

// slotFor returns the slot a message names, or rejects the message.
func slotFor(w *pb.Workload, slot uint32, what string) (*pb.Slot, Result) {
	if int(slot) >= len(w.Slots) {
		return nil, reject(wire.CodeInvalidMessage, "%s: workload %x has %d slots; there is no slot %d", what, w.Id, len(w.Slots), slot)
	}
	return w.Slots[slot], Result{}
}

// nextSeq returns the next value of the chain-wide inclusion counter.
func nextSeq(kv store.KV) (uint64, error) {
	b, err := kv.Get(keySeq)
	if err != nil {
		return 0, err
	}
	var n uint64
	if len(b) == 8 {
		n = binary.BigEndian.Uint64(b)
	}
	return n, kv.Set(keySeq, binary.BigEndian.AppendUint64(nil, n+1))
}

// schedule moves w's timer to at (0: none). The old entry is deleted, so
// each workload has at most one timer.
func schedule(kv store.KV, w *pb.Workload, at int64) error {
	if w.Timer == at {
		return nil
	}
	if w.Timer != 0 {
		if err := kv.Delete(timerKey(w.Timer, w.Id)); err != nil {
			return err
		}
	}
	w.Timer = at
	if at == 0 {
		return nil
	}
	return kv.Set(timerKey(at, w.Id), []byte{1})
}

// Terminal reports whether a workload state is one of the four ends.
func Terminal(s pb.WorkloadState) bool {
	switch s {
	case pb.WorkloadState_WORKLOAD_STATE_FINAL, pb.WorkloadState_WORKLOAD_STATE_FAILED,
		pb.WorkloadState_WORKLOAD_STATE_REJECTED, pb.WorkloadState_WORKLOAD_STATE_EXPIRED:
		return true
	}
	return false
}

// slotDecided reports whether a slot state is final for that slot.
func slotDecided(s pb.SlotState) bool {
	switch s {
	case pb.SlotState_SLOT_STATE_VALID, pb.SlotState_SLOT_STATE_INVALID, pb.SlotState_SLOT_STATE_FAILED,
		pb.SlotState_SLOT_STATE_UNDECIDED, pb.SlotState_SLOT_STATE_UNREVEALED, pb.SlotState_SLOT_STATE_EMPTY,
		pb.SlotState_SLOT_STATE_COPIED:
		return true
	}
	return false
}

// fillable reports whether a slot may still receive a result.
func fillable(s pb.SlotState) bool {
	return s == pb.SlotState_SLOT_STATE_ASSIGNED || s == pb.SlotState_SLOT_STATE_ACCEPTED || s == pb.SlotState_SLOT_STATE_OPEN
}

// WorkloadStateName is the lower-case name of a workload state.
func WorkloadStateName(s pb.WorkloadState) string {
	return strings.ToLower(strings.TrimPrefix(s.String(), "WORKLOAD_STATE_"))
}

// SlotStateName is the lower-case name of a slot state.
func SlotStateName(s pb.SlotState) string {
	return strings.ToLower(strings.TrimPrefix(s.String(), "SLOT_STATE_"))
}

// workloadEvent reports a workload's state.
func workloadEvent(w *pb.Workload) Event {
	return event("workload", "id", hex.EncodeToString(w.Id), "state", WorkloadStateName(w.State), "reason", w.Reason,
		"settled", strconv.FormatBool(w.Settled))
}

// slotEvent reports one slot's state.
func slotEvent(w *pb.Workload, s *pb.Slot) Event {
	return event("slot", "workload", hex.EncodeToString(w.Id), "slot", strconv.Itoa(int(s.Index)),
		"state", SlotStateName(s.State), "prover", addrString(s.Prover))
}

func addrString(b []byte) string {
	a, err := address.FromBytes(b)
	if err != nil {
		return ""
	}
	return a.String()
}

// holds reports whether sender holds a slot of w (allocated or filled) or
// made a fail claim on one.
func holds(w *pb.Workload, sender address.Address) bool {
	for _, s := range w.Slots {
		if string(s.Prover) == string(sender[:]) || string(s.FailClaim) == string(sender[:]) {
			return true
		}
	}
	return false
}

// hexID is a workload id for logs and events.
func hexID(id []byte) string { return hex.EncodeToString(id) }
