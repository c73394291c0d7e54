package chain_test

import (
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/provernet/provernet/internal/chain"
	"github.com/provernet/provernet/internal/protocol"
	"github.com/provernet/provernet/wire"
	"github.com/provernet/provernet/wire/pb"
)

// TestTreeInputsQuery: /tree_inputs answers a tree's inputs as its
// ProveTree gave them, inline and by blob, and refuses a bad id or an
// unknown tree (what the prover daemon reads to prove base nodes).
func TestTreeInputsQuery(t *testing.T) {
	c := newChainWithParams(t, protocol.DefaultParams(), 1<<50, 1<<40)
	s := &wlSigner{c: c, nonces: map[int]uint64{}}
	c.block()
	id := wire.TreeID(addrOf(c.keys[0]), s.nonces[0], 0)
	c.queryCode(chain.PathTreeInputs, id, 0, chain.QueryNotFound)
	c.queryCode(chain.PathTreeInputs, id[:31], 0, chain.QueryBadRequest)
	blob := make([]byte, 32)
	blob[0] = 7
	inputs := []*pb.Input{{Name: "tx0", Data: []byte("a")}, {Name: "tx1", Sha256: blob, Size: 100}}
	mustOK(t, "prove tree", c.block(s.tx(0, &pb.Msg{Kind: &pb.Msg_ProveTree{ProveTree: &pb.ProveTree{
		BaseProgram: wire.TreeHashBaseProgram, MergeProgram: wire.TreeHashMergeProgram, Inputs: inputs, Reward: 3000, NodeDeadline: 5}}})))
	var got pb.TreeInputs
	if err := proto.Unmarshal(c.queryCode(chain.PathTreeInputs, id, 0, chain.QueryOK).Value, &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Inputs) != 2 || !proto.Equal(got.Inputs[0], inputs[0]) || !proto.Equal(got.Inputs[1], inputs[1]) {
		t.Fatalf("inputs %v, want %v", got.Inputs, inputs)
	}
}
