package protocol

import (
	"crypto/sha256"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/provernet/provernet/internal/alloc"
	"github.com/provernet/provernet/internal/store"
	"github.com/provernet/provernet/internal/store/iavltree"
	"github.com/provernet/provernet/wire/address"
	"github.com/provernet/provernet/wire/pb"
)

// TestPoolFreezeMatchesNaive builds dense random worlds (provers staked
// and asking through the handlers, few distinct stakes and prices, so
// scores tie; some with a history that sets their reputation; some
// suspended, leaving or with gpu asks) and holds the freeze's ranking
// (rankPool: the bounded read of the score index, then alloc.PoolRank) to
// alloc.PoolRankNaive over every active prover (poolAgainstNaive), for
// every pool size 1..12 and several seeds. Ties at the pool's last place
// must be common, or the test says little about the bounded read.
func TestPoolFreezeMatchesNaive(t *testing.T) {
	var compared, tiedAtLast, beyond int
	for world := range 12 {
		r := rand.New(rand.NewPCG(uint64(world), 17))
		kv := iavltree.OpenMemory().Working()
		env := Env{Height: 5, Params: DefaultParams()}
		env.Params.ChallengeProgram, env.Params.MinProverStake, env.Params.RegistrationFee = "", 100, 0
		var all []*pb.Prover
		for i := range 30 + r.IntN(40) {
			sum := sha256.Sum256(fmt.Appendf(nil, "pool prover %d %d", world, i))
			a := address.Address(sum[:20])
			mustPool(t, setAccount(kv, a, &pb.Account{Balance: 1 << 30}))
			hw := &pb.Hardware{CpuCores: 8, MemoryMb: 1 << 14}
			if r.IntN(3) == 0 {
				hw.Gpus = []*pb.Gpu{{Model: "rtx-4090", MemoryMb: 24576}}
			}
			res, err := registerProver(kv, env, a, &pb.RegisterProver{VrfPublicKey: make([]byte, 32), Hardware: hw, MaxConcurrent: 2})
			mustPool(t, err)
			if !res.OK() {
				t.Fatal(res.Log)
			}
			_, err = stake(kv, env, a, &pb.Stake{Amount: 100 * uint64(1+r.IntN(4))})
			mustPool(t, err)
			for id := range 1 + r.IntN(3) {
				classes := [][]string{{ClassCPU}, {ClassGPU}, {ClassCPU, ClassGPU}}[r.IntN(3)]
				_, err := setAsk(kv, env, a, &pb.SetAsk{Id: uint32(id), Price: []uint64{1, 2, 4}[r.IntN(3)], Latency: int64(3 + r.IntN(2)), Classes: classes})
				mustPool(t, err)
			}
			switch r.IntN(8) {
			case 0:
				_, err = unbond(kv, env, a)
			case 1:
				err = updateProver(kv, a[:], func(p *pb.Prover) { p.State = pb.ProverState_PROVER_STATE_SUSPENDED })
			case 2, 3:
				err = updateProver(kv, a[:], func(p *pb.Prover) {
					bumpRep(env.Params, env.Height, p, func(b *pb.RepBucket) { b.Allocated, b.Final = 2, uint32(r.IntN(3)) })
				})
			}
			mustPool(t, err)
			p, err := GetProver(kv, a)
			mustPool(t, err)
			all = append(all, p)
		}
		mustPool(t, CheckPoolIndex(kv))
		for size := 1; size <= 12; size++ {
			env.Params.PoolSize = uint32(size)
			seed := sha256.Sum256(fmt.Appendf(nil, "seed %d %d", world, size))
			for _, class := range poolClasses {
				got, want, ok, err := poolAgainstNaive(kv, env, all, seed[:], class)
				mustPool(t, err)
				if !ok {
					beyond++
					continue
				}
				if !slices.Equal(got, want) {
					t.Fatalf("world %d, %s pool of %d: from the score index\n%+v\nranked naively\n%+v", world, class, size, got, want)
				}
				compared++
				if len(want) == size && slices.ContainsFunc(all, func(p *pb.Prover) bool { return tiedOutside(want, p, class, kv) }) {
					tiedAtLast++
				}
			}
		}
	}
	t.Logf("%d pools compared, %d with a tie across the last place, %d with a tie beyond the read", compared, tiedAtLast, beyond)
	if compared < 200 || tiedAtLast < 50 {
		t.Fatalf("the worlds are too easy: %d pools compared, %d tied across the last place", compared, tiedAtLast)
	}
}

// tiedOutside reports whether p is an active prover left out of pool
// whose score in class equals the pool's last.
func tiedOutside(pool []alloc.PoolEntry, p *pb.Prover, class string, kv store.Reader) bool {
	if p.State != pb.ProverState_PROVER_STATE_ACTIVE || slices.ContainsFunc(pool, func(e alloc.PoolEntry) bool { return e.Prover == [20]byte(p.Address) }) {
		return false
	}
	st, err := getPoolStanding(kv, p.Address, class)
	return err == nil && st.indexed && st.score == pool[len(pool)-1].Score
}

func mustPool(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
