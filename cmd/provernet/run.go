package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"filippo.io/age"
	"github.com/spf13/cobra"

	"github.com/provernet/provernet/client"
	"github.com/provernet/provernet/internal/cli"
	"github.com/provernet/provernet/internal/sandbox"
	"github.com/provernet/provernet/wire"
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
	// A market Run (issue 17): its mechanism, and the asks it missed
	// when it matched none (the workload's missed; a pool Run's members
	// not drawn when its draw left slots to the open market).
	Mechanism string         `json:"mechanism,omitempty"`
	Missed    []wire.AskMiss `json:"missed,omitempty"`
	// MaxPrice is the order's max price as sent; Prices the max prices
	// --reprice tried, in order, the last the one sent.
	MaxPrice uint64   `json:"max_price,omitempty"`
	Prices   []uint64 `json:"prices,omitempty"`
}

// runSubmitted is the report's state before the workload is seen.
const runSubmitted = "submitted"

// runPoll is how often `run --wait` looks at the workload while it polls:
// while a proof may reach the mempool before its block, or while the
// node's event stream is not connected. Otherwise it looks when the
// workload's events say something changed (client.WaitWorkload).
const runPoll = 250 * time.Millisecond

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
	market   marketOpts  // issue 17
	reprice  repriceOpts // issue 17, run_reprice.go
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
prover's result is in the node's mempool or a block it is fetched, opened and
the proof written to --out (the age file as submitted beside it, .age); once
the network has verified a proof, it is verified again here with the
program's verifier in the local sandbox. The exit code is 0 only for a final,
locally valid proof.`,
		Example: `  provernet run sha256-chain --input build/programs/sha256-chain/input.json \
      --cycles 2000000000 --provers 3 --from dev1 --wait
  provernet run 3fa2... --input a.bin --input b.bin --cycles 5000000 --provers 1 --from alice --max-fee 1prv
  provernet run sha256-chain --input input.json --cycles 2000000000 --provers 2 --from dev1 \
      --mechanism market --max-price 10 --max-latency 50 --priority price --wait
  provernet run sha256-chain --input input.json --cycles 2000000000 --provers 1 --from dev1 \
      --mechanism cheapest --reprice 1 --start-price 1 --max-price 20 --wait`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return runRun(g, cmd, args[0], o) },
	}
	f := cmd.Flags()
	f.StringArrayVar(&o.inputs, "input", nil, "an input file, sent under its base name (repeatable, in the order the program expects)")
	f.Uint64Var(&o.cycles, "cycles", 0, "cycle budget per prover (required; `provernet program run` counts what a run needs)")
	f.Uint32Var(&o.provers, "provers", 1, "number of provers k that each prove it")
	f.StringVar(&o.from, "from", "", "the key that sends and pays for the Run (required)")
	f.Int64Var(&o.deadline, "deadline", 0, fmt.Sprintf("blocks the provers have (0: the chain's minimum for these cycles plus %d)", client.DefaultDeadlineSlack))
	f.StringVar(&o.maxFee, "max-fee", "", "refuse to send if the fee is higher, e.g. 2prv (also enforced by the chain)")
	f.StringVar(&o.identity, "identity", "", "age identity file the results are sealed to (default HOME/keys/FROM.age, created if missing)")
	f.StringVar(&o.out, "out", "", "where --wait writes the proof (default ./WORKLOAD_ID.proof; the age file goes beside it as .age)")
	f.BoolVar(&o.wait, "wait", false, "follow the workload until it is final, fetch the proof and verify it locally")
	f.DurationVar(&o.timeout, "timeout", 10*time.Minute, "how long --wait waits")
	addMarketFlags(f, &o.market)
	addRepriceFlags(f, &o.reprice)
	_ = cmd.MarkFlagRequired("cycles")
	_ = cmd.MarkFlagRequired("from")
	return cmd
}

// nodeErr adds a hint to an error talking to the node, unless the node
// sent one.
func nodeErr(err error) error {
	if err == nil || hintFor(err) != "" {
		return err
	}
	if errors.Is(err, client.ErrUnreachable) {
		return cli.WithHint(err, "is the node running? `provernet query status` checks; --node (or PROVERNET_NODE) sets its API URL")
	}
	if code, ok := client.CodeOf(err); ok {
		return cli.WithHint(err, hintForCode(code))
	}
	return err
}

// programErr words a failed program lookup.
func programErr(err error) error {
	var unknown *client.UnknownProgramError
	var ambiguous *client.AmbiguousNameError
	switch {
	case errors.As(err, &unknown) && unknown.ByID:
		return cli.WithHint(err, "`provernet query programs` lists the deployed programs")
	case errors.As(err, &unknown):
		return cli.WithHint(err, "PROGRAM is a deployed program's name or id (`provernet query programs`); deploy one with `provernet program deploy`, or on a devnet run `make programs` and restart it")
	case errors.As(err, &ambiguous):
		return cli.WithHint(err, "pass the program's id instead of its name")
	}
	return nodeErr(err)
}

// runReadInputs reads the input files; each is sent under its base name.
func runReadInputs(paths []string) ([]client.RunInput, error) {
	var ins []client.RunInput
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, cli.WithHint(fmt.Errorf("bad input file: %w", err), "--input takes the path of a file; repeat it for several inputs")
		}
		ins = append(ins, client.RunInput{Name: filepath.Base(p), Data: b})
	}
	if err := client.CheckInputs(ins); err != nil {
		return nil, cli.WithHint(fmt.Errorf("bad input file: %w", err), "inputs are sent and mounted under /in by their base names: rename the file")
	}
	return ins, nil
}

// runIdentity loads the age identity the results are sealed to: --identity,
// or HOME/keys/FROM.age, created if missing.
func runIdentity(g *globals, o runOpts) (*age.X25519Identity, string, error) {
	if o.identity != "" {
		id, err := client.LoadIdentity(o.identity)
		if err != nil {
			return nil, "", cli.WithHint(err, "--identity takes an X25519 age identity file (age-keygen's format); omit it to use HOME/keys/FROM.age")
		}
		runSay(g, "results are sealed to your age identity %s", o.identity)
		return id, o.identity, nil
	}
	path := client.IdentityFile(g.home, o.from)
	_, statErr := os.Stat(path)
	id, err := client.LoadOrCreateIdentity(path)
	if err != nil {
		return nil, "", cli.WithHint(err, "HOME/keys/FROM.age must be an X25519 age identity file, as age-keygen writes; --identity names another")
	}
	if errors.Is(statErr, os.ErrNotExist) {
		runSay(g, "created your age identity %s: results are sealed to it; open them with any age tool: age -d -i %s sealed.age", path, path)
	} else {
		runSay(g, "results are sealed to your age identity %s", path)
	}
	return id, path, nil
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
		return cli.WithHint(errors.New("--provers must be at least 1"), "k provers each prove the Run; 3 lets them check each other")
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
	market, err := o.market.request(g)
	if err != nil {
		return err
	}
	if err := o.reprice.check(market); err != nil {
		return err
	}
	c := g.client()
	prog, err := c.ResolveProgram(ctx, program)
	if err != nil {
		return programErr(err)
	}
	id, idFile, err := runIdentity(g, o)
	if err != nil {
		return err
	}
	req := client.RunRequest{Program: prog.ID, Inputs: ins, Cycles: o.cycles, Provers: o.provers,
		Recipient: id.Recipient().String(), Deadline: o.deadline, MaxFee: maxFee, Market: market}
	start := time.Now()
	sub, prices, err := runSubmit(ctx, g, c, key, &req, o)
	if err != nil {
		return err
	}
	rep := &runReport{Workload: sub.Workload, TxHash: sub.TxHash, Program: prog.ID, ProgramName: prog.Name, Cycles: o.cycles,
		Provers: o.provers, Fee: sub.Fee, IdentityFile: idFile, Recipient: id.Recipient().String(), State: runSubmitted}
	if market != nil {
		rep.Mechanism, rep.MaxPrice, rep.Prices = market.Mechanism, market.MaxPrice, prices
	}
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
	rw := &runWatcher{g: g, c: c, rep: rep, identity: id.String(), out: o.out,
		start: start, live: !g.json() && runIsTerminal(g.stdout)}
	werr := rw.follow(wctx)
	rw.endLine()
	rep.Seconds = float64(time.Since(start).Milliseconds()) / 1000
	if werr == nil && rep.State == wire.WorkloadFinal {
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

// runSubmit quotes and sends the Run, or with --reprice finds the price it
// matches at (run_reprice.go) and returns the prices tried.
func runSubmit(ctx context.Context, g *globals, c *client.Client, key *client.Key, req *client.RunRequest, o runOpts) (*client.Submitted, []uint64, error) {
	if o.reprice.step > 0 {
		return repriceSubmit(ctx, g, c, key, req, o)
	}
	if err := runQuote(ctx, g, c, key, *req, o.from); err != nil {
		return nil, nil, err
	}
	sub, err := c.SubmitRun(ctx, key, *req)
	return sub, nil, nodeErr(err)
}

// runQuote shows what the Run costs and refuses one above --max-fee or
// beyond the balance.
func runQuote(ctx context.Context, g *globals, c *client.Client, key *client.Key, req client.RunRequest, from string) error {
	q, err := c.QuoteRun(ctx, key, req)
	if err != nil {
		if err = nodeErr(err); hintFor(err) == "" {
			err = cli.WithHint(err, "`provernet query params` shows the chain's limits; `provernet query fee` quotes a Run")
		}
		return err
	}
	if req.Market != nil {
		runSayMarketQuote(g, q, req.Market, from)
	} else {
		runSay(g, "fee %s (%d uprv) = %d provers x %d Mcycles x %d uprv/Mcycle x %d, escrowed by the Run; %s has %s",
			formatAmount(q.Fee), q.Fee, q.Provers, q.Mcycles, q.PricePerMcycle, q.ClassMultiplier, from, formatAmount(q.Balance))
	}
	err = q.Check(req.MaxFee)
	switch {
	case errors.Is(err, client.ErrOverMaxFee):
		return cli.WithHint(fmt.Errorf("the fee %s is above --max-fee %s", formatAmount(q.Fee), formatAmount(req.MaxFee)),
			"raise --max-fee, or lower --cycles or --provers")
	case errors.Is(err, client.ErrCannotPay):
		return cli.WithHint(fmt.Errorf("%s cannot pay: the Run costs %s plus %d uprv of transaction fee, the balance is %s",
			from, formatAmount(q.Fee), q.TxFee, formatAmount(q.Balance)),
			"fund it (`provernet tx transfer --from OTHER --to "+from+" --amount ...`), or lower --cycles or --provers")
	}
	return err
}

// runStateErr is the error of a workload that ended without a final proof.
func runStateErr(rep *runReport) error {
	if rep.State == wire.WorkloadFinal {
		return nil
	}
	reason := rep.State
	if rep.Reason != "" {
		reason += " (" + rep.Reason + ")"
	}
	err := fmt.Errorf("workload %s ended %s", rep.Workload, reason)
	switch rep.State {
	case wire.WorkloadExpired:
		if rep.Reason == "no_matching_ask" { // issue 17
			return cli.WithHint(err, unmatchedHint(rep))
		}
		return cli.WithHint(err, "no prover took it or delivered in time: are provers running? `provernet query provers`; a longer --deadline gives them more blocks (the fee was refunded)")
	case wire.WorkloadFailed:
		return cli.WithHint(err, "the program hit the cycle limit: raise --cycles (`provernet program run` counts what it needs)")
	case wire.WorkloadRejected:
		return cli.WithHint(err, "no proof passed the provers' vote: check the program with `provernet program run` and `program verify`; `provernet query workload "+rep.Workload+"` shows the slots")
	}
	return err
}

// runWatcher follows a workload for `run --wait`: it shows its progress
// and writes the proofs client.FollowRun opens.
type runWatcher struct {
	g        *globals
	c        *client.Client
	rep      *runReport
	identity string
	out      string
	start    time.Time
	live     bool // rewrite one status line in place (a terminal)
	drawn    bool // a live line is on the screen
	lastSig  string
	proof    []byte // the proof written
}

// follow waits for the Run's block, then for the workload to end, writing
// the first proof as soon as it is in the mempool or a block, and the
// first final one.
func (rw *runWatcher) follow(ctx context.Context) error {
	rep := rw.rep
	rw.status("waiting for the Run's block", 0)
	tx, err := rw.c.WaitTx(ctx, rep.TxHash)
	if err != nil {
		return rw.waitErr(ctx, err)
	}
	if err := client.TxError(tx); err != nil {
		return nodeErr(err)
	}
	rep.RunHeight = tx.Height
	_, err = rw.c.FollowRun(ctx, rep.Workload, rw.identity, client.FollowOptions{Every: runPoll,
		Poll: func(w *wire.Workload) {
			rw.update(w)
			rw.progress(w, rw.height(ctx))
		},
		Proof: rw.keep,
		Refused: func(slot uint32, err error) {
			rw.message("warning: could not open slot %d's result: %v", slot, err)
		},
	})
	switch {
	case err == nil:
		return nil
	case ctx.Err() != nil:
		return rw.waitErr(ctx, err)
	case errors.Is(err, seal.ErrWrongIdentity) || errors.Is(err, client.ErrHeaderMismatch):
		return cli.WithHint(fmt.Errorf("failed to open the final proof: %w", err),
			"is --identity the identity the Run was sealed to? `provernet proof get "+rep.Workload+"` works without one once the slot's identity is revealed")
	}
	return nodeErr(err)
}

func (rw *runWatcher) waitErr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return cli.WithHint(fmt.Errorf("stopped waiting for workload %s after %s", rw.rep.Workload, time.Since(rw.start).Round(time.Second)),
			"the workload goes on: `provernet query workload "+rw.rep.Workload+"` follows it, `provernet proof get "+rw.rep.Workload+"` fetches a result; --timeout waits longer")
	}
	return nodeErr(err)
}

// height is the node's height for the progress line (text output only).
func (rw *runWatcher) height(ctx context.Context) int64 {
	if rw.g.json() {
		return 0
	}
	if st, err := rw.c.Status(ctx); err == nil {
		return st.Height
	}
	return 0
}

func (rw *runWatcher) update(w *wire.Workload) {
	rep := rw.rep
	rep.State, rep.Reason, rep.Settled, rep.Slots = w.State, w.Reason, w.Settled, w.Slots
	rep.FinalHeight, rep.SettledHeight = w.FinalHeight, w.SettledHeight
	rep.Missed = w.Missed
	if w.Fee > 0 {
		rep.Fee = w.Fee
	}
	if w.FinalHeight > 0 && rep.RunHeight > 0 {
		rep.BlocksToFinal = w.FinalHeight - rep.RunHeight
	}
}

// keep writes a proof and its age file where --out says.
func (rw *runWatcher) keep(r *client.Result, final bool) error {
	sealed := runSealedPath(rw.out)
	if err := runWriteFile(rw.out, r.Proof); err != nil {
		return err
	}
	if err := runWriteFile(sealed, r.Sealed); err != nil {
		return err
	}
	earlier := rw.proof
	rw.proof = r.Proof
	sum := sha256.Sum256(r.Proof)
	slot, rep := r.Slot, rw.rep
	rep.Slot, rep.ProofFile, rep.SealedFile, rep.ProofSHA256 = &slot, rw.out, sealed, hex.EncodeToString(sum[:])
	if r.Height > 0 {
		rep.SealedHeight, rep.BlocksToSealed = r.Height, r.Height-rep.RunHeight
	}
	switch {
	case r.Pending:
		rw.message("sealed: proof written to %s from the mempool, before its block; the age file is %s", rep.ProofFile, rep.SealedFile)
	case earlier == nil:
		rw.message("sealed: proof written to %s (%d blocks after the Run); the age file is %s", rep.ProofFile, rep.BlocksToSealed, rep.SealedFile)
	case final && !bytes.Equal(earlier, r.Proof):
		rw.message("final: slot %d's proof is the one the network verified; it replaces the earlier one in %s", r.Slot, rep.ProofFile)
	}
	return nil
}

// verifyLocally runs the program's verifier on the written proof in the
// local sandbox.
func (rw *runWatcher) verifyLocally(ctx context.Context, prog *wire.Program, ins []client.RunInput) error {
	res, err := runVerifier(ctx, rw.c, prog, ins, rw.proof, rw.rep.Cycles)
	if err != nil {
		return cli.WithHint(fmt.Errorf("local verification failed to run: %w", err), "the network verified the proof; `provernet program verify` checks it by hand")
	}
	rw.rep.LocalOutcome = string(res.Outcome)
	rw.rep.VerifiedLocally = res.Outcome == sandbox.OutcomeValid
	if !rw.rep.VerifiedLocally {
		detail := res.Detail
		if detail == "" {
			detail = strings.TrimSpace(res.Stderr)
		}
		return cli.WithHint(fmt.Errorf("the network found the proof valid, but the verifier says %s here: %s", res.Outcome, detail),
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
		return nil, nodeErr(err)
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
	files := make([]sandbox.File, len(ins))
	for i, in := range ins {
		files[i] = sandbox.File{Name: in.Name, Data: in.Data}
	}
	names, err := sandbox.StageInputs(inDir, files, proof)
	if err != nil {
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
		Program: wasm, Role: sandbox.Verify, InDir: inDir, Inputs: names,
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
	if rep.Reason == "no_matching_ask" {
		printMissed(w, rep.Missed, rep.Mechanism)
	} else if rep.Mechanism == "pool" && len(rep.Missed) > 0 {
		fmt.Fprintln(w, "  the pool's draw left slots to the open market, opened at once at the max price: the members it did not draw")
		printMissed(w, rep.Missed, rep.Mechanism)
	}
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
	counts := map[string]int{}
	for _, s := range w.Slots {
		counts[s.State]++
	}
	parts := []string{fmt.Sprintf("%d/%d submitted", len(w.SubmittedSlots()), len(w.Slots))}
	for _, st := range wire.SlotStates() {
		if n := counts[st]; n > 0 && st != wire.SlotSubmitted {
			parts = append(parts, fmt.Sprintf("%d %s", n, st))
		}
	}
	return strings.Join(parts, ", ")
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
