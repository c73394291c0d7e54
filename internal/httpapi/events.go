package httpapi

import (
	"context"
	"encoding/hex"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	"google.golang.org/protobuf/proto"

	"github.com/provernet/provernet/internal/chain"
	"github.com/provernet/provernet/wire"
	"github.com/provernet/provernet/wire/address"
	"github.com/provernet/provernet/wire/pb"
)

// The event stream: GET /v1/events as Server-Sent Events (docs/API.md,
// "Events"). Every committed block's events (the chain's own, then each
// transaction's, in order) are numbered height:index; a stream starts at
// ?from=HEIGHT (default: the next block) or, when it reconnects, right
// after the Last-Event-ID it last saw, so a dropped connection loses
// nothing. Filters (?workload=ID, ?owner=ADDRESS, ?prover=ADDRESS) keep the
// events that name them.

// eventKeepAlive is how often an idle stream sends a comment line, so
// that proxies and clients do not take it for dead.
const eventKeepAlive = 15 * time.Second

// eventWriteTimeout bounds one block's writes to a stream: a client that
// stops reading loses its stream (and resumes with Last-Event-ID) instead
// of holding a slot and a goroutine forever.
const eventWriteTimeout = 30 * time.Second

// DefaultMaxEventStreams bounds the streams one API server serves at once
// unless Options say otherwise. A stream at the head costs a goroutine, a
// connection and its filter's work per block: the hub reads each block
// once for all of them.
const DefaultMaxEventStreams = 1024

// eventFilter keeps the events that name a workload, an owner's workloads,
// or a prover; an empty filter keeps everything.
type eventFilter struct {
	workload string // hex id
	owner    string // prv1 address
	prover   string // prv1 address
	owners   map[string]string
}

func (s *server) events(w http.ResponseWriter, r *http.Request) {
	flusher, ok := w.(http.Flusher)
	if !ok {
		fail(w, http.StatusInternalServerError, "streaming is not supported by this connection", "")
		return
	}
	f, from, skip, msg := parseEventRequest(r)
	if msg != "" {
		fail(w, http.StatusBadRequest, msg, "see docs/API.md, \"Events\"")
		return
	}
	select {
	case s.streams <- struct{}{}:
		defer func() { <-s.streams }()
	default:
		failWith(w, http.StatusServiceUnavailable, wire.APITooManyStreams, fmt.Sprintf("this node serves %d event streams already", cap(s.streams)), "try again later, or another node (api.max_event_streams)")
		return
	}
	ctx := r.Context()
	if from == 0 {
		st, err := s.b.Status(ctx)
		if err != nil {
			unavailable(w, err)
			return
		}
		from = st.SyncInfo.LatestBlockHeight + 1
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	flusher.Flush()
	s.stream(ctx, w, flusher, f, from, skip)
}

// parseEventRequest reads the filters and where to start: from a height,
// skipping the events of it up to index skip (-1: none).
func parseEventRequest(r *http.Request) (f eventFilter, from int64, skip int, msg string) {
	q := r.URL.Query()
	f.owners = map[string]string{}
	if id := q.Get("workload"); id != "" {
		if b, err := hex.DecodeString(id); err != nil || len(b) != 32 {
			return f, 0, 0, "workload must be a workload id: 64 hex characters"
		}
		f.workload = strings.ToLower(id)
	}
	for key, dst := range map[string]*string{"owner": &f.owner, "prover": &f.prover} {
		if v := q.Get(key); v != "" {
			if _, err := address.Parse(v); err != nil {
				return f, 0, 0, fmt.Sprintf("%s must be a prv1 address: %v", key, err)
			}
			*dst = v
		}
	}
	skip = -1
	if v := q.Get("from"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 1 {
			return f, 0, 0, "from must be a positive height"
		}
		from = n
	}
	if id := r.Header.Get("Last-Event-ID"); id != "" {
		h, i, ok := strings.Cut(id, ":")
		hn, err1 := strconv.ParseInt(h, 10, 64)
		in, err2 := strconv.Atoi(i)
		if !ok || err1 != nil || err2 != nil || hn < 1 || in < 0 {
			return f, 0, 0, "Last-Event-ID must be HEIGHT:INDEX, as the stream sent it"
		}
		from, skip = hn, in
	}
	return f, from, skip, ""
}

// stream writes the events of every block from from on until the client
// goes away: blocks the hub has read, or older ones read here.
func (s *server) stream(ctx context.Context, w http.ResponseWriter, flusher http.Flusher, f eventFilter, from int64, skip int) {
	s.hub.join()
	defer s.hub.leave()
	rc := http.NewResponseController(w)
	keepAlive := time.NewTicker(eventKeepAlive)
	defer keepAlive.Stop()
	for h := from; ; {
		fs, wait, ok, err := s.hub.block(ctx, h)
		if err != nil {
			fmt.Fprintf(w, "event: error\ndata: %q\n\n", err.Error())
			flusher.Flush()
			return
		}
		if !ok {
			select {
			case <-ctx.Done():
				return
			case <-wait:
			case <-keepAlive.C:
				_ = rc.SetWriteDeadline(time.Now().Add(eventWriteTimeout))
				fmt.Fprint(w, ": keep-alive\n\n")
				flusher.Flush()
			}
			continue
		}
		_ = rc.SetWriteDeadline(time.Now().Add(eventWriteTimeout)) // a client that stops reading is dropped
		for _, fr := range fs {
			if (h == from && fr.ev.Index <= skip) || !s.keep(ctx, &f, fr.ev) {
				continue
			}
			if _, err := w.Write(fr.data); err != nil {
				return
			}
		}
		flusher.Flush()
		keepAlive.Reset(eventKeepAlive)
		h++
	}
}

// blockEvents lists a committed block's events: the chain's own, then
// each transaction's, numbered in that order.
func (s *server) blockEvents(ctx context.Context, h int64) ([]wire.StreamEvent, error) {
	res, err := s.b.BlockResults(ctx, &h)
	if err != nil {
		return nil, fmt.Errorf("block %d: %w", h, err)
	}
	var out []wire.StreamEvent
	add := func(evs []abci.Event, tx string) {
		for _, e := range evs {
			attrs := make(map[string]string, len(e.Attributes))
			for _, a := range e.Attributes {
				attrs[a.Key] = a.Value
			}
			out = append(out, wire.StreamEvent{Height: h, Index: len(out), Type: e.Type, Tx: tx, Attrs: attrs})
		}
	}
	add(res.FinalizeBlockEvents, "")
	var hashes []string
	if len(res.TxResults) > 0 {
		if b, err := s.b.Block(ctx, &h); err == nil {
			for _, tx := range b.Block.Txs {
				hashes = append(hashes, fmt.Sprintf("%X", tx.Hash()))
			}
		}
	}
	for i, r := range res.TxResults {
		tx := ""
		if i < len(hashes) {
			tx = hashes[i]
		}
		add(r.Events, tx)
	}
	return out, nil
}

// keep reports whether e passes f.
func (s *server) keep(ctx context.Context, f *eventFilter, e wire.StreamEvent) bool {
	id := e.Attrs["workload"]
	if e.Type == "workload" {
		id = e.Attrs["id"]
	}
	if f.workload != "" && !strings.EqualFold(id, f.workload) {
		return false
	}
	if f.prover != "" && e.Attrs["prover"] != f.prover && e.Attrs["voter"] != f.prover && e.Attrs["sender"] != f.prover && e.Attrs["for"] != f.prover {
		return false
	}
	if f.owner != "" {
		if e.Attrs["owner"] == f.owner {
			return true
		}
		return id != "" && s.ownerOf(ctx, f, id) == f.owner
	}
	return true
}

// ownerOf is the owner of workload id, read once per stream.
func (s *server) ownerOf(ctx context.Context, f *eventFilter, id string) string {
	if o, ok := f.owners[id]; ok {
		return o
	}
	raw, err := hex.DecodeString(id)
	if err != nil {
		return ""
	}
	res, err := s.b.ABCIQuery(ctx, chain.PathWorkload, raw)
	if err != nil || res.Response.Code != 0 {
		return ""
	}
	var wl pb.Workload
	if proto.Unmarshal(res.Response.Value, &wl) != nil {
		return ""
	}
	owner := ""
	if a, err := address.FromBytes(wl.Owner); err == nil {
		owner = a.String()
	}
	if len(f.owners) < 4096 {
		f.owners[id] = owner
	}
	return owner
}
