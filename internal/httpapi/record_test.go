package httpapi

import (
	"bytes"
	"testing"

	"github.com/provernet/provernet/internal/protocol"
	"github.com/provernet/provernet/wire/address"
	"github.com/provernet/provernet/wire/pb"
	"github.com/provernet/provernet/wire/record"
)

// TestRecordMatchesProtocol holds wire/record, which the client's proof
// checker uses without the chain, to the chain's own key layout and state
// names.
func TestRecordMatchesProtocol(t *testing.T) {
	a := address.Address{1, 2, 3, 250}
	id := bytes.Repeat([]byte{0xab}, 32)
	for _, k := range []struct {
		name          string
		record, chain []byte
	}{
		{"account", record.AccountKey(a), protocol.AccountKey(a)},
		{"prover", record.ProverKey(a), append(protocol.ProverPrefix(), a[:]...)},
		{"workload", record.WorkloadKey(id), protocol.WorkloadKey(id)},
	} {
		if !bytes.Equal(k.record, k.chain) {
			t.Errorf("%s key: record %q, chain %q", k.name, k.record, k.chain)
		}
	}
	for v := range pb.ProverState_name {
		if r, c := record.ProverStateName(pb.ProverState(v)), protocol.StateName(pb.ProverState(v)); r != c {
			t.Errorf("prover state %d: record %q, protocol %q", v, r, c)
		}
	}
	for _, v := range []int32{-1, 99} { // values the chain does not define
		if r, c := record.ProverStateName(pb.ProverState(v)), protocol.StateName(pb.ProverState(v)); r != c {
			t.Errorf("prover state %d: record %q, protocol %q", v, r, c)
		}
	}
	for v := range pb.WorkloadState_name {
		if r, c := record.WorkloadStateName(pb.WorkloadState(v)), protocol.WorkloadStateName(pb.WorkloadState(v)); r != c {
			t.Errorf("workload state %d: record %q, protocol %q", v, r, c)
		}
	}
	for v := range pb.SlotState_name {
		if r, c := record.SlotStateName(pb.SlotState(v)), protocol.SlotStateName(pb.SlotState(v)); r != c {
			t.Errorf("slot state %d: record %q, protocol %q", v, r, c)
		}
	}
}
