package protocol_test

import (
	"crypto/sha256"
	"go/ast"
	"go/parser"
	"go/token"
	"math/rand/v2"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"filippo.io/age"

	"github.com/provernet/provernet/internal/protocol"
	"github.com/provernet/provernet/wire"
	"github.com/provernet/provernet/wire/pb"
	"github.com/provernet/provernet/wire/txn"
)

// naiveBlockWeight is the block weight docs/CHAIN.md defines, computed
// from scratch for a whole block: every transaction's per-transaction,
// per-byte and per-message parts, a Run's allocation left out, and
// WeightBallot once per distinct ballot the block's well-formed votes
// name.
func naiveBlockWeight(p protocol.Params, sizes []int, txs [][]*pb.Msg) uint64 {
	var total uint64
	ballots := map[uint64]bool{}
	for i, msgs := range txs {
		total += wire.WeightPerTx + (uint64(sizes[i])*wire.WeightPerKiB+1023)/1024
		for _, m := range msgs {
			switch k := m.GetKind().(type) {
			case *pb.Msg_Transfer:
				total += wire.WeightTransfer
			case *pb.Msg_Stake:
				total += wire.WeightStake + uint64(p.AdmissionChallenges)*wire.MaxChallengePieces*wire.WeightChallengePiece
			case *pb.Msg_Run:
				total += wire.WeightRun + uint64(len(k.Run.Inputs))*wire.WeightRunInput
			case *pb.Msg_Accept:
				total += wire.WeightAccept
			case *pb.Msg_Vote:
				total += wire.WeightVote + uint64(len(k.Vote.Ballots))*wire.WeightVoteEntry
				if entries, err := wire.DecodeVote(k.Vote, 4096); err == nil {
					for _, e := range entries {
						ballots[e.Number] = true
					}
				}
			}
		}
	}
	return total + uint64(len(ballots))*wire.WeightBallot
}

// randomVote names n ballots below 200 (blocks share many), or, one time
// in eight, is malformed (a zero gap: the chain refuses it unread).
func randomVote(r *rand.Rand) *pb.Msg {
	n := 1 + r.IntN(12)
	var entries []wire.Ballot
	at := uint64(0)
	for range n {
		at += 1 + uint64(r.IntN(16))
		entries = append(entries, wire.Ballot{Number: at, Verdict: wire.VerdictValid})
	}
	v, err := wire.EncodeVote(entries)
	if err != nil {
		panic(err)
	}
	if r.IntN(8) == 0 && n > 1 {
		v.Ballots[1] = 0
	}
	return &pb.Msg{Kind: &pb.Msg_Vote{Vote: v}}
}

func randomMsgs(r *rand.Rand) []*pb.Msg {
	switch r.IntN(5) {
	case 0:
		return []*pb.Msg{randomVote(r)}
	case 1:
		return []*pb.Msg{{Kind: &pb.Msg_Run{Run: &pb.Run{Provers: uint32(1 + r.IntN(5)), Inputs: make([]*pb.Input, r.IntN(4))}}}}
	case 2:
		return []*pb.Msg{{Kind: &pb.Msg_Stake{Stake: &pb.Stake{Amount: 1}}}, {Kind: &pb.Msg_Accept{Accept: &pb.Accept{}}}}
	}
	return []*pb.Msg{{Kind: &pb.Msg_Transfer{Transfer: &pb.Transfer{}}}}
}

// TestWeigherAgainstNaive: the Weigher, which adds a block's transactions
// one by one and refuses those that do not fit, agrees with the whole-
// block definition on the transactions it took, for random blocks of
// votes sharing ballots, malformed votes, Runs and other messages.
func TestWeigherAgainstNaive(t *testing.T) {
	seed := testSeed(t)
	r := rand.New(rand.NewPCG(seed, 1))
	p := protocol.DefaultParams()
	for range 300 {
		room := uint64(200 + r.IntN(4000))
		w := protocol.NewWeigher(p)
		var sizes []int
		var taken [][]*pb.Msg
		refused := 0
		for range 1 + r.IntN(40) {
			msgs, size := randomMsgs(r), 100+r.IntN(3000)
			before := w.Weight()
			if !w.Add(size, msgs, room) {
				refused++
				if w.Weight() != before {
					t.Fatalf("seed %d: a refused transaction changed the weight from %d to %d", seed, before, w.Weight())
				}
				continue
			}
			sizes, taken = append(sizes, size), append(taken, msgs)
			if got, want := w.Weight(), naiveBlockWeight(p, sizes, taken); got != want {
				t.Fatalf("seed %d: after %d transactions the Weigher says %d, the definition %d", seed, len(taken), got, want)
			}
		}
		if w.Weight() > room {
			t.Fatalf("seed %d: weight %d over the room %d", seed, w.Weight(), room)
		}
	}
}

// TestTxWeightBoundsBlockWeight: a transaction alone in a block weighs its
// TxWeight less what runs at the next height, so TxWeight (what the fee
// and the too_heavy check use) never undercounts what it adds to any
// block.
func TestTxWeightBoundsBlockWeight(t *testing.T) {
	seed := testSeed(t)
	r := rand.New(rand.NewPCG(seed, 2))
	p := protocol.DefaultParams()
	for range 2000 {
		msgs, size := randomMsgs(r), r.IntN(5000)
		w := protocol.NewWeigher(p)
		if !w.Add(size, msgs, 1<<62) {
			t.Fatal("refused with unbounded room")
		}
		var deferred uint64
		for _, m := range msgs {
			deferred += wire.DeferredWeight(m)
		}
		if tx := p.TxWeight(size, msgs); w.Weight()+deferred > tx {
			t.Fatalf("seed %d: %v alone weighs %d in a block (+%d deferred), more than its TxWeight %d", seed, msgs, w.Weight(), deferred, tx)
		}
	}
}

// TestDueWeight: the Runs included at a height make the next height keep
// room for their allocation, max_provers_per_workload slots each, and no
// other height.
func TestDueWeight(t *testing.T) {
	p := protocol.DefaultParams()
	f := newFixture(t, p, 1<<50)
	pv, vf := sha256.Sum256([]byte("due prover")), sha256.Sum256([]byte("due verifier"))
	deploy := &pb.Msg{Kind: &pb.Msg_Deploy{Deploy: &pb.Deploy{Name: "due", Prover: &pb.Module{Sha256: pv[:], Size: 100}, Verifier: &pb.Module{Sha256: vf[:], Size: 100}}}}
	if res, err := protocol.Apply(f.kv, f.env, f.addrs[0], 0, deploy); err != nil || !res.OK() {
		t.Fatalf("deploy: %v %v", res, err)
	}
	user, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	const runs = 3
	f.env.Height = 7
	for i := range runs {
		run := &pb.Msg{Kind: &pb.Msg_Run{Run: &pb.Run{Program: wireProgramID(pv[:], vf[:]), Cycles: 1_000_000, Provers: 2,
			Recipient: user.Recipient().String(), Deadline: 100, Inputs: []*pb.Input{{Name: "input", Data: []byte("x")}}}}}
		if res, err := protocol.Apply(f.kv, f.env, f.addrs[0], uint64(1+i), run); err != nil || !res.OK() {
			t.Fatalf("run %d: %v %v", i, res, err)
		}
	}
	for h, want := range map[int64]uint64{7: 0, 8: runs * wire.AllocationWeight(p.MaxProversPerWorkload), 9: 0} {
		got, err := protocol.DueWeight(f.kv, p, h)
		if err != nil || got != want {
			t.Errorf("DueWeight at %d = %d (%v), want %d", h, got, err, want)
		}
		room, err := protocol.TxRoom(f.kv, p, h)
		if err != nil || room != p.MaxBlockWeight-want {
			t.Errorf("TxRoom at %d = %d (%v), want %d", h, room, err, p.MaxBlockWeight-want)
		}
	}
}

func wireProgramID(prover, verifier []byte) []byte { return wire.ProgramID(prover, verifier) }

// TestCheckTxTooHeavy: a transaction heavier than max_block_weight could
// fit no block, and admission says so with its own code, before the
// nonce or the fee are looked at; one at the limit goes on to the next
// checks.
func TestCheckTxTooHeavy(t *testing.T) {
	p := protocol.DefaultParams()
	f := newFixture(t, p, 1<<40)
	vote := func(n int) *pb.Msg {
		entries := make([]wire.Ballot, n)
		for i := range entries {
			entries[i] = wire.Ballot{Number: uint64(i + 1), Verdict: wire.VerdictValid}
		}
		v, err := wire.EncodeVote(entries)
		if err != nil {
			t.Fatal(err)
		}
		return &pb.Msg{Kind: &pb.Msg_Vote{Vote: v}}
	}
	raw := signMin(t, p, f.keys[0], 0, vote(4000))
	weight := p.TxWeight(len(raw), []*pb.Msg{vote(4000)})
	p.MaxBlockWeight = weight - 1
	f.env.Params = p
	if res, err := protocol.CheckTx(f.kv, f.env, raw); err != nil || res.Code != wire.CodeTooHeavy {
		t.Fatalf("a transaction of weight %d under max_block_weight %d: %v %v, want too_heavy", weight, p.MaxBlockWeight, res, err)
	}
	wrongNonce := signMin(t, p, f.keys[0], 5, vote(4000))
	if res, _ := protocol.CheckTx(f.kv, f.env, wrongNonce); res.Code != wire.CodeTooHeavy {
		t.Fatalf("too_heavy must come before the nonce: got %s", res.Code)
	}
	p.MaxBlockWeight = p.TxWeight(len(raw), []*pb.Msg{vote(4000)})
	f.env.Params = p
	if res, _ := protocol.CheckTx(f.kv, f.env, raw); res.Code == wire.CodeTooHeavy {
		t.Fatalf("a transaction at the limit was refused as too heavy: %s", res.Log)
	}
}

// TestMinFeeChargesWeight: the minimum fee grows by fee_per_weight with
// every unit of weight: a Vote of more entries, at the same size, costs
// more, and a fee one short of it is refused.
func TestMinFeeChargesWeight(t *testing.T) {
	p := protocol.DefaultParams()
	small := &pb.Msg{Kind: &pb.Msg_Vote{Vote: &pb.Vote{Ballots: []uint64{1}, Verdicts: []byte{1}}}}
	large := &pb.Msg{Kind: &pb.Msg_Vote{Vote: &pb.Vote{Ballots: []uint64{1, 1, 1, 1}, Verdicts: []byte{0x55}}}}
	diff := p.MinFee(200, []*pb.Msg{large}) - p.MinFee(200, []*pb.Msg{small})
	if want := p.FeePerWeight * (p.TxWeight(200, []*pb.Msg{large}) - p.TxWeight(200, []*pb.Msg{small})); diff != want || diff == 0 {
		t.Fatalf("three more entries add %d uprv to the minimum fee, want %d", diff, want)
	}
	f := newFixture(t, p, 1<<40)
	raw := signMin(t, p, f.keys[0], 0, large)
	tx, err := txn.Decode(raw)
	if err != nil {
		t.Fatal(err)
	}
	tx.Body.Fee--
	if res, _ := protocol.CheckTx(f.kv, f.env, sign(t, f.keys[0], tx.Body)); res.Code != wire.CodeFeeTooLow {
		t.Fatalf("a fee one below the weight-priced minimum: %s", res.Code)
	}
}

// TestWeightsDocumented keeps docs/CHAIN.md's table of weight
// coefficients and the Weight constants of wire/weight.go equal.
func TestWeightsDocumented(t *testing.T) {
	doc, err := os.ReadFile("../../docs/CHAIN.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(doc), "\n## Block weight\n")
	if !ok {
		t.Fatal(`docs/CHAIN.md has no "## Block weight" section`)
	}
	section, _, _ = strings.Cut(section, "\n## ")
	row := regexp.MustCompile("^\\| `(Weight[A-Za-z]+)` \\| ([0-9,]+) \\|")
	documented := map[string]string{}
	for line := range strings.SplitSeq(section, "\n") {
		if m := row.FindStringSubmatch(line); m != nil {
			documented[m[1]] = strings.ReplaceAll(m[2], ",", "")
		}
	}
	code := weightConstants(t)
	for name, v := range code {
		if documented[name] != v {
			t.Errorf("%s is %s in wire/weight.go; docs/CHAIN.md says %q", name, v, documented[name])
		}
	}
	for name := range documented {
		if _, ok := code[name]; !ok {
			t.Errorf("docs/CHAIN.md documents %s, which wire/weight.go does not define", name)
		}
	}
}

// weightConstants reads the integer constants named Weight... from
// wire/weight.go.
func weightConstants(t *testing.T) map[string]string {
	fset := token.NewFileSet()
	file, err := parser.ParseFile(fset, "../../wire/weight.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	ast.Inspect(file, func(n ast.Node) bool {
		spec, ok := n.(*ast.ValueSpec)
		if !ok {
			return true
		}
		for i, name := range spec.Names {
			if !strings.HasPrefix(name.Name, "Weight") || i >= len(spec.Values) {
				continue
			}
			lit, ok := spec.Values[i].(*ast.BasicLit)
			if !ok || lit.Kind != token.INT {
				t.Fatalf("%s is not an integer literal", name.Name)
			}
			v, err := strconv.ParseUint(strings.ReplaceAll(lit.Value, "_", ""), 0, 64)
			if err != nil {
				t.Fatal(err)
			}
			out[name.Name] = strconv.FormatUint(v, 10)
		}
		return true
	})
	if len(out) == 0 {
		t.Fatal("no Weight constants in wire/weight.go")
	}
	return out
}
