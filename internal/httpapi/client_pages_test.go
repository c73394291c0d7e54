package httpapi

import (
	"context"
	"encoding/hex"
	"fmt"
	"net/http/httptest"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"
	cmtbytes "github.com/cometbft/cometbft/libs/bytes"
	ctypes "github.com/cometbft/cometbft/rpc/core/types"
	"google.golang.org/protobuf/proto"

	"github.com/provernet/provernet/client"
	"github.com/provernet/provernet/internal/chain"
	"github.com/provernet/provernet/wire/address"
	"github.com/provernet/provernet/wire/pb"
)

// pagedProvers serves /provers from n provers in pages, as the chain does,
// and records the limits it was asked for.
type pagedProvers struct {
	Backend
	n      int
	limits []uint32
}

func (p *pagedProvers) ABCIQuery(_ context.Context, path string, data cmtbytes.HexBytes) (*ctypes.ResultABCIQuery, error) {
	if path != chain.PathProvers || len(data) < 6 || data[0] != 'L' || data[1] != 0 {
		return nil, fmt.Errorf("unexpected query %s %x", path, []byte(data))
	}
	limit := uint32(data[2])<<24 | uint32(data[3])<<16 | uint32(data[4])<<8 | uint32(data[5])
	p.limits = append(p.limits, limit)
	start := 0
	if after := data[6:]; len(after) == address.Size {
		start = int(after[0])<<8 | int(after[1]) + 1
	}
	var l pb.ProverList
	for i := start; i < p.n && len(l.Provers) < int(limit); i++ {
		l.Provers = append(l.Provers, &pb.Prover{Address: append([]byte{byte(i >> 8), byte(i)}, make([]byte, 18)...)})
	}
	resp := abci.QueryResponse{}
	resp.Value, _ = proto.Marshal(&l)
	if last := start + len(l.Provers); last < p.n {
		resp.Info = hex.EncodeToString(l.Provers[len(l.Provers)-1].Address)
	}
	return &ctypes.ResultABCIQuery{Response: resp}, nil
}

// TestClientFollowsPages: client.Provers reads every page through the
// API's cursors; ProversPage passes its limit and cursor through.
func TestClientFollowsPages(t *testing.T) {
	b := &pagedProvers{n: 2*client.MaxPageLimit + 5}
	srv := httptest.NewServer(Handler(b))
	defer srv.Close()
	c := client.New(srv.URL)
	ps, err := c.Provers(context.Background())
	if err != nil || len(ps) != b.n || len(b.limits) != 3 || b.limits[0] != client.MaxPageLimit {
		t.Fatalf("Provers: %d of %d, %d pages, %v", len(ps), b.n, len(b.limits), err)
	}
	p, err := c.ProversPage(context.Background(), client.ListOptions{Limit: 2})
	if err != nil || len(p.Provers) != 2 || p.Next == "" {
		t.Fatalf("first page: %+v %v", p, err)
	}
	p2, err := c.ProversPage(context.Background(), client.ListOptions{Limit: 2, Cursor: p.Next})
	if err != nil || len(p2.Provers) != 2 || p2.Provers[0].Address == p.Provers[1].Address {
		t.Fatalf("second page: %+v %v", p2, err)
	}
}
