package client

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/provernet/provernet/wire"
)

// WaitTx polls every poll interval until the transaction is committed or
// ctx ends. A committed transaction that failed is returned without an
// error: TxError tells.
func (c *Client) WaitTx(ctx context.Context, hash string) (*wire.TxResult, error) {
	for {
		r, err := c.Tx(ctx, hash)
		if err == nil {
			return r, nil
		}
		if !errors.Is(err, ErrNotFound) {
			return nil, err
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("transaction %s not committed: %w", hash, ctx.Err())
		case <-time.After(c.poll):
		}
	}
}

// WaitWorkload polls a workload every interval (the client's poll interval
// if every <= 0) until done returns true or ctx ends. A workload not yet
// committed (ErrNotFound) is waited for, and so is a node that is briefly
// unreachable or failing (Transient); any other error ends the wait.
// seen (if not nil) is called whenever the workload's states or provers
// change, done after every poll that found it, so done may also do work on
// each poll (fetch a result, redraw a status line).
//
// Ended is the usual done: wait until the workload is final, failed,
// rejected or expired.
func (c *Client) WaitWorkload(ctx context.Context, id string, every time.Duration, seen func(*wire.Workload), done func(*wire.Workload) bool) (*wire.Workload, error) {
	if every <= 0 {
		every = c.poll
	}
	var last string
	for {
		w, err := c.Workload(ctx, id)
		switch {
		case err == nil:
			if sig := workloadSignature(w); sig != last && seen != nil {
				last = sig
				seen(w)
			}
			if done(w) {
				return w, nil
			}
		case ctx.Err() != nil:
			// The request failed because ctx ended: say so below.
		case !errors.Is(err, ErrNotFound) && !Transient(err):
			return nil, err
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("stopped waiting for workload %s: %w", id, ctx.Err())
		case <-time.After(every):
		}
	}
}

// Ended reports whether a workload is in a terminal state (a WaitWorkload
// done function).
func Ended(w *wire.Workload) bool { return wire.WorkloadEnded(w.State) }

// workloadSignature is what seen reacts to: the states, settlement and
// provers of a workload and its slots.
func workloadSignature(w *wire.Workload) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s/%v", w.State, w.Settled)
	for _, s := range w.Slots {
		fmt.Fprintf(&b, "|%s:%s", s.State, s.Prover)
	}
	return b.String()
}
