package protocol

import (
	"bytes"

	"github.com/provernet/provernet/internal/alloc"
	"github.com/provernet/provernet/internal/pb"
	"github.com/provernet/provernet/internal/store"
)

// Block is what the start of a block computes once for the transactions in
// it.
type Block struct {
	// Active lists the active provers' addresses, sorted, after the block's
	// own work: verification committees are drawn from it.
	Active [][20]byte
}

// BeginBlock does the chain's own work at the start of block env.Height,
// after the beacon entry: it allocates the Runs included at the previous
// height with this height's seed, looks at the workloads whose timers fall
// due, and issues random challenges. Allocation comes first so that it
// depends only on the state after the previous block and the seed, which
// is what `query allocation` recomputes.
func BeginBlock(kv store.KV, env Env) (*Block, []Event, error) {
	provers, err := allProvers(kv)
	if err != nil {
		return nil, nil, err
	}
	evs, err := allocateQueued(kv, env, provers)
	if err != nil {
		return nil, nil, err
	}
	more, err := runTimers(kv, env)
	if err != nil {
		return nil, nil, err
	}
	evs = append(evs, more...)
	if more, err = reinstate(kv, env); err != nil {
		return nil, nil, err
	}
	evs = append(evs, more...)
	if more, err = randomChallenges(kv, env, provers); err != nil {
		return nil, nil, err
	}
	evs = append(evs, more...)
	active, err := activeProvers(kv, Env{})
	if err != nil {
		return nil, nil, err
	}
	return &Block{Active: active}, evs, nil
}

// allProvers reads every prover, in address order.
func allProvers(r store.Reader) ([]*pb.Prover, error) {
	var out []*pb.Prover
	err := Scan(r, prefixProver, func(p *pb.Prover) bool { out = append(out, p); return true })
	return out, err
}

// AllocationInput is what allocating the Runs queued at height-1 reads:
// the active provers as the allocator sees them and the workloads in
// inclusion order. r must be the state after block height-1.
func AllocationInput(r store.Reader, height int64) ([]alloc.Prover, []alloc.Workload, error) {
	provers, err := allProvers(r)
	if err != nil {
		return nil, nil, err
	}
	ws, _, _, err := queuedWorkloads(r, height)
	if err != nil {
		return nil, nil, err
	}
	return allocProvers(provers), ws, nil
}

// queuedWorkloads reads the Runs to allocate at height: as the allocator
// sees them, their queue keys, and the records themselves.
func queuedWorkloads(r store.Reader, height int64) ([]alloc.Workload, [][]byte, []*pb.Workload, error) {
	prefix := heightPrefix(prefixQueue, height-1)
	var keys, ids [][]byte
	err := r.Iterate(prefix, store.PrefixEnd(prefix), func(k, v []byte) bool {
		keys, ids = append(keys, bytes.Clone(k)), append(ids, bytes.Clone(v))
		return true
	})
	if err != nil {
		return nil, nil, nil, err
	}
	progs := map[string]alloc.Hardware{}
	ws := make([]alloc.Workload, 0, len(ids))
	recs := make([]*pb.Workload, 0, len(ids))
	for _, id := range ids {
		w, err := GetWorkload(r, id)
		if err != nil {
			return nil, nil, nil, err
		}
		hw, ok := progs[string(w.Program)]
		if !ok {
			prog, err := GetProgram(r, w.Program)
			if err != nil {
				return nil, nil, nil, err
			}
			hw = HardwareOf(prog.MinHardware)
			progs[string(w.Program)] = hw
		}
		ws = append(ws, alloc.Workload{ID: [32]byte(w.Id), K: int(w.K), MinHardware: hw})
		recs = append(recs, w)
	}
	return ws, keys, recs, nil
}

// allocProvers converts the active provers for the allocator.
func allocProvers(provers []*pb.Prover) []alloc.Prover {
	out := make([]alloc.Prover, 0, len(provers))
	for _, p := range provers {
		if p.State != pb.ProverState_PROVER_STATE_ACTIVE || len(p.Address) != 20 {
			continue
		}
		out = append(out, alloc.Prover{Address: [20]byte(p.Address), Hardware: HardwareOf(p.Hardware),
			MaxConcurrent: p.MaxConcurrent, Active: p.Held, LastAllocated: p.LastAllocated})
	}
	return out
}

// HardwareOf converts a hardware record for the allocator.
func HardwareOf(h *pb.Hardware) alloc.Hardware {
	out := alloc.Hardware{CPUCores: h.GetCpuCores(), MemoryMB: h.GetMemoryMb(), DiskGB: h.GetDiskGb()}
	for _, g := range h.GetGpus() {
		out.GPUs = append(out.GPUs, alloc.GPU{Model: g.Model, MemoryMB: g.MemoryMb})
	}
	return out
}

// allocateQueued allocates the Runs included at the previous height
// (PROTOCOL.md 5.2): slot i goes to the i-th prover drawn; slots no
// eligible prover could take open to the open market until the deadline.
func allocateQueued(kv store.KV, env Env, provers []*pb.Prover) ([]Event, error) {
	ws, keys, recs, err := queuedWorkloads(kv, env.Height)
	if err != nil || len(ws) == 0 {
		return nil, err
	}
	seed, err := Seed(kv)
	if err != nil {
		return nil, err
	}
	assignments := alloc.Allocate(seed, env.Height, allocProvers(provers), ws)
	byAddr := make(map[[20]byte]*pb.Prover, len(provers))
	for _, p := range provers {
		if len(p.Address) == 20 {
			byAddr[[20]byte(p.Address)] = p
		}
	}
	// First every slot and every prover's new load, then the workloads'
	// own bookkeeping: advance may release a slot and update its prover,
	// which must see (and not be overwritten by) the load assigned here.
	dirty := map[[20]byte]bool{}
	for i, a := range assignments {
		if err := kv.Delete(keys[i]); err != nil {
			return nil, err
		}
		assign(env, recs[i], a.Provers, byAddr, dirty)
	}
	for _, p := range provers { // in address order
		if dirty[[20]byte(p.Address)] {
			if err := setProver(kv, p); err != nil {
				return nil, err
			}
		}
	}
	var evs []Event
	for _, w := range recs {
		slotEvs := []Event{workloadEvent(w)}
		for _, s := range w.Slots {
			slotEvs = append(slotEvs, slotEvent(w, s))
		}
		res, err := finishMsg(kv, env, w, slotEvs...)
		if err != nil {
			return nil, err
		}
		evs = append(evs, res.Events...)
	}
	return evs, nil
}

// assign creates w's slots from the provers drawn for it.
func assign(env Env, w *pb.Workload, drawn [][20]byte, byAddr map[[20]byte]*pb.Prover, dirty map[[20]byte]bool) {
	w.AllocatedHeight, w.State = env.Height, pb.WorkloadState_WORKLOAD_STATE_ALLOCATED
	w.Slots = make([]*pb.Slot, w.K)
	for i := range w.Slots {
		s := &pb.Slot{Index: uint32(i), State: pb.SlotState_SLOT_STATE_OPEN, OpenUntil: w.Deadline}
		if i < len(drawn) {
			a := drawn[i]
			s.State, s.AllocatedTo, s.Prover = pb.SlotState_SLOT_STATE_ASSIGNED, a[:], a[:]
			s.AcceptBy = env.Height + env.Params.AcceptWindow
			p := byAddr[a]
			p.Held++
			p.LastAllocated = env.Height
			dirty[a] = true
		}
		w.Slots[i] = s
	}
}

// runTimers advances every workload whose timer is this height.
func runTimers(kv store.KV, env Env) ([]Event, error) {
	prefix := append(heightPrefix(prefixTimer, env.Height), '/')
	var ids [][]byte
	err := kv.Iterate(prefix, store.PrefixEnd(prefix), func(k, _ []byte) bool {
		ids = append(ids, bytes.Clone(k[len(prefix):]))
		return true
	})
	if err != nil {
		return nil, err
	}
	var evs []Event
	for _, id := range ids {
		w, err := GetWorkload(kv, id)
		if err != nil {
			return nil, err
		}
		res, err := finishMsg(kv, env, w)
		if err != nil {
			return nil, err
		}
		evs = append(evs, res.Events...)
	}
	return evs, nil
}
