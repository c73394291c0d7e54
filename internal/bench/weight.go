package bench

import (
	"cmp"
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strings"
	"time"

	"github.com/provernet/provernet/internal/protocol"
	"github.com/provernet/provernet/internal/stats"
	"github.com/provernet/provernet/wire"
	"github.com/provernet/provernet/wire/pb"
)

// The weight benchmark checks the block weight limit (protocol.Params
// MaxBlockWeight, docs/CHAIN.md "Block weight"): for each message kind it
// builds the heaviest block of that kind the chain accepts (the
// application's own PrepareProposal fills it to the weight left at its
// height, and its ProcessProposal accepts it) and times FinalizeBlock on
// the real application over an on-disk store, after CheckTx admitted every
// transaction (as in production). The goal is that every such block
// finishes within half the block time. Messages are realistic: real age
// files, committees of committee_size drawn from the active provers,
// Runs of the largest k. It also serves to calibrate the weight
// coefficients: us_per_weight is the time per unit above an empty
// block's, which the coefficients must keep below 1.

// WeightOptions size the weight benchmark.
type WeightOptions struct {
	Provers   int           // active provers on the main chain
	BlockTime time.Duration // the block time whose half is the goal; 0: the devnet's (500 ms)
	// Runs is how many times the whole benchmark runs, on fresh chains;
	// each kind reports its median block (the machine is shared).
	Runs int
	// MaxWeight, if set, replaces the default max_block_weight (tests use
	// a small one).
	MaxWeight uint64
	// Dir holds the on-disk states; "" uses a temporary directory.
	Dir string
	// CPUProfile, if set, receives a CPU profile of the whole run; each
	// measured FinalizeBlock's samples carry the label bench=<its kind>.
	CPUProfile io.Writer
	Progress   io.Writer
}

// WeightResult is the benchmark's report.
type WeightResult struct {
	BlockTimeMs    float64 `json:"block_time_ms"`
	GoalMs         float64 `json:"goal_ms"` // half the block time
	MaxBlockWeight uint64  `json:"max_block_weight"`
	Provers        int     `json:"provers"`
	// EmptyFinalizeMs is FinalizeBlock of a block with no transaction on
	// the main chain (the median of three): the chain's own work per block
	// with this many provers, outside any weight.
	EmptyFinalizeMs float64      `json:"empty_finalize_ms"`
	Kinds           []WeightKind `json:"kinds"`
	WorstFinalizeMs float64      `json:"worst_finalize_ms"`
	WorstKind       string       `json:"worst_kind"`
	SetupS          float64      `json:"setup_s"`
	LoadAvg         string       `json:"load_avg,omitempty"`
	Machine         Machine      `json:"machine"`
}

// WeightKind is the heaviest block of one message kind.
type WeightKind struct {
	Kind  string `json:"kind"`
	Txs   int    `json:"txs"`
	Items int    `json:"items,omitempty"` // vote entries
	// Weight is the block's transactions' weight; DueWeight the work due
	// at its height for earlier blocks (a Run's allocation); together at
	// most max_block_weight.
	Weight     uint64  `json:"weight"`
	DueWeight  uint64  `json:"due_weight,omitempty"`
	Bytes      int     `json:"bytes"`
	FinalizeMs float64 `json:"finalize_ms"` // the median run's
	// FinalizeRunsMs lists every run's FinalizeBlock time.
	FinalizeRunsMs []float64 `json:"finalize_runs_ms"`
	CPUMs          float64   `json:"finalize_cpu_ms"`
	// CheckTxMs is CheckTx of the block's transactions, one by one, each
	// new to the node (its signature verified).
	CheckTxMs float64 `json:"check_tx_ms"`
	GCMs      float64 `json:"finalize_gc_cpu_ms"`
	// EmptyMs is FinalizeBlock of an empty block just before this one:
	// the chain's own work per block at that point (it reads every prover,
	// and the state the setup grew pushes them out of the node cache).
	EmptyMs float64 `json:"empty_ms"`
	// UsPerWeight is (finalize_ms - empty_ms) in microseconds per unit of
	// weight: above 1, the kind's coefficients undercount it.
	UsPerWeight float64 `json:"us_per_weight"`
	UsPerTx     float64 `json:"us_per_tx"`
	Note        string  `json:"note,omitempty"`
}

func (o *WeightOptions) ensureDefaults() {
	if o.Provers <= 0 {
		o.Provers = 10_000
	}
	if o.BlockTime <= 0 {
		o.BlockTime = 500 * time.Millisecond
	}
	if o.Runs <= 0 {
		o.Runs = 1
	}
	if o.Progress == nil {
		o.Progress = io.Discard
	}
}

// Weight runs the weight benchmark.
func Weight(ctx context.Context, o WeightOptions) (*WeightResult, error) {
	o.ensureDefaults()
	t0 := time.Now()
	dir := o.Dir
	if dir == "" {
		d, err := os.MkdirTemp("", "provernet-bench-weight-")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(d)
		dir = d
	}
	res := &WeightResult{BlockTimeMs: wlMs(o.BlockTime), GoalMs: wlMs(o.BlockTime / 2), Provers: o.Provers, Machine: machine()}
	if o.CPUProfile != nil {
		if err := pprof.StartCPUProfile(o.CPUProfile); err != nil {
			return nil, err
		}
		defer pprof.StopCPUProfile()
	}
	runs := map[string][]WeightKind{}
	var empty []float64
	for r := range o.Runs {
		if o.Runs > 1 {
			fmt.Fprintf(o.Progress, "run %d of %d\n", r+1, o.Runs)
		}
		main, err := weightMain(ctx, o, filepath.Join(dir, fmt.Sprint("main", r)), res)
		if err != nil {
			return nil, err
		}
		empty = append(empty, res.EmptyFinalizeMs)
		provers, err := weightProvers(ctx, o, filepath.Join(dir, fmt.Sprint("provers", r)))
		if err != nil {
			return nil, err
		}
		for _, k := range append(main, provers...) {
			runs[k.Kind] = append(runs[k.Kind], k)
		}
	}
	res.EmptyFinalizeMs = stats.Median(empty)
	for _, kind := range weightKinds {
		ks := runs[kind]
		if len(ks) == 0 {
			continue
		}
		slices.SortFunc(ks, func(a, b WeightKind) int { return cmp.Compare(a.FinalizeMs, b.FinalizeMs) })
		k := ks[(len(ks)-1)/2]
		for _, x := range ks {
			k.FinalizeRunsMs = append(k.FinalizeRunsMs, x.FinalizeMs)
		}
		res.Kinds = append(res.Kinds, k)
	}
	for _, k := range res.Kinds {
		if k.FinalizeMs > res.WorstFinalizeMs {
			res.WorstFinalizeMs, res.WorstKind = k.FinalizeMs, k.Kind
		}
	}
	res.SetupS = round3(time.Since(t0).Seconds())
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		res.LoadAvg = strings.TrimSpace(string(b))
	}
	return res, nil
}

// weightKinds are the kinds the benchmark reports, in its order.
var weightKinds = []string{"transfer", "deploy", "set_ask", "register_prover", "stake", "unbond", "withdraw", "run", "accept", "decline",
	"submit_result", "submit_result_1mib", "reveal_key", "vote", "vote_spread", "timers"}

// weightParams sets the chains' max_block_weight.
func weightParams(o WeightOptions, g *protocol.Genesis) {
	if o.MaxWeight > 0 {
		g.Params.MaxBlockWeight = o.MaxWeight
	}
}

// kindOf reports a measured block as kind, against the empty block's time.
func kindOf(kind string, m *wtMeasured, items int, emptyMs float64, note string) WeightKind {
	k := WeightKind{Kind: kind, Txs: m.txs, Items: items, Weight: m.weight, DueWeight: m.due, Bytes: m.bytes,
		FinalizeMs: m.finalizeMs, CPUMs: m.finalizeCPU, GCMs: m.finalizeGC, CheckTxMs: m.checkMs, EmptyMs: emptyMs, Note: note}
	if w := m.weight + m.due; w > 0 {
		k.UsPerWeight = round3((m.finalizeMs - emptyMs) * 1000 / float64(w))
	}
	if m.txs > 0 {
		k.UsPerTx = round3((m.finalizeMs - emptyMs) * 1000 / float64(m.txs))
	}
	if kind == "timers" {
		k.Items = int(m.timers)
	}
	return k
}

// emptyBlocks measures n blocks without transactions; it returns the
// median FinalizeBlock time.
func emptyBlocks(ctx context.Context, h *wlHarness, n int) (float64, error) {
	var ms []float64
	for range n {
		f, err := newFill(h)
		if err != nil {
			return 0, err
		}
		m, err := f.measure(ctx)
		if err != nil {
			return 0, err
		}
		ms = append(ms, m.finalizeMs)
	}
	return stats.Median(ms), nil
}

// weightMain runs the main chain's kinds.
func weightMain(ctx context.Context, o WeightOptions, dir string, res *WeightResult) ([]WeightKind, error) {
	users := max(200, min(o.Provers, 4000)) // with 10,000 provers at 2^50 uprv each, more would overflow the supply
	h, err := newWLHarness(WorkloadsOptions{Provers: o.Provers, Runs: users, Results: 1, Blocks: 1, Progress: io.Discard,
		genesis: func(g *protocol.Genesis) {
			weightParams(o, g)
			// Room for an empty block before each measured one; no weight
			// depends on the windows.
			g.Params.AcceptWindow, g.Params.RevealWindow, g.Params.VoteWindow = 8, 30, 30
		}}, dir)
	if err != nil {
		return nil, err
	}
	defer h.tree.Close()
	res.MaxBlockWeight = h.params.MaxBlockWeight
	if err := h.populate(ctx); err != nil {
		return nil, err
	}
	c := &wtChain{o: o, h: h}
	empty, err := emptyBlocks(ctx, h, 3)
	if err != nil {
		return nil, err
	}
	res.EmptyFinalizeMs = empty
	fmt.Fprintf(o.Progress, "main chain: %d provers, %d users; empty block %.1f ms\n", o.Provers, users, empty)
	var out []WeightKind
	report := func(kind string, m *wtMeasured, items int, note string) {
		k := kindOf(kind, m, items, c.baseMs, note)
		fmt.Fprintf(o.Progress, "%-18s %6d txs %8d weight (+%d due) %8d bytes: finalize %7.1f ms (empty %.1f), %.3f us/weight, %.1f us/tx\n",
			kind, k.Txs, k.Weight, k.DueWeight, k.Bytes, k.FinalizeMs, k.EmptyMs, k.UsPerWeight, k.UsPerTx)
		out = append(out, k)
	}
	for _, s := range []struct {
		kind string
		msg  func(int) *pb.Msg
	}{{"transfer", transferMsg}, {"deploy", deployMsg}} {
		if err := c.base(ctx); err != nil {
			return nil, err
		}
		m, err := c.simple(ctx, s.kind, s.msg)
		if err != nil {
			return nil, err
		}
		report(s.kind, m, 0, "")
	}
	if err := c.base(ctx); err != nil {
		return nil, err
	}
	m, err := c.setAsks(ctx)
	if err != nil {
		return nil, err
	}
	report("set_ask", m, 0, "each sets a new ask serving the bench program and class cpu, from a prover of its own (the book's entries and the pool's standing)")
	if err := c.lifecycleKinds(ctx, report); err != nil {
		return nil, err
	}
	// Runs last: their slots, never answered, would count misses.
	if err := c.base(ctx); err != nil {
		return nil, err
	}
	first, err := c.runs(ctx)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(o.Progress, "run (nothing due)  %6d txs %8d weight: finalize %7.1f ms\n", first.txs, first.weight, first.finalizeMs)
	m, err = c.runs(ctx)
	if err != nil {
		return nil, err
	}
	report("run", m, 0, fmt.Sprintf("after a block of %d Runs, whose allocation this block does (due_weight); the same block with nothing due took %.1f ms", first.txs, first.finalizeMs))
	// Nobody answers the Runs' slots: their accept windows close, every
	// slot silent, in the block the timers fall due at.
	var timers *wtMeasured
	for range h.params.AcceptWindow + 3 {
		f, err := newFill(h)
		if err != nil {
			return nil, err
		}
		m, err := f.measure(ctx)
		if err != nil {
			return nil, err
		}
		if timers == nil || m.timers > timers.timers {
			timers = m
		}
	}
	report("timers", timers, 0, fmt.Sprintf("no transaction: the accept windows of the last two blocks' %d Runs close with every slot silent", first.txs+m.txs))
	return out, nil
}

// lifecycleKinds measures Accept, Decline, SubmitResult, RevealKey and
// Vote blocks on workloads made for them.
func (c *wtChain) lifecycleKinds(ctx context.Context, report func(string, *wtMeasured, int, string)) error {
	h, k := c.h, int(c.h.params.MaxProversPerWorkload)
	id := make([]byte, 32)
	nAccept := c.perBlock(slotMsg("accept", id, 0), 200)
	nDecline := c.perBlock(slotMsg("decline", id, 0), 200)
	nSubmit := c.perBlock(&pb.Msg{Kind: &pb.Msg_SubmitResult{SubmitResult: &pb.SubmitResult{}}}, 900)
	nReveal := c.perBlock(&pb.Msg{Kind: &pb.Msg_RevealKey{RevealKey: &pb.RevealKey{}}}, 250)
	nSpread := int(h.params.MaxBlockWeight/(wire.WeightVoteEntry+wire.WeightBallot)) + 1
	wA, wD := nAccept/k+2, nDecline*6/5/k+2
	wS := max(nSubmit, nReveal)/k + 2
	wV := nSpread/k + 2
	sets := []int{wA, wD, wS, 1, wV} // accept, decline, submit and reveal, 1 MiB results, spread votes
	var total int
	for _, n := range sets {
		total += n
	}
	fmt.Fprintf(c.o.Progress, "setting up %d workloads of k = %d\n", total, k)
	if err := c.lifecycle(ctx, total); err != nil {
		return err
	}
	var bounds []int
	at := 0
	for _, n := range sets {
		bounds = append(bounds, at)
		at += n
	}
	setA, setD := c.workloadSlots(bounds[0], bounds[1]), c.workloadSlots(bounds[1], bounds[2])
	setS, setL, setV := c.workloadSlots(bounds[2], bounds[3]), c.workloadSlots(bounds[3], bounds[4]), c.workloadSlots(bounds[4], total)

	if err := c.base(ctx); err != nil {
		return err
	}
	m, accepted, err := c.answer(ctx, "accept", setA)
	if err != nil {
		return err
	}
	report("accept", m, 0, "")
	if err := c.base(ctx); err != nil {
		return err
	}
	m, declined, err := c.answer(ctx, "decline", setD)
	if err != nil {
		return err
	}
	report("decline", m, 0, "")
	var unanswered []*wtSlot
	for _, s := range append(append(slices.Clone(setA), setD...), append(slices.Clone(setS), setL...)...) {
		if !accepted[s] && !declined[s] {
			unanswered = append(unanswered, s)
		}
	}
	if err := c.setupResults(ctx, unanswered, setV); err != nil {
		return err
	}

	msgs, err := c.submitMsgs(setS, wlProofBytes)
	if err != nil {
		return err
	}
	if err := c.base(ctx); err != nil {
		return err
	}
	m, n, err := c.fillMsgs(ctx, "submit_result", setS, msgs)
	if err != nil {
		return err
	}
	report("submit_result", m, 0, fmt.Sprintf("%d-byte proofs in real age files", wlProofBytes))
	if err := c.plainMsgs(ctx, "submit_result", setS[n:], msgs[n:]); err != nil { // the rest, so that every workload reveals
		return err
	}
	large, err := c.submitMsgs(setL, int(h.params.MaxProofSize))
	if err != nil {
		return err
	}
	if err := c.base(ctx); err != nil {
		return err
	}
	m, _, err = c.fillMsgs(ctx, "submit_result_1mib", setL, large)
	if err != nil {
		return err
	}
	report("submit_result_1mib", m, 0, "max_proof_size proofs: the block's bytes bind")

	reveals := make([]*pb.Msg, len(setS))
	for i, s := range setS {
		reveals[i] = revealMsg(c.ids[s.w], s)
	}
	if err := c.base(ctx); err != nil {
		return err
	}
	m, n, err = c.fillMsgs(ctx, "reveal_key", setS, reveals)
	if err != nil {
		return err
	}
	report("reveal_key", m, 0, "each draws a committee and opens its ballot")
	revealed := setS[:n]

	spread, err := c.spreadVotes(setV)
	if err != nil {
		return err
	}
	if err := c.base(ctx); err != nil {
		return err
	}
	m, entries, err := c.voteBlock(ctx, spread)
	if err != nil {
		return err
	}
	report("vote_spread", m, entries, "one entry per ballot: every entry reads its ballot and writes it back")
	all, err := c.allVotes(revealed)
	if err != nil {
		return err
	}
	if err := c.base(ctx); err != nil {
		return err
	}
	m, entries, err = c.voteBlock(ctx, all)
	if err != nil {
		return err
	}
	report("vote", m, entries, "every member of each committee votes: 2/3 decide the slot, the rest are ignored, workloads settle")
	return nil
}

// setupResults is the unmeasured block after the accept and decline
// blocks, inside every accept window: the slots not yet answered are
// accepted (no prover misses one), and the spread-vote workloads get
// their results; the block after reveals them, opening their ballots.
func (c *wtChain) setupResults(ctx context.Context, accept, setV []*wtSlot) error {
	var txs []*wlTx
	for _, s := range accept {
		txs = append(txs, newTx("accept", c.prover(s), slotMsg("accept", c.ids[s.w], s.index)))
	}
	msgs, err := c.submitMsgs(setV, wlProofBytes)
	if err != nil {
		return err
	}
	for i, s := range setV {
		txs = append(txs, newTx("submit_result", c.prover(s), msgs[i]))
	}
	if err := c.h.plain(ctx, txs); err != nil {
		return err
	}
	txs = nil
	for _, s := range setV {
		txs = append(txs, newTx("reveal_key", c.prover(s), revealMsg(c.ids[s.w], s)))
	}
	return c.h.plain(ctx, txs)
}

// plainMsgs sends msgs from each slot's prover in an unmeasured block.
func (c *wtChain) plainMsgs(ctx context.Context, kind string, slots []*wtSlot, msgs []*pb.Msg) error {
	var txs []*wlTx
	for i, s := range slots {
		txs = append(txs, newTx(kind, c.prover(s), msgs[i]))
	}
	return c.h.plain(ctx, txs)
}

// spreadVotes gives every ballot of slots one entry, from the first
// member of its committee (so that a few members carry many entries
// each, each on a ballot nobody else votes on in the block).
func (c *wtChain) spreadVotes(slots []*wtSlot) (map[int][]wire.Ballot, error) {
	committees, err := c.ballots(slots)
	if err != nil {
		return nil, err
	}
	out := map[int][]wire.Ballot{}
	for _, s := range slots {
		p, ok := c.h.byAddr[[20]byte(committees[s][0])]
		if !ok {
			return nil, fmt.Errorf("committee member %x is not a bench prover", committees[s][0])
		}
		out[p] = append(out[p], wire.Ballot{Number: s.ballot, Verdict: wire.VerdictValid})
	}
	return out, nil
}

// allVotes has every committee member vote valid on the ballots of
// slots, whole workloads at a time, as many as the block's weight can
// carry.
func (c *wtChain) allVotes(slots []*wtSlot) (map[int][]wire.Ballot, error) {
	committees, err := c.ballots(slots)
	if err != nil {
		return nil, err
	}
	out := map[int][]wire.Ballot{}
	perTx := uint64(wire.WeightPerTx + wire.WeightPerKiB + wire.WeightVote)
	var weight uint64
	for _, s := range slots {
		add := uint64(len(committees[s]))*wire.WeightVoteEntry + wire.WeightBallot
		for _, m := range committees[s] {
			p := c.h.byAddr[[20]byte(m)]
			if len(out[p]) == 0 {
				add += perTx
			}
		}
		if weight+add > c.h.params.MaxBlockWeight {
			break
		}
		weight += add
		for _, m := range committees[s] {
			p := c.h.byAddr[[20]byte(m)]
			out[p] = append(out[p], wire.Ballot{Number: s.ballot, Verdict: wire.VerdictValid})
		}
	}
	return out, nil
}

// challengeProgram is the genesis program of the provers chain's
// challenges (only its id matters: nobody proves them).
func challengeProgram() protocol.GenesisProgram {
	return protocol.GenesisProgram{Name: "weight-challenge",
		Prover:   &protocol.GenesisModule{SHA256: seeded("weight challenge prover"), Size: 1 << 20},
		Verifier: &protocol.GenesisModule{SHA256: seeded("weight challenge verifier"), Size: 1 << 20}}
}

// weightProvers runs the prover lifecycle's kinds on a chain of their
// own, with admission challenges on: a Stake of a prover declaring
// MaxChallengePieces cores issues that many challenge workloads.
func weightProvers(ctx context.Context, o WeightOptions, dir string) ([]WeightKind, error) {
	p := protocol.DefaultParams()
	if o.MaxWeight > 0 {
		p.MaxBlockWeight = o.MaxWeight
	}
	lightest := p.BlockWeight(100, []*pb.Msg{{Kind: &pb.Msg_Withdraw{Withdraw: &pb.Withdraw{}}}})
	for _, m := range []*pb.Msg{{Kind: &pb.Msg_RegisterProver{RegisterProver: &pb.RegisterProver{}}}, {Kind: &pb.Msg_Unbond{Unbond: &pb.Unbond{}}}} {
		lightest = min(lightest, p.BlockWeight(100, []*pb.Msg{m}))
	}
	users := int(p.MaxBlockWeight/lightest) + 10
	prog := challengeProgram()
	h, err := newWLHarness(WorkloadsOptions{Provers: 2 * wlK, Runs: users, Results: 1, Blocks: 1, Progress: io.Discard,
		genesis: func(g *protocol.Genesis) {
			weightParams(o, g)
			g.Programs = append(g.Programs, prog)
			g.Params.ChallengeProgram, g.Params.AdmissionChallenges, g.Params.UnbondCooldown = hex.EncodeToString(prog.ID()), 1, 1
		}}, dir)
	if err != nil {
		return nil, err
	}
	defer h.tree.Close()
	c := &wtChain{o: o, h: h}
	fmt.Fprintf(o.Progress, "provers chain: %d users\n", users)
	var out []WeightKind
	measure := func(kind, note string, fill func(f *wtFill)) error {
		if err := c.base(ctx); err != nil {
			return err
		}
		f, err := newFill(h)
		if err != nil {
			return err
		}
		fill(f)
		m, err := f.measure(ctx)
		if err != nil {
			return err
		}
		k := kindOf(kind, m, 0, c.baseMs, note)
		fmt.Fprintf(o.Progress, "%-18s %6d txs %8d weight %8d bytes: finalize %7.1f ms (empty %.1f), %.3f us/weight, %.1f us/tx\n",
			kind, k.Txs, k.Weight, k.Bytes, k.FinalizeMs, k.EmptyMs, k.UsPerWeight, k.UsPerTx)
		out = append(out, k)
		return nil
	}
	register := func(i int) *pb.Msg {
		return &pb.Msg{Kind: &pb.Msg_RegisterProver{RegisterProver: &pb.RegisterProver{VrfPublicKey: seeded("weight vrf", i),
			MaxConcurrent: 8, BlobEndpoint: fmt.Sprintf("https://prover%d.example:8443", i),
			Hardware: &pb.Hardware{CpuCores: wire.MaxChallengePieces, MemoryMb: 65536, DiskGb: 500}}}}
	}
	registered := 0
	err = measure("register_prover", "", func(f *wtFill) {
		for registered < len(h.users) && f.add("register_prover", h.users[registered], register(registered)) {
			registered++
		}
	})
	if err != nil {
		return nil, err
	}
	note := fmt.Sprintf("each admits a prover declaring %d cores: one admission challenge of %d pieces", wire.MaxChallengePieces, wire.MaxChallengePieces)
	err = measure("stake", note, func(f *wtFill) {
		for i := 0; i < registered && f.add("stake", h.users[i], &pb.Msg{Kind: &pb.Msg_Stake{Stake: &pb.Stake{Amount: p.MinProverStake}}}); i++ {
		}
	})
	if err != nil {
		return nil, err
	}
	var txs []*wlTx
	for i := registered; i < len(h.users); i++ {
		txs = append(txs, newTx("register_prover", h.users[i], register(i)))
	}
	if err := h.plain(ctx, txs); err != nil {
		return nil, err
	}
	unbond := &pb.Msg{Kind: &pb.Msg_Unbond{Unbond: &pb.Unbond{}}}
	left := 0
	err = measure("unbond", "", func(f *wtFill) {
		for left < len(h.users) && f.add("unbond", h.users[left], unbond) {
			left++
		}
	})
	if err != nil {
		return nil, err
	}
	txs = nil
	for _, u := range h.users[left:] {
		txs = append(txs, newTx("unbond", u, unbond))
	}
	if err := h.plain(ctx, txs); err != nil {
		return nil, err
	}
	for range h.params.UnbondCooldown + 1 {
		if err := h.plain(ctx, nil); err != nil {
			return nil, err
		}
	}
	err = measure("withdraw", "", func(f *wtFill) {
		for i := 0; i < len(h.users) && f.add("withdraw", h.users[i], &pb.Msg{Kind: &pb.Msg_Withdraw{Withdraw: &pb.Withdraw{}}}); i++ {
		}
	})
	return out, err
}
