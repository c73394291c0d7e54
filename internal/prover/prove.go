package prover

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/provernet/provernet/internal/sandbox"
	"github.com/provernet/provernet/wire"
	"github.com/provernet/provernet/wire/pb"
)

// proveResult is what a proving worker reports.
type proveResult struct {
	key     string
	outcome pb.Outcome
	cycles  uint64
	proof   []byte
	wall    time.Duration // from the start of prove to its answer
	err     error         // the machine's trouble (worth running again), never the program's
}

// startProving runs j's proving in the background; the result comes back
// on d.proved, and dropping the job cancels it.
func (d *Daemon) startProving(ctx context.Context, w *pb.Workload, j *job) {
	key := j.key()
	jctx, cancel := context.WithCancel(ctx)
	d.running[key] = cancel
	d.cfg.Log.Info("proving", "workload", j.Workload, "slot", j.Slot, "open_market", j.Open, "challenge", w.Challenge)
	d.observe("proving", j.Workload, j.Slot)
	go func() {
		start := time.Now()
		r := d.prove(jctx, w, key)
		r.wall = time.Since(start)
		select {
		case d.proved <- r:
		case <-ctx.Done():
		}
	}()
}

// prove runs w's prover module on its inputs in a worker process.
func (d *Daemon) prove(ctx context.Context, w *pb.Workload, key string) proveResult {
	res := proveResult{key: key}
	st, err := d.prepare(ctx, w, proverModule, nil, nil)
	if err != nil {
		res.err = err
		return res
	}
	defer st.remove()
	out, err := d.run(ctx, st, sandbox.Prove, sandbox.Limits{Cycles: w.Cycles, MaxOutput: int64(d.params.MaxProofSize), Wall: 30 * time.Minute})
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
	case v.verdict != wire.VerdictValid:
		d.cfg.Log.Warn("the program's own verifier rejects its proof: answering fail", "workload", res.key)
		res.outcome, res.cycles, res.proof = pb.Outcome_OUTCOME_FAIL, w.Cycles, nil
	}
	return res
}

// onProved records a worker's result (or its trouble), then carries out
// planProved: submit it, or drop it when its slot takes it no more.
func (d *Daemon) onProved(ctx context.Context, r proveResult) {
	if cancel := d.running[r.key]; cancel != nil {
		cancel()
	}
	delete(d.running, r.key)
	j := d.jobs.jobs[r.key]
	if j == nil || ctx.Err() != nil {
		return // dropped meanwhile, or shutting down: the job stays as it was on disk
	}
	id, _ := hex.DecodeString(j.Workload)
	if r.err == nil && r.outcome == pb.Outcome_OUTCOME_PROOF {
		d.pace.proved(r.cycles, r.wall)
	}
	if r.err != nil {
		missing := errors.Is(r.err, errInputMissing)
		var w *pb.Workload
		if missing {
			w, _ = d.chain.workload(ctx, id) // nil when it cannot be read: retry
		}
		t := afterTrouble(*j, w, d.tip, missing)
		j.MissingSince = t.missingSince
		if !t.fail {
			d.cfg.Log.Warn("proving could not run; retrying", "workload", j.Workload, "slot", j.Slot, "err", r.err)
			j.RetryAt, j.Error = t.retryAt, r.err.Error()
			_ = d.jobs.save(j)
			return
		}
		d.cfg.Log.Warn("a Run's input never arrived before the promise: answering fail", "workload", j.Workload, "slot", j.Slot, "missing_since", j.MissingSince, "err", r.err)
		r = proveResult{key: r.key, outcome: pb.Outcome_OUTCOME_FAIL, cycles: w.Cycles}
	}
	j.Proof = d.jobs.path(j, "proof")
	if err := os.WriteFile(j.Proof, r.proof, 0o600); err != nil {
		d.cfg.Log.Warn("cannot keep the proof", "err", err)
		return
	}
	j.State, j.Outcome, j.CyclesUsed = jobProved, r.outcome, r.cycles
	if h, _, err := d.chain.height(ctx); err == nil {
		d.tip = max(d.tip, h)
	}
	d.observe("proved", j.Workload, j.Slot)
	if err := d.jobs.save(j); err != nil {
		d.cfg.Log.Warn("cannot save the job", "err", err)
		return
	}
	w, err := d.chain.workload(ctx, id)
	if err != nil {
		d.cfg.Log.Warn("cannot read the workload to submit", "err", err)
		return // the next pass retries (state proved)
	}
	if err := d.execute(ctx, w, d.cfg.Fault.filter(planProved(w, *j, d.standing()))); err != nil {
		d.cfg.Log.Warn("submit failed", "workload", j.Workload, "slot", j.Slot, "err", err)
	}
}

// jobCores is what one proving job may use of the declared cores: they
// are shared by up to MaxConcurrent jobs (a verification, natively a few
// milliseconds, gets one core). 0 means all the machine's.
func (d *Daemon) jobCores() int { return jobCores(d.cfg.Register) }

func jobCores(r *Registration) int {
	if r == nil || r.CPUCores == 0 {
		return 0
	}
	return int(max(r.CPUCores/max(r.MaxConcurrent, 1), 1))
}
