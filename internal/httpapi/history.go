package httpapi

import (
	"context"
	"encoding/hex"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"google.golang.org/protobuf/proto"

	"github.com/provernet/provernet/internal/chain"
	"github.com/provernet/provernet/wire"
	"github.com/provernet/provernet/wire/address"
	"github.com/provernet/provernet/wire/pb"
)

// GET /v1/provers/{address}/history?limit=&cursor=: what happened to a
// prover, newest first (docs/API.md, "Timelines and histories"). The
// node's indexes give the heights at which events named the prover (its
// transactions, slots, slashes, challenges, reinstatements); each block's
// events are read newest first and those naming it become entries. The
// cursor is HEIGHT:INDEX of the last event a page listed; the next page
// lists the events before it. An event's entries (a valid decision and its
// reward, a slash and the suspension it caused) are never split, so a
// page of limit 1 may hold two. A page reads at most one search page per
// index query, so it may stop short of limit with a cursor: keep going.
// A reward is read from the workload's record when the history reaches
// the slot's valid decision (settlement pays it, in that block or later).

const (
	defaultHistory = 50
	maxHistory     = 100
	// maxHistoryLookups bounds the workload records one page reads for
	// rewards and release reasons.
	maxHistoryLookups = 64
)

func (s *server) proverHistory(w http.ResponseWriter, r *http.Request) {
	addr, err := address.Parse(r.PathValue("address"))
	if err != nil {
		fail(w, http.StatusBadRequest, err.Error(), "addresses look like prv1...")
		return
	}
	limit, before, ok := historyPage(w, r)
	if !ok {
		return
	}
	p := addr.String()
	hs := heightSearch{desc: true, perPage: min(searchPerPage, limit), pages: 1}
	txCond, blockCond := "", ""
	if top := before.lastHeight(); top > 0 {
		txCond, blockCond = fmt.Sprintf(" AND tx.height <= %d", top), fmt.Sprintf(" AND block.height <= %d", top)
	} else if before.height > 0 { // before the first block: nothing
		reply(w, wire.ProverHistory{Prover: p, Entries: []wire.HistoryEntry{}})
		return
	}
	for _, key := range []string{"tx.sender", "tx.for", "slot.prover", "slash.prover", "excused.prover"} {
		hs.tx = append(hs.tx, key+"='"+p+"'"+txCond)
	}
	for _, key := range []string{"slot.prover", "slash.prover", "excused.prover", "challenge.prover", "reinstate.prover", "vote_paid.voter"} {
		hs.block = append(hs.block, key+"='"+p+"'"+blockCond)
	}
	if top, err := s.committedHeight(r.Context()); err != nil {
		unavailable(w, err)
		return
	} else if _, err := s.awaitIndex(r.Context(), top); err != nil { // past indexWait: what the indexes hold
		searchFailed(w, err)
		return
	}
	heights, truncated, err := s.heights(r.Context(), hs)
	if err != nil {
		searchFailed(w, err)
		return
	}
	h := historyOf{s: s, ctx: r.Context(), prover: p, records: map[string]*pb.Workload{}}
	out := wire.ProverHistory{Prover: p, Entries: []wire.HistoryEntry{}}
	for _, height := range heights {
		evs, err := s.blockEvents(r.Context(), height)
		if err != nil {
			unavailable(w, err)
			return
		}
		senders := map[string]string{}
		for _, e := range evs {
			if e.Type == "tx" {
				senders[e.Tx] = actor(e)
			}
		}
		for i := len(evs) - 1; i >= 0; i-- {
			e := evs[i]
			if before.height > 0 && !before.after(e.Height, e.Index) {
				continue
			}
			entries := h.entries(e, senders[e.Tx])
			if len(entries) == 0 {
				continue
			}
			if len(out.Entries) > 0 && len(out.Entries)+len(entries) > limit { // never split an event's entries
				out.Next = cursorAt(out.Entries[len(out.Entries)-1])
				reply(w, out)
				return
			}
			out.Entries = append(out.Entries, entries...)
			if len(out.Entries) >= limit { // the next page may be empty
				out.Next = cursorAt(out.Entries[len(out.Entries)-1])
				reply(w, out)
				return
			}
		}
	}
	if truncated && len(heights) > 0 {
		out.Next = fmt.Sprintf("%d:0", heights[len(heights)-1])
	}
	reply(w, out)
}

// historyCursor is a position in the chain's events: a page lists the
// events strictly before it.
type historyCursor struct {
	height int64
	index  int
}

// lastHeight is the newest height with events before the cursor (0: none,
// or no cursor).
func (c historyCursor) lastHeight() int64 {
	if c.index == 0 {
		return c.height - 1
	}
	return c.height
}

// after reports whether the cursor comes after event (height, index).
func (c historyCursor) after(height int64, index int) bool {
	return height < c.height || (height == c.height && index < c.index)
}

func cursorAt(e wire.HistoryEntry) string { return fmt.Sprintf("%d:%d", e.Height, e.Index) }

// historyPage reads limit and cursor, writing the error itself.
func historyPage(w http.ResponseWriter, r *http.Request) (int, historyCursor, bool) {
	q := r.URL.Query()
	limit := defaultHistory
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxHistory {
			fail(w, http.StatusBadRequest, fmt.Sprintf("limit must be 1..%d", maxHistory), fmt.Sprintf("leave it out for pages of %d", defaultHistory))
			return 0, historyCursor{}, false
		}
		limit = n
	}
	var c historyCursor
	if v := q.Get("cursor"); v != "" {
		hs, is, ok := strings.Cut(v, ":")
		h, err1 := strconv.ParseInt(hs, 10, 64)
		i, err2 := strconv.Atoi(is)
		if len(v) > 40 || !ok || err1 != nil || err2 != nil || h < 1 || i < 0 {
			fail(w, http.StatusBadRequest, "cursor must be the next value of a previous page (HEIGHT:INDEX)", "")
			return 0, historyCursor{}, false
		}
		c = historyCursor{h, i}
	}
	return limit, c, true
}

// historyOf turns the events naming one prover into its entries.
type historyOf struct {
	s       *server
	ctx     context.Context
	prover  string
	records map[string]*pb.Workload // read once per page, for rewards and release reasons
}

// entries are e's entries for the prover, newest first (usually one; a
// slot's valid decision also lists its reward, a slash the suspension it
// caused).
func (h *historyOf) entries(e wire.StreamEvent, sender string) []wire.HistoryEntry {
	base := wire.HistoryEntry{Height: e.Height, Index: e.Index, Workload: e.Attrs["workload"], Slot: -1, Tx: e.Tx}
	one := func(kind, detail string) []wire.HistoryEntry {
		base.Kind, base.Detail = kind, detail
		return []wire.HistoryEntry{base}
	}
	amount := func() uint64 { n, _ := strconv.ParseUint(e.Attrs["amount"], 10, 64); return n }
	switch {
	case e.Type == "vote" && e.Attrs["voter"] == h.prover:
		return one("voted", fmt.Sprintf("%s ballots applied, %s ignored", e.Attrs["applied"], e.Attrs["ignored"]))
	case e.Type == "vote_paid" && e.Attrs["voter"] == h.prover:
		base.AmountUprv = amount()
		return one("vote_paid", "for deciding "+e.Attrs["slots"]+" slot(s) in this block")
	case e.Attrs["prover"] != h.prover:
		return nil
	}
	switch e.Type {
	case "slot":
		base.Slot = slotOf(e)
		return h.slotEntries(base, e, sender)
	case "slash":
		base.AmountUprv = amount()
		out := one("slashed", e.Attrs["reason"])
		if st := e.Attrs["state"]; st == "suspended" || st == "removed" {
			extra := base
			extra.Kind, extra.AmountUprv, extra.Detail = st, 0, e.Attrs["reason"]
			out = []wire.HistoryEntry{extra, out[0]}
		}
		return out
	case "stake", "withdraw":
		base.AmountUprv = amount()
		return one(map[string]string{"stake": "staked", "withdraw": "withdrew"}[e.Type], "prover now "+e.Attrs["state"])
	case "unbond":
		return one("unbonding", "stake unlocks at height "+e.Attrs["unlocks_at"])
	case "prover_registered":
		return one("registered", "")
	case "reinstate":
		return one("reinstated", "prover now "+e.Attrs["state"])
	case "challenge", "excused":
		if v, ok := e.Attrs["slot"]; ok {
			base.Slot, _ = strconv.ParseInt(v, 10, 64)
		}
		return one(map[string]string{"challenge": "challenged", "excused": "excused"}[e.Type], attrText(e.Attrs, "workload", "slot", "prover"))
	}
	return nil
}

// slotEntries names a slot event's step for its prover.
func (h *historyOf) slotEntries(base wire.HistoryEntry, e wire.StreamEvent, sender string) []wire.HistoryEntry {
	kind, detail := e.Attrs["state"], ""
	switch kind {
	case "assigned":
		kind = "allocated"
	case "verifying":
		kind, detail = "revealed", "the committee votes"
	case "open", "empty":
		switch {
		case kind == "open" && e.Tx != "" && sender == h.prover:
			kind = "declined"
		default:
			if s := h.slot(base.Workload, base.Slot); s != nil && s.Released != "" && addrOf(s.Prover) == h.prover {
				kind, detail = s.Released, "slot "+kind+" again"
			} else {
				kind, detail = "released", "slot "+kind+" again"
			}
		}
	case "valid":
		base.Kind = "valid"
		s := h.slot(base.Workload, base.Slot)
		w := h.records[base.Workload]
		if s == nil || w == nil || !w.Settled || addrOf(s.Prover) != h.prover || s.FeePaid+s.Reward == 0 {
			return []wire.HistoryEntry{base}
		}
		reward := base
		reward.Kind, reward.AmountUprv = "reward", s.FeePaid+s.Reward
		reward.Detail = fmt.Sprintf("tier %d, paid at settlement (height %d)", s.Tier, w.SettledHeight)
		return []wire.HistoryEntry{reward, base}
	}
	base.Kind, base.Detail = kind, detail
	return []wire.HistoryEntry{base}
}

// slot is the current record of a workload's slot, read at most once per
// workload and at most maxHistoryLookups workloads a page; nil if unknown.
func (h *historyOf) slot(id string, slot int64) *pb.Slot {
	w, ok := h.records[id]
	if !ok && len(h.records) < maxHistoryLookups {
		w = h.record(id)
		h.records[id] = w
	}
	if w == nil || slot < 0 || slot >= int64(len(w.Slots)) {
		return nil
	}
	return w.Slots[slot]
}

func (h *historyOf) record(id string) *pb.Workload {
	raw, err := hex.DecodeString(id)
	if err != nil || len(raw) != 32 {
		return nil
	}
	res, err := h.s.b.ABCIQuery(h.ctx, chain.PathWorkload, raw)
	if err != nil || res.Response.Code != chain.QueryOK {
		return nil
	}
	var w pb.Workload
	if proto.Unmarshal(res.Response.Value, &w) != nil {
		return nil
	}
	return &w
}

func addrOf(b []byte) string {
	a, err := address.FromBytes(b)
	if err != nil {
		return ""
	}
	return a.String()
}
