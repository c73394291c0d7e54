package client

import (
	"context"
	"fmt"
	"time"

	"github.com/provernet/provernet/wire"
)

// FollowOptions tune FollowRun; the zero value looks at the client's
// interval while it must poll and opens proofs up to the chain's
// max_proof_size.
type FollowOptions struct {
	// Every is how often to look while FollowRun polls (0: the client's
	// poll interval): while a proof may reach the mempool before its
	// block, and while the node's event stream is not connected. Otherwise
	// it looks at the workload's events (WaitWorkload).
	Every    time.Duration
	MaxProof int // the largest proof to open (0: the chain's max_proof_size)
	// Poll, if set, is called with the workload after every look.
	Poll func(*wire.Workload)
	// Proof, if set, is called with each proof FollowRun opens: the first
	// (final false), from the node's mempool or a block, and once the
	// workload is final the proof of its first valid slot (final true)
	// unless the first came from that slot's block. An error it returns
	// ends FollowRun.
	Proof func(r *Result, final bool) error
	// Refused, if set, is called for a slot whose committed result
	// claims a proof but does not open or is not bound to the slot (its
	// error wraps e.g. seal.ErrWrongIdentity or ErrHeaderMismatch). Each
	// slot is tried once.
	Refused func(slot uint32, err error)
}

// Followed is how a workload ended, as FollowRun saw it.
type Followed struct {
	Workload *wire.Workload // the last state seen: terminal
	First    *Result        // the first proof opened, nil if none was
	Final    *Result        // the proof of the first valid slot; nil unless the workload is final
}

// FollowRun follows a workload until it ends, opening with identity the
// first proof a prover submits, from the node's mempool before its block
// when it can (OpenPending), else from the earliest block (OpenSlot); once
// the workload is final, the proof of the first slot the network judged
// valid, the one that counts. It looks at the workload when the node's
// event stream reports one of its events (WaitWorkload), and every
// o.Every while the mempool may hold a proof no block has announced. Every proof's header is checked. If ctx ends
// first, the error wraps ctx's and the Followed so far is returned too.
func (c *Client) FollowRun(ctx context.Context, id, identity string, o FollowOptions) (*Followed, error) {
	maxProof, err := c.maxProof(ctx, o.MaxProof)
	if err != nil {
		return nil, err
	}
	f := &follower{c: c, identity: identity, maxProof: maxProof, o: o, tried: map[uint32]bool{}}
	var cbErr error
	w, err := c.waitWorkload(ctx, id, o.Every, f.eager, nil, func(w *wire.Workload) bool {
		f.done.Workload = w
		if o.Poll != nil {
			o.Poll(w)
		}
		if Ended(w) {
			return true
		}
		cbErr = f.first(ctx, w)
		return cbErr != nil
	})
	switch {
	case err != nil:
		return &f.done, err
	case cbErr != nil:
		return &f.done, cbErr
	}
	if w.State != wire.WorkloadFinal {
		return &f.done, nil
	}
	return &f.done, f.final(ctx, w)
}

// follower is FollowRun's state between polls.
type follower struct {
	c        *Client
	identity string
	maxProof int
	o        FollowOptions
	tried    map[uint32]bool // committed slots whose result was opened
	retry    bool            // a committed result could not be fetched: try again soon
	done     Followed
}

// eager says FollowRun should look every interval, not only at the
// workload's events: while a proof may reach the node's mempool before any
// block says so (the workload is allocated or running and no proof was
// opened yet), or a committed result could not be fetched.
func (f *follower) eager(w *wire.Workload) bool {
	if f.done.First != nil {
		return false
	}
	return f.retry || w.State == wire.WorkloadAllocated || w.State == wire.WorkloadRunning
}

// first opens the first proof: from the mempool, else the earliest block.
func (f *follower) first(ctx context.Context, w *wire.Workload) error {
	if f.done.First != nil {
		return nil
	}
	f.retry = false
	// Nothing pending, or nothing that opens: a block will bring it.
	if r, err := f.c.openPending(ctx, w, f.identity, f.maxProof); err == nil {
		return f.found(r, false)
	}
	for _, s := range w.SubmittedSlots() {
		if s.Outcome != wire.OutcomeProof || f.tried[s.Index] {
			continue
		}
		r, err := f.c.OpenSlot(ctx, w, s.Index, f.identity, f.maxProof)
		if err != nil && Transient(err) {
			f.retry = true
			return nil // the node, not the result: try again at the next look
		}
		f.tried[s.Index] = true
		if err != nil {
			if f.o.Refused != nil {
				f.o.Refused(s.Index, err)
			}
			continue
		}
		return f.found(r, false)
	}
	return nil
}

// final opens the proof of w's first valid slot, unless the first proof
// came from that slot's block.
func (f *follower) final(ctx context.Context, w *wire.Workload) error {
	s := w.FinalSlot()
	if s == nil {
		return fmt.Errorf("%w: workload %s is final but no slot is valid", ErrNoResult, w.ID)
	}
	if r := f.done.First; r != nil && !r.Pending && r.Slot == s.Index {
		f.done.Final = r
		return nil
	}
	r, err := f.c.OpenSlot(ctx, w, s.Index, f.identity, f.maxProof)
	if err != nil {
		return err
	}
	if r.Outcome() != wire.OutcomeProof {
		return fmt.Errorf("%w: slot %d is valid but its result says %s", ErrHeaderMismatch, s.Index, r.Outcome())
	}
	return f.found(r, true)
}

func (f *follower) found(r *Result, final bool) error {
	if final {
		f.done.Final = r
	} else {
		f.done.First = r
	}
	if f.o.Proof == nil {
		return nil
	}
	return f.o.Proof(r, final)
}
