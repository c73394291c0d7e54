package httpapi

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"regexp"
	"slices"
	"strconv"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"
	cmtbytes "github.com/cometbft/cometbft/libs/bytes"
	ctypes "github.com/cometbft/cometbft/rpc/core/types"
	"github.com/cometbft/cometbft/types"
	"google.golang.org/protobuf/proto"

	"github.com/provernet/provernet/internal/chain"
	"github.com/provernet/provernet/wire"
	"github.com/provernet/provernet/wire/address"
	"github.com/provernet/provernet/wire/pb"
)

// indexedChain is a Backend over made-up blocks of events, searchable as
// CometBFT's kv indexers search them (one condition on an event
// attribute, and a height bound), so that the timeline and the history
// can be checked event by event, pages and bounds included.
type indexedChain struct {
	Backend
	blocks  map[int64]*indexedBlock
	top     int64
	perPage int // the largest search page it answers

	// behind is how many of the newest blocks the indexes lack; each look
	// at the index's progress (a block.height search) indexes one more,
	// unless stuck.
	behind int64
	stuck  bool
}

// indexedTop is the newest block the indexes hold.
func (c *indexedChain) indexedTop() int64 { return c.top - c.behind }

type indexedBlock struct {
	own []abci.Event   // FinalizeBlock events
	txs [][]abci.Event // each transaction's
}

func ev(typ string, kv ...string) abci.Event {
	e := abci.Event{Type: typ}
	for i := 0; i+1 < len(kv); i += 2 {
		e.Attributes = append(e.Attributes, abci.EventAttribute{Key: kv[i], Value: kv[i+1]})
	}
	return e
}

func (c *indexedChain) block(h int64) *indexedBlock {
	if c.blocks == nil {
		c.blocks = map[int64]*indexedBlock{}
	}
	if c.blocks[h] == nil {
		c.blocks[h] = &indexedBlock{}
	}
	c.top = max(c.top, h)
	return c.blocks[h]
}

// tx adds a transaction from sender to block h.
func (c *indexedChain) tx(h int64, sender string, evs ...abci.Event) {
	b := c.block(h)
	b.txs = append(b.txs, append([]abci.Event{ev("tx", "sender", sender)}, evs...))
}

func (c *indexedChain) own(h int64, evs ...abci.Event) {
	b := c.block(h)
	b.own = append(b.own, evs...)
}

var heightQuery = regexp.MustCompile(`^(tx|block)\.height = (\d+)$`)

// progress answers a look at the index's progress: block h's events, or
// the count of its transactions, if indexed.
func (c *indexedChain) progress(m []string) (found bool, txs int) {
	h, _ := strconv.ParseInt(m[2], 10, 64)
	found = h <= c.indexedTop() && c.blocks[h] != nil
	if m[1] == "block" && !c.stuck && c.behind > 0 {
		c.behind--
	}
	if found {
		txs = len(c.blocks[h].txs)
	}
	return found, txs
}

var searchQuery = regexp.MustCompile(`^([a-z_]+)\.([a-z_]+)='([^']*)'(?: AND (?:tx|block)\.height <= (\d+))?$`)

func matches(evs []abci.Event, typ, key, value string) bool {
	for _, e := range evs {
		for _, a := range e.Attributes {
			if e.Type == typ && a.Key == key && a.Value == value {
				return true
			}
		}
	}
	return false
}

// search returns the (height, tx index) of what q matches: transactions
// (txs) or blocks' own events, in order, one page.
func (c *indexedChain) search(q string, txs bool, page, perPage *int, order string) ([][2]int64, int, error) {
	m := searchQuery.FindStringSubmatch(q)
	if m == nil {
		return nil, 0, fmt.Errorf("unexpected query %q", q)
	}
	bound := c.indexedTop()
	if m[4] != "" {
		b, _ := strconv.ParseInt(m[4], 10, 64)
		bound = min(bound, b)
	}
	var all [][2]int64
	for h := int64(1); h <= bound; h++ {
		b := c.blocks[h]
		if b == nil {
			continue
		}
		if !txs && matches(b.own, m[1], m[2], m[3]) {
			all = append(all, [2]int64{h, -1})
		}
		for i, evs := range b.txs {
			if txs && matches(evs, m[1], m[2], m[3]) {
				all = append(all, [2]int64{h, int64(i)})
			}
		}
	}
	if order == "desc" {
		slices.Reverse(all)
	}
	per := min(*perPage, c.perPage)
	from := (*page - 1) * per
	if from > len(all) {
		return nil, len(all), nil
	}
	return all[from:min(from+per, len(all))], len(all), nil
}

func (c *indexedChain) TxSearch(_ context.Context, q string, _ bool, page, perPage *int, order string) (*ctypes.ResultTxSearch, error) {
	if m := heightQuery.FindStringSubmatch(q); m != nil {
		_, n := c.progress(m)
		return &ctypes.ResultTxSearch{TotalCount: n}, nil
	}
	found, total, err := c.search(q, true, page, perPage, order)
	res := &ctypes.ResultTxSearch{TotalCount: total}
	for _, f := range found {
		res.Txs = append(res.Txs, &ctypes.ResultTx{Height: f[0], Index: uint32(f[1])})
	}
	return res, err
}

func (c *indexedChain) BlockSearch(_ context.Context, q string, page, perPage *int, order string) (*ctypes.ResultBlockSearch, error) {
	if m := heightQuery.FindStringSubmatch(q); m != nil {
		res := &ctypes.ResultBlockSearch{}
		if found, _ := c.progress(m); found {
			h := *c.heightOf(m)
			b, _ := c.Block(context.Background(), &h)
			res.Blocks, res.TotalCount = []*ctypes.ResultBlock{b}, 1
		}
		return res, nil
	}
	found, total, err := c.search(q, false, page, perPage, order)
	res := &ctypes.ResultBlockSearch{TotalCount: total}
	for _, f := range found {
		res.Blocks = append(res.Blocks, &ctypes.ResultBlock{Block: &types.Block{Header: types.Header{Height: f[0]}}})
	}
	return res, err
}

func (c *indexedChain) BlockResults(_ context.Context, h *int64) (*ctypes.ResultBlockResults, error) {
	b := c.blocks[*h]
	if b == nil {
		b = &indexedBlock{}
	}
	res := &ctypes.ResultBlockResults{Height: *h, FinalizeBlockEvents: b.own}
	for _, evs := range b.txs {
		res.TxResults = append(res.TxResults, &abci.ExecTxResult{Events: evs})
	}
	return res, nil
}

func (c *indexedChain) Block(_ context.Context, h *int64) (*ctypes.ResultBlock, error) {
	blk := &types.Block{Header: types.Header{Height: *h}}
	for i := range c.block(*h).txs {
		blk.Txs = append(blk.Txs, types.Tx(fmt.Sprintf("tx %d %d", *h, i)))
	}
	return &ctypes.ResultBlock{Block: blk}, nil
}

func (c *indexedChain) heightOf(m []string) *int64 {
	h, _ := strconv.ParseInt(m[2], 10, 64)
	return &h
}

// Status and ABCIInfo: the chain has committed every block made up.
func (c *indexedChain) Status(context.Context) (*ctypes.ResultStatus, error) {
	return &ctypes.ResultStatus{SyncInfo: ctypes.SyncInfo{LatestBlockHeight: c.top}}, nil
}

func (c *indexedChain) ABCIInfo(context.Context) (*ctypes.ResultABCIInfo, error) {
	return &ctypes.ResultABCIInfo{Response: abci.InfoResponse{LastBlockHeight: c.top}}, nil
}

// ABCIQuery knows one workload, settled, its slot 0 valid and paid.
func (c *indexedChain) ABCIQuery(_ context.Context, path string, data cmtbytes.HexBytes) (*ctypes.ResultABCIQuery, error) {
	res := &ctypes.ResultABCIQuery{}
	res.Response.Height = c.top
	if path != chain.PathWorkload || fmt.Sprintf("%x", []byte(data)) != testWorkload {
		res.Response.Code, res.Response.Log = chain.QueryNotFound, "not found"
		return res, nil
	}
	p0, _ := address.Parse(testProver)
	res.Response.Value, _ = proto.Marshal(&pb.Workload{Settled: true, SettledHeight: 9,
		Slots: []*pb.Slot{{Prover: p0[:], State: pb.SlotState_SLOT_STATE_VALID, FeePaid: 700, Tier: 1}, {Prover: p0[:], Released: "timed_out"}}})
	return res, nil
}

var (
	testWorkload = fmt.Sprintf("%064x", 7)
	testProver   = address.Address{1}.String()
	otherProver  = address.Address{2}.String()
)

// storyChain is one workload's life: slot 0 to testProver, who accepts,
// submits, reveals and is decided valid; slot 1 to otherProver, who
// declines, then to testProver, who times out (and is slashed for it),
// with unrelated events between.
func storyChain() *indexedChain {
	c := &indexedChain{perPage: 100}
	id, p, q := testWorkload, testProver, otherProver
	slot := func(s, state, prover string) abci.Event {
		return ev("slot", "workload", id, "slot", s, "state", state, "prover", prover)
	}
	c.tx(2, "prv1owner", ev("run", "workload", id, "owner", "prv1owner"))
	c.own(3, ev("beacon", "height", "3"), ev("workload", "id", id, "state", "allocated"), slot("0", "assigned", p), slot("1", "assigned", q))
	c.tx(4, p, slot("0", "accepted", p), ev("workload", "id", id, "state", "running"))
	c.tx(4, q, slot("1", "open", q))
	c.own(5, slot("1", "assigned", p))
	c.tx(5, "prv1someone", ev("transfer", "from", "x", "to", "y"))
	c.tx(6, p, slot("1", "accepted", p))
	c.tx(7, p, slot("0", "submitted", p))
	c.own(8, ev("slash", "prover", p, "amount", "50", "reason", "timed_out", "state", "suspended"), slot("1", "open", p),
		ev("slash", "prover", q, "amount", "1", "reason", "other", "state", "active"))
	c.tx(8, p, slot("0", "verifying", p))
	c.tx(9, q, ev("vote", "voter", q, "applied", "1", "ignored", "0"))
	c.own(9, slot("0", "valid", p), ev("settle", "workload", id, "state", "final"), ev("workload", "id", id, "state", "final"))
	return c
}

// getJSON sends GET url to the API over b and decodes the answer into v.
func getJSON(t *testing.T, b Backend, url string, v any) int {
	t.Helper()
	rec := httptest.NewRecorder()
	Handler(b).ServeHTTP(rec, httptest.NewRequest("GET", url, nil))
	if err := json.Unmarshal(rec.Body.Bytes(), v); err != nil {
		t.Fatalf("%s: %v %s", url, err, rec.Body)
	}
	return rec.Code
}

// TestTimelineSteps: the story reads back step by step, each event of the
// workload once, in height and event order, with what each step means.
func TestTimelineSteps(t *testing.T) {
	story := storyChain()
	var tl wire.Timeline
	if code := getJSON(t, story, "/v1/workloads/"+testWorkload+"/timeline", &tl); code != 200 || !tl.Complete {
		t.Fatalf("%d %+v", code, tl)
	}
	var got []string
	for _, e := range tl.Entries {
		got = append(got, fmt.Sprintf("%d %s %d %s %s", e.Height, e.Kind, e.Slot, e.Prover, e.Detail))
	}
	p, q := testProver, otherProver
	want := []string{
		"2 run -1  owner prv1owner",
		"3 allocated -1  ",
		"3 allocated 0 " + p + " ",
		"3 allocated 1 " + q + " ",
		"4 accepted 0 " + p + " ",
		"4 running -1  ",
		"4 declined 1 " + q + " ",
		"5 allocated 1 " + p + " ",
		"6 accepted 1 " + p + " ",
		"7 submitted 0 " + p + " ",
		"8 slashed -1 " + p + " 50 uprv, timed_out; prover now suspended",
		"8 released 1 " + p + " timed_out",
		"8 revealed 0 " + p + " the committee votes",
		"9 decided 0 " + p + " valid",
		"9 settled -1  state=final",
		"9 final -1  ",
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("timeline:\n%s\nwant:\n%s", join(got), join(want))
	}
	// Searches that stop early (five results each here, of more): the
	// timeline says it is incomplete and holds a prefix of the whole.
	long := storyChain()
	for h := int64(10); h < 16; h++ {
		long.tx(h, q, ev("slot", "workload", testWorkload, "slot", "1", "state", "open", "prover", q))
	}
	var whole, part wire.Timeline
	getJSON(t, long, "/v1/workloads/"+testWorkload+"/timeline", &whole)
	long.perPage = 1
	if code := getJSON(t, long, "/v1/workloads/"+testWorkload+"/timeline", &part); code != 200 || part.Complete || !whole.Complete ||
		len(part.Entries) == 0 || len(part.Entries) >= len(whole.Entries) || fmt.Sprint(part.Entries) != fmt.Sprint(whole.Entries[:len(part.Entries)]) {
		t.Errorf("bounded timeline: complete %v, %d of %d entries", part.Complete, len(part.Entries), len(whole.Entries))
	}
	if code := getJSON(t, story, "/v1/workloads/"+fmt.Sprintf("%064x", 8)+"/timeline", &wire.APIError{}); code != 404 {
		t.Errorf("unknown workload: %d", code)
	}
}

// TestTimelineWaitsForIndex: a timeline asked for while the node's indexer
// is still two blocks behind the state the record was read from waits for
// it (the settlement at the newest block is in it, and it is complete); an
// indexer that never catches up gives what it holds, marked incomplete. A
// history waits the same way.
func TestTimelineWaitsForIndex(t *testing.T) {
	t.Parallel()
	var whole, late, stuck wire.Timeline
	getJSON(t, storyChain(), "/v1/workloads/"+testWorkload+"/timeline", &whole)
	lagging := storyChain()
	lagging.behind = 2
	if code := getJSON(t, lagging, "/v1/workloads/"+testWorkload+"/timeline", &late); code != 200 || !late.Complete ||
		fmt.Sprint(late.Entries) != fmt.Sprint(whole.Entries) {
		t.Errorf("lagging index: %d, complete %v, %d of %d entries", code, late.Complete, len(late.Entries), len(whole.Entries))
	}
	never := storyChain()
	never.behind, never.stuck = 1, true
	if code := getJSON(t, never, "/v1/workloads/"+testWorkload+"/timeline", &stuck); code != 200 || stuck.Complete ||
		len(stuck.Entries) == 0 || stuck.Entries[len(stuck.Entries)-1].Height != 8 {
		t.Errorf("stuck index: %d, complete %v, %+v", code, stuck.Complete, stuck.Entries)
	}
	var h wire.ProverHistory
	lagging = storyChain()
	lagging.behind = 2
	if code := getJSON(t, lagging, "/v1/provers/"+testProver+"/history", &h); code != 200 || len(h.Entries) == 0 || h.Entries[0].Height != 9 {
		t.Errorf("history over a lagging index: %d, %+v", code, h.Entries)
	}
}

func join(s []string) string {
	out := ""
	for _, l := range s {
		out += "  " + l + "\n"
	}
	return out
}

// TestHistoryPages: a prover's history, read in pages of every size, is
// the same newest-first list, every page within its limit; with searches
// that answer few results per page, pages come back short with a cursor
// and the concatenation is still the whole history.
func TestHistoryPages(t *testing.T) {
	c := storyChain()
	read := func(limit int) []string {
		var out []string
		cursor := ""
		for range 100 {
			var h wire.ProverHistory
			url := fmt.Sprintf("/v1/provers/%s/history?limit=%d", testProver, limit)
			if cursor != "" {
				url += "&cursor=" + cursor
			}
			if code := getJSON(t, c, url, &h); code != 200 || len(h.Entries) > max(limit, 2) { // an event's entries stay together
				t.Fatalf("%s: %d, %d entries", url, code, len(h.Entries))
			}
			for _, e := range h.Entries {
				out = append(out, fmt.Sprintf("%d:%d %s %d %d %s", e.Height, e.Index, e.Kind, e.Slot, e.AmountUprv, e.Detail))
			}
			if h.Next == "" {
				return out
			}
			cursor = h.Next
		}
		t.Fatal("the cursor does not advance")
		return nil
	}
	all := read(100)
	want := []string{
		"9:0 reward 0 700 tier 1, paid at settlement (height 9)",
		"9:0 valid 0 0 ",
		"8:4 revealed 0 0 the committee votes",
		"8:1 timed_out 1 0 slot open again", // the record says why slot 1 was released
		"8:0 suspended -1 0 timed_out",
		"8:0 slashed -1 50 timed_out",
		"7:1 submitted 0 0 ",
		"6:1 accepted 1 0 ",
		"5:0 allocated 1 0 ",
		"4:1 accepted 0 0 ",
		"3:2 allocated 0 0 ",
	}
	if fmt.Sprint(all) != fmt.Sprint(want) {
		t.Fatalf("history:\n%s\nwant:\n%s", join(all), join(want))
	}
	for _, limit := range []int{1, 2, 3, 5} {
		if got := read(limit); fmt.Sprint(got) != fmt.Sprint(all) {
			t.Errorf("limit %d:\n%s", limit, join(got))
		}
	}
	c.perPage = 1 // searches stop early: short pages, nothing lost
	if got := read(4); fmt.Sprint(got) != fmt.Sprint(all) {
		t.Errorf("one result per search page:\n%s", join(got))
	}
	var h wire.ProverHistory
	if getJSON(t, c, "/v1/provers/"+otherProver+"/history?limit=100", &h); len(h.Entries) == 0 || h.Entries[0].Kind != "voted" {
		t.Errorf("the voter's history: %+v", h.Entries)
	}
}
