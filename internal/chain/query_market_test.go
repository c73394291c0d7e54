package chain_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/provernet/provernet/client"
	"github.com/provernet/provernet/internal/alloc"
	"github.com/provernet/provernet/internal/chain"
	"github.com/provernet/provernet/internal/protocol"
	"github.com/provernet/provernet/wire"
	"github.com/provernet/provernet/wire/address"
	"github.com/provernet/provernet/wire/pb"
)

// marketFixture is a chain with a CPU program and three active provers,
// each with asks (issue 17).
type marketFixture struct {
	c      *testChain
	s      *wlSigner
	params protocol.Params
	prog   []byte
	p      [4]address.Address // p[1..3] are the provers
}

func newMarketFixture(t *testing.T) *marketFixture {
	return newMarketFixtureParams(t, protocol.DefaultParams())
}

// newMarketFixtureParams is newMarketFixture under params.
func newMarketFixtureParams(t *testing.T, params protocol.Params) *marketFixture {
	const stake = 1000 * 1_000_000
	c := newChainWithParams(t, params, 1<<62, 2*stake, 2*stake, 2*stake)
	f := &marketFixture{c: c, s: &wlSigner{c: c, nonces: map[int]uint64{}}, params: params}
	c.block()
	pv, vf := sha256.Sum256([]byte("mkt prover")), sha256.Sum256([]byte("mkt verifier"))
	deploy, err := client.DeployMsg("mkt", &wire.Module{SHA256: hex.EncodeToString(pv[:]), Size: 10},
		&wire.Module{SHA256: hex.EncodeToString(vf[:]), Size: 10}, &wire.Hardware{CPUCores: 1, MemoryMB: 1024})
	if err != nil {
		t.Fatal(err)
	}
	txs := [][]byte{f.s.tx(0, deploy)}
	for i := 1; i <= 3; i++ {
		_, pub := vrfKey(t, byte(0x70+i))
		hw := wire.Hardware{CPUCores: 4, MemoryMB: 4096}
		if i == 3 { // it serves the gpu class too
			hw.GPUs = []wire.GPU{{Model: "test", MemoryMB: 8192}}
		}
		txs = append(txs, f.s.tx(i, client.RegisterProverMsg(pub, hw, 2, ""), client.StakeMsg(stake)))
		f.p[i] = addrOf(c.keys[i])
	}
	mustOK(t, "deploy and register", c.block(txs...))
	f.prog = wire.ProgramID(pv[:], vf[:])
	progHex := hex.EncodeToString(f.prog)
	ask := func(from int, a client.AskSpec) []byte {
		m, err := client.SetAskMsg(a)
		if err != nil {
			t.Fatal(err)
		}
		return f.s.tx(from, m)
	}
	mustOK(t, "asks", c.block(
		ask(1, client.AskSpec{ID: 1, Price: 5, Latency: 10, Classes: []string{"cpu"}}),
		ask(2, client.AskSpec{ID: 1, Price: 3, Latency: 20, Programs: []string{progHex}}),
		ask(3, client.AskSpec{ID: 1, Price: 8, Latency: 5, Classes: []string{"cpu"}}),
		ask(3, client.AskSpec{ID: 2, Price: 2, Latency: 30, Classes: []string{"gpu"}}),
	))
	return f
}

func (f *marketFixture) asks(r chain.AsksRequest, code uint32) (*pb.AskList, string) {
	f.c.t.Helper()
	resp := f.c.queryCode(chain.PathAsks, r.Encode(), 0, code)
	var l pb.AskList
	if err := proto.Unmarshal(resp.Value, &l); err != nil {
		f.c.t.Fatal(err)
	}
	return &l, resp.Info
}

// TestAsksQuery pages the books one ask at a time and holds them to a
// naive reference: every prover's asks, filtered by target, sorted by
// price, latency, prover, id.
func TestAsksQuery(t *testing.T) {
	f := newMarketFixture(t)
	var all []*pb.Ask
	for i := 1; i <= 3; i++ {
		l, next := f.asks(chain.AsksRequest{Prover: f.p[i][:]}, chain.QueryOK)
		if next != "" || len(l.Asks) == 0 || !slices.IsSortedFunc(l.Asks, func(a, b *pb.Ask) int { return int(a.Id) - int(b.Id) }) {
			t.Fatalf("prover %d asks %v next %q", i, l.Asks, next)
		}
		all = append(all, l.Asks...)
	}
	if len(all) != 4 {
		t.Fatalf("%d asks in all, want 4", len(all))
	}
	for _, tc := range []struct {
		req    chain.AsksRequest
		serves func(*pb.Ask) bool
	}{
		{chain.AsksRequest{Class: "cpu"}, func(a *pb.Ask) bool { return slices.Contains(a.Classes, "cpu") }},
		{chain.AsksRequest{Class: "gpu"}, func(a *pb.Ask) bool { return slices.Contains(a.Classes, "gpu") }},
		{chain.AsksRequest{Program: f.prog}, func(a *pb.Ask) bool {
			return slices.ContainsFunc(a.Programs, func(p []byte) bool { return bytes.Equal(p, f.prog) })
		}},
	} {
		var want []*pb.Ask
		for _, a := range all {
			if tc.serves(a) {
				want = append(want, a)
			}
		}
		slices.SortFunc(want, func(a, b *pb.Ask) int {
			if a.Price != b.Price {
				return int(a.Price) - int(b.Price)
			}
			if a.Latency != b.Latency {
				return int(a.Latency) - int(b.Latency)
			}
			if c := bytes.Compare(a.Prover, b.Prover); c != 0 {
				return c
			}
			return int(a.Id) - int(b.Id)
		})
		for _, limit := range []uint32{1, 2, 0} {
			var got []*pb.Ask
			r := tc.req
			r.Limit = limit
			for pages := 0; ; pages++ {
				if pages > 5 {
					t.Fatalf("%+v: the pages do not end", r)
				}
				l, next := f.asks(r, chain.QueryOK)
				if limit > 0 && len(l.Asks) > int(limit) {
					t.Fatalf("%+v: %d asks in a page of %d", r, len(l.Asks), limit)
				}
				got = append(got, l.Asks...)
				if next == "" {
					break
				}
				r.After, _ = hex.DecodeString(next)
			}
			if !slices.EqualFunc(got, want, func(a, b *pb.Ask) bool { return proto.Equal(a, b) }) {
				t.Errorf("%+v by pages of %d: %v, want %v", tc.req, limit, got, want)
			}
		}
	}
	for _, bad := range []chain.AsksRequest{
		{}, {Prover: f.p[1][:], Class: "cpu"}, {Class: "tpu"}, {Program: f.prog[:31]}, {Program: f.prog, Class: "cpu"},
		{Class: "cpu", After: []byte{1, 2, 3}}, {Prover: []byte{1}},
	} {
		f.asks(bad, chain.QueryBadRequest)
	}
	f.c.queryCode(chain.PathAsks, []byte("not json"), 0, chain.QueryBadRequest)
}

// TestMarketQueries: the book and clearing prices, the market fee quote
// naming the asks a Run would match, reputation, and /allocation
// explaining a matched and an unmatched market Run against the slots the
// chain recorded.
func TestMarketQueries(t *testing.T) {
	f := newMarketFixture(t)
	c, p := f.c, f.p
	var v pb.MarketView
	if err := proto.Unmarshal(c.queryCode(chain.PathMarket, f.prog, 0, chain.QueryOK).Value, &v); err != nil {
		t.Fatal(err)
	}
	provers := func(as []*pb.Ask) []address.Address {
		var out []address.Address
		for _, a := range as {
			out = append(out, address.Address(a.Prover))
		}
		return out
	}
	if v.Class != "cpu" || !slices.Equal(provers(v.ProgramAsks), []address.Address{p[2]}) ||
		!slices.Equal(provers(v.ClassAsks), []address.Address{p[1], p[3]}) || len(v.Clearing) != 0 || v.Truncated {
		t.Fatalf("market %v", &v)
	}
	c.queryCode(chain.PathMarket, make([]byte, 32), 0, chain.QueryNotFound)
	c.queryCode(chain.PathMarket, f.prog[:8], 0, chain.QueryBadRequest)

	const cycles = 2_500_000
	order := func(mech pb.Mechanism, maxPrice uint64, prio pb.Priority) *pb.MarketOrder {
		return &pb.MarketOrder{Mechanism: mech, MaxPrice: maxPrice, Priority: prio}
	}
	quote := func(k uint32, o *pb.MarketOrder, code uint32) *pb.FeeQuote {
		t.Helper()
		b, _ := proto.Marshal(&pb.Run{Program: f.prog, Cycles: cycles, Provers: k, Market: o})
		var q pb.FeeQuote
		if err := proto.Unmarshal(c.queryCode(chain.PathFee, b, 0, code).Value, &q); err != nil {
			t.Fatal(err)
		}
		return &q
	}
	for _, tc := range []struct {
		k    uint32
		o    *pb.MarketOrder
		want []address.Address
	}{
		{2, order(pb.Mechanism_MECHANISM_MARKET, 6, pb.Priority_PRIORITY_PRICE), []address.Address{p[2], p[1]}},
		{3, order(pb.Mechanism_MECHANISM_MARKET, 10, pb.Priority_PRIORITY_TIME), []address.Address{p[3], p[1], p[2]}},
		{1, order(pb.Mechanism_MECHANISM_CHEAPEST, 10, pb.Priority_PRIORITY_PRICE), []address.Address{p[2]}},
		{2, order(pb.Mechanism_MECHANISM_MARKET, 1, pb.Priority_PRIORITY_PRICE), nil},
	} {
		q := quote(tc.k, tc.o, chain.QueryOK)
		want, err := protocol.MarketQuote(f.params, cycles, tc.k, tc.o.MaxPrice)
		if err != nil || q.Fee != want.Fee || q.PerSlot != want.PerSlot || !slices.Equal(provers(q.Asks), tc.want) {
			t.Errorf("quote k %d %v: fee %d asks %v, want fee %d asks %v", tc.k, tc.o, q.Fee, provers(q.Asks), want.Fee, tc.want)
		}
	}
	quote(2, order(pb.Mechanism_MECHANISM_CHEAPEST, 10, pb.Priority_PRIORITY_PRICE), chain.QueryBadRequest) // cheapest is k = 1
	quote(1, order(pb.Mechanism_MECHANISM_MARKET, 0, pb.Priority_PRIORITY_PRICE), chain.QueryBadRequest)

	var rep pb.Reputation
	if err := proto.Unmarshal(c.queryCode(chain.PathReputation, p[1][:], 0, chain.QueryOK).Value, &rep); err != nil {
		t.Fatal(err)
	}
	if rep.ScoreBp != 5000 || rep.Window != f.params.ReputationWindow || rep.Allocated != 0 {
		t.Fatalf("a newcomer's reputation %v", &rep)
	}
	c.queryCode(chain.PathReputation, make([]byte, 20), 0, chain.QueryNotFound)

	// A Run the book serves (k = 2 at 6) and one it does not (at 1).
	run := func(o *pb.MarketOrder) *pb.Msg {
		return &pb.Msg{Kind: &pb.Msg_Run{Run: &pb.Run{Program: f.prog, Cycles: cycles, Provers: 2, Deadline: 30, Market: o,
			Recipient: "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p", Inputs: []*pb.Input{{Name: "in", Data: []byte("x")}}}}}
	}
	user := addrOf(c.keys[0])
	nonce := f.s.nonces[0]
	mustOK(t, "market runs", c.block(f.s.tx(0, run(order(pb.Mechanism_MECHANISM_MARKET, 6, pb.Priority_PRIORITY_PRICE)),
		run(order(pb.Mechanism_MECHANISM_MARKET, 1, pb.Priority_PRIORITY_PRICE)))))
	matched, missed := wire.WorkloadID(user, nonce, 0), wire.WorkloadID(user, nonce, 1)
	if resp := c.queryCode(chain.PathAllocation, matched, 0, chain.QueryNotFound); !strings.Contains(resp.Log, "pending") {
		t.Fatalf("allocation of a pending market Run: %q", resp.Log)
	}
	c.block()
	w := c.workload(matched, 0)
	if len(w.Slots) != 2 || !bytes.Equal(w.Slots[0].AllocatedTo, p[2][:]) || !bytes.Equal(w.Slots[1].AllocatedTo, p[1][:]) {
		t.Fatalf("matched workload %v", w)
	}
	ans := f.allocation(matched)
	if ans.Mechanism != "market" || ans.Market == nil || !ans.Agrees || ans.Explanation.Height != w.Height+1 ||
		len(ans.Market.Taken) != 2 || ans.Market.Taken[0].Prover != [20]byte(p[2]) || ans.Market.Taken[1].Prover != [20]byte(p[1]) {
		t.Fatalf("allocation of the matched Run %+v", ans)
	}
	reasons := map[address.Address]alloc.MatchReason{}
	for _, cd := range ans.Market.Candidates {
		reasons[address.Address(cd.Ask.Prover)] = cd.Reason
	}
	if reasons[p[3]] != alloc.MatchPrice || reasons[p[1]] != alloc.MatchTaken || reasons[p[2]] != alloc.MatchTaken {
		t.Fatalf("verdicts %v", reasons)
	}

	// The unmatched Run failed at once with its misses, which /allocation
	// recomputes: no ask taken, p[3]'s cpu ask above the price.
	w = c.workload(missed, 0)
	if w.State != pb.WorkloadState_WORKLOAD_STATE_EXPIRED || w.Reason != "no_matching_ask" || len(w.Missed) == 0 || len(w.Slots) != 0 {
		t.Fatalf("unmatched workload %v", w)
	}
	ans = f.allocation(missed)
	if ans.Market == nil || len(ans.Market.Taken) != 0 || !ans.Agrees || len(ans.Market.Candidates) < len(w.Missed) {
		t.Fatalf("allocation of the unmatched Run %+v", ans)
	}
	for i, m := range w.Missed {
		cd := ans.Market.Candidates[i]
		if !bytes.Equal(m.Prover, cd.Ask.Prover[:]) || m.Id != cd.Ask.ID || m.Reason != string(cd.Reason) {
			t.Errorf("miss %d %v, recomputed %+v", i, m, cd)
		}
	}

	// No clearing price yet: one is recorded when a matched slot is final
	// and paid (docs/MARKET.md), not when it is matched.
	if err := proto.Unmarshal(c.queryCode(chain.PathMarket, f.prog, 0, chain.QueryOK).Value, &v); err != nil {
		t.Fatal(err)
	}
	if len(v.Clearing) != 0 {
		t.Fatalf("clearing prices before any settlement %v", v.Clearing)
	}
}

func (f *marketFixture) allocation(id []byte) chain.AllocationAnswer {
	f.c.t.Helper()
	var ans chain.AllocationAnswer
	if err := json.Unmarshal(f.c.queryCode(chain.PathAllocation, id, 0, chain.QueryOK).Value, &ans); err != nil {
		f.c.t.Fatal(err)
	}
	return ans
}

// TestPoolQueries: /pool shows the score index's ranking before the first
// freeze and the frozen pool after it; a pool Run is drawn among its
// members, /fee previews the draw, and /allocation recomputes it (issue
// 17, the pool mechanism).
func TestPoolQueries(t *testing.T) {
	params := protocol.DefaultParams()
	params.EpochLength = 5
	f := newMarketFixtureParams(t, params)
	c, p := f.c, f.p
	view := func(class string) *pb.PoolView {
		t.Helper()
		var v pb.PoolView
		if err := proto.Unmarshal(c.queryCode(chain.PathPool, []byte(class), 0, chain.QueryOK).Value, &v); err != nil {
			t.Fatal(err)
		}
		return &v
	}
	members := func(ms []*pb.PoolMember) []address.Address {
		var out []address.Address
		for _, m := range ms {
			out = append(out, address.Address(m.Prover))
		}
		return out
	}
	// Equal stakes: p[1] (cpu at 5) outranks p[3] (cpu at 8); p[2] asks
	// for the program only and is in no pool; p[3] alone asks for gpu.
	v := view("cpu")
	if v.Pool != nil || !slices.Equal(members(v.Next), []address.Address{p[1], p[3]}) {
		t.Fatalf("cpu pool before the first freeze: %v", v)
	}
	if g := view("gpu"); !slices.Equal(members(g.Next), []address.Address{p[3]}) || g.Next[0].Price != 2 {
		t.Fatalf("gpu pool %v", g)
	}
	c.queryCode(chain.PathPool, []byte("tpu"), 0, chain.QueryBadRequest)
	for c.height%params.EpochLength != 0 {
		c.block()
	}
	v = view("cpu")
	if v.Pool == nil || v.Pool.Epoch != c.height/params.EpochLength || !slices.Equal(members(v.Pool.Members), []address.Address{p[1], p[3]}) {
		t.Fatalf("cpu pool after the freeze at height %d: %v", c.height, v)
	}

	const cycles = 2_500_000
	o := &pb.MarketOrder{Mechanism: pb.Mechanism_MECHANISM_POOL, MaxPrice: 10}
	b, _ := proto.Marshal(&pb.Run{Program: f.prog, Cycles: cycles, Provers: 2, Market: o})
	var q pb.FeeQuote
	if err := proto.Unmarshal(c.queryCode(chain.PathFee, b, 0, chain.QueryOK).Value, &q); err != nil {
		t.Fatal(err)
	}
	if len(q.Asks) != 2 {
		t.Fatalf("a pool quote previews %d members, want 2: %v", len(q.Asks), &q)
	}
	// Quoted in the block before an epoch's first, a Run sent now is
	// drawn in the pool that block freezes: the preview freezes it too.
	for (c.height+1)%params.EpochLength != 0 {
		c.block()
	}
	q = pb.FeeQuote{}
	if err := proto.Unmarshal(c.queryCode(chain.PathFee, b, 0, chain.QueryOK).Value, &q); err != nil {
		t.Fatal(err)
	}
	if len(q.Asks) != 2 {
		t.Fatalf("a pool quote at height %d (the next starts an epoch) previews %d members, want 2", c.height, len(q.Asks))
	}
	// A deadline counts from inclusion: 10 blocks admit both members'
	// latencies (10 and 5) whatever the height (the preview once took it
	// for a height, and at height 9 admitted nobody).
	withDeadline, _ := proto.Marshal(&pb.Run{Program: f.prog, Cycles: cycles, Provers: 2, Deadline: 10, Market: o})
	q = pb.FeeQuote{}
	if err := proto.Unmarshal(c.queryCode(chain.PathFee, withDeadline, 0, chain.QueryOK).Value, &q); err != nil {
		t.Fatal(err)
	}
	if len(q.Asks) != 2 {
		t.Fatalf("a pool quote with deadline 10 at height %d previews %d members, want 2", c.height, len(q.Asks))
	}
	bad, _ := proto.Marshal(&pb.Run{Program: f.prog, Cycles: cycles, Provers: 1, Market: &pb.MarketOrder{Mechanism: pb.Mechanism_MECHANISM_POOL,
		MaxPrice: 10, Priority: pb.Priority_PRIORITY_TIME}})
	c.queryCode(chain.PathFee, bad, 0, chain.QueryBadRequest) // a pool Run has no priority

	user := addrOf(c.keys[0])
	nonce := f.s.nonces[0]
	mustOK(t, "pool run", c.block(f.s.tx(0, &pb.Msg{Kind: &pb.Msg_Run{Run: &pb.Run{Program: f.prog, Cycles: cycles, Provers: 2,
		Deadline: 30, Market: o, Recipient: "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p",
		Inputs: []*pb.Input{{Name: "in", Data: []byte("x")}}}}})))
	c.block()
	id := wire.WorkloadID(user, nonce, 0)
	w := c.workload(id, 0)
	got := []address.Address{address.Address(w.Slots[0].AllocatedTo), address.Address(w.Slots[1].AllocatedTo)}
	slices.SortFunc(got, func(a, b address.Address) int { return bytes.Compare(a[:], b[:]) })
	want := []address.Address{p[1], p[3]}
	slices.SortFunc(want, func(a, b address.Address) int { return bytes.Compare(a[:], b[:]) })
	if !slices.Equal(got, want) {
		t.Fatalf("the pool Run's slots went to %v, want the two members", got)
	}
	ans := f.allocation(id)
	if ans.Mechanism != "pool" || ans.Market == nil || ans.Market.Pool == nil || !ans.Agrees || ans.Market.Pool.Members != 2 ||
		ans.Market.Pool.Class != "cpu" || len(ans.Market.Taken) != 2 {
		t.Fatalf("allocation of the pool Run %+v", ans)
	}
	for i, tk := range ans.Market.Taken {
		if tk.Prover != [20]byte(w.Slots[i].AllocatedTo) || w.Slots[i].Price != protocol.SlotPrice(params, cycles, tk.Price) {
			t.Errorf("slot %d: drawn %x at %d, recorded %x at %d", i, tk.Prover, tk.Price, w.Slots[i].AllocatedTo, w.Slots[i].Price)
		}
	}
}
