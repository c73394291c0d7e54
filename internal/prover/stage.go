package prover

import (
	"context"
	"crypto/rand"
	"fmt"
	"os"
	"path/filepath"

	"github.com/provernet/provernet/internal/sandbox"
	"github.com/provernet/provernet/wire/pb"
)

// staged is a job's program module and inputs, ready for a worker; the
// caller calls remove when the worker is done.
type staged struct {
	prog  *pb.Program
	mod   string   // path of the module
	dir   string   // the inputs' directory
	names []string // the inputs, in order, for sandbox.WorkerJob.Inputs
}

func (s staged) remove() { os.RemoveAll(s.dir) }

func proverModule(p *pb.Program) *pb.Module   { return p.Prover }
func verifierModule(p *pb.Program) *pb.Module { return p.Verifier }

// prepare fetches w's program and one of its modules, and stages w's
// inputs, then extra files, then (for a verifier) the proof in a fresh
// directory, through sandbox.StageInputs: the chain checked every input's
// name on the Run (wire.CheckInputName), and a challenge's input is named
// by the chain, so no name needs mapping here. The directory is under the
// daemon's directory, beside the blob cache, so blob inputs are staged as
// hard links to their cached files.
func (d *Daemon) prepare(ctx context.Context, w *pb.Workload, module func(*pb.Program) *pb.Module, extra []sandbox.File, proof []byte) (staged, error) {
	prog, err := d.chain.program(ctx, w.Program)
	if err != nil {
		return staged{}, err
	}
	mod, err := d.fetch.module(ctx, module(prog))
	if err != nil {
		return staged{}, err
	}
	files, err := d.fetch.inputs(ctx, w)
	if err != nil {
		return staged{}, err
	}
	dir, err := os.MkdirTemp(d.cfg.Dir, "in-")
	if err != nil {
		return staged{}, err
	}
	names, err := sandbox.StageInputs(dir, append(files, extra...), proof)
	if err != nil {
		os.RemoveAll(dir)
		return staged{}, err
	}
	return staged{prog: prog, mod: mod, dir: dir, names: names}, nil
}

// challengeBeaconInput is the name of the beacon file a challenge's
// verifier gets (examples/programs/bench BeaconInput).
const challengeBeaconInput = "beacon"

// challengeBeacon gives a challenge piece's verifier the beacon seed of
// the block after the one that included the result, as an input named
// "beacon" (docs/WORKLOADS.md, "Challenges"): the benchmark samples the
// segments it recomputes with it, and the prover, who committed to its
// digests before that block, cannot grind the sample. Every member passes
// the same seed, so the verdict stays the same everywhere. Before the
// result is in a block (the daemon's own check, which challenges skip)
// there is no beacon to give.
func (d *Daemon) challengeBeacon(ctx context.Context, w *pb.Workload, slot uint32) ([]sandbox.File, error) {
	if int(slot) >= len(w.Slots) || w.Slots[slot].SubmitHeight == 0 {
		return nil, nil
	}
	h := w.Slots[slot].SubmitHeight + 1
	seed, err := d.chain.beacon(ctx, h)
	if err != nil {
		return nil, fmt.Errorf("the beacon after the challenge's result: %w", err)
	}
	d.cfg.Log.Info("verifying a challenge piece with the beacon", "workload", fmt.Sprintf("%x", w.Id), "slot", slot, "height", h)
	return []sandbox.File{{Name: challengeBeaconInput, Data: seed}}, nil
}

// run runs the staged module in a worker with limits, as a prover (fresh
// randomness, the job's cores) or a verifier (none, one core), and
// records it in the metrics: the one way Runs and tree nodes reach the
// sandbox.
func (d *Daemon) run(ctx context.Context, st staged, role sandbox.Role, limits sandbox.Limits) (*sandbox.Result, error) {
	job := sandbox.WorkerJob{
		Program: st.mod, Role: role, InDir: st.dir, Inputs: st.names, Cores: 1,
		CacheDir: filepath.Join(d.cfg.Dir, "wazero-cache"), Interpreter: d.cfg.Interpreter, Limits: limits,
	}
	if role == sandbox.Prove {
		job.Seed = make([]byte, 32)
		_, _ = rand.Read(job.Seed)
		job.Cores = d.jobCores()
	}
	out, err := d.pool.Exec(ctx, job)
	d.metrics.observeRun(st.prog, role, out, err)
	return out, err
}
