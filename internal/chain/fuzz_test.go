package chain_test

import (
	"sync"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"

	"github.com/provernet/provernet/internal/chain"
)

// FuzzQuery sends the app's Query (which anyone reaches through
// CometBFT's abci_query) any path, data and height, on a chain with
// programs, provers and workloads. It must answer with a code, never an
// error or a panic, and answer within its page bounds.
func FuzzQuery(f *testing.F) {
	for _, p := range []string{chain.PathWorkloads, chain.PathProvers, chain.PathPrograms, chain.PathPending,
		chain.PathWorkload, chain.PathAllocation, chain.PathResult, chain.PathFee, chain.PathBeacon, chain.PathAccount, "/nothing"} {
		f.Add(p, []byte{}, int64(0))
		f.Add(p, chain.ListRequest{Limit: 2, After: make([]byte, 40)}.Encode(), int64(3))
		f.Add(p, make([]byte, 32), int64(-1))
	}
	f.Add(chain.PathWorkloads, []byte{'L', 20}, int64(0))
	f.Add(chain.PathWorkloads, chain.ListRequest{Limit: 1, Filter: chain.Filter{State: "pending", Program: make([]byte, 32), FromHeight: 1, ToHeight: 9}}.Encode(), int64(0))
	f.Add(chain.PathProvers, chain.ListRequest{Limit: 3, After: make([]byte, 20), Filter: chain.Filter{State: "active", Hardware: "gpu"}}.Encode(), int64(0))
	f.Add(chain.PathWorkloads, []byte{'L', 255, 0, 0, 0, 0}, int64(1<<62))
	var fx *listFixture
	var once sync.Once
	f.Fuzz(func(t *testing.T, path string, data []byte, height int64) {
		once.Do(func() { fx = newListFixture(t) })
		resp, err := fx.c.app.Query(ctx, &abci.QueryRequest{Path: path, Data: data, Height: height})
		if err != nil {
			t.Fatalf("%s %x at %d: error %v", path, data, height, err)
		}
		if resp.Code != chain.QueryOK && resp.Log == "" {
			t.Fatalf("%s %x at %d: code %d without a log", path, data, height, resp.Code)
		}
		if resp.Code == chain.QueryOK && len(resp.Value) > 64<<20 {
			t.Fatalf("%s: an answer of %d bytes", path, len(resp.Value))
		}
	})
}
