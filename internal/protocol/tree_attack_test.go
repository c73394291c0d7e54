package protocol_test

import (
	"testing"

	"github.com/provernet/provernet/internal/protocol"
	"github.com/provernet/provernet/wire"
	"github.com/provernet/provernet/wire/pb"
)

// TestTreeTimersCannotEmptyBlocks (review M5): a tree's timers are due
// work every block at their heights keeps room for. Before, a ProveTree
// paid for ~150 of weight and could put WeightTreeTimer (1,700) of due
// work at each of up to 4 later heights, so 106 trees of n = 2 emptied
// those blocks of every transaction. Now its DeferredWeight pays for
// every timer it can have, and a height takes at most a quarter of a
// block of tree timers: ProveTrees beyond that are refused, however
// their heights and node_deadlines are chosen to make the timers meet.
func TestTreeTimersCannotEmptyBlocks(t *testing.T) {
	p := protocol.DefaultParams()
	f := newFixture(t, p, 1<<40)
	inputs := []*pb.Input{{Name: "a", Data: []byte("a")}, {Name: "b", Data: []byte("b")}}
	tree := func(d int64) *pb.Msg {
		return &pb.Msg{Kind: &pb.Msg_ProveTree{ProveTree: &pb.ProveTree{BaseProgram: wire.TreeHashBaseProgram,
			MergeProgram: wire.TreeHashMergeProgram, Reward: 3, NodeDeadline: d, Inputs: inputs}}}
	}
	msgs := []*pb.Msg{tree(5)}
	own := wire.TxWeight(200, msgs, p.AdmissionChallenges) - 4*wire.WeightTreeTimer
	if tw, bw := p.TxWeight(200, msgs), p.BlockWeight(200, msgs); bw != own || bw < wire.WeightProveTree || tw != bw+4*wire.WeightTreeTimer {
		t.Fatalf("a ProveTree of n = 2 weighs %d and %d in its block; want its 4 timers' %d on top of the block's %d", tw, bw, 4*wire.WeightTreeTimer, own)
	}
	var nonce uint64
	accepted, refused := 0, 0
	submit := func(d int64) {
		res, err := protocol.Apply(f.kv, f.env, f.addrs[0], nonce, tree(d))
		nonce++
		switch {
		case err != nil:
			t.Fatal(err)
		case res.OK():
			accepted++
		case res.Code == wire.CodeLimitReached:
			refused++
		default:
			t.Fatalf("tree: %s %s", res.Code, res.Log)
		}
	}
	// The review's attack: many trees in one block, all due at once.
	limit := int(p.MaxBlockWeight / wire.WeightTreeTimer)
	f.env.Height = 7
	for range limit + 1 {
		submit(10)
	}
	// Each block keeps room for the due work of its height (DueWeight,
	// from the state before it): never more than a quarter of a block.
	begin := func(h int64) {
		due, err := protocol.DueWeight(f.kv, p, h)
		if err != nil {
			t.Fatal(err)
		}
		if due > p.MaxBlockWeight/4 {
			t.Errorf("height %d: trees due weigh %d, over a quarter of max_block_weight %d", h, due, p.MaxBlockWeight)
		}
		f.env.Height = h
		if _, _, err := protocol.BeginBlock(f.kv, f.env); err != nil {
			t.Fatal(err)
		}
	}
	// Aiming at one height from several blocks: a tree included at h
	// with deadline d falls due at h+1, h+1+d, ...; all meet at 40.
	for h := int64(8); h <= 30; h++ {
		begin(h)
		for d := int64(5); d <= 39-h; d++ {
			if (39-h)%d == 0 {
				for range 8 {
					submit(d)
				}
			}
		}
	}
	if refused == 0 {
		t.Fatalf("no ProveTree was refused of %d", accepted)
	}
	for h := int64(31); h <= 31+3*40; h++ {
		begin(h)
	}
	t.Logf("%d ProveTrees accepted, %d refused", accepted, refused)
}
