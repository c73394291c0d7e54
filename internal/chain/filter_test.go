package chain_test

import (
	"bytes"
	"cmp"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"
	"google.golang.org/protobuf/proto"

	"github.com/provernet/provernet/internal/chain"
	"github.com/provernet/provernet/internal/protocol"
	"github.com/provernet/provernet/internal/store/iavltree"
	"github.com/provernet/provernet/wire/pb"
)

// filterFixture is an App over a store of random provers and workloads,
// written straight into the tree (no transactions): their states,
// hardware, owners, programs and heights are whatever the seed draws.
type filterFixture struct {
	app       *chain.App
	workloads []*pb.Workload
	provers   []*pb.Prover
	owners    [][]byte
	programs  [][]byte
	height    int64
}

func newFilterFixture(t *testing.T, seed uint64) *filterFixture {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 1))
	tree := iavltree.OpenMemory()
	_, vrfPub := vrfKey(t, 9)
	g := &protocol.Genesis{Params: protocol.DefaultParams(), BeaconSeed: bytes.Repeat([]byte{1}, 32),
		Validators: []protocol.GenesisValidator{{Address: bytes.Repeat([]byte{2}, 20), VRFPublicKey: vrfPub}}}
	if err := protocol.InitGenesis(tree.Working(), "filters", g); err != nil {
		t.Fatal(err)
	}
	f := &filterFixture{height: 12}
	for i := range 3 {
		f.owners = append(f.owners, bytes.Repeat([]byte{byte(0x10 + i)}, 20))
		f.programs = append(f.programs, bytes.Repeat([]byte{byte(0x20 + i)}, 32))
	}
	pick := func(b [][]byte) []byte { return b[rng.IntN(len(b))] }
	for h := int64(1); h <= f.height; h++ {
		kv := tree.Working()
		for range rng.IntN(30) {
			id := make([]byte, 32)
			for i := range id {
				id[i] = byte(rng.UintN(256))
			}
			w := &pb.Workload{Id: id, Height: h, Owner: pick(f.owners), Program: pick(f.programs),
				State: pb.WorkloadState(1 + rng.IntN(10))}
			f.workloads = append(f.workloads, w)
			set(t, kv, protocol.WorkloadKey(id), w)
		}
		for range rng.IntN(8) {
			addr := make([]byte, 20)
			for i := range addr {
				addr[i] = byte(rng.UintN(256))
			}
			p := &pb.Prover{Address: addr, State: pb.ProverState(1 + rng.IntN(6)), Hardware: &pb.Hardware{CpuCores: 4},
				Label: []string{"", "a", "b"}[rng.IntN(3)]}
			if rng.IntN(3) == 0 {
				p.Hardware.Gpus = []*pb.Gpu{{Model: "x", MemoryMb: 1}}
			}
			f.provers = append(f.provers, p)
			set(t, kv, append(protocol.ProverPrefix(), addr...), p)
		}
		if _, _, err := tree.Commit(); err != nil {
			t.Fatal(err)
		}
	}
	app, err := chain.New(chain.Options{Store: tree})
	if err != nil {
		t.Fatal(err)
	}
	f.app = app
	return f
}

func set(t *testing.T, kv interface{ Set(k, v []byte) error }, key []byte, m proto.Message) {
	t.Helper()
	b, err := proto.Marshal(m)
	if err == nil {
		err = kv.Set(key, b)
	}
	if err != nil {
		t.Fatal(err)
	}
}

// pages follows the cursor of a filtered list to its end and returns the
// ids (or addresses) listed, checking each page's bounds.
func (f *filterFixture) pages(t *testing.T, path string, r chain.ListRequest) (ids []string, short int) {
	t.Helper()
	for n := 0; ; n++ {
		resp, err := f.app.Query(ctx, &abci.QueryRequest{Path: path, Data: r.Encode()})
		if err != nil || resp.Code != chain.QueryOK {
			t.Fatalf("%s %+v: %v %d %s", path, r, err, resp.GetCode(), resp.GetLog())
		}
		var got []string
		if path == chain.PathWorkloads {
			var l pb.WorkloadList
			if err := proto.Unmarshal(resp.Value, &l); err != nil {
				t.Fatal(err)
			}
			for _, w := range l.Workloads {
				got = append(got, hex.EncodeToString(w.Id))
			}
		} else {
			var l pb.ProverList
			if err := proto.Unmarshal(resp.Value, &l); err != nil {
				t.Fatal(err)
			}
			for _, p := range l.Provers {
				got = append(got, hex.EncodeToString(p.Address))
			}
		}
		if len(got) > int(r.Limit) {
			t.Fatalf("%s: a page of %d with limit %d", path, len(got), r.Limit)
		}
		ids = append(ids, got...)
		if resp.Info == "" {
			return ids, short
		}
		if len(got) < int(r.Limit) {
			short++
		}
		if n > 10_000 {
			t.Fatal("the cursor does not advance")
		}
		if r.After, err = hex.DecodeString(resp.Info); err != nil {
			t.Fatal(err)
		}
	}
}

// TestListFiltersDifferential: for random records and random filters and
// page sizes, the filtered pages, concatenated, are exactly a naive filter
// of every record in the list's order; every page stays within its limit
// (and examines a bounded number of records, so some pages come back
// short with a cursor).
func TestListFiltersDifferential(t *testing.T) {
	shortPages := 0
	for seed := range uint64(4) {
		f := newFilterFixture(t, seed)
		rng := rand.New(rand.NewPCG(seed, 2))
		wls := slices.Clone(f.workloads)
		slices.SortFunc(wls, func(a, b *pb.Workload) int {
			return cmp.Or(cmp.Compare(b.Height, a.Height), bytes.Compare(a.Id, b.Id))
		})
		prs := slices.Clone(f.provers)
		slices.SortFunc(prs, func(a, b *pb.Prover) int { return bytes.Compare(a.Address, b.Address) })
		for trial := range 60 {
			limit := uint32(1 + rng.IntN(12))
			var r chain.ListRequest
			r.Limit = limit
			if rng.IntN(2) == 0 {
				r.Owner = f.owners[rng.IntN(len(f.owners))]
			}
			if rng.IntN(2) == 0 {
				r.Filter.Program = f.programs[rng.IntN(len(f.programs))]
			}
			if rng.IntN(2) == 0 {
				r.Filter.State = protocol.WorkloadStateName(pb.WorkloadState(1 + rng.IntN(10)))
			}
			if rng.IntN(2) == 0 {
				r.Filter.FromHeight = 1 + rng.Int64N(f.height)
			}
			if rng.IntN(2) == 0 {
				r.Filter.ToHeight = r.Filter.FromHeight + rng.Int64N(f.height)
			}
			var want []string
			for _, w := range wls {
				if (r.Owner == nil || bytes.Equal(w.Owner, r.Owner)) && (r.Filter.Program == nil || bytes.Equal(w.Program, r.Filter.Program)) &&
					(r.Filter.State == "" || protocol.WorkloadStateName(w.State) == r.Filter.State) &&
					w.Height >= r.Filter.FromHeight && (r.Filter.ToHeight == 0 || w.Height <= r.Filter.ToHeight) {
					want = append(want, hex.EncodeToString(w.Id))
				}
			}
			got, short := f.pages(t, chain.PathWorkloads, r)
			shortPages += short
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("seed %d trial %d workloads %+v: got %d %v\nwant %d %v", seed, trial, r, len(got), got, len(want), want)
			}

			pr := chain.ListRequest{Limit: limit}
			if rng.IntN(2) == 0 {
				pr.Filter.State = protocol.StateName(pb.ProverState(1 + rng.IntN(6)))
			}
			if rng.IntN(2) == 0 {
				pr.Filter.Hardware = []string{chain.HardwareCPU, chain.HardwareGPU}[rng.IntN(2)]
			}
			if rng.IntN(3) == 0 {
				pr.Filter.Label = []string{"a", "b", "c"}[rng.IntN(3)]
			}
			want = nil
			for _, p := range prs {
				if (pr.Filter.State == "" || protocol.StateName(p.State) == pr.Filter.State) &&
					(pr.Filter.Label == "" || p.Label == pr.Filter.Label) &&
					(pr.Filter.Hardware == "" || chain.HardwareOf(p.Hardware) == pr.Filter.Hardware) {
					want = append(want, hex.EncodeToString(p.Address))
				}
			}
			got, short = f.pages(t, chain.PathProvers, pr)
			shortPages += short
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("seed %d trial %d provers %+v: got %v\nwant %v", seed, trial, pr.Filter, got, want)
			}
		}
	}
	if shortPages == 0 {
		t.Error("no filtered page stopped short at its scan bound: the bound is not exercised")
	}
}

// TestListFilterErrors: filters a list does not take, and values that name
// nothing, are bad requests.
func TestListFilterErrors(t *testing.T) {
	f := newFilterFixture(t, 9)
	for _, c := range []struct {
		path string
		r    chain.ListRequest
	}{
		{chain.PathProvers, chain.ListRequest{Filter: chain.Filter{State: "final"}}},
		{chain.PathProvers, chain.ListRequest{Filter: chain.Filter{Hardware: "tpu"}}},
		{chain.PathProvers, chain.ListRequest{Filter: chain.Filter{FromHeight: 3}}},
		{chain.PathWorkloads, chain.ListRequest{Filter: chain.Filter{State: "active"}}},
		{chain.PathWorkloads, chain.ListRequest{Filter: chain.Filter{Hardware: "gpu"}}},
		{chain.PathWorkloads, chain.ListRequest{Filter: chain.Filter{Label: "a"}}},
		{chain.PathWorkloads, chain.ListRequest{Filter: chain.Filter{Program: []byte{1}}}},
		{chain.PathWorkloads, chain.ListRequest{Filter: chain.Filter{FromHeight: 5, ToHeight: 4}}},
		{chain.PathPrograms, chain.ListRequest{Filter: chain.Filter{State: "active"}}},
	} {
		resp, err := f.app.Query(ctx, &abci.QueryRequest{Path: c.path, Data: c.r.Encode()})
		if err != nil || resp.Code != chain.QueryBadRequest {
			t.Errorf("%s %+v: %v code %d, want bad request", c.path, c.r.Filter, err, resp.GetCode())
		}
	}
	// a truncated filtered request is a bad request too, never a panic
	// (20 bytes are the older form's bare owner)
	data := chain.ListRequest{Filter: chain.Filter{State: "final"}}.Encode()
	for n := range len(data) {
		if n == 20 {
			continue
		}
		if resp, err := f.app.Query(ctx, &abci.QueryRequest{Path: chain.PathWorkloads, Data: data[:n]}); err != nil || resp.Code == chain.QueryOK && n > 1 {
			t.Errorf("%x: %v code %d", data[:n], err, resp.GetCode())
		}
	}
}
