package client

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/provernet/provernet/wire"
)

// EventFilter selects the events Events follows (docs/API.md, "Events").
type EventFilter struct {
	Workload string // a workload id (hex)
	Owner    string // a prv1 address: its workloads' events
	Prover   string // a prv1 address: events naming it as prover, voter or sender
	From     int64  // the first height (0: the next block)
}

// eventRedial is the pause before Events reconnects a dropped stream.
const eventRedial = 500 * time.Millisecond

// maxEventLine bounds one line of the stream.
const maxEventLine = 1 << 20

// Events follows the node's event stream (GET /v1/events), calling fn
// with each event in order until fn returns false (Events returns nil),
// ctx ends (it returns ctx's error), or the node refuses the request (a
// *StatusError). A dropped connection is dialled again, resuming right
// after the last event fn saw (Last-Event-ID), so fn sees every event
// once, none twice.
func (c *Client) Events(ctx context.Context, f EventFilter, fn func(wire.StreamEvent) bool) error {
	return c.events(ctx, f, func(bool) {}, fn)
}

// events is Events, telling up whenever a connection of the stream opens
// (true) or drops (false).
func (c *Client) events(ctx context.Context, f EventFilter, up func(bool), fn func(wire.StreamEvent) bool) error {
	q := url.Values{}
	for k, v := range map[string]string{"workload": f.Workload, "owner": f.Owner, "prover": f.Prover} {
		if v != "" {
			q.Set(k, v)
		}
	}
	if f.From > 0 {
		q.Set("from", strconv.FormatInt(f.From, 10))
	}
	stream := &http.Client{Transport: c.http.Transport} // no timeout: the stream never ends by itself
	lastID := ""
	for {
		done, err := c.followStream(ctx, stream, "/v1/events?"+q.Encode(), &lastID, up, fn)
		up(false)
		var se *StatusError
		switch {
		case done:
			return nil
		case ctx.Err() != nil:
			return ctx.Err()
		case errors.As(err, &se) && se.Status < 500:
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(eventRedial):
		}
	}
}

// followStream reads one connection of the stream; done is true when fn
// asked to stop. *lastID follows the events fn saw.
func (c *Client) followStream(ctx context.Context, hc *http.Client, path string, lastID *string, up func(bool), fn func(wire.StreamEvent) bool) (done bool, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+path, nil)
	if err != nil {
		return false, err
	}
	req.Header.Set("Accept", "text/event-stream")
	if *lastID != "" {
		req.Header.Set("Last-Event-ID", *lastID)
	}
	resp, err := hc.Do(req)
	if err != nil {
		return false, fmt.Errorf("%w at %s: %w", ErrUnreachable, c.base, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b := make([]byte, 4096)
		n, _ := resp.Body.Read(b)
		return false, statusErr(resp.StatusCode, b[:n])
	}
	up(true)
	s := bufio.NewScanner(resp.Body)
	s.Buffer(make([]byte, 0, 64<<10), maxEventLine)
	var id, data string
	for s.Scan() {
		line := s.Text()
		switch {
		case line == "":
			if id == "" || data == "" {
				continue // a comment or a keep-alive
			}
			var e wire.StreamEvent
			if err := json.Unmarshal([]byte(data), &e); err != nil {
				return false, fmt.Errorf("event %s: %w", id, err)
			}
			*lastID = id
			if !fn(e) {
				return true, nil
			}
			id, data = "", ""
		case strings.HasPrefix(line, "id: "):
			id = strings.TrimPrefix(line, "id: ")
		case strings.HasPrefix(line, "data: "):
			data = strings.TrimPrefix(line, "data: ")
		}
	}
	return false, s.Err()
}
