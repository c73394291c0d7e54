package client

import (
	"context"
	"encoding/hex"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/provernet/provernet/wire"
	"github.com/provernet/provernet/wire/address"
	"github.com/provernet/provernet/wire/pb"
)

// The market (issue 17, docs/MARKET.md): a prover's asks, a program's ask
// book and clearing prices, and the market order of a Run.

// AskSpec is one ask a prover keeps: a price per mega-cycle (uprv) and a
// latency in blocks for some programs (hex ids) and resource classes (cpu,
// gpu).
type AskSpec struct {
	ID       uint32
	Price    uint64
	Latency  int64
	Programs []string
	Classes  []string
}

// SetAskMsg builds a SetAsk: keep (or replace) the sender's ask a.ID.
func SetAskMsg(a AskSpec) (*Msg, error) {
	m := &pb.SetAsk{Id: a.ID, Price: a.Price, Latency: a.Latency, Classes: a.Classes}
	for _, p := range a.Programs {
		id, err := hex.DecodeString(p)
		if err != nil || len(id) != 32 {
			return nil, fmt.Errorf("program %q is not a 64-hex-digit program id", p)
		}
		m.Programs = append(m.Programs, id)
	}
	return &pb.Msg{Kind: &pb.Msg_SetAsk{SetAsk: m}}, nil
}

// RemoveAskMsg builds a SetAsk taking back the sender's ask id.
func RemoveAskMsg(id uint32) *Msg {
	return &pb.Msg{Kind: &pb.Msg_SetAsk{SetAsk: &pb.SetAsk{Id: id, Remove: true}}}
}

// AskOptions choose what Asks lists: one prover's asks (all of them), or a
// page of the book of a program (hex id) or a class, cheapest first. Name
// exactly one of Prover, Program and Class.
type AskOptions struct {
	Prover, Program, Class string
	Limit                  uint32 // 0: the node's default page
	Cursor                 string // a previous page's Next
}

// Asks lists standing asks (GET /v1/asks).
func (c *Client) Asks(ctx context.Context, o AskOptions) (*wire.AskPage, error) {
	q := url.Values{}
	for k, v := range map[string]string{"prover": o.Prover, "program": o.Program, "class": o.Class, "cursor": o.Cursor} {
		if v != "" {
			q.Set(k, v)
		}
	}
	if o.Limit > 0 {
		q.Set("limit", strconv.FormatUint(uint64(o.Limit), 10))
	}
	var p wire.AskPage
	return &p, c.get(ctx, "/v1/asks?"+q.Encode(), &p)
}

// Market returns a program's ask book per target and its recent clearing
// prices (GET /v1/market).
func (c *Client) Market(ctx context.Context, program string) (*wire.Market, error) {
	var m wire.Market
	return &m, c.get(ctx, "/v1/market?program="+url.QueryEscape(program), &m)
}

// Pool is a resource class's pool (cpu or gpu; "" is cpu): its members
// for the current epoch and the top of its score index now.
func (c *Client) Pool(ctx context.Context, class string) (*wire.PoolView, error) {
	var v wire.PoolView
	return &v, c.get(ctx, "/v1/pool?class="+url.QueryEscape(class), &v)
}

// MarketRequest is a Run's market order: Mechanism market (the top k asks),
// cheapest (k = 1, the lowest) or pool (k drawn among the epoch's pool of
// the program's class), the highest price per mega-cycle
// (uprv), the highest latency in blocks (0: the deadline), the priority
// (price, the default, or time), and provers to allow only or to deny
// (addresses).
type MarketRequest struct {
	Mechanism  string
	MaxPrice   uint64
	MaxLatency int64
	Priority   string
	Allow      []string
	Deny       []string
}

// order is the request as the chain's MarketOrder.
func (m *MarketRequest) order() (*pb.MarketOrder, error) {
	o := &pb.MarketOrder{MaxPrice: m.MaxPrice, MaxLatency: m.MaxLatency}
	switch m.Mechanism {
	case "market":
		o.Mechanism = pb.Mechanism_MECHANISM_MARKET
	case "cheapest":
		o.Mechanism = pb.Mechanism_MECHANISM_CHEAPEST
	case "pool":
		o.Mechanism = pb.Mechanism_MECHANISM_POOL
	default:
		return nil, fmt.Errorf("mechanism %q: want market, cheapest or pool (leave the order out for the lottery)", m.Mechanism)
	}
	switch m.Priority {
	case "", "price":
	case "time":
		o.Priority = pb.Priority_PRIORITY_TIME
	default:
		return nil, fmt.Errorf("priority %q: want price or time", m.Priority)
	}
	for _, l := range []struct {
		in  []string
		out *[][]byte
	}{{m.Allow, &o.Allow}, {m.Deny, &o.Deny}} {
		for _, s := range l.in {
			a, err := address.Parse(s)
			if err != nil {
				return nil, fmt.Errorf("allow/deny %q: %w", s, err)
			}
			*l.out = append(*l.out, a[:])
		}
	}
	return o, nil
}

// query adds the order to a /v1/fee query.
func (m *MarketRequest) query(q url.Values) {
	q.Set("mechanism", m.Mechanism)
	q.Set("max_price", strconv.FormatUint(m.MaxPrice, 10))
	q.Set("max_latency", strconv.FormatInt(m.MaxLatency, 10))
	if m.Priority != "" {
		q.Set("priority", m.Priority)
	}
	if len(m.Allow) > 0 {
		q.Set("allow", strings.Join(m.Allow, ","))
	}
	if len(m.Deny) > 0 {
		q.Set("deny", strings.Join(m.Deny, ","))
	}
}

// MarketFee quotes a market Run: its escrow at the order's max_price and
// the asks it would match now, in slot order (deadline 0: max_deadline's
// bound on max_latency).
func (c *Client) MarketFee(ctx context.Context, program string, cycles uint64, k uint32, deadline int64, m MarketRequest) (*wire.FeeQuote, error) {
	if _, err := m.order(); err != nil {
		return nil, err
	}
	q := url.Values{}
	q.Set("program", program)
	q.Set("cycles", strconv.FormatUint(cycles, 10))
	q.Set("provers", strconv.FormatUint(uint64(k), 10))
	if deadline > 0 {
		q.Set("deadline", strconv.FormatInt(deadline, 10))
	}
	m.query(q)
	var f wire.FeeQuote
	return &f, c.get(ctx, "/v1/fee?"+q.Encode(), &f)
}
