package protocol

import (
	"crypto/sha256"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"github.com/provernet/provernet/internal/alloc"
	"github.com/provernet/provernet/internal/store"
	"github.com/provernet/provernet/internal/store/iavltree"
	"github.com/provernet/provernet/wire"
	"github.com/provernet/provernet/wire/address"
	"github.com/provernet/provernet/wire/pb"
)

// readWorld is a state with active provers, their asks and one program,
// for the bounded read's tests.
type readWorld struct {
	t    *testing.T
	rng  *rand.Rand
	kv   store.KV
	env  Env
	prog *pb.Program
	all  []address.Address
}

func newReadWorld(t *testing.T, seed uint64) *readWorld {
	w := &readWorld{t: t, rng: rand.New(rand.NewPCG(seed, 17)), kv: iavltree.OpenMemory().Working()}
	w.env = Env{Height: 1, Params: DefaultParams()}
	w.env.Params.ChallengeProgram = ""
	sum := sha256.Sum256(fmt.Appendf(nil, "read program %d", seed))
	w.prog = &pb.Program{Id: sum[:], MinHardware: &pb.Hardware{CpuCores: uint32(1 + w.rng.IntN(4)), MemoryMb: 1}}
	if err := setProto(w.kv, programKey(w.prog.Id), w.prog); err != nil {
		t.Fatal(err)
	}
	return w
}

// prover adds an active prover with cores cores and room slots free.
func (w *readWorld) prover(cores, room uint32) address.Address {
	sum := sha256.Sum256(fmt.Appendf(nil, "read prover %d", len(w.all)))
	a := address.Address(sum[:20])
	w.all = append(w.all, a)
	p := &pb.Prover{Address: a[:], State: pb.ProverState_PROVER_STATE_ACTIVE, MaxConcurrent: 4, Held: 4 - room,
		Hardware: &pb.Hardware{CpuCores: cores, MemoryMb: 1}}
	if err := setProver(w.kv, p); err != nil {
		w.t.Fatal(err)
	}
	return a
}

// ask sets an ask at height.
func (w *readWorld) ask(a address.Address, id uint32, price uint64, latency, height int64, program bool) {
	m := &pb.SetAsk{Id: id, Price: price, Latency: latency, Classes: []string{ClassCPU}}
	if program {
		m.Programs, m.Classes = [][]byte{w.prog.Id}, nil
	}
	env := w.env
	env.Height = height
	res, err := setAsk(w.kv, env, a, m)
	if err != nil {
		w.t.Fatal(err)
	}
	_ = res // refused asks (hardware) are not in the book, as on chain
}

func (w *readWorld) workload(height int64, k uint32, o *pb.MarketOrder) *pb.Workload {
	sum := sha256.Sum256(fmt.Appendf(nil, "read workload %d", height))
	return &pb.Workload{Id: sum[:], Program: w.prog.Id, K: k, Height: height, Deadline: height + 20, Market: o}
}

// read matches wl as the chain does.
func (w *readWorld) read(wl *pb.Workload, seed []byte) []alloc.Ask {
	env := w.env
	env.Height = wl.Height + 1
	mb := &marketBlock{kv: w.kv, env: env, provers: map[[20]byte]*marketProver{}, byAddr: map[[20]byte]*pb.Prover{}, dirty: map[[20]byte]bool{}}
	book, err := mb.readBook(w.prog, wl, false)
	if err != nil {
		w.t.Fatal(err)
	}
	return alloc.Match(seed, orderOf(wl), book)
}

// naive matches wl against every ask of every active prover set before
// wl's height, read from the records.
func (w *readWorld) naive(wl *pb.Workload, seed []byte) []alloc.Ask {
	env := w.env
	env.Height = wl.Height + 1
	mb := &marketBlock{kv: w.kv, env: env, provers: map[[20]byte]*marketProver{}}
	var book []alloc.Ask
	need := HardwareOf(w.prog.MinHardware)
	for _, a := range w.all {
		mp, err := mb.prover([20]byte(a))
		if err != nil {
			w.t.Fatal(err)
		}
		asks, err := ProverAsks(w.kv, a[:])
		if err != nil {
			w.t.Fatal(err)
		}
		for _, x := range asks {
			if x.Height >= wl.Height || mp.rec.State != pb.ProverState_PROVER_STATE_ACTIVE {
				continue
			}
			book = append(book, mb.askOf(bookEntry{prover: [20]byte(a), id: x.Id, price: x.Price, latency: x.Latency}, mp, need, true))
		}
	}
	return alloc.MatchNaive(seed, orderOf(wl), book)
}

// TestReadBookMatchesNaive: while the book is within the read's bounds,
// matching what readBook reads takes exactly what matching every active
// prover's asks set before the Run takes (MatchNaive), whatever the
// priority, the bounds, the lists, the hardware, the room and the heights.
func TestReadBookMatchesNaive(t *testing.T) {
	for seed := range uint64(300) {
		w := newReadWorld(t, seed)
		n := 1 + w.rng.IntN(30)
		for range n {
			a := w.prover(uint32(1+w.rng.IntN(4)), uint32(w.rng.IntN(3)))
			for id := range uint32(1 + w.rng.IntN(4)) {
				w.ask(a, id, uint64(1+w.rng.IntN(20)), int64(3+w.rng.IntN(15)), int64(1+w.rng.IntN(6)), w.rng.IntN(2) == 0)
			}
		}
		o := &pb.MarketOrder{Mechanism: pb.Mechanism_MECHANISM_MARKET, MaxPrice: uint64(1 + w.rng.IntN(20)), MaxLatency: int64(3 + w.rng.IntN(15))}
		if w.rng.IntN(2) == 0 {
			o.Priority = pb.Priority_PRIORITY_TIME
		}
		for _, a := range w.all {
			switch w.rng.IntN(8) {
			case 0:
				o.Allow = append(o.Allow, a[:])
			case 1:
				o.Deny = append(o.Deny, a[:])
			}
		}
		wl := w.workload(int64(2+w.rng.IntN(5)), uint32(1+w.rng.IntN(4)), o)
		beacon := fmt.Appendf(nil, "seed %d", seed)
		if got, want := w.read(wl, beacon), w.naive(wl, beacon); !reflect.DeepEqual(got, want) {
			t.Fatalf("seed %d: readBook then Match took %v; MatchNaive over every ask took %v", seed, got, want)
		}
	}
}

// TestReadBookBounds: what nobody can hide an honest ask with, and what
// the read still costs an attacker (docs/SECURITY.md). Each case puts an
// honest prover's ask (price 5, latency 3) behind asks at price 1.
func TestReadBookBounds(t *testing.T) {
	cases := []struct {
		name string
		// flood adds the attacker's provers and asks.
		flood func(w *readWorld)
		k     uint32
		seen  bool
	}{
		{"a prover's asks count once toward MarketScan", func(w *readWorld) {
			for range 40 { // 120 entries, 40 provers: all read
				a := w.prover(4, 2)
				for id := range uint32(3) {
					w.ask(a, id, 1, 3, 1, false)
				}
			}
		}, 41, true},
		{"provers without room are skipped, under MarketSkip", func(w *readWorld) {
			for range wire.MarketSkip / 16 {
				a := w.prover(4, 0)
				for id := range uint32(15) {
					w.ask(a, id, 1, 3, 1, false)
				}
			}
		}, 1, true},
		{"provers without the hardware are skipped, under MarketSkip", func(w *readWorld) {
			for range wire.MarketSkip / 16 {
				a := w.prover(0, 2) // the program needs at least one core
				for id := range uint32(15) {
					w.ask(a, id, 1, 3, 1, false)
				}
			}
		}, 1, true},
		{"slow asks are skipped, under MarketSkip", func(w *readWorld) {
			for range wire.MarketSkip/16 - 1 {
				a := w.prover(4, 2)
				for id := range uint32(16) {
					w.ask(a, id, 1, 1000, 1, false)
				}
			}
		}, 1, true},
		{"slow asks of one price are one skip: 16 active provers", func(w *readWorld) {
			for range wire.MarketSkip / 16 {
				a := w.prover(4, 2)
				for id := range uint32(16) {
					w.ask(a, id, 1, 1000, 1, false)
				}
			}
		}, 1, true},
		{"slow asks at MarketSkip prices hide a dearer ask: 16 active provers", func(w *readWorld) {
			for i := range wire.MarketSkip / 16 {
				a := w.prover(4, 2)
				for id := range uint32(16) {
					w.ask(a, id, uint64(1+16*i)+uint64(id), 1000, 1, false) // prices 1..256
				}
			}
		}, 1, false},
		{"asks set at the Run's height are not seen", func(w *readWorld) {
			for range 8 {
				a := w.prover(4, 2)
				w.ask(a, 0, 1, 3, 5, false)
			}
		}, 1, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := newReadWorld(t, 1)
			honest, price := w.prover(4, 2), uint64(5)
			if strings.Contains(c.name, "dearer") {
				price = 300
			}
			w.ask(honest, 0, price, 3, 1, false)
			c.flood(w)
			wl := w.workload(5, c.k, &pb.MarketOrder{Mechanism: pb.Mechanism_MECHANISM_MARKET, MaxPrice: 2 * price, MaxLatency: 10})
			got := w.read(wl, []byte("seed"))
			seen := false
			for _, a := range got {
				seen = seen || a.Prover == [20]byte(honest)
			}
			if seen != c.seen {
				t.Fatalf("honest ask matched: %v, want %v (took %v)", seen, c.seen, got)
			}
		})
	}
}
