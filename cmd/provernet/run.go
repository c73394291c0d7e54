package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/provernet/provernet/client"
	"github.com/provernet/provernet/internal/sandbox"
	"github.com/provernet/provernet/wire"
	"github.com/provernet/provernet/wire/address"
	"github.com/provernet/provernet/wire/seal"
)

// runReport is what `provernet run` prints: at once without --wait, at the
// end with it (one JSON object with --output json).
type runReport struct {
	Workload     string      `json:"workload"`
	TxHash       string      `json:"tx_hash"`
	Program      string      `json:"program"`
	ProgramName  string      `json:"program_name,omitempty"`
	Cycles       uint64      `json:"cycles"`
	Provers      uint32      `json:"provers"`
	Fee          uint64      `json:"fee"` // uprv escrowed by the Run
	IdentityFile string      `json:"identity_file"`
	Recipient    string      `json:"recipient"`
	State        string      `json:"state"` // "submitted" until the workload is seen
	Reason       string      `json:"reason,omitempty"`
	Settled      bool        `json:"settled"`
	Slots        []wire.Slot `json:"slots,omitempty"`
	// The result written: its slot, the proof and the age file as submitted.
	Slot        *uint32 `json:"slot,omitempty"`
	ProofFile   string  `json:"proof_file,omitempty"`
	SealedFile  string  `json:"sealed_file,omitempty"`
	ProofSHA256 string  `json:"proof_sha256,omitempty"`
	// VerifiedLocally: the program's verifier accepted the proof here.
	VerifiedLocally bool   `json:"verified_locally"`
	LocalOutcome    string `json:"local_outcome,omitempty"`
	// Heights: the Run's block, the written result's, the first final proof's.
	RunHeight      int64   `json:"run_height,omitempty"`
	SealedHeight   int64   `json:"sealed_height,omitempty"`
	FinalHeight    int64   `json:"final_height,omitempty"`
	SettledHeight  int64   `json:"settled_height,omitempty"`
	BlocksToSealed int64   `json:"blocks_to_sealed,omitempty"`
	BlocksToFinal  int64   `json:"blocks_to_final,omitempty"`
	Seconds        float64 `json:"seconds,omitempty"`
}

type runOpts struct {
	inputs   []string
	cycles   uint64
	provers  uint32
	from     string
	deadline int64
	maxFee   string
	identity string
	out      string
	wait     bool
	timeout  time.Duration
}

func newRunCmd(g *globals) *cobra.Command {
	var o runOpts
	cmd := &cobra.Command{
		Use:   "run PROGRAM",
		Short: "Submit work: prove PROGRAM on input files with k provers, and fetch the sealed proof",
		Long: `Sends a Run of PROGRAM (a deployed program's name or its id) on the --input files.
The fee (provers x ceil(cycles/10^6) x price per Mcycle) is quoted and shown
before anything is sent, and escrowed by the Run.

Results are sealed to your age identity: --identity, by default HOME/keys/FROM.age
(created if missing, in age-keygen's format, so any age tool opens the results:
age -d -i FILE sealed.age).

With --wait it follows the workload until it is final: the moment the first
prover's result is in a block it is fetched, opened and the proof written to
--out (the age file as submitted beside it, .age); once the network has
verified a proof, it is verified again here with the program's verifier in
the local sandbox. The exit code is 0 only for a final, locally valid proof.`,
		Example: `  provernet run sha256-chain --input build/programs/sha256-chain/input.json \
      --cycles 2000000000 --provers 3 --from dev1 --wait
  provernet run 3fa2... --input a.bin --input b.bin --cycles 5000000 --provers 1 --from alice --max-fee 1prv`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return runRun(g, cmd, args[0], o) },
	}
	f := cmd.Flags()
	f.StringArrayVar(&o.inputs, "input", nil, "an input file, sent under its base name (repeatable, in the order the program expects)")
	f.Uint64Var(&o.cycles, "cycles", 0, "cycle budget per prover (required; `provernet program run` counts what a run needs)")
	f.Uint32Var(&o.provers, "provers", 1, "number of provers k that each prove it")
	f.StringVar(&o.from, "from", "", "the key that sends and pays for the Run (required)")
	f.Int64Var(&o.deadline, "deadline", 0, "blocks the provers have (0: the chain's minimum for these cycles plus 20)")
	f.StringVar(&o.maxFee, "max-fee", "", "refuse to send if the fee is higher, e.g. 2prv (also enforced by the chain)")
	f.StringVar(&o.identity, "identity", "", "age identity file the results are sealed to (default HOME/keys/FROM.age, created if missing)")
	f.StringVar(&o.out, "out", "", "where --wait writes the proof (default ./WORKLOAD_ID.proof; the age file goes beside it as .age)")
	f.BoolVar(&o.wait, "wait", false, "follow the workload until it is final, fetch the proof and verify it locally")
	f.DurationVar(&o.timeout, "timeout", 10*time.Minute, "how long --wait waits")
	_ = cmd.MarkFlagRequired("cycles")
	_ = cmd.MarkFlagRequired("from")
	return cmd
}

// runChainParams are the chain parameters `run` and `proof get` need.
type runChainParams struct {
	FeePerByte     uint64 `json:"fee_per_byte"`
	FeePerMsg      uint64 `json:"fee_per_msg"`
	MaxInlineInput uint64 `json:"max_inline_input"`
	MaxProofSize   uint64 `json:"max_proof_size"`
}

func fetchRunParams(ctx context.Context, c *client.Client) (runChainParams, error) {
	var p runChainParams
	raw, err := c.Params(ctx)
	if err != nil {
		return p, runNodeErr(err)
	}
	if err := json.Unmarshal(raw, &p); err != nil {
		return p, fmt.Errorf("failed to decode the chain's parameters: %w", err)
	}
	if p.MaxProofSize == 0 {
		p.MaxProofSize = 1 << 20
	}
	return p, nil
}

// runNodeErr adds a hint to an error talking to the node, unless the node
// sent one.
func runNodeErr(err error) error {
	if err == nil || hintFor(err) != "" {
		return err
	}
	if strings.Contains(err.Error(), "failed to reach the node") {
		return withHint(err, "is the node running? `provernet query status` checks; --node (or PROVERNET_NODE) sets its API URL")
	}
	return err
}

// runResolveProgram accepts a program id or a deployed program's name and
// returns the program; an unknown name lists the deployed ones.
func runResolveProgram(ctx context.Context, c *client.Client, s string) (*wire.Program, error) {
	if b, err := hex.DecodeString(s); err == nil && len(b) == 32 {
		p, err := c.Program(ctx, strings.ToLower(s))
		if errors.Is(err, client.ErrNotFound) {
			return nil, withHint(fmt.Errorf("no program with id %s is deployed", s), "`provernet query programs` lists the deployed programs")
		}
		return p, runNodeErr(err)
	}
	ps, err := c.Programs(ctx)
	if err != nil {
		return nil, runNodeErr(err)
	}
	var match []wire.Program
	var names []string
	for _, p := range ps {
		if p.Name == s {
			match = append(match, p)
		}
		if p.Name != "" && !slices.Contains(names, p.Name) {
			names = append(names, p.Name)
		}
	}
	slices.Sort(names)
	switch len(match) {
	case 1:
		return &match[0], nil
	case 0:
		deployed := "none is deployed"
		if len(names) > 0 {
			deployed = "deployed: " + strings.Join(names, ", ")
		}
		return nil, withHint(fmt.Errorf("no program named %q (%s)", s, deployed),
			"PROGRAM is a deployed program's name or id (`provernet query programs`); deploy one with `provernet program deploy`, or on a devnet run `make programs` and restart it")
	}
	var ids []string
	for _, p := range match {
		ids = append(ids, p.ID)
	}
	return nil, withHint(fmt.Errorf("%d programs are named %q: %s", len(match), s, strings.Join(ids, ", ")), "pass the program's id instead of its name")
}

// runReadInputs reads the input files; each is sent under its base name.
func runReadInputs(paths []string) ([]client.RunInput, error) {
	var ins []client.RunInput
	seen := map[string]bool{}
	for _, p := range paths {
		name := filepath.Base(p)
		if seen[name] || name == "proof" {
			return nil, withHint(fmt.Errorf("two inputs named %q (or an input named proof)", name),
				"inputs are sent and mounted under /in by their base names: rename one")
		}
		seen[name] = true
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, withHint(fmt.Errorf("bad input file: %w", err), "--input takes the path of a file; repeat it for several inputs")
		}
		ins = append(ins, client.RunInput{Name: name, Data: b})
	}
	return ins, nil
}

// runSay prints a message for a person: on stdout, or on stderr with
// --output json (whose stdout carries only the report).
func runSay(g *globals, format string, a ...any) {
	w := g.stdout
	if g.json() {
		w = g.stderr
	}
	fmt.Fprintf(w, format+"\n", a...)
}

func runRun(g *globals, cmd *cobra.Command, program string, o runOpts) error {
	ctx := cmd.Context()
	key, err := g.loadKey(o.from)
	if err != nil {
		return err
	}
	if o.provers == 0 {
		return withHint(errors.New("--provers must be at least 1"), "k provers each prove the Run; 3 lets them check each other")
	}
	ins, err := runReadInputs(o.inputs)
	if err != nil {
		return err
	}
	var maxFee uint64
	if o.maxFee != "" {
		if maxFee, err = parseAmount(o.maxFee); err != nil {
			return err
		}
	}
	c := g.client()
	prog, err := runResolveProgram(ctx, c, program)
	if err != nil {
		return err
	}
	params, err := fetchRunParams(ctx, c)
	if err != nil {
		return err
	}
	q, err := c.Fee(ctx, prog.ID, o.cycles, o.provers)
	if err != nil {
		if err = runNodeErr(err); hintFor(err) == "" {
			err = withHint(err, "`provernet query params` shows the chain's limits; `provernet query fee` quotes a Run")
		}
		return err
	}
	// The Run's fee plus the transaction's own fee (an estimate: inputs
	// above max_inline_input travel as blobs, named by hash).
	size := uint64(600)
	for _, in := range ins {
		if uint64(len(in.Data)) <= params.MaxInlineInput {
			size += uint64(len(in.Data))
		}
	}
	txFee := params.FeePerMsg + params.FeePerByte*size
	var balance uint64
	acct, err := c.Account(ctx, key.Address())
	switch {
	case err == nil:
		balance = acct.Balance
	case !errors.Is(err, client.ErrNotFound):
		return runNodeErr(err)
	}
	runSay(g, "fee %s (%d uprv) = %d provers x %d Mcycles x %d uprv/Mcycle x %d, escrowed by the Run; %s has %s",
		formatAmount(q.Fee), q.Fee, q.Provers, q.Mcycles, q.PricePerMcycle, q.ClassMultiplier, o.from, formatAmount(balance))
	if maxFee > 0 && q.Fee > maxFee {
		return withHint(fmt.Errorf("the fee %s is above --max-fee %s", formatAmount(q.Fee), formatAmount(maxFee)),
			"raise --max-fee, or lower --cycles or --provers")
	}
	if balance < q.Fee+txFee {
		return withHint(fmt.Errorf("%s cannot pay: the Run costs %s plus about %d uprv of transaction fee, the balance is %s",
			o.from, formatAmount(q.Fee), txFee, formatAmount(balance)),
			"fund it (`provernet tx transfer --from OTHER --to "+o.from+" --amount ...`), or lower --cycles or --provers")
	}

	idFile := o.identity
	if idFile == "" {
		idFile = client.IdentityFile(g.home, o.from)
	}
	_, statErr := os.Stat(idFile)
	if o.identity != "" && statErr != nil {
		return withHint(fmt.Errorf("identity file: %w", statErr), "--identity takes an age identity file (age-keygen's format); omit it to use HOME/keys/FROM.age")
	}
	id, err := client.LoadOrCreateIdentity(idFile)
	if err != nil {
		return withHint(err, "--identity takes an X25519 age identity file, as age-keygen writes")
	}
	if errors.Is(statErr, os.ErrNotExist) {
		runSay(g, "created your age identity %s: results are sealed to it; open them with any age tool: age -d -i %s sealed.age", idFile, idFile)
	} else {
		runSay(g, "results are sealed to your age identity %s", idFile)
	}

	start := time.Now()
	sub, err := c.SubmitRun(ctx, key, client.RunRequest{Program: prog.ID, Inputs: ins, Cycles: o.cycles, Provers: o.provers,
		Recipient: id.Recipient().String(), Deadline: o.deadline, MaxFee: maxFee})
	var rej *client.RejectedError
	if errors.As(err, &rej) {
		return withHint(err, hintForCode(rej.Result.CodeName))
	}
	if err != nil {
		return runNodeErr(err)
	}
	rep := &runReport{Workload: sub.Workload, TxHash: sub.TxHash, Program: prog.ID, ProgramName: prog.Name, Cycles: o.cycles,
		Provers: o.provers, Fee: sub.Fee, IdentityFile: idFile, Recipient: id.Recipient().String(), State: "submitted"}
	runSay(g, "submitted: workload %s (tx %s)", sub.Workload, sub.TxHash)
	if !o.wait {
		return g.emit(rep, func(w io.Writer) {
			fmt.Fprintf(w, "follow it: provernet query workload %s\nwhen a result is in: provernet proof get %s\n", sub.Workload, sub.Workload)
		})
	}

	if o.out == "" {
		o.out = sub.Workload + ".proof"
	}
	wctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	rw := &runWatcher{g: g, c: c, rep: rep, identity: id.String(), out: o.out, maxProof: int(params.MaxProofSize),
		start: start, live: !g.json() && runIsTerminal(g.stdout), tried: map[uint32]bool{}}
	werr := rw.follow(wctx)
	rw.endLine()
	rep.Seconds = float64(time.Since(start).Milliseconds()) / 1000
	if werr == nil && rep.State == "final" {
		werr = rw.verifyLocally(ctx, prog, ins)
	}
	if err := g.emit(rep, func(w io.Writer) { printRunEnd(w, rep) }); err != nil {
		return err
	}
	if werr != nil {
		return werr
	}
	return runStateErr(rep)
}

// runStateErr is the error of a workload that ended without a final proof.
func runStateErr(rep *runReport) error {
	if rep.State == "final" {
		return nil
	}
	reason := rep.State
	if rep.Reason != "" {
		reason += " (" + rep.Reason + ")"
	}
	err := fmt.Errorf("workload %s ended %s", rep.Workload, reason)
	switch rep.State {
	case "expired":
		return withHint(err, "no prover took it or delivered in time: are provers running? `provernet query provers`; a longer --deadline gives them more blocks (the fee was refunded)")
	case "failed":
		return withHint(err, "the program hit the cycle limit: raise --cycles (`provernet program run` counts what it needs)")
	case "rejected":
		return withHint(err, "no proof passed the provers' vote: check the program with `provernet program run` and `program verify`; `provernet query workload "+rep.Workload+"` shows the slots")
	}
	return err
}

// runWatcher follows a workload for `run --wait`.
type runWatcher struct {
	g        *globals
	c        *client.Client
	rep      *runReport
	identity string
	out      string
	maxProof int
	start    time.Time
	live     bool // rewrite one status line in place (a terminal)
	drawn    bool // a live line is on the screen
	lastSig  string
	tried    map[uint32]bool // slots whose result was fetched
	proof    []byte
	wslot    *wire.Slot // the slot whose result was written
}

var runTerminal = map[string]bool{"final": true, "failed": true, "rejected": true, "expired": true}

// follow waits for the Run's block, then polls the workload until it ends,
// fetching the first proof as soon as it is in a block.
func (rw *runWatcher) follow(ctx context.Context) error {
	rep := rw.rep
	rw.status("waiting for the Run's block", 0)
	tx, err := rw.c.WaitTx(ctx, rep.TxHash)
	if err != nil {
		return rw.waitErr(ctx, err)
	}
	if tx.Code != 0 {
		return withHint(fmt.Errorf("the Run failed in block %d: %s", tx.Height, tx.Log), hintForCode(tx.CodeName))
	}
	rep.RunHeight = tx.Height
	for {
		rw.fetchPending(ctx)
		w, err := rw.c.Workload(ctx, rep.Workload)
		if err != nil && !errors.Is(err, client.ErrNotFound) {
			return rw.waitErr(ctx, err)
		}
		var height int64
		if !rw.g.json() {
			if st, err := rw.c.Status(ctx); err == nil {
				height = st.Height
			}
		}
		if w != nil && err == nil {
			rw.update(w)
			rw.progress(w, height)
			if !runTerminal[w.State] {
				rw.fetchFirst(ctx, w)
			}
			if runTerminal[w.State] {
				if w.State == "final" {
					return rw.fetchFinal(ctx, w)
				}
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return rw.waitErr(ctx, ctx.Err())
		case <-time.After(250 * time.Millisecond):
		}
	}
}

func (rw *runWatcher) waitErr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return withHint(fmt.Errorf("stopped waiting for workload %s after %s", rw.rep.Workload, time.Since(rw.start).Round(time.Second)),
			"the workload goes on: `provernet query workload "+rw.rep.Workload+"` follows it, `provernet proof get "+rw.rep.Workload+"` fetches a result; --timeout waits longer")
	}
	return runNodeErr(err)
}

func (rw *runWatcher) update(w *wire.Workload) {
	rep := rw.rep
	rep.State, rep.Reason, rep.Settled, rep.Slots = w.State, w.Reason, w.Settled, w.Slots
	rep.FinalHeight, rep.SettledHeight = w.FinalHeight, w.SettledHeight
	if w.Fee > 0 {
		rep.Fee = w.Fee
	}
	if w.FinalHeight > 0 && rep.RunHeight > 0 {
		rep.BlocksToFinal = w.FinalHeight - rep.RunHeight
	}
	if rw.wslot != nil {
		for _, s := range w.Slots {
			if s.Index == rw.wslot.Index {
				*rw.wslot = s
			}
		}
	}
}

// fetchFirst opens the first result that says it holds a proof.
func (rw *runWatcher) fetchFirst(ctx context.Context, w *wire.Workload) {
	if rw.proof != nil {
		return
	}
	for _, s := range runSubmittedOrder(w) {
		if s.Outcome != "proof" || rw.tried[s.Index] {
			continue
		}
		rw.tried[s.Index] = true
		if err := rw.fetch(ctx, s); err != nil {
			rw.message("warning: could not open slot %d's result: %v", s.Index, err)
			continue
		}
		rw.message("sealed: proof written to %s (%d blocks after the Run); the age file is %s",
			rw.rep.ProofFile, rw.rep.BlocksToSealed, rw.rep.SealedFile)
		return
	}
}

// fetchPending opens a result still in the node's mempool: the user holds
// the proof before its block is even proposed.
func (rw *runWatcher) fetchPending(ctx context.Context) {
	if rw.proof != nil {
		return
	}
	pending, err := rw.c.PendingResults(ctx, rw.rep.Workload)
	if err != nil {
		return // an older node, or a hiccup: the block will bring it
	}
	for _, p := range pending {
		if p.Outcome != "proof" {
			continue
		}
		h, proof, err := seal.Open(p.Sealed, rw.identity, rw.maxProof)
		// Anyone can seal to the user's recipient: keep only a file bound
		// to this workload, this slot and the prover that sent it.
		if err != nil || h.Slot != p.Slot || h.Outcome != seal.OutcomeProof ||
			hex.EncodeToString(h.Workload[:]) != rw.rep.Workload || address.Address(h.Prover).String() != p.Prover {
			continue
		}
		if err := rw.keep(proof, p.Sealed); err != nil {
			rw.message("warning: %v", err)
			return
		}
		slot := p.Slot
		rw.rep.Slot = &slot
		rw.message("sealed: proof written to %s from the mempool, before its block; the age file is %s", rw.rep.ProofFile, rw.rep.SealedFile)
		return
	}
}

// keep writes a proof and its age file where --out says.
func (rw *runWatcher) keep(proof, file []byte) error {
	sealed := runSealedPath(rw.out)
	if err := runWriteFile(rw.out, proof); err != nil {
		return err
	}
	if err := runWriteFile(sealed, file); err != nil {
		return err
	}
	rw.proof = proof
	sum := sha256.Sum256(proof)
	rw.rep.ProofFile, rw.rep.SealedFile, rw.rep.ProofSHA256 = rw.out, sealed, hex.EncodeToString(sum[:])
	return nil
}

// fetchFinal makes sure the proof written is the one the network found
// valid first (the one `proof get` fetches by default).
func (rw *runWatcher) fetchFinal(ctx context.Context, w *wire.Workload) error {
	s := runFinalSlot(w)
	if s == nil {
		return fmt.Errorf("workload %s is final but no slot is valid", w.ID)
	}
	if rw.wslot != nil && rw.wslot.Index == s.Index {
		return nil
	}
	earlier := rw.proof
	if err := rw.fetch(ctx, *s); err != nil {
		return withHint(fmt.Errorf("failed to open slot %d's result: %w", s.Index, err),
			"is --identity the identity the Run was sealed to? `provernet proof get "+w.ID+"` works without one once the slot's identity is revealed")
	}
	switch {
	case earlier == nil:
		rw.message("sealed: proof written to %s (%d blocks after the Run)", rw.rep.ProofFile, rw.rep.BlocksToSealed)
	case !bytes.Equal(earlier, rw.proof):
		rw.message("final: slot %d's proof is the one the network verified; it replaces the earlier one in %s", s.Index, rw.rep.ProofFile)
	}
	return nil
}

func (rw *runWatcher) fetch(ctx context.Context, s wire.Slot) error {
	h, proof, file, err := rw.c.OpenResult(ctx, rw.rep.Workload, s.Index, rw.identity, rw.maxProof)
	if err != nil {
		return err
	}
	if h.Outcome.String() != "proof" {
		return fmt.Errorf("the result says %s, not proof", h.Outcome)
	}
	if err := rw.keep(proof, file); err != nil {
		return err
	}
	rw.wslot = &s
	idx := s.Index
	rw.rep.Slot = &idx
	rw.rep.SealedHeight = s.SubmitHeight
	if rw.rep.RunHeight > 0 && s.SubmitHeight > 0 {
		rw.rep.BlocksToSealed = s.SubmitHeight - rw.rep.RunHeight
	}
	return nil
}

// verifyLocally runs the program's verifier on the written proof in the
// local sandbox.
func (rw *runWatcher) verifyLocally(ctx context.Context, prog *wire.Program, ins []client.RunInput) error {
	res, err := runVerifier(ctx, rw.c, prog, ins, rw.proof, rw.rep.Cycles)
	if err != nil {
		return withHint(fmt.Errorf("local verification failed to run: %w", err), "the network verified the proof; `provernet program verify` checks it by hand")
	}
	rw.rep.LocalOutcome = string(res.Outcome)
	rw.rep.VerifiedLocally = res.Outcome == sandbox.OutcomeValid
	if !rw.rep.VerifiedLocally {
		detail := res.Detail
		if detail == "" {
			detail = strings.TrimSpace(res.Stderr)
		}
		return withHint(fmt.Errorf("the network found the proof valid, but the verifier says %s here: %s", res.Outcome, detail),
			"are the --input files the ones the Run sent? `provernet program verify` reruns the check")
	}
	return nil
}

// runVerifier fetches prog's verifier module and runs it on the inputs and
// proof, as a prover of the committee does.
func runVerifier(ctx context.Context, c *client.Client, prog *wire.Program, ins []client.RunInput, proof []byte, cycles uint64) (*sandbox.Result, error) {
	if prog.Verifier == nil {
		return nil, errors.New("the program has no verifier module")
	}
	mod, err := c.GetBlob(ctx, prog.Verifier.SHA256)
	if err != nil {
		return nil, runNodeErr(err)
	}
	dir, err := os.MkdirTemp("", "provernet-verify-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	inDir := filepath.Join(dir, "in")
	if err := os.Mkdir(inDir, 0o700); err != nil {
		return nil, err
	}
	var names []string
	for _, in := range ins {
		if err := os.WriteFile(filepath.Join(inDir, in.Name), in.Data, 0o600); err != nil {
			return nil, err
		}
		names = append(names, in.Name)
	}
	if err := os.WriteFile(filepath.Join(inDir, "proof"), proof, 0o600); err != nil {
		return nil, err
	}
	wasm := filepath.Join(dir, "verifier.wasm")
	if err := os.WriteFile(wasm, mod, 0o600); err != nil {
		return nil, err
	}
	exe, err := sandbox.WorkerExecutable()
	if err != nil {
		return nil, err
	}
	return sandbox.Exec(ctx, exe, sandbox.WorkerJob{
		Program: wasm, Role: sandbox.Verify, InDir: inDir, Inputs: append(names, "proof"),
		CacheDir: filepath.Join(os.TempDir(), "provernet-wazero-cache"),
		Limits:   sandbox.Limits{Cycles: cycles, MaxOutput: 1 << 10, Wall: 10 * time.Minute},
	})
}

// progress shows the workload: a line rewritten in place on a terminal,
// else one line per change.
func (rw *runWatcher) progress(w *wire.Workload, height int64) {
	if rw.g.json() {
		return
	}
	line := fmt.Sprintf("%-10s %s", w.State, runSlotSummary(w))
	if rw.live {
		rw.status(line, height)
		return
	}
	sig := line + "|" + fmt.Sprint(w.Settled)
	if sig == rw.lastSig {
		return
	}
	rw.lastSig = sig
	fmt.Fprintf(rw.g.stdout, "height %-6d %6.1fs  %s\n", height, time.Since(rw.start).Seconds(), line)
}

// status rewrites the live line (terminals only).
func (rw *runWatcher) status(line string, height int64) {
	if !rw.live {
		return
	}
	h := ""
	if height > 0 {
		h = fmt.Sprintf("  height %d", height)
	}
	fmt.Fprintf(rw.g.stdout, "\r\033[K%s  %s%s  %.1fs", runShortID(rw.rep.Workload), line, h, time.Since(rw.start).Seconds())
	rw.drawn = true
}

// message prints a line, above the live line if there is one.
func (rw *runWatcher) message(format string, a ...any) {
	rw.endLine()
	runSay(rw.g, format, a...)
}

func (rw *runWatcher) endLine() {
	if rw.drawn {
		fmt.Fprint(rw.g.stdout, "\r\033[K")
		rw.drawn = false
	}
}

func printRunEnd(w io.Writer, rep *runReport) {
	state := rep.State
	if rep.Reason != "" {
		state += " (" + rep.Reason + ")"
	}
	fmt.Fprintf(w, "workload %s %s", rep.Workload, state)
	if rep.FinalHeight > 0 {
		fmt.Fprintf(w, ": a proof was verified by the network at height %d (%d blocks after the Run, %.1fs)", rep.FinalHeight, rep.BlocksToFinal, rep.Seconds)
	}
	fmt.Fprintln(w)
	if rep.VerifiedLocally {
		fmt.Fprintf(w, "verified locally: the program's verifier accepts %s\n", rep.ProofFile)
	}
	if rep.ProofFile != "" {
		fmt.Fprintf(w, "  proof   %s (slot %d, sha256 %s)\n", rep.ProofFile, *rep.Slot, rep.ProofSHA256)
		fmt.Fprintf(w, "  sealed  %s (open it with any age tool: age -d -i %s %s)\n", rep.SealedFile, rep.IdentityFile, rep.SealedFile)
	}
	fmt.Fprintf(w, "  fee     %s (%d uprv); the slots: provernet query workload %s\n", formatAmount(rep.Fee), rep.Fee, rep.Workload)
}

// runSlotSummary is e.g. "3/3 submitted, 1 verifying, 2 valid".
func runSlotSummary(w *wire.Workload) string {
	if len(w.Slots) == 0 {
		return "no slots yet"
	}
	submitted := 0
	counts := map[string]int{}
	for _, s := range w.Slots {
		if s.SubmitHeight > 0 {
			submitted++
		}
		counts[s.State]++
	}
	parts := []string{fmt.Sprintf("%d/%d submitted", submitted, len(w.Slots))}
	for _, st := range []string{"assigned", "accepted", "open", "verifying", "valid", "invalid", "failed", "undecided", "unrevealed", "empty", "copied"} {
		if n := counts[st]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, st))
		}
	}
	return strings.Join(parts, ", ")
}

// runSubmittedOrder lists the slots with a result, the earliest first.
func runSubmittedOrder(w *wire.Workload) []wire.Slot {
	var out []wire.Slot
	for _, s := range w.Slots {
		if s.SubmitHeight > 0 {
			out = append(out, s)
		}
	}
	slices.SortStableFunc(out, func(a, b wire.Slot) int { return int(a.SubmitHeight - b.SubmitHeight) })
	return out
}

// runFinalSlot is the slot whose proof became final first (the earliest
// decided valid slot, the lowest index among those decided together).
func runFinalSlot(w *wire.Workload) *wire.Slot {
	var best *wire.Slot
	for i := range w.Slots {
		s := &w.Slots[i]
		if s.State == "valid" && (best == nil || s.DecidedHeight < best.DecidedHeight) {
			best = s
		}
	}
	return best
}

func runShortID(id string) string {
	if len(id) > 12 {
		return id[:12] + "…"
	}
	return id
}

// runSealedPath is where the age file goes beside the proof.
func runSealedPath(proof string) string {
	if strings.HasSuffix(proof, ".proof") {
		return strings.TrimSuffix(proof, ".proof") + ".age"
	}
	return proof + ".age"
}

func runWriteFile(path string, b []byte) error {
	if dir := filepath.Dir(path); dir != "." {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
	}
	return os.WriteFile(path, b, 0o644)
}

// runIsTerminal reports whether w is a terminal (a character device).
func runIsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
