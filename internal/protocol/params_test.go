package protocol_test

import (
	"encoding/json"
	"math"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/provernet/provernet/internal/protocol"
	"github.com/provernet/provernet/wire/pb"
)

// TestParamsDocumented keeps docs/CHAIN.md's parameter table and Params
// equal: a parameter added, removed or renamed on one side only, or a
// default that differs, fails here, naming it.
func TestParamsDocumented(t *testing.T) {
	doc, err := os.ReadFile("../../docs/CHAIN.md")
	if err != nil {
		t.Fatal(err)
	}
	documented, defaults := paramTable(t, string(doc))
	b, err := json.Marshal(protocol.DefaultParams())
	if err != nil {
		t.Fatal(err)
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(b, &fields); err != nil {
		t.Fatal(err)
	}
	for name := range fields {
		if !slices.Contains(documented, name) {
			t.Errorf("parameter %q is not in docs/CHAIN.md's parameter table", name)
		}
	}
	for i, name := range documented {
		code, ok := fields[name]
		if !ok {
			t.Errorf("docs/CHAIN.md documents %q, which protocol.Params does not have", name)
			continue
		}
		if doc, ok := docDefault(defaults[i]); !ok || doc != string(code) {
			t.Errorf("%s: docs/CHAIN.md gives the default %q (%s); the code's is %s", name, defaults[i], doc, code)
		}
	}
	if dup := duplicates(documented); len(dup) > 0 {
		t.Errorf("docs/CHAIN.md lists %v twice", dup)
	}
}

var paramRow = regexp.MustCompile("^\\| `([a-z0-9_]+)` \\| ([^|]*) \\|")

// paramTable returns the names and defaults in the first two columns of
// the table under "## Parameters".
func paramTable(t *testing.T, doc string) (names, defaults []string) {
	_, section, ok := strings.Cut(doc, "\n## Parameters\n")
	if !ok {
		t.Fatal(`docs/CHAIN.md has no "## Parameters" section`)
	}
	section, _, _ = strings.Cut(section, "\n## ")
	for line := range strings.SplitSeq(section, "\n") {
		if m := paramRow.FindStringSubmatch(line); m != nil {
			names, defaults = append(names, m[1]), append(defaults, m[2])
		}
	}
	if len(names) == 0 {
		t.Fatal("docs/CHAIN.md's parameter section has no table rows")
	}
	return names, defaults
}

// docUnits are the units the table writes defaults in, in uprv, bytes or
// blocks.
var docUnits = map[string]float64{"": 1, "uprv": 1, "blocks": 1, "PRV": 1e6, "KiB": 1 << 10, "MiB": 1 << 20}

// docDefault turns a default as the table writes it ("1,000 PRV", "64
// KiB", "5,000, 3,000, 2,000", `""`) into its JSON.
func docDefault(cell string) (string, bool) {
	if cell == `""` {
		return cell, true
	}
	var values []string
	for _, part := range strings.Split(cell, ", ") {
		num, unit, _ := strings.Cut(strings.TrimSpace(part), " ")
		f, err := strconv.ParseFloat(strings.ReplaceAll(num, ",", ""), 64)
		scale, ok := docUnits[unit]
		if err != nil || !ok {
			return "", false
		}
		values = append(values, strconv.FormatInt(int64(math.Round(f*scale)), 10))
	}
	if len(values) > 1 {
		return "[" + strings.Join(values, ",") + "]", true
	}
	return values[0], true
}

func duplicates(names []string) []string {
	sorted := slices.Sorted(slices.Values(names))
	var out []string
	for i := 1; i < len(sorted); i++ {
		if sorted[i] == sorted[i-1] && !slices.Contains(out, sorted[i]) {
			out = append(out, sorted[i])
		}
	}
	return out
}

// TestQuorumOf checks the quorum rule against its definition (at least
// two thirds: 3*votes >= 2*n) and Decides against QuorumOf.
func TestQuorumOf(t *testing.T) {
	for n := 0; n <= 300; n++ {
		q := protocol.QuorumOf(n)
		if 3*q < 2*n || (q > 0 && 3*(q-1) >= 2*n) {
			t.Fatalf("QuorumOf(%d) = %d, not the least q with 3q >= 2n", n, q)
		}
		for v := 0; v <= n; v++ {
			if got, want := protocol.Decides(uint32(v), n), v >= q; got != want {
				t.Fatalf("Decides(%d, %d) = %v; QuorumOf says %v", v, n, got, want)
			}
		}
	}
}

// TestFillFull: a block is full by bytes at full_block_bytes, by weight
// at full_block_weight_bp of its room, or when the work due at its height
// left less than 1% of max_block_weight; zero parameters never fill.
func TestFillFull(t *testing.T) {
	p := protocol.DefaultParams()
	p.FullBlockBytes, p.FullBlockWeightBP = 1000, 9000
	largest := p.TxWeight(int(p.MaxTxBytes), []*pb.Msg{{Kind: &pb.Msg_SubmitResult{}}})
	cases := []struct {
		f    protocol.Fill
		want bool
	}{
		{protocol.Fill{Room: 10000}, false},
		{protocol.Fill{Bytes: 999, Room: 10000}, false},
		{protocol.Fill{Bytes: 1000, Room: 10000}, true},
		{protocol.Fill{Weight: 8999, Room: 10000}, false},
		{protocol.Fill{Weight: 9000, Room: 10000}, true},
		{protocol.Fill{Weight: 5, Room: 0}, true}, // no room: the due work filled it, and nothing could get in
		{protocol.Fill{Room: largest - 1}, true},  // the largest result would not fit
		{protocol.Fill{Room: largest}, false},
	}
	for _, c := range cases {
		if got := c.f.Full(p); got != c.want {
			t.Errorf("%+v: full = %v; want %v", c.f, got, c.want)
		}
	}
	p.FullBlockBytes, p.FullBlockWeightBP = 0, 0
	if (protocol.Fill{Bytes: 1 << 30, Weight: 10, Room: 0}).Full(p) {
		t.Error("zero parameters filled a block")
	}
}

// TestValidateRefusesAnUnstakeableChain (found by review): a Stake weighs
// its admission challenges' pieces whatever it does, so parameters under
// which it is heavier than a block would let nobody ever stake.
func TestValidateRefusesAnUnstakeableChain(t *testing.T) {
	p := protocol.DefaultParams()
	p.AdmissionChallenges = 101
	stake := []*pb.Msg{{Kind: &pb.Msg_Stake{Stake: &pb.Stake{Amount: 1}}}}
	if p.TxWeight(200, stake) <= p.MaxBlockWeight {
		t.Fatalf("the case no longer makes a Stake too heavy (%d <= %d)", p.TxWeight(200, stake), p.MaxBlockWeight)
	}
	if err := p.Validate(); err == nil || !strings.Contains(err.Error(), "nobody could stake") {
		t.Fatalf("Validate = %v; want it to refuse a chain nobody can stake on", err)
	}
	if err := protocol.DefaultParams().Validate(); err != nil {
		t.Fatalf("the defaults: %v", err)
	}
}

// TestValidateDowntimeParams (staking review): downtime_window within its
// bounds, and an allowance of misses that leaves a validator nobody runs
// jailed within the window the power cap counts over.
func TestValidateDowntimeParams(t *testing.T) {
	for _, c := range []struct {
		window int64
		bp     uint32
		want   string // "" valid
	}{
		{10_000, 5_000, ""},
		{10, 6_000, ""}, // misses 6, 6 + 4 <= 10
		{10, 7_000, "at most the window less 4"},
		{9, 0, "downtime_window 9 must be 10..100000"},
		{100_001, 5_000, "must be 10..100000"},
		{100, 10_000, "at most the window less 4"},
	} {
		p := protocol.DefaultParams()
		vp := *p.ValidatorParams
		vp.DowntimeWindow, vp.DowntimeMaxMissedBP = c.window, c.bp
		p.ValidatorParams = &vp
		err := p.Validate()
		if c.want == "" && err != nil || c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)) {
			t.Errorf("window %d, %d bp: Validate = %v, want %q", c.window, c.bp, err, c.want)
		}
	}
}
