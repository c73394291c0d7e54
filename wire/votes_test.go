package wire

import (
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/provernet/provernet/wire/pb"
)

func TestVoteRoundTrip(t *testing.T) {
	seed := rand.Uint64()
	t.Logf("seed %d", seed)
	r := rand.New(rand.NewPCG(seed, 1))
	for range 500 {
		n := 1 + r.IntN(40)
		var entries []Ballot
		var b uint64
		for range n {
			b += 1 + uint64(r.IntN(1000))
			entries = append(entries, Ballot{Number: b, Verdict: Verdict(1 + r.IntN(3))})
		}
		m, err := EncodeVote(entries)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := proto.Marshal(m)
		var back pb.Vote
		if err := proto.Unmarshal(raw, &back); err != nil {
			t.Fatal(err)
		}
		got, err := DecodeVote(&back, 64)
		if err != nil {
			t.Fatalf("%v (entries %v)", err, entries)
		}
		if !slices.Equal(got, entries) {
			t.Fatalf("round trip: got %v, want %v", got, entries)
		}
	}
}

func TestVoteIsCompact(t *testing.T) {
	// 20 ballots a few hundred apart: about 2 bytes of number and a
	// quarter byte of verdict each, against 38 bytes for (id, slot, bit).
	var entries []Ballot
	for i := range 20 {
		entries = append(entries, Ballot{Number: 1_000_000 + uint64(i)*150, Verdict: VerdictValid})
	}
	m, _ := EncodeVote(entries)
	if size := proto.Size(m); size > 60 {
		t.Fatalf("20 entries take %d bytes", size)
	}
}

func TestDecodeVoteRefuses(t *testing.T) {
	cases := map[string]*pb.Vote{
		"empty":              {},
		"too many":           {Ballots: make([]uint64, 9), Verdicts: []byte{0x55, 0x55, 0x01}},
		"short verdicts":     {Ballots: []uint64{1, 1}, Verdicts: nil},
		"long verdicts":      {Ballots: []uint64{1}, Verdicts: []byte{1, 0}},
		"zero verdict":       {Ballots: []uint64{1, 1}, Verdicts: []byte{0x01}},
		"bits after the end": {Ballots: []uint64{1}, Verdicts: []byte{0x05}},
		"zero gap":           {Ballots: []uint64{4, 0}, Verdicts: []byte{0x05}},
		"overflow":           {Ballots: []uint64{math.MaxUint64, 1}, Verdicts: []byte{0x05}},
	}
	for name, m := range cases {
		if _, err := DecodeVote(m, 8); !errors.Is(err, ErrBadVote) {
			t.Errorf("%s: err = %v; want ErrBadVote", name, err)
		}
	}
	if _, err := DecodeVote(&pb.Vote{Ballots: []uint64{0}, Verdicts: []byte{3}}, 8); err != nil {
		t.Errorf("ballot 0 copied: %v", err)
	}
}

func TestEncodeVoteRefuses(t *testing.T) {
	for name, entries := range map[string][]Ballot{
		"not ascending": {{Number: 5, Verdict: VerdictValid}, {Number: 5, Verdict: VerdictValid}},
		"descending":    {{Number: 5, Verdict: VerdictValid}, {Number: 4, Verdict: VerdictValid}},
		"no verdict":    {{Number: 5}},
		"bad verdict":   {{Number: 5, Verdict: 4}},
	} {
		if _, err := EncodeVote(entries); !errors.Is(err, ErrBadVote) {
			t.Errorf("%s: err = %v; want ErrBadVote", name, err)
		}
	}
}

// FuzzDecodeVote: any Vote either decodes to entries EncodeVote gives back
// byte for byte, or is refused; it never panics.
func FuzzDecodeVote(f *testing.F) {
	f.Add([]byte{0x12, 0x02, 0x05, 0x03, 0x1a, 0x01, 0x39})
	f.Add([]byte{0x12, 0x01, 0x00, 0x1a, 0x01, 0x02})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, raw []byte) {
		var m pb.Vote
		if proto.Unmarshal(raw, &m) != nil {
			return
		}
		entries, err := DecodeVote(&m, 4096)
		if err != nil {
			return
		}
		again, err := EncodeVote(entries)
		if err != nil {
			t.Fatalf("decoded entries do not encode: %v", err)
		}
		if !slices.Equal(again.Ballots, m.Ballots) || string(again.Verdicts) != string(m.Verdicts) {
			t.Fatalf("re-encoding differs: %v vs %v", again, &m)
		}
	})
}
