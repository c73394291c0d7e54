package record

import (
	"testing"

	"github.com/provernet/provernet/wire/address"
	"github.com/provernet/provernet/wire/pb"
)

// TestConvertTotal: nil records, nil slots and inputs, malformed addresses
// and undefined enum values convert without panicking.
func TestConvertTotal(t *testing.T) {
	if p := Prover(nil); p.State != "unknown" || p.Address != "" {
		t.Errorf("nil prover: %+v", p)
	}
	w := Workload(&pb.Workload{Owner: []byte{1, 2}, State: 99, Inputs: []*pb.Input{nil, {Name: "x", Data: []byte("hi")}},
		Slots: []*pb.Slot{nil, {Outcome: pb.Outcome_OUTCOME_FAIL, Prover: make([]byte, 20)}}})
	if w.Owner != "" || w.State != "99" || len(w.Inputs) != 2 || !w.Inputs[1].Inline || w.Inputs[1].Size != 2 ||
		len(w.Slots) != 2 || w.Slots[1].Outcome != "fail" || w.Slots[1].Prover == "" || w.Slots[0].Outcome != "" {
		t.Errorf("workload: %+v", w)
	}
	if a := Account(address.Address{1}, nil, 7); a.Balance != 0 || a.Height != 7 || a.Address == "" {
		t.Errorf("never-written account: %+v", a)
	}
	if Hardware(nil) != nil {
		t.Error("nil hardware converted to something")
	}
}
