package httpapi

import (
	"encoding/hex"
	"fmt"
	"net/http"
	"strconv"

	"github.com/provernet/provernet/internal/chain"
	"github.com/provernet/provernet/wire"
	"github.com/provernet/provernet/wire/address"
	"github.com/provernet/provernet/wire/pb"
)

// listRequest reads the pagination parameters (limit, cursor) of a list
// endpoint, writing the error itself.
func listRequest(w http.ResponseWriter, r *http.Request) (chain.ListRequest, bool) {
	var req chain.ListRequest
	q := r.URL.Query()
	if l := q.Get("limit"); l != "" {
		n, err := strconv.ParseUint(l, 10, 32)
		if err != nil || n == 0 || n > chain.MaxPage {
			fail(w, http.StatusBadRequest, fmt.Sprintf("limit must be 1..%d", chain.MaxPage), "leave it out for pages of "+strconv.Itoa(chain.DefaultPage))
			return req, false
		}
		req.Limit = uint32(n)
	}
	if c := q.Get("cursor"); c != "" {
		if len(c) > 2*chain.MaxCursorBytes { // checked before decoding: bounded work
			fail(w, http.StatusBadRequest, "cursor must be the next value of a previous page", "")
			return req, false
		}
		b, err := hex.DecodeString(c)
		if err != nil {
			fail(w, http.StatusBadRequest, "cursor must be the next value of a previous page", "")
			return req, false
		}
		req.After = b
	}
	return req, true
}

func (s *server) programs(w http.ResponseWriter, r *http.Request) {
	req, ok := listRequest(w, r)
	if !ok {
		return
	}
	list, resp, ok := queryAs[pb.ProgramList](s, w, r, chain.PathPrograms, req.Encode())
	if !ok {
		return
	}
	out := wire.ProgramPage{Programs: make([]wire.Program, 0, len(list.Programs)), Next: resp.Info}
	for _, p := range list.Programs {
		out.Programs = append(out.Programs, ProgramOf(p))
	}
	reply(w, out)
}

func (s *server) provers(w http.ResponseWriter, r *http.Request) {
	req, ok := listRequest(w, r)
	if !ok || !proverFilter(w, r, &req) {
		return
	}
	list, resp, ok := queryAs[pb.ProverList](s, w, r, chain.PathProvers, req.Encode())
	if !ok {
		return
	}
	out := wire.ProverPage{Provers: make([]wire.Prover, 0, len(list.Provers)), Next: resp.Info}
	for _, p := range list.Provers {
		out.Provers = append(out.Provers, ProverOf(p))
	}
	reply(w, out)
}

func (s *server) workloads(w http.ResponseWriter, r *http.Request) {
	req, ok := listRequest(w, r)
	if !ok || !workloadFilter(w, r, &req) {
		return
	}
	if o := r.URL.Query().Get("owner"); o != "" {
		addr, err := address.Parse(o)
		if err != nil {
			fail(w, http.StatusBadRequest, "owner: "+err.Error(), "addresses look like prv1...")
			return
		}
		req.Owner = addr[:]
	}
	list, resp, ok := queryAs[pb.WorkloadList](s, w, r, chain.PathWorkloads, req.Encode())
	if !ok {
		return
	}
	out := wire.WorkloadPage{Workloads: make([]wire.Workload, 0, len(list.Workloads)), Next: resp.Info}
	for _, wl := range list.Workloads {
		out.Workloads = append(out.Workloads, WorkloadOf(wl))
	}
	reply(w, out)
}
