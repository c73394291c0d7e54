package chain_test

import (
	"encoding/binary"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/provernet/provernet/client"
	"github.com/provernet/provernet/internal/chain"
	"github.com/provernet/provernet/internal/protocol"
	"github.com/provernet/provernet/internal/vrf"
	"github.com/provernet/provernet/wire"
	"github.com/provernet/provernet/wire/pb"
)

// TestTreeQuery runs a one-node tree (n = 2: the root is the base node)
// through the App: ProveTree, a prover's node proof over the chain's own
// seed, the root's close, and the /tree query at each step, proven too
// (issue 16).
func TestTreeQuery(t *testing.T) {
	params := protocol.DefaultParams()
	const stake = 1000 * 1_000_000
	c := newChainWithParams(t, params, 1<<50, 2*stake)
	s := &wlSigner{c: c, nonces: map[int]uint64{}}
	c.block()
	secret, public := vrfKey(t, 0x61)
	mustOK(t, "register", c.block(s.tx(1, client.RegisterProverMsg(public, wire.Hardware{CPUCores: 4, MemoryMB: 4096}, 1, ""), client.StakeMsg(stake))))

	id := wire.TreeID(addrOf(c.keys[0]), s.nonces[0], 0)
	c.queryCode(chain.PathTree, id, 0, chain.QueryNotFound)
	c.queryCode(chain.PathTree, id[:31], 0, chain.QueryBadRequest)
	if resp := c.query(chain.PathTree, id, 0, true); resp.Code != chain.QueryNotFound || resp.ProofOps == nil {
		t.Fatalf("proven absent tree: code %d, proof %v", resp.Code, resp.ProofOps)
	}
	inputs := []*pb.Input{{Name: "tx0", Data: []byte("a")}, {Name: "tx1", Data: []byte("b")}}
	mustOK(t, "prove tree", c.block(s.tx(0, &pb.Msg{Kind: &pb.Msg_ProveTree{ProveTree: &pb.ProveTree{
		BaseProgram: wire.TreeHashBaseProgram, MergeProgram: wire.TreeHashMergeProgram, Inputs: inputs, Reward: 3000, NodeDeadline: 5}}})))
	if tr := c.proofTree(id); tr.State != pb.TreeState_TREE_STATE_PENDING || tr.Escrow != 3000 {
		t.Fatalf("pending tree %v", tr)
	}
	c.block()
	tr := c.proofTree(id)
	if tr.State != pb.TreeState_TREE_STATE_PROVING || len(tr.Seed) != 32 || tr.Nodes[0].Phase != pb.NodePhase_NODE_PHASE_OPEN {
		t.Fatalf("open tree %v", tr)
	}
	pi, err := vrf.Prove(secret, wire.TreeVRFInput(tr.Seed, id, 1, addrOf(c.keys[1])))
	if err != nil {
		t.Fatal(err)
	}
	prover := addrOf(c.keys[1])
	out := wire.TreeHashBaseOutputs(prover, wire.TreeInputHash(inputs[0].Data, nil), wire.TreeInputHash(inputs[1].Data, nil))
	mustOK(t, "node proof", c.block(s.tx(1, &pb.Msg{Kind: &pb.Msg_SubmitNodeProof{SubmitNodeProof: &pb.SubmitNodeProof{
		Tree: id, Node: 1, VrfProof: pi, FeeBurnBp: 2500, Outputs: out}}})))
	// /tree_proof: a kept proof's bytes (none for the hash pair), an
	// unkept one not found, a short name refused.
	key := binary.BigEndian.AppendUint32(binary.BigEndian.AppendUint32(append([]byte{}, id...), 1), 1)
	if resp := c.queryCode(chain.PathTreeProof, key, 0, chain.QueryOK); len(resp.Value) != 0 {
		t.Fatalf("the hash pair's kept proof: %x, want no bytes", resp.Value)
	}
	c.queryCode(chain.PathTreeProof, binary.BigEndian.AppendUint32(append([]byte{}, key[:36]...), 2), 0, chain.QueryNotFound)
	c.queryCode(chain.PathTreeProof, key[:39], 0, chain.QueryBadRequest)
	before := c.account(prover, 0).Balance
	for c.proofTree(id).State == pb.TreeState_TREE_STATE_PROVING {
		c.block()
	}
	tr = c.proofTree(id)
	pf := tr.Nodes[0].Proofs[0]
	// One proof of 1 node x 3: floor(3000 * 7500 / (10000 * 3)) = 750.
	if tr.State != pb.TreeState_TREE_STATE_FINAL || !pf.InWinningTree || pf.Paid != 750 || tr.Burned != 2250 {
		t.Fatalf("final tree %v", tr)
	}
	if got := c.account(prover, 0).Balance - before; got != 750 {
		t.Fatalf("prover got %d, want 750", got)
	}
	resp := c.query(chain.PathTree, id, 0, true)
	if resp.Code != chain.QueryOK || resp.ProofOps == nil || !strings.HasPrefix(string(resp.Key), "tree/rec/") {
		t.Fatalf("proven tree: code %d %s", resp.Code, resp.Log)
	}
}

func (c *testChain) proofTree(id []byte) *pb.Tree {
	c.t.Helper()
	var tr pb.Tree
	if err := proto.Unmarshal(c.queryCode(chain.PathTree, id, 0, chain.QueryOK).Value, &tr); err != nil {
		c.t.Fatal(err)
	}
	return &tr
}
