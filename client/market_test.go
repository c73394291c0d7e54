package client

import (
	"bytes"
	"strings"
	"testing"

	"github.com/provernet/provernet/wire/address"
	"github.com/provernet/provernet/wire/pb"
)

// TestRunMsgMarket: a RunRequest's market order becomes the Run's
// MarketOrder field by field, a Run without one stays the lottery's, and a
// bad order is refused before anything is signed (issue 17).
func TestRunMsgMarket(t *testing.T) {
	a, d := address.Address{1}, address.Address{2}
	req := RunRequest{Program: strings.Repeat("ab", 32), Cycles: 5, Provers: 2, Deadline: 40,
		Market: &MarketRequest{Mechanism: "market", MaxPrice: 7, MaxLatency: 30, Priority: "time", Allow: []string{a.String()}, Deny: []string{d.String()}}}
	msg, _, err := runMsg(req, 1<<10, 10)
	if err != nil {
		t.Fatal(err)
	}
	o := msg.GetRun().GetMarket()
	if o.GetMechanism() != pb.Mechanism_MECHANISM_MARKET || o.MaxPrice != 7 || o.MaxLatency != 30 || o.Priority != pb.Priority_PRIORITY_TIME ||
		len(o.Allow) != 1 || !bytes.Equal(o.Allow[0], a[:]) || len(o.Deny) != 1 || !bytes.Equal(o.Deny[0], d[:]) {
		t.Fatalf("market order %v", o)
	}
	req.Market = &MarketRequest{Mechanism: "cheapest", MaxPrice: 3}
	if msg, _, err = runMsg(req, 1<<10, 10); err != nil || msg.GetRun().GetMarket().GetMechanism() != pb.Mechanism_MECHANISM_CHEAPEST ||
		msg.GetRun().GetMarket().GetPriority() != pb.Priority_PRIORITY_PRICE {
		t.Fatalf("cheapest: %v %v", msg, err)
	}
	req.Market = &MarketRequest{Mechanism: "pool", MaxPrice: 9}
	if msg, _, err = runMsg(req, 1<<10, 10); err != nil || msg.GetRun().GetMarket().GetMechanism() != pb.Mechanism_MECHANISM_POOL ||
		msg.GetRun().GetMarket().GetMaxPrice() != 9 {
		t.Fatalf("pool: %v %v", msg, err)
	}
	req.Market = nil
	if msg, _, err = runMsg(req, 1<<10, 10); err != nil || msg.GetRun().GetMarket() != nil {
		t.Fatalf("lottery Run carries a market order: %v %v", msg, err)
	}
	for _, bad := range []MarketRequest{{Mechanism: "lottery", MaxPrice: 1}, {Mechanism: "market", MaxPrice: 1, Priority: "soon"},
		{Mechanism: "market", MaxPrice: 1, Deny: []string{"prv1nope"}}} {
		req.Market = &bad
		if _, _, err := runMsg(req, 1<<10, 10); err == nil {
			t.Errorf("market request %+v accepted", bad)
		}
	}
	if _, err := SetAskMsg(AskSpec{ID: 1, Price: 1, Latency: 1, Programs: []string{"abc"}}); err == nil {
		t.Error("an ask naming a program that is no id was built")
	}
	if m := RemoveAskMsg(4).GetSetAsk(); m.Id != 4 || !m.Remove {
		t.Errorf("remove ask %v", m)
	}
}
