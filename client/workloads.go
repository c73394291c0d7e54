package client

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"

	"github.com/provernet/provernet/wire"
)

// Workload returns a workload and its slots by id (hex).
func (c *Client) Workload(ctx context.Context, id string) (*wire.Workload, error) {
	var w wire.Workload
	return &w, c.get(ctx, "/v1/workloads/"+url.PathEscape(id), &w)
}

// SealedResult downloads the age file submitted for a slot of a workload.
// Only the workload's owner can open it (with the identity behind the Run's
// recipient), or anyone once the slot's temporary identity is revealed.
func (c *Client) SealedResult(ctx context.Context, id string, slot uint32) ([]byte, error) {
	return c.getBytes(ctx, "/v1/workloads/"+url.PathEscape(id)+"/slots/"+strconv.FormatUint(uint64(slot), 10)+"/sealed")
}

// maxDownload bounds a raw download: the largest module a program may
// deploy, with room to spare.
const maxDownload = 128 << 20

// getBytes fetches a raw (non-JSON) answer; a non-2xx answer becomes an
// error carrying the API's message, and a 404 matches ErrNotFound.
func (c *Client) getBytes(ctx context.Context, path string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+path, nil)
	if err != nil {
		return nil, err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("failed to reach the node at %s: %w", c.base, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxDownload))
	if err != nil {
		return nil, fmt.Errorf("failed to read the node's answer: %w", err)
	}
	if err := statusErr(resp.StatusCode, b); err != nil {
		return nil, err
	}
	return b, nil
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

// statusErr turns a non-2xx answer into an error carrying the API's
// message and hint, as the JSON methods do; a 404 also matches ErrNotFound.
func statusErr(status int, body []byte) error {
	if status/100 == 2 {
		return nil
	}
	se := &statusError{status: status, body: body}
	_ = json.Unmarshal(body, &se.api)
	if status == http.StatusNotFound {
		return fmt.Errorf("%w: %w", ErrNotFound, se)
	}
	return se
}

// PendingResults lists the results submitted for a workload that are still
// in the node's mempool, so a user can open a proof before its block.
func (c *Client) PendingResults(ctx context.Context, id string) ([]wire.PendingResult, error) {
	var rs []wire.PendingResult
	return rs, c.get(ctx, "/v1/workloads/"+url.PathEscape(id)+"/pending", &rs)
}
