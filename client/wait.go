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

// WaitWorkload follows a workload until done returns true or ctx ends. It
// looks at the workload whenever the node's event stream reports one of
// its events (wake.go), at least every 2 s, and every interval (the
// client's poll interval if every <= 0) while the stream is not connected
// or the node has none. A workload not yet committed (ErrNotFound) is
// waited for, and so is a node that is briefly unreachable or failing
// (Transient); any other error ends the wait. seen (if not nil) is called
// whenever the workload's states or provers change, done after every look
// that found it, so done may also do work on each look (fetch a result,
// redraw a status line).
//
// Ended is the usual done: wait until the workload is final, failed,
// rejected or expired.
func (c *Client) WaitWorkload(ctx context.Context, id string, every time.Duration, seen func(*wire.Workload), done func(*wire.Workload) bool) (*wire.Workload, error) {
	return c.waitWorkload(ctx, id, every, nil, seen, done)
}

// waitWorkload is WaitWorkload that also looks every interval while eager
// (if not nil) says so of the last look.
func (c *Client) waitWorkload(ctx context.Context, id string, every time.Duration, eager func(*wire.Workload) bool, seen func(*wire.Workload), done func(*wire.Workload) bool) (*wire.Workload, error) {
	if every <= 0 {
		every = c.poll
	}
	watchCtx, stop := context.WithCancel(ctx)
	defer stop()
	wk := c.watch(watchCtx, id)
	var last string
	for {
		w, err := c.Workload(ctx, id)
		fast := true // until the workload is found, look every interval
		switch {
		case err == nil:
			if sig := workloadSignature(w); sig != last && seen != nil {
				last = sig
				seen(w)
			}
			if done(w) {
				return w, nil
			}
			fast = eager != nil && eager(w)
		case ctx.Err() != nil:
			// The request failed because ctx ended: say so below.
		case !errors.Is(err, ErrNotFound) && !Transient(err):
			return nil, err
		}
		if err := wk.sleep(ctx, every, fast); err != nil {
			return nil, fmt.Errorf("stopped waiting for workload %s: %w", id, err)
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
