package httpapi

import (
	"encoding/hex"
	"fmt"
	"net/http"
	"strconv"

	"github.com/provernet/provernet/internal/chain"
)

// The lists' filters (docs/API.md, "Filters"): read here, bounded, and
// applied by the chain's list query, which examines a bounded number of
// records per page whatever the filter keeps.

// maxFilterParam bounds a filter's string parameter; every valid value is
// far shorter.
const maxFilterParam = 64

// proverFilter reads /v1/provers' filters (state, hardware, label) into
// req.
func proverFilter(w http.ResponseWriter, r *http.Request, req *chain.ListRequest) bool {
	q := r.URL.Query()
	for _, p := range []struct {
		name string
		dst  *string
	}{{"state", &req.Filter.State}, {"hardware", &req.Filter.Hardware}, {"label", &req.Filter.Label}} {
		v := q.Get(p.name)
		if len(v) > maxFilterParam {
			fail(w, http.StatusBadRequest, fmt.Sprintf("%s is longer than %d bytes", p.name, maxFilterParam), "see docs/API.md, \"Filters\"")
			return false
		}
		*p.dst = v
	}
	return true
}

// workloadFilter reads /v1/workloads' filters (program, state,
// from_height, to_height) into req; owner is read with the list.
func workloadFilter(w http.ResponseWriter, r *http.Request, req *chain.ListRequest) bool {
	q := r.URL.Query()
	req.Filter.State = q.Get("state")
	if len(req.Filter.State) > maxFilterParam {
		fail(w, http.StatusBadRequest, fmt.Sprintf("state is longer than %d bytes", maxFilterParam), "see docs/API.md, \"Filters\"")
		return false
	}
	if v := q.Get("program"); v != "" {
		id, err := hex.DecodeString(v)
		if err != nil || len(id) != 32 {
			fail(w, http.StatusBadRequest, "program must be a 64-hex-digit program id", "`provernet query programs` lists them")
			return false
		}
		req.Filter.Program = id
	}
	for _, p := range []struct {
		name string
		dst  *int64
	}{{"from_height", &req.Filter.FromHeight}, {"to_height", &req.Filter.ToHeight}} {
		if v := q.Get(p.name); v != "" {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n < 1 {
				fail(w, http.StatusBadRequest, p.name+" must be a positive height", "")
				return false
			}
			*p.dst = n
		}
	}
	if f := req.Filter; f.ToHeight != 0 && f.FromHeight > f.ToHeight {
		fail(w, http.StatusBadRequest, "from_height is past to_height", "")
		return false
	}
	return true
}
