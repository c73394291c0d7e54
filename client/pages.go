package client

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"

	"github.com/provernet/provernet/wire"
)

// Page sizes of the list endpoints (/v1/workloads, /v1/provers,
// /v1/programs): a request names at most MaxPageLimit records; without a
// limit a page holds DefaultPageLimit.
const (
	DefaultPageLimit = 100
	MaxPageLimit     = 1000
)

// ListOptions select one page of a list.
type ListOptions struct {
	// Limit is the page size, 1..MaxPageLimit; 0 means the node's default.
	Limit int
	// Cursor is the previous page's Next; empty for the first page.
	Cursor string
	// Owner restricts /v1/workloads to one owner (a bech32 address).
	Owner string

	// Filters (docs/API.md, "Filters"). A filtered page may hold fewer
	// than Limit records, none even, and still have a Next: keep going.

	// State keeps provers (pending, active, ...) or workloads (final,
	// expired, ...) in that state.
	State string
	// Hardware keeps the provers of a class: "cpu" or "gpu".
	Hardware string
	// Label keeps the provers registered with this label.
	Label string
	// Program keeps the workloads of a program (its id, 64 hex digits).
	Program string
	// FromHeight and ToHeight keep the workloads included in that range
	// of heights, both ends included; 0 leaves an end open.
	FromHeight, ToHeight int64
}

// maxPages bounds how many pages a helper that lists everything follows.
const maxPages = 10_000

// ErrTooManyPages is returned by a helper that lists everything when the
// list has more than maxPages pages.
var ErrTooManyPages = errors.New("list has too many pages")

func (o ListOptions) query(path string) string {
	v := url.Values{}
	if o.Limit != 0 {
		v.Set("limit", strconv.Itoa(o.Limit))
	}
	if o.Cursor != "" {
		v.Set("cursor", o.Cursor)
	}
	if o.Owner != "" {
		v.Set("owner", o.Owner)
	}
	for key, val := range map[string]string{"state": o.State, "hardware": o.Hardware, "label": o.Label, "program": o.Program} {
		if val != "" {
			v.Set(key, val)
		}
	}
	for key, h := range map[string]int64{"from_height": o.FromHeight, "to_height": o.ToHeight} {
		if h != 0 {
			v.Set(key, strconv.FormatInt(h, 10))
		}
	}
	if len(v) == 0 {
		return path
	}
	return path + "?" + v.Encode()
}

// WorkloadsPage returns one page of workloads, newest first.
func (c *Client) WorkloadsPage(ctx context.Context, o ListOptions) (*wire.WorkloadPage, error) {
	var p wire.WorkloadPage
	return &p, c.get(ctx, o.query("/v1/workloads"), &p)
}

// ProversPage returns one page of registered provers.
func (c *Client) ProversPage(ctx context.Context, o ListOptions) (*wire.ProverPage, error) {
	var p wire.ProverPage
	return &p, c.get(ctx, o.query("/v1/provers"), &p)
}

// ProgramsPage returns one page of deployed programs.
func (c *Client) ProgramsPage(ctx context.Context, o ListOptions) (*wire.ProgramPage, error) {
	var p wire.ProgramPage
	return &p, c.get(ctx, o.query("/v1/programs"), &p)
}

// WorkloadsWhere lists the newest workloads that pass o's filters (Owner,
// Program, State, FromHeight, ToHeight), following the pages from o's
// Cursor until it has max of them (0: MaxPageLimit; reading at most
// MaxPageLimit pages) or the
// list ends; the cursor it returns continues after them ("" at the end).
func (c *Client) WorkloadsWhere(ctx context.Context, o ListOptions, max int) ([]wire.Workload, string, error) {
	if max <= 0 {
		max = MaxPageLimit
	}
	var out []wire.Workload
	for range MaxPageLimit {
		o.Limit = min(MaxPageLimit, max-len(out))
		p, err := c.WorkloadsPage(ctx, o)
		if err != nil {
			return nil, "", err
		}
		out = append(out, p.Workloads...)
		if p.Next == "" || len(out) >= max {
			return out, p.Next, nil
		}
		o.Cursor = p.Next
	}
	return out, o.Cursor, nil
}

// Workloads lists the newest workloads (at most MaxPageLimit), those of
// owner (a bech32 address) if it is not empty. WorkloadsPage reads further.
func (c *Client) Workloads(ctx context.Context, owner string) ([]wire.Workload, error) {
	p, err := c.WorkloadsPage(ctx, ListOptions{Limit: MaxPageLimit, Owner: owner})
	if err != nil {
		return nil, err
	}
	return p.Workloads, nil
}

// Provers lists every registered prover, following the pages.
func (c *Client) Provers(ctx context.Context) ([]wire.Prover, error) {
	return c.ProversWhere(ctx, ListOptions{})
}

// ProversWhere lists every registered prover that passes o's filters
// (State, Hardware, Label), following the pages; o's Limit and Cursor are not
// used.
func (c *Client) ProversWhere(ctx context.Context, o ListOptions) ([]wire.Prover, error) {
	o.Limit = MaxPageLimit
	return all(func(cursor string) ([]wire.Prover, string, error) {
		o.Cursor = cursor
		p, err := c.ProversPage(ctx, o)
		if err != nil {
			return nil, "", err
		}
		return p.Provers, p.Next, nil
	})
}

// Programs lists every deployed program, following the pages.
func (c *Client) Programs(ctx context.Context) ([]wire.Program, error) {
	return all(func(cursor string) ([]wire.Program, string, error) {
		p, err := c.ProgramsPage(ctx, ListOptions{Limit: MaxPageLimit, Cursor: cursor})
		if err != nil {
			return nil, "", err
		}
		return p.Programs, p.Next, nil
	})
}

// all follows a list's cursors to its end.
func all[T any](page func(cursor string) ([]T, string, error)) ([]T, error) {
	var out []T
	cursor := ""
	for range maxPages {
		items, next, err := page(cursor)
		if err != nil {
			return nil, err
		}
		out = append(out, items...)
		if next == "" {
			return out, nil
		}
		cursor = next
	}
	return nil, fmt.Errorf("%w (more than %d)", ErrTooManyPages, maxPages)
}
