package bench

import (
	"cmp"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"slices"

	"filippo.io/age"

	"github.com/provernet/provernet/internal/protocol"
	"github.com/provernet/provernet/wire"
	"github.com/provernet/provernet/wire/address"
	"github.com/provernet/provernet/wire/pb"
	"github.com/provernet/provernet/wire/seal"
)

// The weight benchmark's main chain: active provers, users and a program,
// on which each message kind that needs workloads gets a block of its own,
// filled to the block's weight. The workloads those blocks act on are made
// by unmeasured setup blocks, which the harness runs without a weight
// limit: a block of Runs (k = max_provers_per_workload, the largest
// workload records), its allocation, and then each lifecycle step in the
// window it must meet.

// wtSlot is one slot of a lifecycle workload.
type wtSlot struct {
	w, index int // workload (in wtChain.ids) and slot index
	prover   int // index in the harness's provers
	identity *age.X25519Identity
	ballot   uint64
}

type wtChain struct {
	o     WeightOptions
	h     *wlHarness
	ids   [][]byte
	user  []int // the Run's sender per workload
	slots [][]*wtSlot
	next  int // next user to send
	asks  int // SetAsk blocks measured (each sets a new ask id)
	// baseMs is FinalizeBlock of the last empty block base measured.
	baseMs float64
}

// base measures an empty block: the baseline of the next measured one.
func (c *wtChain) base(ctx context.Context) error {
	f, err := newFill(c.h)
	if err != nil {
		return err
	}
	m, err := f.measure(ctx)
	if err != nil {
		return err
	}
	c.baseMs = m.finalizeMs
	if m.due > 0 {
		fmt.Fprintf(c.o.Progress, "(empty block %d: %.1f ms with %d weight due)\n", m.height, m.finalizeMs, m.due)
	}
	return nil
}

// one message of each kind, to size the setup by the weights.
func (c *wtChain) perBlock(m *pb.Msg, size int) int {
	w := c.h.params.BlockWeight(size, []*pb.Msg{m})
	return int(c.h.params.MaxBlockWeight/w) + 1
}

func (c *wtChain) nextUser() *wlAccount {
	u := c.h.users[c.next%len(c.h.users)]
	c.next++
	return u
}

func seeded(parts ...any) []byte {
	sum := sha256.Sum256(fmt.Append(nil, parts...))
	return sum[:]
}

func transferMsg(i int) *pb.Msg {
	return &pb.Msg{Kind: &pb.Msg_Transfer{Transfer: &pb.Transfer{To: seeded("weight transfer", i)[:address.Size], Amount: 1}}}
}

func deployMsg(i int) *pb.Msg {
	return &pb.Msg{Kind: &pb.Msg_Deploy{Deploy: &pb.Deploy{Name: fmt.Sprintf("weight-%d", i),
		Prover:      &pb.Module{Sha256: seeded("weight prover", i), Size: 16_500_000},
		Verifier:    &pb.Module{Sha256: seeded("weight verifier", i), Size: 2_100_000},
		MinHardware: &pb.Hardware{CpuCores: 4, MemoryMb: 8192}}}}
}

func (c *wtChain) runMsg(u *wlAccount) *pb.Msg {
	input := make([]byte, 128)
	_, _ = rand.Read(input)
	return &pb.Msg{Kind: &pb.Msg_Run{Run: &pb.Run{Program: c.h.program, Cycles: wlCycles, Provers: c.h.params.MaxProversPerWorkload,
		Recipient: u.recipient, Deadline: c.h.deadline, Inputs: []*pb.Input{{Name: "input.json", Data: input}}}}}
}

// simple fills a block with msg(i) from one user after another.
func (c *wtChain) simple(ctx context.Context, kind string, msg func(i int) *pb.Msg) (*wtMeasured, error) {
	f, err := newFill(c.h)
	if err != nil {
		return nil, err
	}
	for i := 0; f.add(kind, c.nextUser(), msg(i)); i++ {
	}
	return f.measure(ctx)
}

// setAsks fills a block with SetAsks, one from each prover in turn.
func (c *wtChain) setAsks(ctx context.Context) (*wtMeasured, error) {
	f, err := newFill(c.h)
	if err != nil {
		return nil, err
	}
	for i := 0; i < len(c.h.provers); i++ {
		m := &pb.Msg{Kind: &pb.Msg_SetAsk{SetAsk: &pb.SetAsk{Id: uint32(1 + c.asks), Price: uint64(1 + i%100),
			Latency: c.h.params.AcceptWindow + int64(i%50), Programs: [][]byte{c.h.program}, Classes: []string{"cpu"}}}}
		if !f.add("set_ask", c.h.provers[i], m) {
			break
		}
	}
	c.asks++
	return f.measure(ctx)
}

// runs fills a block with Runs.
func (c *wtChain) runs(ctx context.Context) (*wtMeasured, error) {
	f, err := newFill(c.h)
	if err != nil {
		return nil, err
	}
	for {
		u := c.nextUser()
		if !f.add("run", u, c.runMsg(u)) {
			break
		}
	}
	return f.measure(ctx)
}

// lifecycle makes n workloads with a setup block of Runs and their
// allocation, and records every slot's prover.
func (c *wtChain) lifecycle(ctx context.Context, n int) error {
	var txs []*wlTx
	first := len(c.ids)
	for range n {
		ui := c.next % len(c.h.users)
		u := c.nextUser()
		c.ids = append(c.ids, wire.WorkloadID(u.addr, u.nonce, 0))
		c.user = append(c.user, ui)
		txs = append(txs, newTx("run", u, c.runMsg(u)))
	}
	if err := c.h.plain(ctx, txs); err != nil {
		return err
	}
	if err := c.h.plain(ctx, nil); err != nil { // allocation
		return err
	}
	snap := c.h.app.Committed()
	for i := first; i < len(c.ids); i++ {
		w, err := protocol.WorkloadView(snap, c.ids[i])
		if err != nil {
			return err
		}
		var slots []*wtSlot
		for _, s := range w.Slots {
			if s.State != pb.SlotState_SLOT_STATE_ASSIGNED || len(s.Prover) != address.Size {
				return fmt.Errorf("workload %d slot %d is %s: the allocator left it unassigned (%d provers hold 8 workloads each: too few for the setup)", i, s.Index, s.State, len(c.h.provers))
			}
			p, ok := c.h.byAddr[address.Address(s.Prover)]
			if !ok {
				return fmt.Errorf("workload %d slot %d: prover %x is not a bench prover", i, s.Index, s.Prover)
			}
			slots = append(slots, &wtSlot{w: i, index: int(s.Index), prover: p})
		}
		c.slots = append(c.slots, slots)
	}
	return nil
}

// workloadSlots lists the slots of workloads [from, to).
func (c *wtChain) workloadSlots(from, to int) []*wtSlot {
	var out []*wtSlot
	for _, ss := range c.slots[from:to] {
		out = append(out, ss...)
	}
	return out
}

func (c *wtChain) prover(s *wtSlot) *wlAccount { return c.h.provers[s.prover] }

func slotMsg(kind string, id []byte, slot int) *pb.Msg {
	switch kind {
	case "accept":
		return &pb.Msg{Kind: &pb.Msg_Accept{Accept: &pb.Accept{Workload: id, Slot: uint32(slot)}}}
	case "decline":
		return &pb.Msg{Kind: &pb.Msg_Decline{Decline: &pb.Decline{Workload: id, Slot: uint32(slot)}}}
	}
	panic("slotMsg " + kind)
}

// answer fills a block with Accepts or Declines of slots, at most
// max_declines_per_epoch declines per prover; it returns the slots
// answered.
func (c *wtChain) answer(ctx context.Context, kind string, slots []*wtSlot) (*wtMeasured, map[*wtSlot]bool, error) {
	f, err := newFill(c.h)
	if err != nil {
		return nil, nil, err
	}
	per := map[int]uint32{}
	done := map[*wtSlot]bool{}
	for _, s := range slots {
		if kind == "decline" && per[s.prover] >= c.h.params.MaxDeclinesPerEpoch {
			continue
		}
		if !f.add(kind, c.prover(s), slotMsg(kind, c.ids[s.w], s.index)) {
			break
		}
		per[s.prover]++
		done[s] = true
	}
	if !f.full {
		return nil, nil, fmt.Errorf("%s: %d slots did not fill the block (weight %d of %d)", kind, len(slots), f.weight.Weight(), f.room)
	}
	m, err := f.measure(ctx)
	return m, done, err
}

// submitMsgs seals a result of proofBytes for each slot (in parallel).
func (c *wtChain) submitMsgs(slots []*wtSlot, proofBytes int) ([]*pb.Msg, error) {
	msgs := make([]*pb.Msg, len(slots))
	err := wlParallel(len(slots), func(n int) error {
		s := slots[n]
		id, err := seal.NewIdentity()
		if err != nil {
			return err
		}
		s.identity = id
		hdr := seal.Header{Workload: [32]byte(c.ids[s.w]), Slot: uint32(s.index), Prover: c.prover(s).addr,
			Outcome: seal.OutcomeProof, CyclesUsed: wlCycles - 1}
		proof := make([]byte, proofBytes)
		_, _ = rand.Read(proof)
		file, err := seal.Seal(hdr, proof, c.h.users[c.user[s.w]].recipient, id)
		if err != nil {
			return err
		}
		commit := seal.Commit(id.String())
		msgs[n] = &pb.Msg{Kind: &pb.Msg_SubmitResult{SubmitResult: &pb.SubmitResult{Workload: c.ids[s.w], Slot: uint32(s.index),
			Sealed: file, Commit: commit[:], Outcome: pb.Outcome_OUTCOME_PROOF, CyclesUsed: hdr.CyclesUsed}}}
		return nil
	})
	return msgs, err
}

func revealMsg(id []byte, s *wtSlot) *pb.Msg {
	return &pb.Msg{Kind: &pb.Msg_RevealKey{RevealKey: &pb.RevealKey{Workload: id, Slot: uint32(s.index), Identity: s.identity.String()}}}
}

// fillMsgs fills a block with one transaction per message, from each
// slot's prover, in order; it fails if the messages run out first.
func (c *wtChain) fillMsgs(ctx context.Context, kind string, slots []*wtSlot, msgs []*pb.Msg) (*wtMeasured, int, error) {
	f, err := newFill(c.h)
	if err != nil {
		return nil, 0, err
	}
	n := 0
	for n < len(slots) && f.add(kind, c.prover(slots[n]), msgs[n]) {
		n++
	}
	if !f.full {
		return nil, 0, fmt.Errorf("%s: %d messages did not fill the block (weight %d of %d)", kind, len(slots), f.weight.Weight(), f.room)
	}
	m, err := f.measure(ctx)
	return m, n, err
}

// ballots reads each slot's ballot number and committee.
func (c *wtChain) ballots(slots []*wtSlot) (map[*wtSlot][][]byte, error) {
	snap := c.h.app.Committed()
	out := map[*wtSlot][][]byte{}
	views := map[int]*pb.Workload{}
	for _, s := range slots {
		w, ok := views[s.w]
		if !ok {
			var err error
			if w, err = protocol.WorkloadView(snap, c.ids[s.w]); err != nil {
				return nil, err
			}
			views[s.w] = w
		}
		sl := w.Slots[s.index]
		if sl.State != pb.SlotState_SLOT_STATE_VERIFYING || len(sl.Committee) == 0 {
			return nil, fmt.Errorf("workload %d slot %d is %s with a committee of %d: not voting", s.w, s.index, sl.State, len(sl.Committee))
		}
		s.ballot = sl.Ballot
		out[s] = sl.Committee
	}
	return out, nil
}

// voteBlock fills a block with one Vote per member, carrying its entries
// (in ballot order), members in address order.
func (c *wtChain) voteBlock(ctx context.Context, entries map[int][]wire.Ballot) (*wtMeasured, int, error) {
	f, err := newFill(c.h)
	if err != nil {
		return nil, 0, err
	}
	members := make([]int, 0, len(entries))
	for p := range entries {
		members = append(members, p)
	}
	slices.Sort(members)
	n := 0
	for _, p := range members {
		es := entries[p]
		slices.SortFunc(es, func(a, b wire.Ballot) int { return cmp.Compare(a.Number, b.Number) })
		v, err := wire.EncodeVote(es)
		if err != nil {
			return nil, 0, err
		}
		if !f.add("vote", c.h.provers[p], &pb.Msg{Kind: &pb.Msg_Vote{Vote: v}}) {
			continue // a smaller Vote may still fit
		}
		n += len(es)
	}
	m, err := f.measure(ctx)
	return m, n, err
}
