package protocol

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"encoding/binary"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/provernet/provernet/internal/alloc"
	"github.com/provernet/provernet/internal/store"
	"github.com/provernet/provernet/internal/store/iavltree"
	"github.com/provernet/provernet/wire"
	"github.com/provernet/provernet/wire/address"
	"github.com/provernet/provernet/wire/pb"
)

var indexSeed = flag.Int64("index-seed", -1, "TestActiveIndexDifferential: run only this seed (a failure prints it); -1 runs the fixed seeds and a fresh one")

// TestActiveIndexDifferential applies random prover state transitions
// (the handlers' own: register, stake, unbond, withdraw, slash with and
// without removal, misses and suspension, reinstatement, a change of load;
// arbitrary changes through updateProver; and arbitrary records written
// as they are) and after each compares what
// a block reads from the active index with a naive pass over every prover:
// the active addresses, the allocator's input, and the provers the random
// challenges draw for a random seed and interval. Writes go, at random,
// straight to the tree or through a store.Cache flushed later, as a block
// does.
func TestActiveIndexDifferential(t *testing.T) {
	seeds := []uint64{1, 2, 3, 42}
	if *indexSeed >= 0 {
		seeds = []uint64{uint64(*indexSeed)}
	} else {
		fresh := uint64(time.Now().UnixNano())
		seeds = append(seeds, fresh)
		t.Logf("fresh seed %d (replay: go test ./internal/protocol -run TestActiveIndexDifferential -index-seed %d)", fresh, fresh)
	}
	for _, seed := range seeds {
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
			t.Logf("replay: go test ./internal/protocol -run TestActiveIndexDifferential -index-seed %d", seed)
			runIndexSeed(t, seed)
		})
	}
}

// indexWorld is one differential run: a tree, a cache over it (or none),
// and the population of addresses.
type indexWorld struct {
	t      *testing.T
	rng    *rand.Rand
	tree   *iavltree.Tree
	cache  *store.Cache // nil: writes go straight to the tree
	env    Env
	addrs  []address.Address
	ops    []string // the run so far, printed on failure
	counts map[string]int
}

func (w *indexWorld) kv() store.KV {
	if w.cache != nil {
		return w.cache
	}
	return w.tree.Working()
}

func runIndexSeed(t *testing.T, seed uint64) {
	w := &indexWorld{t: t, rng: rand.New(rand.NewPCG(seed, 15)), tree: iavltree.OpenMemory(), counts: map[string]int{}}
	w.env = Env{Height: 1, Params: DefaultParams()}
	w.env.Params.ChallengeProgram, w.env.Params.MinProverStake, w.env.Params.RegistrationFee = "", 100, 0
	w.env.Params.MaxDeclinesPerEpoch, w.env.Params.SuspendBlocks, w.env.Params.UnbondCooldown = 1, 3, 2
	for i := range 40 {
		sum := sha256.Sum256(fmt.Appendf(nil, "index prover %d %d", seed, i))
		a := address.Address(sum[:20])
		w.addrs = append(w.addrs, a)
		w.must(setAccount(w.kv(), a, &pb.Account{Balance: 1 << 40}))
	}
	for step := range 1500 {
		w.step()
		if step%3 == 0 || w.cache == nil {
			w.compare(fmt.Sprintf("after step %d", step))
		}
	}
	t.Logf("operations applied: %v", w.counts)
	scored := 0
	w.must(w.kv().Iterate(prefixPoolScore, nil, func(_, _ []byte) bool { scored++; return true }))
	t.Logf("pool score entries at the end: %d", scored)
	for _, op := range []string{"pool compared", "register", "stake", "unbond", "withdraw", "slash", "remove", "ask", "miss", "reinstate", "load", "update", "raw",
		"unknown->pending", "pending->active", "active->suspended", "suspended->active", "active->leaving",
		"active->removed", "suspended->leaving", "leaving->exited", "removed->exited", "exited->pending"} {
		if w.counts[op] == 0 {
			t.Errorf("the run never applied %s", op)
		}
	}
}

// step applies one random operation.
func (w *indexWorld) step() {
	a := w.addrs[w.rng.IntN(len(w.addrs))]
	before := w.state(a)
	defer func() {
		if after := w.state(a); after != before {
			w.counts[stateName(before)+"->"+stateName(after)]++
		}
	}()
	kv := w.kv()
	var op string
	var err error
	switch n := w.rng.IntN(100); {
	case n < 15:
		op = "register"
		_, err = registerProver(kv, w.env, a, &pb.RegisterProver{VrfPublicKey: make([]byte, 32), Hardware: w.hardware(),
			MaxConcurrent: uint32(1 + w.rng.IntN(8)), BlobEndpoint: "https://p.example"})
	case n < 30:
		op = "stake"
		// Half the amounts round, so that pool scores tie (stake over price).
		amount := uint64(1 + w.rng.IntN(150))
		if w.rng.IntN(2) == 0 {
			amount = 50 * uint64(1+w.rng.IntN(3))
		}
		_, err = stake(kv, w.env, a, &pb.Stake{Amount: amount})
	case n < 36:
		op = "unbond"
		_, err = unbond(kv, w.env, a)
	case n < 44:
		op = "withdraw"
		_, err = withdraw(kv, w.env, a)
	case n < 50:
		op = "slash"
		err = w.onProver(a, func() error { _, err := slash(kv, w.env, a[:], uint32(w.rng.IntN(5000)), "test", false); return err })
	case n < 53:
		op = "remove"
		err = w.onProver(a, func() error { _, err := slash(kv, w.env, a[:], 100, "test", true); return err })
	case n < 60:
		op = "ask"
		_, err = setAsk(kv, w.env, a, &pb.SetAsk{Id: uint32(w.rng.IntN(3)), Price: []uint64{1, 2, 4, 8, 3, 7}[w.rng.IntN(6)],
			Latency: int64(3 + w.rng.IntN(8)), Classes: [][]string{{ClassCPU}, {ClassGPU}, {ClassCPU, ClassGPU}}[w.rng.IntN(3)],
			Remove: w.rng.IntN(5) == 0})
	case n < 64:
		op = "miss"
		err = w.onProver(a, func() error { return countMiss(kv, w.env, a[:], "test") })
	case n < 72:
		op = "next block"
		w.nextBlock()
	case n < 88:
		op = "load"
		err = w.onProver(a, func() error {
			return updateProver(kv, a[:], func(p *pb.Prover) {
				if p.Held > 0 && w.rng.IntN(2) == 0 {
					p.Held--
				} else if p.State == pb.ProverState_PROVER_STATE_ACTIVE {
					p.Held, p.LastAllocated = p.Held+1, w.env.Height
				}
			})
		})
	case n < 94:
		op = "update"
		err = w.onProver(a, func() error {
			return updateProver(kv, a[:], func(p *pb.Prover) {
				r := w.rawProver(a)
				p.State, p.Held = r.State, r.Held
				if w.rng.IntN(2) == 0 { // the pool's score index follows the stake
					p.Stake = r.Stake
				}
				if w.rng.IntN(4) == 0 {
					p.Hardware, p.MaxConcurrent = r.Hardware, r.MaxConcurrent
				}
			})
		})
	default:
		op = "raw"
		err = setProver(kv, w.rawProver(a))
	}
	w.counts[op]++
	w.ops = append(w.ops, fmt.Sprintf("h%d %s %x", w.env.Height, op, a[:4]))
	w.must(err)
}

// state is a's state, unspecified when it never registered.
func (w *indexWorld) state(a address.Address) pb.ProverState {
	p, err := GetProver(w.kv(), a)
	if isNotFound(err) {
		return pb.ProverState_PROVER_STATE_UNSPECIFIED
	}
	w.must(err)
	return p.State
}

// onProver runs fn if a is a registered prover.
func (w *indexWorld) onProver(a address.Address, fn func() error) error {
	if _, err := GetProver(w.kv(), a); isNotFound(err) {
		return nil
	}
	return fn()
}

// nextBlock ends the height: flushes the cache, if any, and starts the
// next one, through a cache or not; reinstates the suspensions due.
func (w *indexWorld) nextBlock() {
	if w.cache != nil {
		w.must(w.cache.Write(w.tree.Working()))
		w.cache = nil
	}
	w.compare("at the end of the block")
	if _, _, err := w.tree.Commit(); err != nil {
		w.t.Fatal(err)
	}
	w.env.Height++
	if w.rng.IntN(2) == 0 {
		w.cache = store.NewCache(w.tree.Working())
	}
	_, err := reinstate(w.kv(), w.env)
	w.counts["reinstate"]++
	w.must(err)
}

func (w *indexWorld) hardware() *pb.Hardware {
	hw := &pb.Hardware{CpuCores: uint32(1 + w.rng.IntN(64)), MemoryMb: uint64(1 + w.rng.IntN(1<<17)), DiskGb: uint64(w.rng.IntN(1000))}
	if w.rng.IntN(4) == 0 {
		hw.Gpus = []*pb.Gpu{{Model: "rtx-4090", MemoryMb: 24576}}
	}
	return hw
}

// rawProver is an arbitrary record for a, in any state.
func (w *indexWorld) rawProver(a address.Address) *pb.Prover {
	return &pb.Prover{Address: a[:], VrfPublicKey: make([]byte, 32), Hardware: w.hardware(), MaxConcurrent: uint32(1 + w.rng.IntN(8)),
		State: pb.ProverState(1 + w.rng.IntN(6)), Stake: uint64(w.rng.IntN(300)), Held: uint32(w.rng.IntN(3)),
		LastAllocated: int64(w.rng.IntN(int(w.env.Height) + 1))}
}

func (w *indexWorld) must(err error) {
	w.t.Helper()
	if err != nil {
		w.fail(err.Error())
	}
}

func (w *indexWorld) fail(msg string) {
	w.t.Helper()
	last := w.ops[max(0, len(w.ops)-20):]
	w.t.Fatalf("%s\nlast operations: %q", msg, last)
}

// compare checks what a block reads from the index against a naive pass
// over every prover, for a random seed and interval.
func (w *indexWorld) compare(when string) {
	w.t.Helper()
	kv := w.kv()
	if err := CheckBook(kv); err != nil { // issue 17: the book follows the active set
		w.t.Fatalf("%s: %v\nrun: %v", when, err, w.ops)
	}
	if err := CheckPoolIndex(kv); err != nil { // issue 17: the pool's score index follows stake, activity and asks
		w.t.Fatalf("%s: %v\nrun: %v", when, err, w.ops)
	}
	var all []*pb.Prover
	w.must(Scan(kv, prefixProver, func(p *pb.Prover) bool { all = append(all, p); return true }))
	var naiveActive [][20]byte
	var naiveAlloc []alloc.Prover
	for _, p := range all {
		if p.State == pb.ProverState_PROVER_STATE_ACTIVE {
			naiveActive = append(naiveActive, [20]byte(p.Address))
			naiveAlloc = append(naiveAlloc, alloc.Prover{Address: [20]byte(p.Address), Hardware: AllocHardware(w.env.Params, p.Hardware),
				MaxConcurrent: p.MaxConcurrent, Active: p.Held, LastAllocated: p.LastAllocated})
		}
	}
	active, err := activeAddresses(kv)
	w.must(err)
	if !reflect.DeepEqual(active, naiveActive) {
		w.fail(fmt.Sprintf("%s: the index lists %d active provers %x, a scan %d %x", when, len(active), active, len(naiveActive), naiveActive))
	}
	provers, err := activeAllocProvers(kv, w.env.Params)
	w.must(err)
	if !reflect.DeepEqual(provers, naiveAlloc) {
		w.fail(fmt.Sprintf("%s: the allocator's input from the index\n%+v\nfrom a scan\n%+v", when, provers, naiveAlloc))
	}
	seed := make([]byte, 32)
	for i := range seed {
		seed[i] = byte(w.rng.Uint32())
	}
	interval := []uint64{1, 2, 3, 5, 500, ^uint64(0)}[w.rng.IntN(6)]
	got, err := challengedProvers(kv, seed, interval)
	w.must(err)
	if want := naiveChallenged(naiveActive, seed, interval); !slices.Equal(got, want) {
		w.fail(fmt.Sprintf("%s: interval %d seed %x: the index draws %x, a scan %x", when, interval, seed, got, want))
	}
	if err := CheckActiveIndex(kv); err != nil {
		w.fail(fmt.Sprintf("%s: %v", when, err))
	}
	w.comparePool(when, all, seed)
}

// comparePool checks the pool a freeze would rank now (rankPool: a
// bounded read of the score index, then alloc.PoolRank) against
// alloc.PoolRankNaive over every active prover with an ask serving the
// class (poolAgainstNaive), for a random pool size; a state with a tie
// longer than the bounded read sees is not compared (counted as such).
func (w *indexWorld) comparePool(when string, all []*pb.Prover, seed []byte) {
	w.t.Helper()
	env := w.env
	env.Params.PoolSize = uint32(1 + w.rng.IntN(6))
	for _, class := range poolClasses {
		got, want, ok, err := poolAgainstNaive(w.kv(), env, all, seed, class)
		w.must(err)
		if !ok {
			w.counts["pool tie beyond the read"]++
			continue
		}
		if !slices.Equal(got, want) {
			w.fail(fmt.Sprintf("%s: the %s pool of %d from the score index\n%+v\nranked naively\n%+v", when, class, env.Params.PoolSize, got, want))
		}
		w.counts["pool compared"]++
	}
}

// poolAgainstNaive ranks class's pool as a freeze does (rankPool) and
// with alloc.PoolRankNaive over every active prover in all with an ask
// serving the class, its score and cheapest ask computed here from its
// record and its asks. ok is false when more provers tie at or above the
// pool's last score than the bounded read sees (wire.PoolTieFactor *
// pool_size): the two may then differ by design.
func poolAgainstNaive(kv store.Reader, env Env, all []*pb.Prover, seed []byte, class string) (got, want []alloc.PoolEntry, ok bool, err error) {
	size := int(env.Params.PoolSize)
	var naive []alloc.PoolEntry
	for _, p := range all {
		if p.State != pb.ProverState_PROVER_STATE_ACTIVE {
			continue
		}
		asks, err := ProverAsks(kv, p.Address)
		if err != nil {
			return nil, nil, false, err
		}
		var best *pb.Ask
		for _, a := range asks {
			if slices.Contains(a.Classes, class) && (best == nil || a.Price < best.Price ||
				(a.Price == best.Price && (a.Latency < best.Latency || (a.Latency == best.Latency && a.Id < best.Id)))) {
				best = a
			}
		}
		if best == nil {
			continue
		}
		naive = append(naive, alloc.PoolEntry{Prover: [20]byte(p.Address), Score: PoolScore(p.Stake, best.Price),
			Reputation: ReputationOf(env.Params, p, env.Height).ScoreBp, AskID: best.Id, Price: best.Price, Latency: best.Latency, Stake: p.Stake})
	}
	want = alloc.PoolRankNaive(seed, naive, size)
	if len(want) == size && size > 0 {
		atLeast := 0
		for _, e := range naive {
			if e.Score >= want[size-1].Score {
				atLeast++
			}
		}
		if atLeast > wire.PoolTieFactor*size {
			return nil, want, false, nil
		}
	}
	pool, err := rankPool(kv, env, seed, class)
	if err != nil {
		return nil, nil, false, err
	}
	for _, m := range pool.Members {
		got = append(got, alloc.PoolEntry{Prover: [20]byte(m.Prover), Score: m.Score, Reputation: m.Reputation, AskID: m.AskId,
			Price: m.Price, Latency: m.Latency, Stake: m.Stake})
	}
	return got, want, true, nil
}

// naiveChallenged is the random challenges' rule applied to every active
// prover, written from its statement: the window starts at the first 8
// bytes of SHA-256(domain || seed) and is floor(2^64/interval) wide
// (everyone when interval <= 1); a prover is in it when its position,
// taken relative to the start modulo 2^64, is below the width. The order
// is by relative position, then address.
func naiveChallenged(active [][20]byte, seed []byte, interval uint64) []address.Address {
	sum := sha256.Sum256(append([]byte("provernet/challenge-window/v1"), seed...))
	start := binary.BigEndian.Uint64(sum[:8])
	type cand struct {
		rel  uint64
		addr [20]byte
	}
	var in []cand
	for _, a := range active {
		ps := sha256.Sum256(append([]byte("provernet/challenge-position/v1"), a[:]...))
		rel := binary.BigEndian.Uint64(ps[:8]) - start
		if interval <= 1 {
			rel = binary.BigEndian.Uint64(ps[:8]) // everyone, in position order
		} else if rel >= ^uint64(0)/interval {
			continue
		}
		in = append(in, cand{rel, a})
	}
	slices.SortFunc(in, func(x, y cand) int {
		return cmp.Or(cmp.Compare(x.rel, y.rel), bytes.Compare(x.addr[:], y.addr[:]))
	})
	out := make([]address.Address, len(in))
	for i, c := range in {
		out[i] = c.addr
	}
	return out
}

// TestChallengeRate checks the rate of the random challenges: over many
// seeds, each of a set of provers is challenged in about 1/interval of the
// blocks, and the count per block averages provers/interval. The seeds and
// addresses are fixed, so the test is deterministic; the bounds are over
// five standard deviations wide.
func TestChallengeRate(t *testing.T) {
	tree := iavltree.OpenMemory()
	kv := tree.Working()
	const provers, blocks = 100, 4000
	for _, interval := range []uint64{2, 8, 50} {
		var addrs []address.Address
		for i := range provers {
			sum := sha256.Sum256(fmt.Appendf(nil, "rate %d %d", interval, i))
			a := address.Address(sum[:20])
			addrs = append(addrs, a)
			if err := setProver(kv, &pb.Prover{Address: a[:], State: pb.ProverState_PROVER_STATE_ACTIVE, MaxConcurrent: 1,
				Hardware: &pb.Hardware{CpuCores: 1, MemoryMb: 1}}); err != nil {
				t.Fatal(err)
			}
		}
		hits := map[address.Address]int{}
		total := 0
		for b := range blocks {
			seed := sha256.Sum256(fmt.Appendf(nil, "rate seed %d", b))
			got, err := challengedProvers(kv, seed[:], interval)
			if err != nil {
				t.Fatal(err)
			}
			for _, a := range got {
				hits[a]++
			}
			total += len(got)
		}
		p := 1 / float64(interval)
		mean, sd := blocks*p, math.Sqrt(blocks*p*(1-p))
		for _, a := range addrs {
			if h := float64(hits[a]); h < mean-6*sd || h > mean+6*sd {
				t.Errorf("interval %d: prover %x challenged in %d of %d blocks, want about %.0f", interval, a[:4], hits[a], blocks, mean)
			}
		}
		if perBlock := float64(total) / blocks; perBlock < provers*p*0.9 || perBlock > provers*p*1.1 {
			t.Errorf("interval %d: %.2f challenged per block, want about %.2f", interval, perBlock, provers*p)
		}
		for _, a := range addrs { // out again: the next interval starts empty
			if err := setProver(kv, &pb.Prover{Address: a[:], State: pb.ProverState_PROVER_STATE_EXITED}); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// TestChallengeWindowEdges checks the window's arithmetic where it wraps
// and at its extremes.
func TestChallengeWindowEdges(t *testing.T) {
	for _, c := range []struct {
		pos, start, width uint64
		in                bool
	}{
		{5, 5, 1, true}, {6, 5, 1, false}, {4, 5, 1, false},
		{^uint64(0), ^uint64(0) - 1, 2, true}, {0, ^uint64(0) - 1, 2, false}, {0, ^uint64(0) - 1, 3, true},
		{1, ^uint64(0) - 1, 3, false}, {^uint64(0) - 2, ^uint64(0) - 1, 3, false},
	} {
		if got := inChallengeWindow(c.pos, c.start, c.width); got != c.in {
			t.Errorf("position %d in [%d, +%d): %v, want %v", c.pos, c.start, c.width, got, c.in)
		}
	}
	if _, w, all := challengeWindow(nil, ^uint64(0)); all || w != 1 {
		t.Errorf("interval 2^64-1: width %d (all %v), want 1", w, all)
	}
	if _, _, all := challengeWindow(nil, 1); !all {
		t.Error("interval 1 must challenge everyone")
	}
}
