package alloc

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

// randomPool draws a pool and an order that exercise every rule: members
// that cannot take the Run for each reason, repeated provers, allow and
// deny lists; and score index entries with few distinct scores and
// reputations (ties), repeated provers.
func randomPool(r *rand.Rand) ([]byte, MarketOrder, []Ask, []PoolEntry) {
	seed := make([]byte, 32)
	for i := range seed {
		seed[i] = byte(r.Uint32())
	}
	nProvers := 1 + r.IntN(40)
	members := make([]Ask, r.IntN(36))
	for i := range members {
		a := &members[i]
		a.Prover = addr(byte(r.IntN(nProvers)))
		a.ID = uint32(r.IntN(3))
		a.Price = uint64(1 + r.IntN(6))
		a.Latency = int64(1 + r.IntN(5))
		a.Serves = r.IntN(16) != 0
		a.Active = r.IntN(8) != 0
		a.Meets = r.IntN(8) != 0
		a.Room = uint32(r.IntN(3))
		a.Reputation = uint32(r.IntN(3)) * 2500
	}
	o := MarketOrder{K: 1 + r.IntN(5), MaxPrice: uint64(r.IntN(7)), MaxLatency: int64(r.IntN(6))}
	o.ID[0], o.ID[1] = byte(r.Uint32()), byte(r.Uint32())
	for range r.IntN(3) {
		o.Deny = append(o.Deny, addr(byte(r.IntN(nProvers))))
	}
	if r.IntN(3) == 0 {
		for range 1 + r.IntN(8) {
			o.Allow = append(o.Allow, addr(byte(r.IntN(nProvers))))
		}
	}
	entries := make([]PoolEntry, r.IntN(80))
	for i := range entries {
		entries[i] = PoolEntry{Prover: addr(byte(r.IntN(nProvers + 20))), Score: uint64(r.IntN(4)) * 1000,
			Reputation: uint32(r.IntN(3)) * 5000, AskID: uint32(i)}
	}
	return seed, o, members, entries
}

// TestPoolMatchesNaive holds PoolRank and the draw to their references on
// random pools, and checks what any draw must satisfy.
func TestPoolMatchesNaive(t *testing.T) {
	r := rand.New(rand.NewPCG(32, 4))
	var taken, empty, ranked int
	for i := range 20000 {
		seed, o, members, entries := randomPool(r)
		in, inE := slices.Clone(members), slices.Clone(entries)
		got, want := PoolDraw(seed, o, members), PoolDrawNaive(seed, o, members)
		if !slices.Equal(got, want) {
			t.Fatalf("case %d: PoolDraw %v, PoolDrawNaive %v\norder %+v\nmembers %+v", i, got, want, o, members)
		}
		size := r.IntN(40)
		gotR, wantR := PoolRank(seed, entries, size), PoolRankNaive(seed, entries, size)
		if !slices.Equal(gotR, wantR) {
			t.Fatalf("case %d: PoolRank %v, PoolRankNaive %v", i, gotR, wantR)
		}
		if !slices.Equal(in, members) || !slices.Equal(inE, entries) {
			t.Fatalf("case %d: the pool modified its input", i)
		}
		if err := checkDraw(o, members, got); err != nil {
			t.Fatalf("case %d: %v", i, err)
		}
		taken += len(got)
		ranked += len(gotR)
		if len(got) == 0 {
			empty++
		}
	}
	if taken < 5000 || empty < 1000 || ranked < 50000 {
		t.Fatalf("the random pools are too one-sided: %d taken, %d empty draws, %d ranked", taken, empty, ranked)
	}
}

// checkDraw checks the properties every draw has: min(k, candidates)
// members taken, from distinct provers, each a candidate.
func checkDraw(o MarketOrder, members []Ask, got []Ask) error {
	cands := 0
	for i, a := range members {
		if !naiveMemberRepeat(members[:i], a) && naiveCandidate(o, a) {
			cands++
		}
	}
	if len(got) != min(o.K, cands) {
		return fmt.Errorf("%d members taken for k = %d and %d candidates", len(got), o.K, cands)
	}
	seen := map[[20]byte]bool{}
	for _, a := range got {
		if seen[a.Prover] {
			return fmt.Errorf("prover %x taken twice", a.Prover[:1])
		}
		seen[a.Prover] = true
		if !naiveCandidate(o, a) {
			return fmt.Errorf("member %+v taken but is no candidate", a)
		}
	}
	return nil
}

// TestExplainPoolAccounts: every member gets a verdict; the candidates
// come first ranked 0, 1, ...; exactly the members taken are matched, in
// slot order with the keys that drew them.
func TestExplainPoolAccounts(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 5))
	for i := range 3000 {
		seed, o, members, _ := randomPool(r)
		e := ExplainPool(seed, o, members)
		if len(e.Candidates) != len(members) {
			t.Fatalf("case %d: %d verdicts for %d members", i, len(e.Candidates), len(members))
		}
		matched := map[[20]byte]bool{}
		rank, tail := 0, false
		for _, c := range e.Candidates {
			switch {
			case c.Reason == "":
				t.Fatalf("case %d: a member without a verdict", i)
			case c.Rank >= 0 && (tail || c.Rank != rank):
				t.Fatalf("case %d: rank %d where %d was due (after the non-candidates: %v)", i, c.Rank, rank, tail)
			case c.Rank >= 0:
				rank++
			default:
				tail = true
			}
			if c.Reason == MatchTaken {
				matched[c.Ask.Prover] = true
			}
		}
		if len(matched) != len(e.Taken) {
			t.Fatalf("case %d: %d matched, %d taken", i, len(matched), len(e.Taken))
		}
		for j, a := range e.Taken {
			if !matched[a.Prover] {
				t.Fatalf("case %d: slot %d's %x is not marked matched", i, j, a.Prover[:1])
			}
		}
	}
}

// TestPoolDrawUniform: over many orders, each of ten candidates is drawn
// for the first slot about a tenth of the time, whatever its place in the
// pool (the score decides membership, not the odds).
func TestPoolDrawUniform(t *testing.T) {
	var members []Ask
	for i := range 10 {
		members = append(members, Ask{Prover: addr(byte(i)), Price: 1, Latency: 1, Serves: true, Active: true, Meets: true, Room: 1})
	}
	count := make([]int, 10)
	const n = 20000
	for i := range n {
		o := MarketOrder{K: 1, MaxPrice: 1, MaxLatency: 1}
		o.ID[0], o.ID[1] = byte(i), byte(i>>8)
		got := PoolDraw([]byte("seed"), o, members)
		count[got[0].Prover[0]]++
	}
	for i, c := range count {
		if c < n/10*9/10 || c > n/10*11/10 {
			t.Errorf("member %d drawn %d times of %d, want about %d", i, c, n, n/10)
		}
	}
}

// TestPoolRankRules pins the ranking on entries whose answer follows from
// the rules by hand.
func TestPoolRankRules(t *testing.T) {
	e := func(p byte, score uint64, rep uint32) PoolEntry {
		return PoolEntry{Prover: addr(p), Score: score, Reputation: rep}
	}
	entries := []PoolEntry{e(1, 10, 0), e(2, 30, 0), e(3, 20, 9000), e(4, 20, 10000), e(2, 99, 0), e(5, 5, 0)}
	var got []byte
	for _, x := range PoolRank(nil, entries, 4) {
		got = append(got, x.Prover[0])
	}
	// 2 (its first entry, 30), then 4 and 3 (20, by reputation), then 1; 5 is fifth.
	if !slices.Equal(got, []byte{2, 4, 3, 1}) {
		t.Errorf("got %v, want [2 4 3 1]", got)
	}
}

// FuzzPool decodes a pool, an order and score index entries from bytes and
// holds the draw and the ranking to their references and to checkDraw.
// The seed corpus is in testdata/fuzz/FuzzPool.
func FuzzPool(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte("a pool of members and an order, eight bytes a member, then the index entries........"))
	r := rand.New(rand.NewPCG(10, 10))
	for range 8 {
		b := make([]byte, 8+r.IntN(400))
		for i := range b {
			b[i] = byte(r.Uint32())
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		seed, o, members, entries, size := decodePool(data)
		got := PoolDraw(seed, o, members)
		if want := PoolDrawNaive(seed, o, members); !slices.Equal(got, want) {
			t.Fatalf("PoolDraw %v, PoolDrawNaive %v", got, want)
		}
		if err := checkDraw(o, members, got); err != nil {
			t.Fatal(err)
		}
		if g, w := PoolRank(seed, entries, size), PoolRankNaive(seed, entries, size); !slices.Equal(g, w) {
			t.Fatalf("PoolRank %v, PoolRankNaive %v", g, w)
		}
	})
}

// decodePool reads an order from the first 8 bytes, then members of 8
// bytes each until a zero count byte says how many index entries (4
// bytes each) follow.
func decodePool(data []byte) ([]byte, MarketOrder, []Ask, []PoolEntry, int) {
	var head [8]byte
	copy(head[:], data)
	data = data[min(8, len(data)):]
	o := MarketOrder{K: int(head[0] % 6), MaxPrice: uint64(head[1] % 16), MaxLatency: int64(head[2] % 16)}
	o.ID[0] = head[3]
	if head[4]&1 != 0 {
		o.Deny = append(o.Deny, addr(head[4]>>1%8))
	}
	if head[4]&2 != 0 {
		o.Allow = append(o.Allow, addr(head[4]>>2%8), addr(head[4]>>5))
	}
	seed, size := head[5:7], int(head[7]%40)
	nMembers := 0
	if len(data) > 0 {
		nMembers, data = int(data[0]%40), data[1:]
	}
	var members []Ask
	for ; nMembers > 0 && len(data) >= 8; nMembers, data = nMembers-1, data[8:] {
		b := data[:8]
		members = append(members, Ask{Prover: addr(b[0] % 24), ID: uint32(b[1] % 4), Price: uint64(b[2] % 16), Latency: int64(b[3] % 16),
			Serves: b[4]&1 != 0, Active: b[4]&2 != 0, Meets: b[4]&4 != 0, Room: uint32(b[5] % 3), Reputation: uint32(b[6] % 3)})
	}
	var entries []PoolEntry
	for ; len(data) >= 4; data = data[4:] {
		b := data[:4]
		entries = append(entries, PoolEntry{Prover: addr(b[0] % 48), Score: uint64(b[1] % 8), Reputation: uint32(b[2] % 3), AskID: uint32(b[3])})
	}
	return seed, o, members, entries, size
}
