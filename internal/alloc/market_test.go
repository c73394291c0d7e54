package alloc

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

// randomBook draws an order and a book that exercise every rule: few
// distinct prices and latencies (ties), few reputations, provers with
// several asks, repeated (prover, id) pairs, allow and deny lists.
func randomBook(r *rand.Rand) ([]byte, MarketOrder, []Ask) {
	seed := make([]byte, 32)
	for i := range seed {
		seed[i] = byte(r.Uint32())
	}
	nProvers := 1 + r.IntN(12)
	book := make([]Ask, r.IntN(40))
	for i := range book {
		a := &book[i]
		a.Prover = addr(byte(r.IntN(nProvers)))
		a.ID = uint32(r.IntN(3))
		a.Price = uint64(1 + r.IntN(6))
		a.Latency = int64(1 + r.IntN(5))
		a.Serves = r.IntN(8) != 0
		a.Active = r.IntN(8) != 0
		a.Meets = r.IntN(8) != 0
		a.Room = uint32(r.IntN(3))
		a.Reputation = uint32(r.IntN(3)) * 2500
	}
	o := MarketOrder{K: 1 + r.IntN(5), MaxPrice: uint64(r.IntN(7)), MaxLatency: int64(r.IntN(6)), Priority: Priority(r.IntN(2))}
	o.ID[0], o.ID[1] = byte(r.Uint32()), byte(r.Uint32())
	for range r.IntN(3) {
		o.Deny = append(o.Deny, addr(byte(r.IntN(nProvers))))
	}
	if r.IntN(3) == 0 {
		for range 1 + r.IntN(4) {
			o.Allow = append(o.Allow, addr(byte(r.IntN(nProvers))))
		}
	}
	return seed, o, book
}

// TestMatchMatchesNaive holds Match to MatchNaive on random books, and
// checks what any match must satisfy whatever the implementation.
func TestMatchMatchesNaive(t *testing.T) {
	r := rand.New(rand.NewPCG(17, 17))
	var taken, empty int
	for i := range 20000 {
		seed, o, book := randomBook(r)
		in := slices.Clone(book)
		got, want := Match(seed, o, book), MatchNaive(seed, o, book)
		if !slices.Equal(got, want) {
			t.Fatalf("case %d: Match %v, MatchNaive %v\norder %+v\nbook %+v", i, got, want, o, book)
		}
		if !slices.Equal(in, book) {
			t.Fatalf("case %d: Match modified its book", i)
		}
		if err := checkMatch(o, book, got); err != nil {
			t.Fatalf("case %d: %v", i, err)
		}
		taken += len(got)
		if len(got) == 0 {
			empty++
		}
	}
	// The generator must produce both outcomes often, or the test says little.
	if taken < 10000 || empty < 1000 {
		t.Fatalf("the random books are too one-sided: %d asks taken, %d empty matches", taken, empty)
	}
}

// checkMatch checks the properties every match has: at most k asks, from
// distinct provers, each a candidate, in non-decreasing priority order;
// and fewer than k only when no other candidate's prover is left.
func checkMatch(o MarketOrder, book []Ask, got []Ask) error {
	if len(got) > o.K {
		return fmt.Errorf("%d asks taken for k = %d", len(got), o.K)
	}
	provers := map[[20]byte]bool{}
	for i, a := range got {
		if provers[a.Prover] {
			return fmt.Errorf("prover %x taken twice", a.Prover[:1])
		}
		provers[a.Prover] = true
		if !naiveCandidate(o, a) {
			return fmt.Errorf("ask %+v taken but is no candidate", a)
		}
		if i > 0 {
			p, q := got[i-1], a
			k1, k2 := [2]uint64{p.Price, uint64(p.Latency)}, [2]uint64{q.Price, uint64(q.Latency)}
			if o.Priority == PriorityTime {
				k1, k2 = [2]uint64{k1[1], k1[0]}, [2]uint64{k2[1], k2[0]}
			}
			if k1[0] > k2[0] || (k1[0] == k2[0] && k1[1] > k2[1]) {
				return fmt.Errorf("taken out of priority order: %+v before %+v", p, q)
			}
		}
	}
	if len(got) < o.K {
		for i, a := range book {
			if !naiveRepeat(book[:i], a) && naiveCandidate(o, a) && !provers[a.Prover] {
				return fmt.Errorf("only %d of k = %d taken, but %x's candidate was left", len(got), o.K, a.Prover[:1])
			}
		}
	}
	return nil
}

// TestExplainMatchAccounts checks that the explanation gives every ask a
// verdict, ranks the candidates 0, 1, ... first, and names exactly the
// asks taken as matched.
func TestExplainMatchAccounts(t *testing.T) {
	r := rand.New(rand.NewPCG(4, 4))
	for i := range 3000 {
		seed, o, book := randomBook(r)
		e := ExplainMatch(seed, o, book)
		if len(e.Candidates) != len(book) {
			t.Fatalf("case %d: %d verdicts for %d asks", i, len(e.Candidates), len(book))
		}
		var matched []Ask
		rank := 0
		for _, c := range e.Candidates {
			switch {
			case c.Reason == "":
				t.Fatalf("case %d: an ask without a verdict", i)
			case c.Rank >= 0 && c.Rank != rank:
				t.Fatalf("case %d: rank %d where %d was due", i, c.Rank, rank)
			case c.Rank >= 0:
				rank++
			}
			if c.Reason == MatchTaken {
				matched = append(matched, c.Ask)
			}
		}
		if !slices.Equal(matched, e.Taken) || !slices.Equal(e.Taken, MatchNaive(seed, o, book)) {
			t.Fatalf("case %d: matched %v, taken %v", i, matched, e.Taken)
		}
	}
}

// TestMatchPriorityAndTies pins the rules on a small book whose answer
// follows from them by hand.
func TestMatchPriorityAndTies(t *testing.T) {
	ask := func(p byte, price uint64, lat int64, rep uint32) Ask {
		return Ask{Prover: addr(p), Price: price, Latency: lat, Serves: true, Active: true, Meets: true, Room: 1, Reputation: rep}
	}
	book := []Ask{ask(1, 5, 1, 0), ask(2, 3, 4, 0), ask(3, 3, 2, 0), ask(4, 9, 1, 0), ask(5, 3, 2, 9000)}
	o := MarketOrder{K: 3, MaxPrice: 8, MaxLatency: 4}
	names := func(as []Ask) (out []byte) {
		for _, a := range as {
			out = append(out, a.Prover[0])
		}
		return out
	}
	// Price first: 3 (5 before 3 by reputation at latency 2), then 2 (latency 4); 4 is above the price.
	if got := names(Match(nil, o, book)); !slices.Equal(got, []byte{5, 3, 2}) {
		t.Errorf("price priority: got provers %v, want [5 3 2]", got)
	}
	o.Priority = PriorityTime
	if got := names(Match(nil, o, book)); !slices.Equal(got, []byte{1, 5, 3}) {
		t.Errorf("time priority: got provers %v, want [1 5 3]", got)
	}
}

// FuzzMatch decodes an order and a book from bytes and holds Match to
// MatchNaive and to checkMatch.
func FuzzMatch(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte("an order and a book of asks, decoded twelve bytes an ask......................"))
	r := rand.New(rand.NewPCG(9, 9))
	for range 16 {
		b := make([]byte, 8+r.IntN(300))
		for i := range b {
			b[i] = byte(r.Uint32())
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		seed, o, book := decodeBook(data)
		got := Match(seed, o, book)
		if want := MatchNaive(seed, o, book); !slices.Equal(got, want) {
			t.Fatalf("Match %v, MatchNaive %v", got, want)
		}
		if err := checkMatch(o, book, got); err != nil {
			t.Fatal(err)
		}
	})
}

// decodeBook reads an order from the first 8 bytes and one ask from each
// 8 bytes after them.
func decodeBook(data []byte) ([]byte, MarketOrder, []Ask) {
	var head [8]byte
	copy(head[:], data)
	o := MarketOrder{K: int(head[0] % 6), MaxPrice: uint64(head[1] % 16), MaxLatency: int64(head[2] % 16), Priority: Priority(head[3] % 2)}
	o.ID[0] = head[4]
	if head[5]&1 != 0 {
		o.Deny = append(o.Deny, addr(head[5]>>5))
	}
	if head[5]&2 != 0 {
		o.Allow = append(o.Allow, addr(head[6]>>5), addr(head[7]>>5))
	}
	var book []Ask
	for rest := data[min(len(data), 8):]; len(rest) >= 8; rest = rest[8:] {
		v := binary.BigEndian.Uint64(rest)
		book = append(book, Ask{Prover: addr(byte(v & 7)), ID: uint32(v>>3) & 3, Price: (v >> 5) & 15, Latency: int64(v>>9) & 15,
			Serves: v>>13&7 != 0, Active: v>>16&7 != 0, Meets: v>>19&7 != 0, Room: uint32(v>>22) & 3, Reputation: uint32(v>>24) & 3 * 1000})
	}
	return head[:], o, book
}
