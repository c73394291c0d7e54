package httpapi

import (
	"encoding/hex"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	rpcclient "github.com/cometbft/cometbft/rpc/client"
	"google.golang.org/protobuf/proto"

	"github.com/provernet/provernet/internal/alloc"
	"github.com/provernet/provernet/internal/chain"
	"github.com/provernet/provernet/internal/protocol"
	"github.com/provernet/provernet/wire"
	"github.com/provernet/provernet/wire/address"
	"github.com/provernet/provernet/wire/pb"
	"github.com/provernet/provernet/wire/record"
)

// The market's endpoints (issue 17, docs/MARKET.md): GET /v1/asks (a
// prover's asks, or a page of a program's or a class's book), GET
// /v1/market (a program's book and clearing prices), GET /v1/pool (a
// class's pool), and the market parameters of GET /v1/fee.

const programHint = "`provernet query programs` lists the program ids"

func (s *server) asks(w http.ResponseWriter, r *http.Request) {
	lr, ok := listRequest(w, r)
	if !ok {
		return
	}
	q := r.URL.Query()
	req := chain.AsksRequest{Class: q.Get("class"), Limit: min(lr.Limit, protocol.MaxBookPage), After: lr.After}
	if lr.Limit > protocol.MaxBookPage {
		fail(w, http.StatusBadRequest, fmt.Sprintf("limit must be 1..%d for asks", protocol.MaxBookPage), "")
		return
	}
	if p := q.Get("prover"); p != "" {
		addr, err := address.Parse(p)
		if err != nil {
			fail(w, http.StatusBadRequest, "prover: "+err.Error(), "addresses look like prv1...")
			return
		}
		req.Prover = addr[:]
	}
	if p := q.Get("program"); p != "" {
		id, err := hex.DecodeString(p)
		if err != nil || len(id) != 32 {
			fail(w, http.StatusBadRequest, "program must be a 64-hex-digit program id", programHint)
			return
		}
		req.Program = id
	}
	if n := btoi(len(req.Prover) > 0) + btoi(len(req.Program) > 0) + btoi(req.Class != ""); n != 1 {
		fail(w, http.StatusBadRequest, "name one of prover, program or class", "e.g. /v1/asks?class=cpu or /v1/asks?prover=prv1...")
		return
	}
	list, resp, ok := queryAs[pb.AskList](s, w, r, chain.PathAsks, req.Encode())
	if !ok {
		return
	}
	reply(w, wire.AskPage{Asks: record.Asks(list.Asks), Next: resp.Info})
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

func (s *server) market(w http.ResponseWriter, r *http.Request) {
	id, err := hex.DecodeString(r.URL.Query().Get("program"))
	if err != nil || len(id) != 32 {
		fail(w, http.StatusBadRequest, "program must be a 64-hex-digit program id", programHint)
		return
	}
	v, _, ok := queryAs[pb.MarketView](s, w, r, chain.PathMarket, id)
	if !ok {
		return
	}
	reply(w, record.Market(v))
}

// pool answers GET /v1/pool?class=cpu|gpu (cpu by default): the class's
// pool for the current epoch and the top of its score index now.
func (s *server) pool(w http.ResponseWriter, r *http.Request) {
	class := r.URL.Query().Get("class")
	if class == "" {
		class = protocol.ClassCPU
	}
	if class != protocol.ClassCPU && class != protocol.ClassGPU {
		fail(w, http.StatusBadRequest, "class must be cpu or gpu", "")
		return
	}
	v, _, ok := queryAs[pb.PoolView](s, w, r, chain.PathPool, []byte(class))
	if !ok {
		return
	}
	reply(w, record.PoolView(v, class))
}

// reputationAt is addr's reputation at height, or nil if the node cannot
// say (a prover's answer is whole without it).
func (s *server) reputationAt(r *http.Request, addr address.Address, height int64) *wire.Reputation {
	res, err := s.b.ABCIQueryWithOptions(r.Context(), chain.PathReputation, addr[:], rpcclient.ABCIQueryOptions{Height: height})
	if err != nil || res.Response.Code != chain.QueryOK {
		return nil
	}
	var rep pb.Reputation
	if proto.Unmarshal(res.Response.Value, &rep) != nil {
		return nil
	}
	return record.Reputation(&rep)
}

// marketOrder reads /v1/fee's market parameters: nil without mechanism
// (or with mechanism=lottery), writing the error itself.
func marketOrder(w http.ResponseWriter, r *http.Request) (*pb.MarketOrder, int64, bool) {
	q := r.URL.Query()
	var deadline int64
	if d := q.Get("deadline"); d != "" {
		n, err := strconv.ParseInt(d, 10, 64)
		if err != nil || n < 0 {
			fail(w, http.StatusBadRequest, "deadline must be a non-negative integer (blocks)", "")
			return nil, 0, false
		}
		deadline = n
	}
	o := &pb.MarketOrder{}
	switch q.Get("mechanism") {
	case "", "lottery":
		return nil, deadline, true
	case "market":
		o.Mechanism = pb.Mechanism_MECHANISM_MARKET
	case "cheapest":
		o.Mechanism = pb.Mechanism_MECHANISM_CHEAPEST
	case "pool":
		o.Mechanism = pb.Mechanism_MECHANISM_POOL
	default:
		fail(w, http.StatusBadRequest, "mechanism must be lottery, market, cheapest or pool", "")
		return nil, 0, false
	}
	var err error
	if o.MaxPrice, err = strconv.ParseUint(q.Get("max_price"), 10, 64); err != nil || o.MaxPrice == 0 {
		fail(w, http.StatusBadRequest, "max_price must be a positive integer (uprv per mega-cycle)", "`provernet query market PROGRAM` shows the asks and recent clearing prices")
		return nil, 0, false
	}
	if l := q.Get("max_latency"); l != "" {
		if o.MaxLatency, err = strconv.ParseInt(l, 10, 64); err != nil || o.MaxLatency < 0 {
			fail(w, http.StatusBadRequest, "max_latency must be a non-negative integer (blocks; 0: the deadline)", "")
			return nil, 0, false
		}
	}
	switch q.Get("priority") {
	case "", "price":
	case "time":
		o.Priority = pb.Priority_PRIORITY_TIME
	default:
		fail(w, http.StatusBadRequest, "priority must be price or time", "")
		return nil, 0, false
	}
	if !addressList(w, "allow", q.Get("allow"), &o.Allow) || !addressList(w, "deny", q.Get("deny"), &o.Deny) {
		return nil, 0, false
	}
	return o, deadline, true
}

// addressList reads a comma-separated list of addresses, at most
// wire.MaxMarketList.
func addressList(w http.ResponseWriter, name, v string, out *[][]byte) bool {
	if v == "" {
		return true
	}
	parts := strings.Split(v, ",")
	if len(parts) > wire.MaxMarketList {
		fail(w, http.StatusBadRequest, fmt.Sprintf("%s lists at most %d provers", name, wire.MaxMarketList), "")
		return false
	}
	for _, p := range parts {
		a, err := address.Parse(strings.TrimSpace(p))
		if err != nil {
			fail(w, http.StatusBadRequest, name+": "+err.Error(), "addresses look like prv1..., comma-separated")
			return false
		}
		*out = append(*out, a[:])
	}
	return true
}

// marketMatchOf converts a market or pool Run's match explanation.
func marketMatchOf(e *alloc.MatchExplanation) *wire.MarketMatch {
	o := e.Order
	out := &wire.MarketMatch{MaxPrice: o.MaxPrice, MaxLatency: o.MaxLatency, Priority: "price",
		Candidates: make([]wire.MatchCandidate, 0, len(e.Candidates)), Taken: make([]string, 0, len(e.Taken))}
	if p := e.Pool; p != nil {
		out.Pool = &wire.PoolDraw{Class: p.Class, Epoch: p.Epoch, Members: p.Members}
	}
	if o.Priority == alloc.PriorityTime {
		out.Priority = "time"
	}
	for _, c := range e.Candidates {
		out.Candidates = append(out.Candidates, wire.MatchCandidate{Prover: address.Address(c.Ask.Prover).String(), Ask: c.Ask.ID,
			Price: c.Ask.Price, Latency: c.Ask.Latency, Reputation: c.Ask.Reputation, Reason: string(c.Reason), Rank: c.Rank, Tie: c.Tie})
	}
	for _, a := range e.Taken {
		out.Taken = append(out.Taken, address.Address(a.Prover).String())
	}
	return out
}
