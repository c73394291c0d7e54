package bench

import (
	"bytes"
	"cmp"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"filippo.io/age"
	abci "github.com/cometbft/cometbft/abci/types"
	cmted25519 "github.com/cometbft/cometbft/crypto/ed25519"
	"google.golang.org/protobuf/proto"

	"github.com/provernet/provernet/internal/chain"
	"github.com/provernet/provernet/internal/protocol"
	"github.com/provernet/provernet/internal/stats"
	"github.com/provernet/provernet/internal/store"
	"github.com/provernet/provernet/internal/store/iavltree"
	"github.com/provernet/provernet/internal/vrf"
	"github.com/provernet/provernet/wire"
	"github.com/provernet/provernet/wire/address"
	"github.com/provernet/provernet/wire/pb"
	"github.com/provernet/provernet/wire/seal"
	"github.com/provernet/provernet/wire/txn"
)

// The workloads benchmark drives the real ABCI application (chain.App on
// an on-disk IAVL/goleveldb store, as a node runs it) through a pipeline
// in steady state: every block carries each phase of a workload's life for
// a different cohort of workloads, one block apart, so that a block holds
// the Runs of cohort c, and, for the cohorts before it, the Accepts of
// c-2, the SubmitResults of c-3, the RevealKeys of c-4 and the Votes of
// c-5, whose proofs reach 2/3 and settle in the block. BeginBlock
// allocates cohort c-1. Every transaction is signed and every result is
// a real age file; a proof must be revealed one block before it is voted
// on, as voters need the revealed identity to open and verify it.

// WorkloadsOptions size the workloads benchmark.
type WorkloadsOptions struct {
	Provers int // active provers
	Runs    int // Runs in each measured block (each measured block's cohort)
	Results int // workloads per cohort in the warm-up blocks, whose later phases the measured blocks carry
	Blocks  int // measured blocks of each kind (CheckTx-warmed, and cold)
	// Votes is "all" (every committee member votes, as members cannot know
	// that a slot was decided before their vote lands) or "quorum" (only
	// the first ceil(2n/3) members of each committee vote).
	Votes string
	// Dir holds the on-disk state; "" uses a temporary directory, removed
	// at the end.
	Dir string
	// CPUProfile, if set, receives a CPU profile of the measured blocks
	// (from the first measured block to the last). FinalizeBlock samples
	// carry the label bench=finalize_warm or bench=finalize_cold, Commit
	// bench=commit, CheckTx bench=check_tx; the harness's own work between
	// blocks is unlabelled.
	CPUProfile io.Writer
	Progress   io.Writer

	genesis func(*protocol.Genesis) // adjusts the genesis (the weight benchmark's chains)
}

func (o *WorkloadsOptions) ensureDefaults() error {
	if o.Provers <= 0 {
		o.Provers = 10000
	}
	if o.Runs <= 0 {
		o.Runs = 1000
	}
	if o.Results <= 0 {
		o.Results = 1000
	}
	if o.Blocks <= 0 {
		o.Blocks = 3
	}
	if o.Votes == "" {
		o.Votes = "all"
	}
	if o.Votes != "all" && o.Votes != "quorum" {
		return fmt.Errorf("votes must be \"all\" or \"quorum\", not %q", o.Votes)
	}
	if o.Progress == nil {
		o.Progress = io.Discard
	}
	if o.Provers < 2*wlK {
		return fmt.Errorf("need at least %d provers", 2*wlK)
	}
	return nil
}

// WorkloadsResult is the benchmark's JSON report. The counts describe the
// first measured block; Blocks lists every measured block.
type WorkloadsResult struct {
	// FinalizeMs is the median FinalizeBlock time of the measured blocks
	// whose transactions first went through CheckTx (as in production: the
	// app caches verified decodes, so FinalizeBlock checks no signature).
	FinalizeMs float64 `json:"finalize_ms"`
	// FinalizeColdMs: the same, for blocks whose transactions the app
	// never saw (a node replaying or catching up).
	FinalizeColdMs float64 `json:"finalize_cold_ms"`
	// FinalizeCPUMs and FinalizeColdCPUMs are the CPU time (user+system,
	// all threads, garbage collection included) the process used during
	// those FinalizeBlock calls: less sensitive than wall time to other
	// load on the machine.
	FinalizeCPUMs     float64 `json:"finalize_cpu_ms"`
	FinalizeColdCPUMs float64 `json:"finalize_cold_cpu_ms"`
	// FinalizeGCMs is the part of FinalizeCPUMs the Go runtime estimates
	// went to garbage collection (runtime/metrics /cpu/classes/gc/total).
	FinalizeGCMs float64 `json:"finalize_gc_cpu_ms"`
	CommitMs     float64 `json:"commit_ms"`   // median Commit, all measured blocks
	CheckTxMs    float64 `json:"check_tx_ms"` // median time to CheckTx one block's transactions, one by one
	Provers      int     `json:"provers"`     // active provers
	Runs         int     `json:"runs"`        // Run txs (workloads created)
	Allocated    int     `json:"allocated"`   // workloads allocated by the block's BeginBlock
	Accepts      int     `json:"accepts"`     // Accept txs
	Results      int     `json:"results"`     // workloads whose SubmitResults the block carries
	ResultTxs    int     `json:"result_txs"`  // SubmitResult txs (k per workload)
	Reveals      int     `json:"reveals"`     // RevealKey txs
	VoteTxs      int     `json:"vote_txs"`
	VoteEntries  int     `json:"vote_entries"`
	VotesApplied int     `json:"votes_applied"` // entries that counted; the rest came after their slot was decided
	Settled      int     `json:"settled"`       // workloads settled final in the block
	BlockTxs     int     `json:"block_txs"`     // including the beacon entry
	BlockBytes   int     `json:"block_bytes"`   // sum of the transactions' sizes
	SealedBytes  int     `json:"sealed_bytes"`  // one age file (average)
	ProofBytes   int     `json:"proof_bytes"`
	// WorkloadBytes is the stored size of one workload being voted on
	// (three slots with their committees), read and rewritten per vote tx.
	WorkloadBytes int              `json:"workload_bytes"`
	K             int              `json:"k"`
	Committee     int              `json:"committee"` // members per proof
	Votes         string           `json:"votes"`     // "all" or "quorum"
	BytesByKind   map[string]int   `json:"bytes_by_kind"`
	Blocks        []WorkloadsBlock `json:"blocks"`
	SetupS        float64          `json:"setup_s"` // building the population and warm-up blocks
	Store         string           `json:"store"`
	// LoadAvg is /proc/loadavg after the measured blocks: other work on
	// the machine skews wall times.
	LoadAvg string  `json:"load_avg,omitempty"`
	Machine Machine `json:"machine"`
}

// WorkloadsBlock is one measured block.
type WorkloadsBlock struct {
	Height        int64          `json:"height"`
	Warm          bool           `json:"warm"` // its txs went through CheckTx first
	FinalizeMs    float64        `json:"finalize_ms"`
	FinalizeCPUMs float64        `json:"finalize_cpu_ms"`
	FinalizeGCMs  float64        `json:"finalize_gc_cpu_ms"`
	CommitMs      float64        `json:"commit_ms"`
	CheckTxMs     float64        `json:"check_tx_ms,omitempty"`
	Txs           int            `json:"txs"`
	Bytes         int            `json:"bytes"`
	Runs          int            `json:"runs"`
	Allocated     int            `json:"allocated"`
	Accepts       int            `json:"accepts"`
	Results       int            `json:"results"`
	ResultTxs     int            `json:"result_txs"`
	Reveals       int            `json:"reveals"`
	VoteTxs       int            `json:"vote_txs"`
	VoteEntries   int            `json:"vote_entries"`
	VotesApplied  int            `json:"votes_applied"`
	Settled       int            `json:"settled"`
	BytesByKind   map[string]int `json:"bytes_by_kind"`
	sealedBytes   int
	workloadBytes int
}

const (
	wlK           = 3
	wlProofBytes  = 300 // a Groth16 proof with a commitment, about
	wlCycles      = 73_400_000_000
	wlChainID     = "provernet-bench-workloads"
	wlProverBatch = 5000 // RegisterProver+Stake txs per setup block
)

// Pipeline stages: how many blocks after its Runs a cohort's phase comes.
const (
	stageAllocate = 1 // BeginBlock
	stageAccept   = 2
	stageSubmit   = 3
	stageReveal   = 4
	stageVote     = 5 // and settle
)

// Workloads measures FinalizeBlock of the real application on a block
// carrying Runs and the results, reveals and votes of earlier workloads,
// over a population of active provers.
func Workloads(ctx context.Context, o WorkloadsOptions) (*WorkloadsResult, error) {
	if err := o.ensureDefaults(); err != nil {
		return nil, err
	}
	t0 := time.Now()
	dir := o.Dir
	if dir == "" {
		d, err := os.MkdirTemp("", "provernet-bench-workloads-")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(d)
		dir = d
	}
	h, err := newWLHarness(o, filepath.Join(dir, "state"))
	if err != nil {
		return nil, err
	}
	defer h.tree.Close()
	if err := h.populate(ctx); err != nil {
		return nil, err
	}
	// Warm-up: the pipeline fills one stage per block.
	for range stageVote {
		if _, err := h.pipelineBlock(ctx, o.Results, wlPlain); err != nil {
			return nil, err
		}
	}
	res := &WorkloadsResult{Provers: o.Provers, K: wlK, Votes: o.Votes, ProofBytes: wlProofBytes,
		Committee: min(o.Provers-wlK, int(h.params.CommitteeSize)), Store: "iavl on goleveldb (iavltree.OpenDisk)", Machine: machine()}
	res.SetupS = round3(time.Since(t0).Seconds())
	fmt.Fprintf(o.Progress, "setup done in %.1fs; measuring %d warm and %d cold blocks\n", res.SetupS, o.Blocks, o.Blocks)

	if o.CPUProfile != nil {
		if err := pprof.StartCPUProfile(o.CPUProfile); err != nil {
			return nil, err
		}
		defer pprof.StopCPUProfile()
	}
	var warm, cold, warmCPU, coldCPU, warmGC, commit, check []float64
	for i := range 2 * o.Blocks {
		mode := wlWarm
		if i%2 == 1 {
			mode = wlCold
		}
		b, err := h.pipelineBlock(ctx, o.Runs, mode)
		if err != nil {
			return nil, err
		}
		res.Blocks = append(res.Blocks, *b)
		if b.Warm {
			warm, check = append(warm, b.FinalizeMs), append(check, b.CheckTxMs)
			warmCPU, warmGC = append(warmCPU, b.FinalizeCPUMs), append(warmGC, b.FinalizeGCMs)
		} else {
			cold, coldCPU = append(cold, b.FinalizeMs), append(coldCPU, b.FinalizeCPUMs)
		}
		commit = append(commit, b.CommitMs)
		fmt.Fprintf(o.Progress, "height %d (%s): finalize %.1f ms (%.1f ms CPU), commit %.1f ms, %d txs, %.1f MB\n",
			b.Height, map[bool]string{true: "warm", false: "cold"}[b.Warm], b.FinalizeMs, b.FinalizeCPUMs, b.CommitMs, b.Txs, float64(b.Bytes)/1e6)
	}
	if o.CPUProfile != nil {
		pprof.StopCPUProfile()
	}
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		res.LoadAvg = strings.TrimSpace(string(b))
	}
	res.FinalizeMs, res.FinalizeColdMs = stats.Median(warm), stats.Median(cold)
	res.FinalizeCPUMs, res.FinalizeColdCPUMs, res.FinalizeGCMs = stats.Median(warmCPU), stats.Median(coldCPU), stats.Median(warmGC)
	res.CommitMs, res.CheckTxMs = stats.Median(commit), stats.Median(check)
	b := res.Blocks[0]
	res.Runs, res.Allocated, res.Accepts, res.Results, res.ResultTxs = b.Runs, b.Allocated, b.Accepts, b.Results, b.ResultTxs
	res.Reveals, res.VoteTxs, res.VoteEntries, res.VotesApplied, res.Settled = b.Reveals, b.VoteTxs, b.VoteEntries, b.VotesApplied, b.Settled
	res.BlockTxs, res.BlockBytes, res.BytesByKind, res.SealedBytes = b.Txs, b.Bytes, b.BytesByKind, b.sealedBytes
	res.WorkloadBytes = b.workloadBytes
	return res, nil
}

type wlMode int

const (
	wlPlain wlMode = iota // setup: not measured
	wlWarm                // CheckTx first, then a measured FinalizeBlock
	wlCold                // a measured FinalizeBlock of txs the app never saw
)

type wlAccount struct {
	key       ed25519.PrivateKey
	addr      address.Address
	nonce     uint64
	recipient string // users: their age recipient
}

type wlSlot struct {
	prover   int    // index in provers
	identity string // the temporary identity, once submitted
}

type wlCohort struct {
	height int64
	ids    [][]byte
	users  []int      // the Run's sender, per workload
	slots  [][]wlSlot // per workload; known from the accept stage on
}

type wlHarness struct {
	o      WorkloadsOptions
	app    *chain.App
	tree   *iavltree.Tree
	params protocol.Params
	// lastCPUMs and lastGCMs are the last timedBlock's CPU time and its
	// garbage collection's part (alloc_market.go).
	lastCPUMs, lastGCMs float64
	valAddr             []byte
	vrfSecret           []byte
	provers             []*wlAccount
	byAddr              map[address.Address]int
	users               []*wlAccount
	program             []byte
	deadline            int64
	cohorts             map[int64]*wlCohort
	height              int64 // last committed
}

// wlTx is a transaction being built: its nonce is fixed when it is added
// to a block, and it is signed with the rest of the block.
type wlTx struct {
	kind string
	from *wlAccount
	body *pb.TxBody
	raw  []byte
}

func wlAccountFromSeed(domain string, i int) *wlAccount {
	seed := sha256.Sum256(fmt.Appendf(nil, "provernet/bench/workloads/%s/%d", domain, i))
	k := ed25519.NewKeyFromSeed(seed[:])
	return &wlAccount{key: k, addr: address.FromPublicKey(k.Public().(ed25519.PublicKey))}
}

func newWLHarness(o WorkloadsOptions, dir string) (*wlHarness, error) {
	tree, err := iavltree.OpenDisk(dir, 0)
	if err != nil {
		return nil, err
	}
	val := cmted25519.GenPrivKeyFromSecret([]byte("provernet-bench-workloads-validator"))
	secret, public, err := vrf.GenerateKey(bytes.NewReader(bytes.Repeat([]byte{0x5a}, vrf.SecretKeySize)))
	if err != nil {
		return nil, err
	}
	h := &wlHarness{o: o, tree: tree, valAddr: val.PubKey().Address(), vrfSecret: secret,
		byAddr: map[address.Address]int{}, cohorts: map[int64]*wlCohort{}}
	if h.app, err = chain.New(chain.Options{Store: tree, ValidatorAddress: h.valAddr, VRFSecret: secret}); err != nil {
		tree.Close()
		return nil, err
	}
	p := protocol.DefaultParams()
	p.AdmissionChallenges, p.ChallengeProgram = 0, "" // provers are admitted on stake
	h.params = p
	h.deadline = protocol.MinDeadline(p, wlCycles) + 50
	g := protocol.Genesis{Params: p, BeaconSeed: bytes.Repeat([]byte{0x17}, 32),
		Validators: []protocol.GenesisValidator{{Name: "bench", Address: h.valAddr, VRFPublicKey: public}}}
	const balance = 1 << 50
	for i := range o.Provers {
		a := wlAccountFromSeed("prover", i)
		h.provers = append(h.provers, a)
		h.byAddr[a.addr] = i
		g.Accounts = append(g.Accounts, protocol.GenesisAccount{Address: a.addr, Balance: balance})
	}
	for i := range max(o.Runs, o.Results) {
		a := wlAccountFromSeed("user", i)
		id, err := age.GenerateX25519Identity()
		if err != nil {
			tree.Close()
			return nil, err
		}
		a.recipient = id.Recipient().String()
		h.users = append(h.users, a)
		g.Accounts = append(g.Accounts, protocol.GenesisAccount{Address: a.addr, Balance: balance})
	}
	if o.genesis != nil {
		o.genesis(&g)
		h.params = g.Params
		h.deadline = protocol.MinDeadline(g.Params, wlCycles) + 50
	}
	state, err := json.Marshal(g)
	if err != nil {
		tree.Close()
		return nil, err
	}
	_, err = h.app.InitChain(context.Background(), &abci.InitChainRequest{
		Time: time.Unix(1_700_000_000, 0), ChainId: wlChainID, InitialHeight: 1,
		Validators:    []abci.ValidatorUpdate{{PubKeyType: cmted25519.KeyType, PubKeyBytes: val.PubKey().Bytes(), Power: 10}},
		AppStateBytes: state,
	})
	if err != nil {
		tree.Close()
		return nil, err
	}
	return h, nil
}

func wlMsg(m proto.Message) *pb.Msg {
	switch m := m.(type) {
	case *pb.Run:
		return &pb.Msg{Kind: &pb.Msg_Run{Run: m}}
	case *pb.Accept:
		return &pb.Msg{Kind: &pb.Msg_Accept{Accept: m}}
	case *pb.SubmitResult:
		return &pb.Msg{Kind: &pb.Msg_SubmitResult{SubmitResult: m}}
	case *pb.RevealKey:
		return &pb.Msg{Kind: &pb.Msg_RevealKey{RevealKey: m}}
	case *pb.Vote:
		return &pb.Msg{Kind: &pb.Msg_Vote{Vote: m}}
	case *pb.Deploy:
		return &pb.Msg{Kind: &pb.Msg_Deploy{Deploy: m}}
	case *pb.RegisterProver:
		return &pb.Msg{Kind: &pb.Msg_RegisterProver{RegisterProver: m}}
	case *pb.Stake:
		return &pb.Msg{Kind: &pb.Msg_Stake{Stake: m}}
	}
	panic(fmt.Sprintf("msgOf %T", m))
}

// tx adds a transaction from a with the sender's next nonce.
func (h *wlHarness) tx(kind string, a *wlAccount, msgs ...proto.Message) *wlTx {
	body := &pb.TxBody{ChainId: wlChainID, Nonce: a.nonce}
	for _, m := range msgs {
		body.Messages = append(body.Messages, wlMsg(m))
	}
	a.nonce++
	return &wlTx{kind: kind, from: a, body: body}
}

// sign signs txs in parallel, each with the minimum fee (or a few uprv
// more): the body's size plus the signature and framing.
func (h *wlHarness) sign(txs []*wlTx) error {
	return wlParallel(len(txs), func(i int) error {
		t := txs[i]
		// sender key 34, signature 66, framing 6, fee varint <= 10
		size := proto.Size(t.body) + 34 + 66 + 6 + 10
		t.body.Fee = h.params.MinFee(size, t.body.Messages)
		raw, err := txn.Sign(t.from.key, t.body)
		if err != nil {
			return err
		}
		if min := h.params.MinFee(len(raw), t.body.Messages); t.body.Fee < min {
			return fmt.Errorf("fee estimate %d below minimum %d", t.body.Fee, min)
		}
		t.raw = raw
		return nil
	})
}

// wlParallel runs fn(0..n-1) on all CPUs and returns the first error.
func wlParallel(n int, fn func(i int) error) error {
	workers := min(runtime.GOMAXPROCS(0), max(n, 1))
	var wg sync.WaitGroup
	errs := make([]error, workers)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += workers {
				if err := fn(i); err != nil {
					errs[w] = err
					return
				}
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// populate registers and stakes every prover and deploys the program.
func (h *wlHarness) populate(ctx context.Context) error {
	prover := &pb.Module{Sha256: wlSha256("bench prover module"), Size: 16_500_000}
	verifier := &pb.Module{Sha256: wlSha256("bench verifier module"), Size: 2_100_000}
	h.program = wire.ProgramID(prover.Sha256, verifier.Sha256)
	deploy := h.tx("deploy", h.users[0], &pb.Deploy{Name: "bench-groth16", Prover: prover, Verifier: verifier,
		MinHardware: &pb.Hardware{CpuCores: 4, MemoryMb: 8192}})
	txs := []*wlTx{deploy}
	for i, p := range h.provers {
		vrfPub := wlSha256(fmt.Sprint("vrf ", i)) // registration checks only its length
		txs = append(txs, h.tx("register", p,
			&pb.RegisterProver{VrfPublicKey: vrfPub, MaxConcurrent: 8, BlobEndpoint: fmt.Sprintf("https://prover%d.example:8443", i),
				Hardware: &pb.Hardware{CpuCores: 16, MemoryMb: 65536, DiskGb: 500}},
			&pb.Stake{Amount: h.params.MinProverStake}))
	}
	if err := h.sign(txs); err != nil {
		return err
	}
	for len(txs) > 0 {
		n := min(len(txs), wlProverBatch)
		if _, err := h.execute(ctx, txs[:n], wlPlain); err != nil {
			return err
		}
		txs = txs[n:]
	}
	active := 0
	err := protocol.Scan(h.app.Committed(), protocol.ProverPrefix(), func(p *pb.Prover) bool {
		if p.State == pb.ProverState_PROVER_STATE_ACTIVE {
			active++
		}
		return true
	})
	if err != nil {
		return err
	}
	if active != len(h.provers) {
		return fmt.Errorf("%d of %d provers active after setup", active, len(h.provers))
	}
	fmt.Fprintf(h.o.Progress, "%d provers active at height %d\n", active, h.height)
	return nil
}

func wlSha256(s string) []byte {
	sum := sha256.Sum256([]byte(s))
	return sum[:]
}

// pipelineBlock builds, executes and checks the next block: runs new Runs
// and each later phase for the cohort due.
func (h *wlHarness) pipelineBlock(ctx context.Context, runs int, mode wlMode) (*WorkloadsBlock, error) {
	height := h.height + 1
	snap := h.app.Committed()
	var txs []*wlTx

	// Runs: a new cohort, one Run per user.
	c := &wlCohort{height: height}
	input := make([]byte, 128)
	for i := range runs {
		u := h.users[i]
		_, _ = rand.Read(input)
		c.ids = append(c.ids, wire.WorkloadID(u.addr, u.nonce, 0))
		c.users = append(c.users, i)
		txs = append(txs, h.tx("run", u, &pb.Run{Program: h.program, Cycles: wlCycles, Provers: wlK,
			Recipient: u.recipient, Deadline: h.deadline, Inputs: []*pb.Input{{Name: "input.json", Data: slices.Clone(input)}}}))
	}
	h.cohorts[height] = c

	// Accepts: learn each slot's prover from the allocation.
	if c := h.cohorts[height-stageAccept]; c != nil {
		c.slots = make([][]wlSlot, len(c.ids))
		for i, id := range c.ids {
			w, err := protocol.WorkloadView(snap, id)
			if err != nil {
				return nil, err
			}
			if len(w.Slots) != wlK {
				return nil, fmt.Errorf("workload %x has %d slots after allocation", id, len(w.Slots))
			}
			for _, s := range w.Slots {
				p, ok := h.byAddr[address.Address(s.Prover)]
				if s.State != pb.SlotState_SLOT_STATE_ASSIGNED || !ok {
					return nil, fmt.Errorf("workload %x slot %d is %s (prover %x): the allocator left it unassigned", id, s.Index, s.State, s.Prover)
				}
				c.slots[i] = append(c.slots[i], wlSlot{prover: p})
				txs = append(txs, h.tx("accept", h.provers[p], &pb.Accept{Workload: id, Slot: s.Index}))
			}
		}
	}

	// SubmitResults: real age files, sealed to the user and a fresh
	// temporary identity.
	var sealedBytes, workloadBytes int
	if c := h.cohorts[height-stageSubmit]; c != nil {
		type job struct{ w, s int }
		var jobs []job
		for i := range c.ids {
			for j := range c.slots[i] {
				jobs = append(jobs, job{i, j})
			}
		}
		msgs := make([]*pb.SubmitResult, len(jobs))
		err := wlParallel(len(jobs), func(n int) error {
			i, j := jobs[n].w, jobs[n].s
			id, err := age.GenerateX25519Identity()
			if err != nil {
				return err
			}
			s := &c.slots[i][j]
			s.identity = id.String()
			cycles := uint64(wlCycles - 1_000_000*(i%7))
			hdr := seal.Header{Workload: [32]byte(c.ids[i]), Slot: uint32(j), Prover: h.provers[s.prover].addr,
				Outcome: seal.OutcomeProof, CyclesUsed: cycles}
			proof := make([]byte, wlProofBytes)
			_, _ = rand.Read(proof)
			file, err := seal.Seal(hdr, proof, h.users[c.users[i]].recipient, id)
			if err != nil {
				return err
			}
			commit := seal.Commit(s.identity)
			msgs[n] = &pb.SubmitResult{Workload: c.ids[i], Slot: uint32(j), Sealed: file, Commit: commit[:],
				Outcome: pb.Outcome_OUTCOME_PROOF, CyclesUsed: cycles}
			return nil
		})
		if err != nil {
			return nil, err
		}
		for n, m := range msgs {
			sealedBytes += len(m.Sealed)
			txs = append(txs, h.tx("submit", h.provers[c.slots[jobs[n].w][jobs[n].s].prover], m))
		}
		sealedBytes /= max(len(msgs), 1)
	}

	// RevealKeys: every slot of the cohort submitted in the last block.
	if c := h.cohorts[height-stageReveal]; c != nil {
		for i, id := range c.ids {
			for j, s := range c.slots[i] {
				txs = append(txs, h.tx("reveal", h.provers[s.prover], &pb.RevealKey{Workload: id, Slot: uint32(j), Identity: s.identity}))
			}
		}
	}

	// Votes: the committees drawn at reveal; each member sends one Vote
	// with all its entries.
	if c := h.cohorts[height-stageVote]; c != nil {
		entries := map[int][]wire.Ballot{}
		for _, id := range c.ids {
			w, err := protocol.WorkloadView(snap, id)
			if err != nil {
				return nil, err
			}
			workloadBytes += proto.Size(w)
			for _, s := range w.Slots {
				if s.State != pb.SlotState_SLOT_STATE_VERIFYING || len(s.Committee) == 0 {
					return nil, fmt.Errorf("workload %x slot %d is %s with a committee of %d: not voting", id, s.Index, s.State, len(s.Committee))
				}
				members := s.Committee
				if h.o.Votes == "quorum" {
					members = members[:protocol.QuorumOf(len(members))]
				}
				for _, m := range members {
					p, ok := h.byAddr[address.Address(m)]
					if !ok {
						return nil, fmt.Errorf("committee member %x is not a bench prover", m)
					}
					entries[p] = append(entries[p], wire.Ballot{Number: s.Ballot, Verdict: wire.VerdictValid})
				}
			}
		}
		voters := make([]int, 0, len(entries))
		for p := range entries {
			voters = append(voters, p)
		}
		slices.Sort(voters)
		for _, p := range voters {
			es := entries[p] // in ballot order: ballots are numbered as committees are drawn, cohort by cohort
			slices.SortFunc(es, func(a, b wire.Ballot) int { return cmp.Compare(a.Number, b.Number) })
			for chunk := range slices.Chunk(es, 4096) {
				m, err := wire.EncodeVote(chunk)
				if err != nil {
					return nil, err
				}
				txs = append(txs, h.tx("vote", h.provers[p], m)) // a Vote travels alone
			}
		}
	}

	if err := h.sign(txs); err != nil {
		return nil, err
	}
	b, err := h.execute(ctx, txs, mode)
	if err != nil {
		return nil, err
	}
	b.sealedBytes = sealedBytes
	if c := h.cohorts[height-stageVote]; c != nil {
		b.workloadBytes = workloadBytes / max(len(c.ids), 1)
	}
	if err := h.checkPipeline(b); err != nil {
		return nil, err
	}
	delete(h.cohorts, height-stageVote)
	return b, nil
}

// execute runs one block: the beacon entry, then txs; with wlWarm every
// tx goes through CheckTx first. It requires every tx to succeed.
func (h *wlHarness) execute(ctx context.Context, txs []*wlTx, mode wlMode) (*WorkloadsBlock, error) {
	height := h.height + 1
	var r store.Reader = h.tree.Working() // before the first commit
	if snap := h.app.Committed(); snap != nil {
		r = snap
	}
	beacon, err := protocol.ProposeBeacon(r, height, h.valAddr, h.vrfSecret)
	if err != nil {
		return nil, err
	}
	b := &WorkloadsBlock{Height: height, Warm: mode == wlWarm, Txs: len(txs) + 1, BytesByKind: map[string]int{}}
	raws := [][]byte{beacon}
	b.Bytes += len(beacon)
	b.BytesByKind["beacon"] += len(beacon)
	for _, t := range txs {
		raws = append(raws, t.raw)
		b.Bytes += len(t.raw)
		b.BytesByKind[t.kind] += len(t.raw)
		switch t.kind {
		case "run":
			b.Runs++
		case "accept":
			b.Accepts++
		case "submit":
			b.ResultTxs++
		case "reveal":
			b.Reveals++
		case "vote":
			b.VoteTxs++
			for _, m := range t.body.Messages {
				b.VoteEntries += len(m.GetVote().GetBallots())
			}
		}
	}
	b.Results = b.ResultTxs / wlK
	for _, t := range txs {
		t.body = nil // the harness's garbage is not the block's to collect
	}
	label := func(name string, fn func()) {
		if mode == wlPlain {
			fn()
			return
		}
		pprof.Do(ctx, pprof.Labels("bench", name), func(context.Context) { fn() })
	}
	if mode == wlWarm {
		t0 := time.Now()
		var cerr error
		label("check_tx", func() {
			for i, raw := range raws[1:] {
				resp, err := h.app.CheckTx(ctx, &abci.CheckTxRequest{Tx: raw, Type: abci.CHECK_TX_TYPE_CHECK})
				if err == nil && resp.Code != 0 {
					err = fmt.Errorf("code %d: %s", resp.Code, resp.Log)
				}
				if err != nil {
					cerr = fmt.Errorf("height %d: CheckTx of %s tx %d: %w", height, txs[i].kind, i+1, err)
					return
				}
			}
		})
		if cerr != nil {
			return nil, cerr
		}
		b.CheckTxMs = wlMs(time.Since(t0))
	}
	if mode != wlPlain {
		runtime.GC() // the harness's garbage is not the block's
	}
	var resp *abci.FinalizeBlockResponse
	cpu0, gc0 := wlProcessCPU(), wlGCCPU()
	t0 := time.Now()
	label(map[wlMode]string{wlPlain: "", wlWarm: "finalize_warm", wlCold: "finalize_cold"}[mode], func() {
		resp, err = h.app.FinalizeBlock(ctx, &abci.FinalizeBlockRequest{
			Txs: raws, Height: height, Time: time.Unix(1_700_000_000+height, 0), ProposerAddress: h.valAddr,
			Hash: bytes.Repeat([]byte{byte(height)}, 32),
		})
	})
	b.FinalizeMs = wlMs(time.Since(t0))
	b.FinalizeCPUMs, b.FinalizeGCMs = wlMs(wlProcessCPU()-cpu0), wlMs(wlGCCPU()-gc0)
	if err != nil {
		return nil, fmt.Errorf("height %d: FinalizeBlock: %w", height, err)
	}
	for i, r := range resp.TxResults {
		if r.Code != 0 {
			return nil, fmt.Errorf("height %d: %s tx %d failed: code %d: %s", height, txs[i-1].kind, i, r.Code, r.Log)
		}
		for _, ev := range r.Events {
			switch ev.Type {
			case "vote":
				b.VotesApplied += wlAttrInt(ev, "applied")
			case "settle":
				if wlAttr(ev, "state") == "final" {
					b.Settled++
				}
			}
		}
	}
	for _, ev := range resp.Events {
		switch {
		case ev.Type == "workload" && wlAttr(ev, "state") == "allocated":
			b.Allocated++
		case ev.Type == "settle" && wlAttr(ev, "state") == "final": // votes decide at the end of the block
			b.Settled++
		}
	}
	t0 = time.Now()
	label("commit", func() { _, err = h.app.Commit(ctx, &abci.CommitRequest{}) })
	b.CommitMs = wlMs(time.Since(t0))
	if err != nil {
		return nil, fmt.Errorf("height %d: Commit: %w", height, err)
	}
	h.height = height
	return b, nil
}

// wlProcessCPU is the user and system CPU time the process has used.
func wlProcessCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// wlGCCPU is the runtime's estimate of the CPU time spent on garbage
// collection so far (updated at least at every GC cycle's end).
func wlGCCPU() time.Duration {
	s := []metrics.Sample{{Name: "/cpu/classes/gc/total:cpu-seconds"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindFloat64 {
		return 0
	}
	return time.Duration(s[0].Value.Float64() * 1e9)
}

func wlMs(d time.Duration) float64 { return round3(float64(d.Nanoseconds()) / 1e6) }

func wlAttr(ev abci.Event, key string) string {
	for _, a := range ev.Attributes {
		if a.Key == key {
			return a.Value
		}
	}
	return ""
}

func wlAttrInt(ev abci.Event, key string) int {
	n, _ := strconv.Atoi(wlAttr(ev, key))
	return n
}

// checkPipeline reads the committed state after block b and checks that
// every cohort reached the phase the block was to bring it to, and that
// the events agree: the benchmark must not silently measure a block in
// which transactions did nothing.
func (h *wlHarness) checkPipeline(b *WorkloadsBlock) error {
	snap := h.app.Committed()
	type want struct {
		stage int64
		state pb.WorkloadState
		slot  pb.SlotState
	}
	for _, st := range []want{
		{0, pb.WorkloadState_WORKLOAD_STATE_PENDING, 0},
		{stageAllocate, pb.WorkloadState_WORKLOAD_STATE_ALLOCATED, pb.SlotState_SLOT_STATE_ASSIGNED},
		{stageAccept, pb.WorkloadState_WORKLOAD_STATE_RUNNING, pb.SlotState_SLOT_STATE_ACCEPTED},
		{stageSubmit, pb.WorkloadState_WORKLOAD_STATE_REVEALING, pb.SlotState_SLOT_STATE_SUBMITTED},
		{stageReveal, pb.WorkloadState_WORKLOAD_STATE_VERIFYING, pb.SlotState_SLOT_STATE_VERIFYING},
		{stageVote, pb.WorkloadState_WORKLOAD_STATE_FINAL, pb.SlotState_SLOT_STATE_VALID},
	} {
		c := h.cohorts[b.Height-st.stage]
		if c == nil {
			continue
		}
		for _, id := range c.ids {
			w, err := protocol.WorkloadView(snap, id)
			if err != nil {
				return err
			}
			if w.State != st.state {
				return fmt.Errorf("height %d: workload %x of height %d is %s, want %s", b.Height, id, c.height, w.State, st.state)
			}
			if st.stage == stageVote && (!w.Settled || w.SettledHeight != b.Height) {
				return fmt.Errorf("height %d: workload %x is final but not settled in this block", b.Height, id)
			}
			for _, s := range w.Slots {
				if s.State != st.slot {
					return fmt.Errorf("height %d: workload %x slot %d is %s, want %s", b.Height, id, s.Index, s.State, st.slot)
				}
			}
		}
		switch st.stage {
		case stageAllocate:
			if b.Allocated != len(c.ids) {
				return fmt.Errorf("height %d: %d workloads allocated, want %d", b.Height, b.Allocated, len(c.ids))
			}
		case stageVote:
			if b.Settled != len(c.ids) {
				return fmt.Errorf("height %d: %d workloads settled final, want %d", b.Height, b.Settled, len(c.ids))
			}
		}
	}
	return nil
}
