package prover

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/provernet/provernet/internal/protocol"
	"github.com/provernet/provernet/internal/sandbox"
	"github.com/provernet/provernet/wire/pb"
)

// proveResult is what a proving worker reports.
type proveResult struct {
	key     string
	outcome pb.Outcome
	cycles  uint64
	proof   []byte
	err     error // the machine's trouble (worth running again), never the program's
}

// machineTrouble reports whether a sandbox outcome says the worker process
// itself failed (killed, out of memory, stopped by the wall clock) rather
// than the program: worth running again, never a verdict on the program.
func machineTrouble(out *sandbox.Result) bool {
	return out.Outcome == sandbox.OutcomeError && out.Machine != ""
}

// errVerifierWall marks a verification stopped by the wall clock.
var errVerifierWall = errors.New("the verifier ran out of wall-clock time")

// verifyResult is what a verifying worker reports.
type verifyResult struct {
	workload []byte
	slot     uint32
	round    uint32
	valid    bool
	err      error
}

// prove runs w's prover module on its inputs in a worker process.
func (d *Daemon) prove(ctx context.Context, w *pb.Workload, key string) proveResult {
	res := proveResult{key: key}
	st, err := d.prepare(ctx, w, func(p *pb.Program) *pb.Module { return p.Prover })
	if err != nil {
		res.err = err
		return res
	}
	defer os.RemoveAll(st.dir)
	mod, dir, names := st.mod, st.dir, st.names
	seed := make([]byte, 32)
	_, _ = rand.Read(seed)
	out, err := d.pool.Exec(ctx, sandbox.WorkerJob{
		Program: mod, Role: sandbox.Prove, InDir: dir, Inputs: names, Seed: seed, Cores: d.jobCores(),
		CacheDir: filepath.Join(d.cfg.Dir, "wazero-cache"), Interpreter: d.cfg.Interpreter,
		Limits: sandbox.Limits{Cycles: w.Cycles, MaxOutput: int64(d.params.MaxProofSize), Wall: 30 * time.Minute},
	})
	switch {
	case err != nil:
		res.err = err
	case out.Outcome == sandbox.OutcomeProof:
		res.outcome, res.cycles, res.proof = pb.Outcome_OUTCOME_PROOF, out.Cycles, out.Output
		if w.Challenge {
			// The chain's own benchmark, not a deployer's program that might
			// reject its own proofs; and re-running a sample of it would
			// spend the challenge deadline, sized to the proving alone.
			return res
		}
		return d.checkOwn(ctx, w, res)
	case out.Outcome == sandbox.OutcomeFail:
		res.outcome, res.cycles = pb.Outcome_OUTCOME_FAIL, w.Cycles
	case machineTrouble(out):
		res.err = fmt.Errorf("the worker failed: %s", out.Detail)
	default:
		// The program itself gave no proof (it trapped, or exited without
		// one): answer fail, which the chain has a second prover confirm,
		// rather than nothing, which would be a miss.
		d.cfg.Log.Warn("the program gave no proof on this input: answering fail", "workload", key, "outcome", out.Outcome, "detail", out.Detail)
		res.outcome, res.cycles = pb.Outcome_OUTCOME_FAIL, w.Cycles
	}
	return res
}

// checkOwn runs the program's verifier on the daemon's own proof before it
// is submitted. A proof the program's own verifier rejects would be voted
// invalid and slashed slash_invalid, though the fault is the program's (a
// user can deploy a prover that writes junk and a verifier that rejects
// everything): the daemon answers fail instead, which costs it nothing and
// costs the user the fee once a second prover confirms it.
func (d *Daemon) checkOwn(ctx context.Context, w *pb.Workload, res proveResult) proveResult {
	v := d.verify(ctx, w, 0, res.proof)
	switch {
	case v.err != nil && errors.Is(v.err, errVerifierWall):
		// The program's verifier outran the wall clock on our own proof:
		// a committee would fare no better, and retrying until the
		// promised height would only end in a miss.
		d.cfg.Log.Warn("the program's verifier ran out of time on its own proof: answering fail", "workload", res.key)
		res.outcome, res.cycles, res.proof = pb.Outcome_OUTCOME_FAIL, w.Cycles, nil
	case v.err != nil:
		res.err = fmt.Errorf("checking the proof with the program's verifier: %w", v.err)
	case !v.valid:
		d.cfg.Log.Warn("the program's own verifier rejects its proof: answering fail", "workload", res.key)
		res.outcome, res.cycles, res.proof = pb.Outcome_OUTCOME_FAIL, w.Cycles, nil
	}
	return res
}

// addChallengeBeacon gives a challenge piece's verifier the beacon seed of
// the block after the one that included the result, as an input named
// "beacon" (docs/WORKLOADS.md, "Challenges"): the benchmark samples the
// segments it recomputes with it, and the prover, who committed to its
// digests before that block, cannot grind the sample. Every member passes
// the same seed, so the verdict stays the same everywhere.
func (d *Daemon) addChallengeBeacon(ctx context.Context, dir string, names []string, w *pb.Workload, slot uint32) ([]string, error) {
	if int(slot) >= len(w.Slots) || w.Slots[slot].SubmitHeight == 0 {
		return names, nil // our own check before submitting (challenges skip it)
	}
	seed, err := d.chain.beacon(ctx, w.Slots[slot].SubmitHeight+1)
	if err != nil {
		return nil, fmt.Errorf("the beacon after the challenge's result: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, challengeBeaconInput), seed, 0o600); err != nil {
		return nil, err
	}
	d.cfg.Log.Info("verifying a challenge piece with the beacon", "workload", fmt.Sprintf("%x", w.Id), "slot", slot, "height", w.Slots[slot].SubmitHeight+1)
	return append(names, challengeBeaconInput), nil
}

// challengeBeaconInput is the name of the beacon file a challenge's
// verifier gets (examples/programs/bench BeaconInput).
const challengeBeaconInput = "beacon"

// staged is a job's program module and inputs, ready for a worker; the
// caller removes dir.
type staged struct {
	prog  *pb.Program
	mod   string   // path of the module
	dir   string   // the inputs' directory
	names []string // the inputs, in order
}

// prepare fetches w's program and one of its modules and stages w's inputs.
func (d *Daemon) prepare(ctx context.Context, w *pb.Workload, module func(*pb.Program) *pb.Module) (staged, error) {
	prog, err := d.chain.program(ctx, w.Program)
	if err != nil {
		return staged{}, err
	}
	mod, err := d.fetch.module(ctx, module(prog))
	if err != nil {
		return staged{}, err
	}
	dir, names, err := d.fetch.stage(ctx, w)
	return staged{prog: prog, mod: mod, dir: dir, names: names}, err
}

// verify runs w's verifier module on its inputs and a proof.
func (d *Daemon) verify(ctx context.Context, w *pb.Workload, slot uint32, proof []byte) verifyResult {
	res := verifyResult{workload: w.Id, slot: slot}
	st, err := d.prepare(ctx, w, func(p *pb.Program) *pb.Module { return p.Verifier })
	if err != nil {
		res.err = err
		return res
	}
	defer os.RemoveAll(st.dir)
	mod, dir, names, prog := st.mod, st.dir, st.names, st.prog
	if err := os.WriteFile(filepath.Join(dir, "proof"), proof, 0o600); err != nil {
		res.err = err
		return res
	}
	if w.Challenge {
		if names, err = d.addChallengeBeacon(ctx, dir, names, w, slot); err != nil {
			res.err = err
			return res
		}
	}
	// The verifier's budget (protocol.VerifyBudget): a verifier that loops
	// runs out of it on every machine alike and rejects.
	budget := protocol.VerifyBudget(d.params, prog, w)
	out, err := d.pool.Exec(ctx, sandbox.WorkerJob{
		Program: mod, Role: sandbox.Verify, InDir: dir, Inputs: append(names, "proof"), Cores: 1,
		CacheDir: filepath.Join(d.cfg.Dir, "wazero-cache"), Interpreter: d.cfg.Interpreter,
		Limits: sandbox.Limits{Cycles: budget, MaxOutput: 1 << 10, Wall: 10 * time.Minute},
	})
	if err != nil {
		res.err = err
		return res
	}
	if machineTrouble(out) {
		res.err = fmt.Errorf("the verifier's worker failed: %s", out.Detail)
		if out.Machine == sandbox.MachineWall {
			res.err = fmt.Errorf("%w: %s", errVerifierWall, out.Detail)
		}
		return res // no vote: the machine, not the proof, failed
	}
	res.valid = out.Outcome == sandbox.OutcomeValid
	return res
}

// jobCores is what one proving job may use of the declared cores: they
// are shared by up to MaxConcurrent jobs (a verification, natively a few
// milliseconds, gets one core). 0 means all the machine's.
func (d *Daemon) jobCores() int {
	r := d.cfg.Register
	if r == nil || r.CPUCores == 0 {
		return 0
	}
	return int(max(r.CPUCores/max(r.MaxConcurrent, 1), 1))
}
