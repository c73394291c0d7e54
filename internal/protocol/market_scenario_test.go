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
//	asks NAME: a prover's asks
//	reputation NAME: a prover's reputation now
//	clearing PROG: a program's recent clearing prices
//	missed W: the asks an unmatched market Run missed
//
// and run takes [mechanism=market|cheapest] [max-price=P] [max-latency=N]
// [priority=price|time] [allow=A,B] [deny=A,B] (marketArgs).

func (s *scenario) handleMarket(t testing.TB, c *cmd) (string, bool) {
	switch c.d.Cmd {
	case "ask":
		return s.ask(t, c), true
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
	case "lottery":
		o.Mechanism = pb.Mechanism_MECHANISM_LOTTERY // refused: the lottery takes no order
	default:
		c.fail("mechanism=%s: want market, cheapest or lottery", mech)
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
