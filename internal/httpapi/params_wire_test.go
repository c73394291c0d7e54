package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"sort"
	"testing"

	"github.com/provernet/provernet/client"
	"github.com/provernet/provernet/internal/protocol"
	"github.com/provernet/provernet/wire"
	"github.com/provernet/provernet/wire/pb"
)

// strictParams decodes a params document into wire.Params, refusing a
// field wire.Params lacks, and checks that re-encoding it gives the same
// document (so wire.Params has no field the chain lacks, and no type that
// loses a value).
func strictParams(t *testing.T, doc []byte) *wire.Params {
	t.Helper()
	var p wire.Params
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		t.Fatalf("the chain's params do not decode into wire.Params: %v\n%s", err, doc)
	}
	again, err := json.Marshal(&p)
	if err != nil {
		t.Fatal(err)
	}
	if want, got := asMap(t, doc), asMap(t, again); !reflect.DeepEqual(want, got) {
		t.Fatalf("wire.Params re-encodes the chain's params differently:\nchain %v\nwire  %v", want, got)
	}
	return &p
}

func asMap(t *testing.T, doc []byte) map[string]any {
	t.Helper()
	var m map[string]any
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber() // exact: uint64 extremes survive
	if err := dec.Decode(&m); err != nil {
		t.Fatal(err)
	}
	return m
}

// TestParamsWireMatchesServer: what /v1/params serves (the chain's
// protocol.Params, as the server marshals it) is exactly wire.Params, and
// client.Params decodes it.
func TestParamsWireMatchesServer(t *testing.T) {
	srv := httptest.NewServer(Handler(newAppBackend(t)))
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/v1/params")
	if err != nil {
		t.Fatal(err)
	}
	doc, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /v1/params: %d %v\n%s", resp.StatusCode, err, doc)
	}
	want := strictParams(t, doc)
	def := protocol.DefaultParams()
	if want.MaxProofSize != def.MaxProofSize || want.FeePerMsg != def.FeePerMsg || !slices.Equal(want.RewardTiersBP, def.RewardTiersBP) {
		t.Fatalf("served params %+v are not the genesis defaults", want)
	}
	got, err := client.New(srv.URL).Params(context.Background())
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("client.Params = %+v, %v; want %+v", got, err, want)
	}
}

// TestParamsWireCarriesExtremes: every field of protocol.Params, set to
// the extreme of its type and marshaled as the chain's query does, decodes
// into wire.Params and back unchanged, so no wire field is narrower or of
// another kind than the chain's.
func TestParamsWireCarriesExtremes(t *testing.T) {
	var p protocol.Params
	setExtremes(t, reflect.ValueOf(&p).Elem())
	doc, err := json.Marshal(p) // as chain.App's /params query
	if err != nil {
		t.Fatal(err)
	}
	w := strictParams(t, doc)
	if w.MaxTxBytes != math.MaxUint64 || w.UnbondCooldown != math.MinInt64 || w.ChallengeProgram != "extreme" {
		t.Fatalf("wire.Params %+v lost the extremes", w)
	}
}

// setExtremes sets every field of the struct v to the extreme of its type,
// through embedded struct pointers (protocol.TreeParams, issue 16).
func setExtremes(t *testing.T, v reflect.Value) {
	for i := range v.NumField() {
		f := v.Field(i)
		switch f.Kind() {
		case reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
			f.SetUint(math.MaxUint64 >> (64 - f.Type().Bits()))
		case reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
			f.SetInt(math.MinInt64 >> (64 - f.Type().Bits()))
		case reflect.String:
			f.SetString("extreme")
		case reflect.Slice:
			switch f.Type() {
			case reflect.TypeOf([]uint32{}):
				f.Set(reflect.ValueOf([]uint32{math.MaxUint32, 0, 1}))
			case reflect.TypeOf([]byte{}): // a verifying key (the gnark tree pair)
				f.Set(reflect.ValueOf([]byte{0, 0xff, 1}))
			case reflect.TypeOf([][]byte{}):
				f.Set(reflect.ValueOf([][]byte{{0xff}, {}, {0, 1}}))
			default:
				t.Fatalf("protocol.Params.%s is a %s: teach this test its extreme", v.Type().Field(i).Name, f.Type())
			}
		case reflect.Pointer:
			if f.Type().Elem().Kind() != reflect.Struct {
				t.Fatalf("protocol.Params.%s is a %s: teach this test its extreme", v.Type().Field(i).Name, f.Type())
			}
			f.Set(reflect.New(f.Type().Elem()))
			setExtremes(t, f.Elem())
		default:
			t.Fatalf("protocol.Params.%s is a %s: teach this test its extreme", v.Type().Field(i).Name, f.Type())
		}
	}
}

// names maps every non-zero value of a protobuf enum through the server's
// conversion.
func names(t *testing.T, enum map[int32]string, name func(int32) string) []string {
	t.Helper()
	var out []string
	for v := range enum {
		if v == 0 {
			continue // UNSPECIFIED: never stored
		}
		out = append(out, name(v))
	}
	sort.Strings(out)
	return out
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	sort.Strings(s)
	return s
}

// TestWireStatesMatchProtocol: the state and outcome names in wire (which
// clients compare against) are exactly the names the server reports for
// every state the protocol has, and wire.WorkloadEnded is
// protocol.Terminal.
func TestWireStatesMatchProtocol(t *testing.T) {
	cases := []struct {
		what string
		wire []string
		got  []string
	}{
		{"workload states", wire.WorkloadStates(), names(t, pb.WorkloadState_name, func(v int32) string {
			return WorkloadOf(&pb.Workload{State: pb.WorkloadState(v)}).State
		})},
		{"slot states", wire.SlotStates(), names(t, pb.SlotState_name, func(v int32) string {
			return SlotOf(&pb.Slot{State: pb.SlotState(v)}).State
		})},
		{"outcomes", wire.Outcomes(), names(t, pb.Outcome_name, func(v int32) string {
			return SlotOf(&pb.Slot{Outcome: pb.Outcome(v)}).Outcome
		})},
		{"prover states", wire.ProverStates(), names(t, pb.ProverState_name, func(v int32) string {
			return ProverOf(&pb.Prover{State: pb.ProverState(v)}).State
		})},
	}
	for _, c := range cases {
		if want := sorted(c.wire); !slices.Equal(c.got, want) || len(slices.Compact(want)) != len(c.wire) {
			t.Errorf("%s: the server reports %v, wire lists %v", c.what, c.got, c.wire)
		}
	}
	for v := range pb.WorkloadState_name {
		s := pb.WorkloadState(v)
		if name := protocol.WorkloadStateName(s); v != 0 && wire.WorkloadEnded(name) != protocol.Terminal(s) {
			t.Errorf("workload state %s: wire.WorkloadEnded %v, protocol.Terminal %v", name, wire.WorkloadEnded(name), protocol.Terminal(s))
		}
	}
}
