package protocol

import (
	"bytes"
	"maps"
	"slices"

	"github.com/provernet/provernet/internal/alloc"
	"github.com/provernet/provernet/internal/store"
	"github.com/provernet/provernet/wire/address"
	"github.com/provernet/provernet/wire/pb"
)

// Block is what the start of a block computes once for the transactions in
// it.
type Block struct {
	// Active lists the active provers' addresses, sorted, after the block's
	// own work: verification committees are drawn from it.
	Active [][20]byte

	votes    tallies              // the ballots voted on in the block (tally.go)
	voterPay map[string]*voterPay // what the block owes its voters, by address (end.go)
	txPay    []queuedPay          // what the running transaction adds to it, kept if it succeeds
	vals     blockValidators      // issue 19: validator updates and the proposer's fee share (validator_block.go)
}

// BeginBlock does the chain's own work at the start of block env.Height,
// after the beacon entry: it allocates the Runs included at the previous
// height with this height's seed, looks at the workloads whose timers fall
// due, and issues random challenges. Allocation comes first so that it
// depends only on the state after the previous block and the seed, which
// is what `query allocation` recomputes.
func BeginBlock(kv store.KV, env Env) (*Block, []Event, error) {
	evs, err := allocateQueued(kv, env)
	if err != nil {
		return nil, nil, err
	}
	more, err := freezePools(kv, env) // issue 17: an epoch's pools, before its first block's pool Runs
	if err != nil {
		return nil, nil, err
	}
	evs = append(evs, more...)
	if more, err = matchQueued(kv, env); err != nil { // issue 17: the market and pool Runs
		return nil, nil, err
	}
	evs = append(evs, more...)
	more, err = runTimers(kv, env)
	if err != nil {
		return nil, nil, err
	}
	evs = append(evs, more...)
	if more, err = treeTimers(kv, env); err != nil { // issue 16
		return nil, nil, err
	}
	evs = append(evs, more...)
	if more, err = reinstate(kv, env); err != nil {
		return nil, nil, err
	}
	evs = append(evs, more...)
	if more, err = randomChallenges(kv, env); err != nil {
		return nil, nil, err
	}
	evs = append(evs, more...)
	active, err := activeAddresses(kv)
	if err != nil {
		return nil, nil, err
	}
	return &Block{Active: active}, evs, nil
}

// AllocationInput is what allocating at height reads: the active provers
// as the allocator sees them and the workloads in allocation order (those
// still waiting for provers, oldest first, then the Runs included at
// height-1). r must be the state after block height-1.
func AllocationInput(r store.Reader, height int64) ([]alloc.Prover, []alloc.Workload, error) {
	params, err := GetParams(r)
	if err != nil {
		return nil, nil, err
	}
	provers, err := activeAllocProvers(r, params)
	if err != nil {
		return nil, nil, err
	}
	in, err := allocationInput(r, Env{Params: params}, height)
	if err != nil {
		return nil, nil, err
	}
	return provers, in.workloads, nil
}

// allocInput is one block's allocation: the allocator's view of each
// workload, the workload records, and the store keys that put them there
// (a queue entry, or a wait entry).
type allocInput struct {
	workloads []alloc.Workload
	records   []*pb.Workload
	keys      [][]byte
	waiting   []bool   // a wait entry: fill its unassigned slots only
	stale     [][]byte // wait entries passed over: they can never be drawn for again
}

// allocationInput reads the workloads to allocate at height: first those
// waiting for provers (in the order they started waiting), then the Runs
// included at height-1. A wait entry that can never be drawn for again (a
// later duplicate, past wait_blocks, no unassigned slot, no time left to
// prove; none of these can change back) is left out and listed as stale.
// NewRunsRank ranks a block's new Runs after every waiting workload.
const NewRunsRank = 1 << 62

// WaitRedraws bounds the wait list's work per block: each block looks at
// its first (oldest) WaitRedraws entries only, draws for the live ones and
// drops the stale ones; the rest wait their turn. Without the bound, Runs
// nobody can take (a user's, made so on purpose) would make every block
// re-draw all of them, work that grows with the list and that no block's
// weight counted (DueWeight reserves WaitRedraws' worth at most).
const WaitRedraws = 256

func allocationInput(r store.Reader, env Env, height int64) (*allocInput, error) {
	in := &allocInput{}
	progs := map[string]alloc.Hardware{}
	hardware := func(w *pb.Workload) (alloc.Hardware, error) {
		hw, ok := progs[string(w.Program)]
		if !ok {
			prog, err := GetProgram(r, w.Program)
			if err != nil {
				return alloc.Hardware{}, err
			}
			hw = HardwareOf(prog.MinHardware)
			progs[string(w.Program)] = hw
		}
		return hw, nil
	}
	add := func(key, id []byte, waiting bool) error {
		w, err := GetWorkload(r, id)
		if err != nil {
			return err
		}
		k := int(w.K)
		if waiting {
			if k = len(unassignedSlots(w, height)); k == 0 || !timeToProve(env.Params, w, height) {
				in.stale = append(in.stale, key)
				return nil
			}
		}
		hw, err := hardware(w)
		if err != nil {
			return err
		}
		// The waiting first, by their place in the wait list (oldest
		// first); the new Runs after them, alike, in the seed's order.
		rank := uint64(len(in.workloads))
		if !waiting {
			rank = NewRunsRank
		}
		in.workloads = append(in.workloads, alloc.Workload{ID: [32]byte(w.Id), K: k, MinHardware: hw, Rank: rank})
		in.records, in.keys, in.waiting = append(in.records, w), append(in.keys, key), append(in.waiting, waiting)
		return nil
	}
	seen := map[string]bool{}
	for _, src := range []struct {
		prefix  []byte
		waiting bool
	}{{prefixWait, true}, {heightPrefix(prefixQueue, height-1), false}} {
		var keys, ids [][]byte
		err := r.Iterate(src.prefix, store.PrefixEnd(src.prefix), func(k, v []byte) bool {
			keys, ids = append(keys, bytes.Clone(k)), append(ids, bytes.Clone(v))
			return !src.waiting || len(keys) < WaitRedraws
		})
		if err != nil {
			return nil, err
		}
		for i := range ids {
			if src.waiting && (seen[string(ids[i])] || !waitLive(env.Params, keys[i], height)) {
				in.stale = append(in.stale, keys[i]) // listed twice (drawn for at its first entry), or waited long enough
				seen[string(ids[i])] = true
				continue
			}
			seen[string(ids[i])] = true
			if err := add(keys[i], ids[i], src.waiting); err != nil {
				return nil, err
			}
		}
	}
	return in, nil
}

// unassignedSlots are w's open slots that no prover was ever allocated
// (nobody eligible had room when it was allocated, nor since), while they
// can still be delivered: the slots the chain keeps re-allocating.
func unassignedSlots(w *pb.Workload, height int64) []*pb.Slot {
	var out []*pb.Slot
	if w.Settled || w.RevealFrom != 0 || w.Challenge {
		return nil
	}
	for _, s := range w.Slots {
		if s.State == pb.SlotState_SLOT_STATE_OPEN && len(s.AllocatedTo) == 0 && height <= s.OpenUntil && height <= w.Deadline {
			out = append(out, s)
		}
	}
	return out
}

// stillWaiting reports whether w may still be allotted provers at height
// next: it has unassigned slots and time to prove them.
func stillWaiting(p Params, w *pb.Workload, next int64) bool {
	return len(unassignedSlots(w, next)) > 0 && timeToProve(p, w, next)
}

// timeToProve reports whether a slot of w allotted at height leaves time
// to prove it (TimeToProve).
func timeToProve(p Params, w *pb.Workload, height int64) bool {
	return TimeToProve(p, w.Cycles, w.Deadline, height)
}

// TimeToProve reports whether a slot of a workload of cycles due by
// deadline, allotted at height, leaves the accept window and the proving
// time at cycles_per_block: the chain does not offer work nobody could
// deliver in time.
func TimeToProve(p Params, cycles uint64, deadline, height int64) bool {
	return height+MinDeadline(p, cycles)-1 <= deadline
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
// (PROTOCOL.md 5.2), after re-allocating the slots of earlier workloads
// that nobody could take: slot i goes to the i-th prover drawn; slots no
// eligible prover could take stay open and wait (wait/<seq>), and are
// drawn for again each block until they are allocated, filled, or can no
// longer be delivered. A prover drawn for a waiting workload it already
// holds a slot of is passed over (the slot waits for the next block).
func allocateQueued(kv store.KV, env Env) ([]Event, error) {
	in, err := allocationInput(kv, env, env.Height)
	if err != nil {
		return nil, err
	}
	for _, k := range in.stale {
		if err := kv.Delete(k); err != nil {
			return nil, err
		}
	}
	if len(in.workloads) == 0 {
		return nil, nil
	}
	seed, err := Seed(kv)
	if err != nil {
		return nil, err
	}
	provers, err := activeAllocProvers(kv, env.Params)
	if err != nil {
		return nil, err
	}
	assignments := alloc.Allocate(seed, env.Height, provers, in.workloads)
	byAddr, was, err := drawnProvers(kv, assignments)
	if err != nil {
		return nil, err
	}
	// First every slot and every prover's new load, then the workloads'
	// own bookkeeping: advance may release a slot and update its prover,
	// which must see (and not be overwritten by) the load assigned here.
	dirty := map[[20]byte]bool{}
	allotted := make([][]*pb.Slot, len(assignments)) // of waiting workloads
	for i, a := range assignments {
		w := in.records[i]
		if in.waiting[i] {
			allotted[i] = assignWaiting(env, w, a.Provers, byAddr, dirty)
			continue
		}
		if err := kv.Delete(in.keys[i]); err != nil {
			return nil, err
		}
		assign(env, w, a.Provers, byAddr, dirty)
	}
	for _, a := range slices.SortedFunc(maps.Keys(dirty), func(x, y [20]byte) int { return bytes.Compare(x[:], y[:]) }) {
		w := was[a]
		if err := writeProver(kv, byAddr[a], &w); err != nil {
			return nil, err
		}
	}
	var evs []Event
	for i, w := range in.records {
		slotEvs := []Event{workloadEvent(w)}
		for _, s := range w.Slots {
			slotEvs = append(slotEvs, slotEvent(w, s))
		}
		if in.waiting[i] { // only the slots it allotted changed
			if len(allotted[i]) == 0 { // nothing changed: not even rewritten
				if err := updateWait(kv, env, w, in.keys[i], true); err != nil {
					return nil, err
				}
				continue
			}
			slotEvs = slotEvs[:0]
			for _, s := range allotted[i] {
				slotEvs = append(slotEvs, slotEvent(w, s))
			}
		}
		res, err := finishMsg(kv, env, w, slotEvs...)
		if err != nil {
			return nil, err
		}
		evs = append(evs, res.Events...)
		if err := updateWait(kv, env, w, in.keys[i], in.waiting[i]); err != nil {
			return nil, err
		}
	}
	return evs, nil
}

// drawnProvers reads the records of the provers the allocator drew, and
// their index entries as read.
func drawnProvers(r store.Reader, assignments []alloc.Assignment) (map[[20]byte]*pb.Prover, map[[20]byte]indexEntry, error) {
	byAddr, was := map[[20]byte]*pb.Prover{}, map[[20]byte]indexEntry{}
	for _, as := range assignments {
		for _, a := range as.Provers {
			if byAddr[a] != nil {
				continue
			}
			p, err := GetProver(r, a)
			if err != nil {
				return nil, nil, err
			}
			byAddr[a], was[a] = p, indexEntryOf(p)
		}
	}
	return byAddr, was, nil
}

// updateWait keeps w in the wait list while it has unassigned slots that
// can still be delivered after this block, and takes it out otherwise.
func updateWait(kv store.KV, env Env, w *pb.Workload, key []byte, waiting bool) error {
	still := stillWaiting(env.Params, w, env.Height+1) && (!waiting || waitLive(env.Params, key, env.Height+1))
	switch {
	case waiting && !still:
		return kv.Delete(key)
	case !waiting && still:
		return addWait(kv, env.Height, w)
	}
	return nil
}

// waitLive reports whether the wait entry at key may still be drawn for at
// height: at most wait_blocks after it was made.
func waitLive(p Params, key []byte, height int64) bool {
	return waitSince(key)+p.WaitBlocks >= height
}

// addWait puts w at the end of the wait list. A workload listed twice is
// drawn for once, at its first entry; allocationInput drops the later one.
func addWait(kv store.KV, height int64, w *pb.Workload) error {
	seq, err := nextSeq(kv)
	if err != nil {
		return err
	}
	return kv.Set(waitKey(height, seq), w.Id)
}

// assign creates w's slots from the provers drawn for it.
func assign(env Env, w *pb.Workload, drawn [][20]byte, byAddr map[[20]byte]*pb.Prover, dirty map[[20]byte]bool) {
	w.AllocatedHeight, w.State = env.Height, pb.WorkloadState_WORKLOAD_STATE_ALLOCATED
	w.Slots = make([]*pb.Slot, w.K)
	for i := range w.Slots {
		s := &pb.Slot{Index: uint32(i), State: pb.SlotState_SLOT_STATE_OPEN, OpenUntil: w.Deadline}
		if i < len(drawn) {
			allot(env, s, drawn[i], byAddr, dirty)
		}
		w.Slots[i] = s
	}
}

// assignWaiting gives a waiting workload's unassigned slots, in slot
// order, to the provers drawn for it that hold no slot of it yet.
func assignWaiting(env Env, w *pb.Workload, drawn [][20]byte, byAddr map[[20]byte]*pb.Prover, dirty map[[20]byte]bool) []*pb.Slot {
	slots := unassignedSlots(w, env.Height)
	var allotted []*pb.Slot
	for _, a := range drawn {
		if len(slots) == 0 {
			break
		}
		if holds(w, address.Address(a)) || isClaimant(w, a) {
			continue
		}
		allot(env, slots[0], a, byAddr, dirty)
		slots[0].Waited = true
		allotted, slots = append(allotted, slots[0]), slots[1:]
	}
	return allotted
}

// isClaimant reports whether a made a fail claim on a slot of w.
func isClaimant(w *pb.Workload, a [20]byte) bool {
	for _, s := range w.Slots {
		if bytes.Equal(s.FailClaim, a[:]) {
			return true
		}
	}
	return false
}

// allot assigns slot s to the drawn prover a.
func allot(env Env, s *pb.Slot, a [20]byte, byAddr map[[20]byte]*pb.Prover, dirty map[[20]byte]bool) {
	s.State, s.AllocatedTo, s.Prover = pb.SlotState_SLOT_STATE_ASSIGNED, a[:], a[:]
	s.AcceptBy, s.Promise = env.Height+env.Params.AcceptWindow, 0 // a market match sets its promise after
	p := byAddr[a]
	p.Held++
	p.LastAllocated = env.Height
	dirty[a] = true
}

// runTimers advances every workload whose timer is this height.
func runTimers(kv store.KV, env Env) ([]Event, error) {
	ids, err := dueAt(kv, prefixTimer, env.Height)
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
