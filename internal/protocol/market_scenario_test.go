package protocol_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/provernet/provernet/internal/protocol"
	"github.com/provernet/provernet/wire/pb"
)

// The market commands of the scenario files (issue 17, docs/MARKET.md):
//
//	ask from=NAME [id=N] price=P latency=L [programs=PROG,...] [classes=cpu,gpu]
//	ask from=NAME [id=N] remove
//	ask-each from=A,B,... n=N price=P latency=L [programs=...] [classes=...]:
//	  asks 0..N-1 of each prover, all alike (a busy book in a few lines)
//	asks NAME: a prover's asks
//	reputation NAME: a prover's reputation now
//	clearing PROG: a program's recent clearing prices
//	missed W: the asks an unmatched market Run missed
//	pool CLASS: the class's frozen pool (the pool mechanism)
//	pool-index CLASS: the top of the class's score index now
//
// and run takes [mechanism=market|cheapest|pool] [max-price=P] [max-latency=N]
// [priority=price|time] [allow=A,B] [deny=A,B] (marketArgs).

func (s *scenario) handleMarket(t testing.TB, c *cmd) (string, bool) {
	switch c.d.Cmd {
	case "ask":
		return s.ask(t, c), true
	case "ask-each":
		return s.askEach(t, c), true
	case "asks":
		name := c.bare(1)[0]
		a := s.addr(t, name)
		asks, err := protocol.ProverAsks(s.tree.Working(), a[:])
		if err != nil {
			return "error: " + err.Error(), true
		}
		out := []string{fmt.Sprintf("%s: %d asks", name, len(asks))}
		for _, a := range asks {
			out = append(out, fmt.Sprintf("  id=%d price=%d latency=%d serves=%s height=%d", a.Id, a.Price, a.Latency, s.askServes(a), a.Height))
		}
		return strings.Join(out, "\n"), true
	case "reputation":
		name := c.bare(1)[0]
		p, err := protocol.GetProver(s.tree.Working(), s.addr(t, name))
		if err != nil {
			return "error: " + err.Error(), true
		}
		r := protocol.ReputationOf(s.env.Params, p, s.env.Height)
		return fmt.Sprintf("%s score_bp=%d allocated=%d final=%d declined=%d slashed=%d window=%d",
			name, r.ScoreBp, r.Allocated, r.Final, r.Declined, r.Slashed, r.Window), true
	case "clearing":
		prog := c.bare(1)[0]
		id, ok := s.programs[prog]
		if !ok {
			c.fail("unknown program %q", prog)
		}
		cp, err := protocol.ClearingPricesOf(s.tree.Working(), id)
		if err != nil {
			return "error: " + err.Error(), true
		}
		out := []string{fmt.Sprintf("%s: %d clearing prices", prog, len(cp))}
		for _, p := range cp {
			out = append(out, fmt.Sprintf("  height=%d price=%d prover=%s workload=%s", p.Height, p.Price, s.nameOrEmpty(p.Prover), s.wlNames[fmt.Sprintf("%x", p.Workload)]))
		}
		return strings.Join(out, "\n"), true
	case "pool":
		return s.pool(t, c.bare(1)[0]), true
	case "pool-index":
		return s.poolIndex(t, c.bare(1)[0]), true
	case "missed":
		name := s.workloadName(c, c.bare(1)[0])
		w, err := protocol.GetWorkload(s.tree.Working(), s.workloads[name])
		if err != nil {
			return "error: " + err.Error(), true
		}
		out := []string{fmt.Sprintf("%s missed %d asks", name, len(w.Missed))}
		for _, m := range w.Missed {
			out = append(out, fmt.Sprintf("  %s/%d price=%d latency=%d reason=%s", s.nameOrEmpty(m.Prover), m.Id, m.Price, m.Latency, m.Reason))
		}
		return strings.Join(out, "\n"), true
	}
	return "", false
}

func (s *scenario) ask(t testing.TB, c *cmd) string {
	from := c.str("from")
	m := &pb.SetAsk{Id: uint32(c.uint("id", "0", 32))}
	if c.flag("remove") {
		m.Remove, m.Price = true, c.uint("price", "0", 64) // a price with remove is refused
		return s.send(t, from, &pb.Msg{Kind: &pb.Msg_SetAsk{SetAsk: m}})
	}
	m.Price, m.Latency = c.uint("price", "", 64), c.int("latency", "")
	if c.has("programs") {
		for _, p := range c.list("programs") {
			id, ok := s.programs[p]
			if !ok {
				id = []byte(p) // not 32 bytes: the chain's refusal is the story
			}
			m.Programs = append(m.Programs, id)
		}
	}
	if c.has("classes") {
		m.Classes = c.list("classes")
	}
	return s.send(t, from, &pb.Msg{Kind: &pb.Msg_SetAsk{SetAsk: m}})
}

// pool prints a class's frozen pool, best first.
func (s *scenario) pool(t testing.TB, class string) string {
	p, err := protocol.GetPool(s.tree.Working(), class)
	if err != nil {
		return "error: " + err.Error()
	}
	if p == nil {
		return class + ": no pool"
	}
	out := []string{fmt.Sprintf("%s pool: epoch=%d height=%d members=%d", class, p.Epoch, p.Height, len(p.Members))}
	for i, m := range p.Members {
		out = append(out, fmt.Sprintf("  %d %s score=%d stake=%d reputation=%d ask=%d price=%d latency=%d",
			i, s.nameOrEmpty(m.Prover), m.Score, m.Stake, m.Reputation, m.AskId, m.Price, m.Latency))
	}
	return strings.Join(out, "\n")
}

// poolIndex prints the top of a class's score index now (what the next
// epoch's pool would be ranked from), as PoolViewOf reads it.
func (s *scenario) poolIndex(t testing.TB, class string) string {
	v, err := protocol.PoolViewOf(s.tree.Working(), s.env, class)
	if err != nil {
		return "error: " + err.Error()
	}
	out := []string{fmt.Sprintf("%s score index: %d", class, len(v.Next))}
	for _, m := range v.Next {
		out = append(out, fmt.Sprintf("  %s score=%d stake=%d ask=%d price=%d latency=%d", s.nameOrEmpty(m.Prover), m.Score, m.Stake, m.AskId, m.Price, m.Latency))
	}
	return strings.Join(out, "\n")
}

// askEach sets asks 0..n-1 of each prover named, alike, and says how many
// were set, or the first refusal.
func (s *scenario) askEach(t testing.TB, c *cmd) string {
	from, n := c.list("from"), int(c.uint("n", "", 32))
	m := &pb.SetAsk{Price: c.uint("price", "", 64), Latency: c.int("latency", "")}
	if c.has("programs") {
		for _, p := range c.list("programs") {
			m.Programs = append(m.Programs, s.programs[p])
		}
	}
	if c.has("classes") {
		m.Classes = c.list("classes")
	}
	set := 0
	for _, name := range from {
		for i := range n {
			one := &pb.SetAsk{Id: uint32(i), Price: m.Price, Latency: m.Latency, Programs: m.Programs, Classes: m.Classes}
			if res := s.send(t, name, &pb.Msg{Kind: &pb.Msg_SetAsk{SetAsk: one}}); !strings.HasPrefix(res, "ok") {
				return fmt.Sprintf("%s/%d: %s", name, i, res)
			}
			set++
		}
	}
	return fmt.Sprintf("ok: %d asks set", set)
}

func (s *scenario) askServes(a *pb.Ask) string {
	var parts []string
	for _, id := range a.Programs {
		parts = append(parts, s.wlNames[fmt.Sprintf("%x", id)])
	}
	return strings.Join(append(parts, a.Classes...), ",")
}

// marketArgs reads run's market arguments into m, if any is given.
func (s *scenario) marketArgs(t testing.TB, c *cmd, m *pb.Run) {
	if !c.has("mechanism") {
		return
	}
	o := &pb.MarketOrder{MaxPrice: c.uint("max-price", "1000", 64), MaxLatency: c.int("max-latency", "0")}
	switch mech := c.str("mechanism"); mech {
	case "market":
		o.Mechanism = pb.Mechanism_MECHANISM_MARKET
	case "cheapest":
		o.Mechanism = pb.Mechanism_MECHANISM_CHEAPEST
	case "pool":
		o.Mechanism = pb.Mechanism_MECHANISM_POOL
	case "lottery":
		o.Mechanism = pb.Mechanism_MECHANISM_LOTTERY // refused: the lottery takes no order
	default:
		c.fail("mechanism=%s: want market, cheapest, pool or lottery", mech)
	}
	switch pr := c.opt("priority", "price"); pr {
	case "price":
	case "time":
		o.Priority = pb.Priority_PRIORITY_TIME
	default:
		c.fail("priority=%s: want price or time", pr)
	}
	for _, l := range []struct {
		key  string
		list *[][]byte
	}{{"allow", &o.Allow}, {"deny", &o.Deny}} {
		if c.has(l.key) {
			for _, name := range c.list(l.key) {
				a := s.addr(t, name)
				*l.list = append(*l.list, a[:])
			}
		}
	}
	m.Market = o
}
