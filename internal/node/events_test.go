package node

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/provernet/provernet/client"
	"github.com/provernet/provernet/internal/httpapi"
	"github.com/provernet/provernet/wire"
)

// sse is one Server-Sent Event as a test reads it.
type sse struct {
	id, typ string
	data    wire.StreamEvent
}

// readEvents reads events from url (with lastID as Last-Event-ID when set)
// until stop says so or the deadline passes.
func readEvents(t *testing.T, url, lastID string, stop func([]sse) bool) []sse {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if lastID != "" {
		req.Header.Set("Last-Event-ID", lastID)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close() // drops the connection
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("GET %s: %s %s", url, resp.Status, resp.Header.Get("Content-Type"))
	}
	var out []sse
	var cur sse
	s := bufio.NewScanner(resp.Body)
	for s.Scan() {
		line := s.Text()
		switch {
		case line == "":
			if cur.id != "" {
				out = append(out, cur)
				if stop(out) {
					return out
				}
			}
			cur = sse{}
		case strings.HasPrefix(line, "id: "):
			cur.id = strings.TrimPrefix(line, "id: ")
		case strings.HasPrefix(line, "event: "):
			cur.typ = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: "):
			if err := json.Unmarshal([]byte(strings.TrimPrefix(line, "data: ")), &cur.data); err != nil {
				t.Fatalf("data %q: %v", line, err)
			}
		}
	}
	t.Fatalf("the stream ended after %d events: %v", len(out), s.Err())
	return nil
}

// TestEventsResume: GET /v1/events streams every committed block's events
// in order; a client that drops the connection and reconnects with the
// last id it saw (Last-Event-ID) gets the rest with nothing lost or
// repeated; a filter keeps only what names its subject.
func TestEventsResume(t *testing.T) {
	t.Parallel()
	d := startDevnet(t, t.TempDir())
	defer d.Stop()
	c := client.New(d.APIURL())
	waitHeight(t, c, 2)
	txr := transfer(t, c, d.Keys[0], d.Keys[1].Address(), 5)
	end := txr.Height + 2
	waitHeight(t, c, end)
	upTo := func(evs []sse) bool { return evs[len(evs)-1].data.Height >= end }

	whole := readEvents(t, d.APIURL()+"/v1/events?from=1", "", upTo)
	if len(whole) < int(end) { // every block has its beacon entry's event at least
		t.Fatalf("%d events in %d blocks", len(whole), end)
	}
	var sawTransfer bool
	for i, e := range whole {
		if e.id != fmt.Sprintf("%d:%d", e.data.Height, e.data.Index) || e.typ != e.data.Type {
			t.Fatalf("event %d: id %q type %q for %+v", i, e.id, e.typ, e.data)
		}
		if i > 0 && e.data.Height < whole[i-1].data.Height {
			t.Fatalf("event %d goes back from height %d to %d", i, whole[i-1].data.Height, e.data.Height)
		}
		sawTransfer = sawTransfer || (e.typ == "transfer" && e.data.Tx == txr.Hash)
	}
	if !sawTransfer {
		t.Fatal("the transfer's event is not in the stream")
	}

	// Drop after a third of the events, then resume from the last id.
	cut := len(whole) / 3
	first := readEvents(t, d.APIURL()+"/v1/events?from=1", "", func(evs []sse) bool { return len(evs) == cut })
	rest := readEvents(t, d.APIURL()+"/v1/events?from=1", first[len(first)-1].id, upTo)
	got := append(first, rest...)
	for i := range whole {
		if i >= len(got) || got[i].id != whole[i].id {
			t.Fatalf("after a reconnect, event %d is %v; the unbroken stream had %s", i, got[min(i, len(got)-1)].id, whole[i].id)
		}
	}

	// A filter: the sender's own events only.
	alice := d.Keys[0].Address()
	mine := readEvents(t, d.APIURL()+"/v1/events?from=1&prover="+alice, "", func(evs []sse) bool { return len(evs) >= 1 })
	if mine[0].data.Attrs["sender"] != alice {
		t.Fatalf("filtered on %s: %+v", alice, mine[0].data)
	}
}

// TestDocumentedRoutesAnswer: every GET the OpenAPI document lists is
// served by a real node (with plausible parameters: a handler's own 400
// or 404 is an answer; the mux's "no such endpoint" is not).
func TestDocumentedRoutesAnswer(t *testing.T) {
	t.Parallel()
	d := startDevnet(t, t.TempDir())
	defer d.Stop()
	c := client.New(d.APIURL())
	waitHeight(t, c, 2)
	fill := strings.NewReplacer("{address}", d.Keys[0].Address(), "{height}", "1", "{hash}", strings.Repeat("AB", 32),
		"{id}", strings.Repeat("ab", 32), "{slot}", "0", "{sha256}", strings.Repeat("cd", 32))
	for _, path := range httpapi.DocumentedGETs() {
		url := d.APIURL() + fill.Replace(path)
		if path == "/v1/fee" {
			url += "?program=" + strings.Repeat("ab", 32) + "&cycles=1&provers=1"
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			cancel()
			t.Fatalf("GET %s: %v", path, err)
		}
		body := make([]byte, 512)
		n, _ := io.ReadFull(resp.Body, body)
		resp.Body.Close()
		cancel()
		if resp.StatusCode == http.StatusMethodNotAllowed || strings.Contains(string(body[:n]), "no such endpoint") {
			t.Errorf("GET %s: %s %s", path, resp.Status, body[:n])
		}
	}
}
