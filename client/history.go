package client

import (
	"context"
	"net/url"
	"strconv"

	"github.com/provernet/provernet/wire"
)

// Timeline returns what happened to a workload, oldest first, as the node
// reads it from its transaction and block indexes. Complete is false when
// the node stopped reading early. A node that keeps no index answers a
// *StatusError with code wire.APIIndexerDisabled.
func (c *Client) Timeline(ctx context.Context, id string) (*wire.Timeline, error) {
	var t wire.Timeline
	return &t, c.get(ctx, "/v1/workloads/"+url.PathEscape(id)+"/timeline", &t)
}

// HistoryOptions select one page of a prover's history.
type HistoryOptions struct {
	// Limit is the page size, 1..100; 0 means the node's default (50).
	Limit int
	// Cursor is the previous page's Next; empty for the newest page.
	Cursor string
}

// ProverHistory returns one page of what happened to a prover, newest
// first. A page shorter than the limit with a Next means keep going.
func (c *Client) ProverHistory(ctx context.Context, addr string, o HistoryOptions) (*wire.ProverHistory, error) {
	v := url.Values{}
	if o.Limit != 0 {
		v.Set("limit", strconv.Itoa(o.Limit))
	}
	if o.Cursor != "" {
		v.Set("cursor", o.Cursor)
	}
	path := "/v1/provers/" + url.PathEscape(addr) + "/history"
	if len(v) > 0 {
		path += "?" + v.Encode()
	}
	var h wire.ProverHistory
	return &h, c.get(ctx, path, &h)
}
