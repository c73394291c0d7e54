package client

import (
	"context"
	"net/url"
	"strconv"

	"github.com/provernet/provernet/wire"
)

// Workload returns a workload and its slots by id (hex).
func (c *Client) Workload(ctx context.Context, id string) (*wire.Workload, error) {
	var w wire.Workload
	return &w, c.get(ctx, "/v1/workloads/"+url.PathEscape(id), &w)
}

// SealedResult downloads the age file submitted for a slot of a workload,
// unopened. Only the workload's owner can open it (with the identity behind
// the Run's recipient), or anyone once the slot's temporary identity is
// revealed; OpenSlot opens it and checks whose it is.
func (c *Client) SealedResult(ctx context.Context, id string, slot uint32) ([]byte, error) {
	return c.getBytes(ctx, "/v1/workloads/"+url.PathEscape(id)+"/slots/"+strconv.FormatUint(uint64(slot), 10)+"/sealed")
}

// Fee quotes what a Run of program (hex id) with cycles per prover and k
// provers would cost.
func (c *Client) Fee(ctx context.Context, program string, cycles uint64, k uint32) (*wire.FeeQuote, error) {
	q := url.Values{}
	q.Set("program", program)
	q.Set("cycles", strconv.FormatUint(cycles, 10))
	q.Set("provers", strconv.FormatUint(uint64(k), 10))
	var f wire.FeeQuote
	return &f, c.get(ctx, "/v1/fee?"+q.Encode(), &f)
}

// Allocation explains how a workload's provers were drawn, recomputed by the
// node from the chain's state, beside the slots the chain recorded.
func (c *Client) Allocation(ctx context.Context, id string) (*wire.Allocation, error) {
	var a wire.Allocation
	return &a, c.get(ctx, "/v1/workloads/"+url.PathEscape(id)+"/allocation", &a)
}

// PendingResults lists the results submitted for a workload that are still
// in the node's mempool, unopened; OpenPending opens one and checks whose
// it is.
func (c *Client) PendingResults(ctx context.Context, id string) ([]wire.PendingResult, error) {
	var rs []wire.PendingResult
	return rs, c.get(ctx, "/v1/workloads/"+url.PathEscape(id)+"/pending", &rs)
}
