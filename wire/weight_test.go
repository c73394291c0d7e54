package wire

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/provernet/provernet/wire/pb"
)

// TestWeightParts: a transaction's weight is its block weight, plus what
// runs at the next height, plus a ballot per vote entry; it grows with
// every item a message claims and with the bytes, and never overflows.
func TestWeightParts(t *testing.T) {
	seed := rand.Uint64()
	t.Logf("seed %d", seed)
	r := rand.New(rand.NewPCG(seed, 1))
	for range 1000 {
		size := r.IntN(2 << 20)
		entries, k, inputs := r.IntN(5000), uint32(r.IntN(70)), r.IntN(20)
		msgs := []*pb.Msg{
			{Kind: &pb.Msg_Vote{Vote: &pb.Vote{Ballots: make([]uint64, entries)}}},
			{Kind: &pb.Msg_Run{Run: &pb.Run{Provers: k, Inputs: make([]*pb.Input, inputs)}}},
		}
		admission := uint32(r.IntN(4))
		tx, block := TxWeight(size, msgs, admission), BlockWeight(size, msgs, admission)
		if tx != block+AllocationWeight(k)+uint64(entries)*WeightBallot {
			t.Fatalf("seed %d: TxWeight %d != BlockWeight %d + allocation %d + %d ballots", seed, tx, block, AllocationWeight(k), entries)
		}
		more := []*pb.Msg{
			{Kind: &pb.Msg_Vote{Vote: &pb.Vote{Ballots: make([]uint64, entries+1)}}},
			{Kind: &pb.Msg_Run{Run: &pb.Run{Provers: k + 1, Inputs: make([]*pb.Input, inputs+1)}}},
		}
		if TxWeight(size, more, admission) <= tx || TxWeight(size+1024, msgs, admission) <= tx {
			t.Fatalf("seed %d: more entries, slots, inputs or bytes did not weigh more", seed)
		}
	}
	huge := []*pb.Msg{{Kind: &pb.Msg_Run{Run: &pb.Run{Provers: math.MaxUint32}}}, {Kind: &pb.Msg_Stake{Stake: &pb.Stake{}}}}
	if w := TxWeight(math.MaxInt32, huge, math.MaxUint32); w < AllocationWeight(1<<20) || w > math.MaxUint64/2 {
		t.Fatalf("a Run claiming 2^32 slots weighs %d", w)
	}
}

// TestProveTreeDefersItsTimers: a ProveTree's fee counts WeightTreeTimer
// for each height its tree can fall due at (1 + 3 log2 n), and its own
// block does not (review M5).
func TestProveTreeDefersItsTimers(t *testing.T) {
	for n, timers := range map[int]uint64{2: 4, 4: 7, 32: 16, 64: 19} {
		m := &pb.Msg{Kind: &pb.Msg_ProveTree{ProveTree: &pb.ProveTree{Inputs: make([]*pb.Input, n)}}}
		if got := TreeTimers(n); got != timers {
			t.Errorf("n = %d: %d timers, want %d", n, got, timers)
		}
		own := WeightProveTree + uint64(n)*WeightTreeInput
		if got := MsgWeight(m, 1); got != own+timers*WeightTreeTimer {
			t.Errorf("n = %d: weight %d, want %d", n, got, own+timers*WeightTreeTimer)
		}
		if got, want := BlockWeight(100, []*pb.Msg{m}, 1), TxWeight(100, []*pb.Msg{m}, 1)-timers*WeightTreeTimer; got != want || got < own {
			t.Errorf("n = %d: block weight %d, want %d", n, got, want)
		}
	}
}
