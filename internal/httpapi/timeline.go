package httpapi

import (
	"encoding/hex"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/provernet/provernet/internal/chain"
	"github.com/provernet/provernet/wire"
	"github.com/provernet/provernet/wire/pb"
)

// GET /v1/workloads/{id}/timeline: a workload's life, block by block
// (docs/API.md, "Timelines and histories"). The node's indexes give the
// heights at which events named the workload (its run, workload and slot
// events, in transactions and in the chain's own block events); each such
// block's events are then read in the order GET /v1/events numbers them,
// and those naming the workload become entries. A workload's events are
// bounded by its slots, windows and committees; past maxTimelineBlocks
// blocks (or a search that stopped early, or indexes that had not reached
// the state the record was read from within indexWait) the answer says
// complete: false.

// maxTimelineBlocks bounds the blocks one timeline reads.
const maxTimelineBlocks = 256

func (s *server) timeline(w http.ResponseWriter, r *http.Request) {
	raw, ok := workloadID(w, r)
	if !ok {
		return
	}
	_, resp, ok := queryAs[pb.Workload](s, w, r, chain.PathWorkload, raw)
	if !ok {
		return
	}
	caughtUp, err := s.awaitIndex(r.Context(), resp.Height)
	if err != nil {
		searchFailed(w, err)
		return
	}
	id := hex.EncodeToString(raw)
	hs := heightSearch{perPage: searchPerPage, pages: maxSearchPages,
		tx:    []string{"run.workload='" + id + "'", "workload.id='" + id + "'", "slot.workload='" + id + "'"},
		block: []string{"workload.id='" + id + "'", "slot.workload='" + id + "'", "challenge.workload='" + id + "'"}}
	heights, truncated, err := s.heights(r.Context(), hs)
	if err != nil {
		searchFailed(w, err)
		return
	}
	if len(heights) > maxTimelineBlocks {
		heights, truncated = heights[:maxTimelineBlocks], true
	}
	out := wire.Timeline{Workload: id, Entries: []wire.TimelineEntry{}, Complete: !truncated && caughtUp}
	t := timelineOf{id: id, prev: map[int64]string{}}
	for _, h := range heights {
		evs, err := s.blockEvents(r.Context(), h)
		if err != nil {
			unavailable(w, err)
			return
		}
		out.Entries = append(out.Entries, t.block(evs)...)
	}
	reply(w, out)
}

// timelineOf turns one workload's events into entries, remembering each
// slot's last state so that a release can say what was let go.
type timelineOf struct {
	id    string
	prev  map[int64]string // slot -> state
	state string           // the workload's, last reported
}

// block lists the entries of one block's events (in order) for t.id.
func (t *timelineOf) block(evs []wire.StreamEvent) []wire.TimelineEntry {
	var out []wire.TimelineEntry
	senders := map[string]string{}
	for i, e := range evs {
		if e.Type == "tx" {
			senders[e.Tx] = actor(e)
		}
		entry := wire.TimelineEntry{Height: e.Height, Index: e.Index, Slot: -1, Tx: e.Tx, Prover: e.Attrs["prover"]}
		switch {
		case e.Type == "slash" && t.nextToSlot(evs, i):
			entry.Kind, entry.Detail = "slashed", fmt.Sprintf("%s uprv, %s; prover now %s", e.Attrs["amount"], e.Attrs["reason"], e.Attrs["state"])
		case !namesWorkload(e, t.id):
			continue
		case e.Type == "slot":
			entry.Slot = slotOf(e)
			entry.Kind, entry.Detail = t.slotKind(e, senders[e.Tx])
		case e.Type == "workload":
			if e.Attrs["state"] == t.state {
				continue // reported again with its settlement, which has its own entry
			}
			t.state = e.Attrs["state"]
			entry.Kind, entry.Detail = e.Attrs["state"], e.Attrs["reason"]
		case e.Type == "run":
			entry.Kind, entry.Detail = "run", "owner "+e.Attrs["owner"]
		case e.Type == "settle":
			entry.Kind, entry.Detail = "settled", attrText(e.Attrs, "workload")
		default: // excused, challenge, and whatever else names the workload
			entry.Kind, entry.Detail = e.Type, attrText(e.Attrs, "workload", "slot", "prover")
			if v, ok := e.Attrs["slot"]; ok {
				entry.Slot, _ = strconv.ParseInt(v, 10, 64)
			}
		}
		out = append(out, entry)
	}
	return out
}

// slotKind names a slot event's step: what the slot's new state means,
// given the state before it and who sent the transaction.
func (t *timelineOf) slotKind(e wire.StreamEvent, sender string) (kind, detail string) {
	slot, state := slotOf(e), e.Attrs["state"]
	prev := t.prev[slot]
	t.prev[slot] = state
	switch state {
	case "assigned":
		return "allocated", ""
	case "accepted":
		return "accepted", ""
	case "open":
		switch {
		case e.Tx != "" && sender != "" && sender == e.Attrs["prover"] && (prev == "assigned" || prev == "accepted"):
			return "declined", ""
		case prev == "assigned":
			return "released", "silent"
		case prev == "accepted":
			return "released", "timed_out"
		case prev == "submitted":
			return "released", "fail"
		}
		return "open", "open to every active prover"
	case "submitted":
		return "submitted", ""
	case "verifying":
		return "revealed", "the committee votes"
	}
	return "decided", state
}

// nextToSlot reports whether the event beside evs[i] in the same
// transaction (or among the block's own events) is a slot event of the
// workload naming the same prover: a slash for what happened to that slot.
func (t *timelineOf) nextToSlot(evs []wire.StreamEvent, i int) bool {
	for _, j := range []int{i - 1, i + 1} {
		if j >= 0 && j < len(evs) && evs[j].Tx == evs[i].Tx && evs[j].Type == "slot" &&
			namesWorkload(evs[j], t.id) && evs[j].Attrs["prover"] == evs[i].Attrs["prover"] {
			return true
		}
	}
	return false
}

// actor is whom a transaction's messages act for: the prover a hot key
// sends them for (the tx event's "for", issue 19), else the sender.
func actor(e wire.StreamEvent) string {
	if p := e.Attrs["for"]; p != "" {
		return p
	}
	return e.Attrs["sender"]
}

// namesWorkload reports whether e is about workload id.
func namesWorkload(e wire.StreamEvent, id string) bool {
	if e.Type == "workload" {
		return strings.EqualFold(e.Attrs["id"], id)
	}
	return strings.EqualFold(e.Attrs["workload"], id)
}

func slotOf(e wire.StreamEvent) int64 {
	n, err := strconv.ParseInt(e.Attrs["slot"], 10, 64)
	if err != nil {
		return -1
	}
	return n
}

// attrText is an event's attributes but skip, as sorted key=value pairs.
func attrText(attrs map[string]string, skip ...string) string {
	var kv []string
	for k, v := range attrs {
		if !slices.Contains(skip, k) {
			kv = append(kv, k+"="+v)
		}
	}
	slices.Sort(kv)
	return strings.Join(kv, " ")
}
