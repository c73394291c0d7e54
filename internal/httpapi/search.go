package httpapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/provernet/provernet/wire"
)

// Searching the node's indexes. CometBFT's kv indexers keep the event
// attributes the chain marks indexed (internal/protocol/result.go); a
// timeline or a history is the union of a few searches, each of which
// gives the heights of the transactions or blocks whose events match. The
// searches are bounded (pages of searchPerPage, at most maxSearchPages of
// them each): when one stops early, the heights are complete only up to
// the last height it returned, and the answer says so.

const (
	searchPerPage  = 100 // CometBFT's largest page
	maxSearchPages = 5
)

// errIndexerOff: the node keeps no transaction or block index.
var errIndexerOff = errors.New("this node does not index transactions or blocks")

// heightSearch is one union of searches.
type heightSearch struct {
	tx, block []string // queries of TxSearch and BlockSearch
	desc      bool     // newest first
	perPage   int      // results per search page (at most searchPerPage)
	pages     int      // pages per search (at most maxSearchPages)
}

// heights runs the searches and returns the heights they matched, sorted
// in the search's order without repeats, cut where the union stops being
// complete; truncated reports a cut.
func (s *server) heights(ctx context.Context, hs heightSearch) (out []int64, truncated bool, err error) {
	var all []int64
	bound, bounded := int64(0), false
	note := func(found []int64, complete bool) {
		all = append(all, found...)
		if complete || len(found) == 0 {
			return
		}
		last := found[len(found)-1] // in the search's order: the farthest it got
		switch {
		case !bounded:
			bound, bounded = last, true
		case hs.desc && last > bound, !hs.desc && last < bound:
			bound = last
		}
	}
	for _, q := range hs.tx {
		h, complete, err := s.searchTxs(ctx, q, hs)
		if err != nil {
			return nil, false, err
		}
		note(h, complete)
	}
	for _, q := range hs.block {
		h, complete, err := s.searchBlocks(ctx, q, hs)
		if err != nil {
			return nil, false, err
		}
		note(h, complete)
	}
	slices.Sort(all)
	all = slices.Compact(all)
	if hs.desc {
		slices.Reverse(all)
	}
	for _, h := range all {
		if bounded && ((hs.desc && h < bound) || (!hs.desc && h > bound)) {
			return out, true, nil
		}
		out = append(out, h)
	}
	return out, false, nil
}

func order(desc bool) string {
	if desc {
		return "desc"
	}
	return "asc"
}

// searchTxs returns the heights of the transactions matching q, in the
// search's order, and whether it read them all.
func (s *server) searchTxs(ctx context.Context, q string, hs heightSearch) ([]int64, bool, error) {
	var out []int64
	for page := 1; page <= hs.pages; page++ {
		p, per := page, hs.perPage
		res, err := s.b.TxSearch(ctx, q, false, &p, &per, order(hs.desc))
		if err != nil {
			if page > 1 && pastLastPage(err) {
				return out, true, nil
			}
			return nil, false, searchErr(err)
		}
		for _, tx := range res.Txs {
			out = append(out, tx.Height)
		}
		if len(res.Txs) == 0 || len(out) >= res.TotalCount { // (a node may answer smaller pages than asked)
			return out, true, nil
		}
	}
	return out, false, nil
}

// searchBlocks returns the heights of the blocks whose own events match q.
func (s *server) searchBlocks(ctx context.Context, q string, hs heightSearch) ([]int64, bool, error) {
	var out []int64
	for page := 1; page <= hs.pages; page++ {
		p, per := page, hs.perPage
		res, err := s.b.BlockSearch(ctx, q, &p, &per, order(hs.desc))
		if err != nil {
			if page > 1 && pastLastPage(err) {
				return out, true, nil
			}
			return nil, false, searchErr(err)
		}
		for _, b := range res.Blocks {
			out = append(out, b.Block.Height)
		}
		if len(res.Blocks) == 0 || len(out) >= res.TotalCount {
			return out, true, nil
		}
	}
	return out, false, nil
}

// pastLastPage reports CometBFT's refusal of a page past the last: the
// total a previous page reported can exceed what the search returns (the
// index matched more events than it returned transactions or blocks).
func pastLastPage(err error) bool { return strings.Contains(err.Error(), "page should be within") }

func searchErr(err error) error {
	if strings.Contains(err.Error(), "indexing is disabled") {
		return fmt.Errorf("%w: %v", errIndexerOff, err)
	}
	return err
}

// searchFailed writes the answer to a failed search.
func searchFailed(w http.ResponseWriter, err error) {
	if errors.Is(err, errIndexerOff) {
		failWith(w, http.StatusNotImplemented, wire.APIIndexerDisabled, err.Error(),
			"the node's CometBFT config (config.toml) needs tx_index.indexer = \"kv\"; ask a node that indexes")
		return
	}
	unavailable(w, err)
}
