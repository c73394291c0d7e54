package prover

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"time"

	"github.com/provernet/provernet/internal/protocol"
	"github.com/provernet/provernet/internal/sandbox"
	"github.com/provernet/provernet/wire"
	"github.com/provernet/provernet/wire/pb"
)

// A tree of deployed programs (docs/TREES.md, "Verification"): its base
// and merge programs are ordinary deployed programs on the tree file
// contract (tree_files.go). The daemon proves a node with the program's
// prover in a sandbox worker, as a Run's, in the background; and, as a
// committee member, judges other provers' pending node proofs with the
// program's verifier (tree_vote.go).

// errNodeProgram marks a node the tree's program failed on by itself: its
// prover gave no node result within its budget, a malformed one, or one
// its own verifier rejects. Trying again would spend the same work for
// the same end (a machine's failure is not one: that node is retried).
var errNodeProgram = errors.New("the tree's program failed on this node")

// treeProveWall bounds one node's proving on the wall clock, as a Run's.
const treeProveWall = 30 * time.Minute

// treeVerifyWall bounds one node proof's verification, as a Run's.
const treeVerifyWall = 10 * time.Minute

// deployedProgram is a tree's pair of deployed programs.
type deployedProgram struct {
	d           *Daemon
	base, merge []byte // the programs' ids
}

func (*deployedProgram) name() string      { return "deployed programs" }
func (*deployedProgram) background() bool  { return true }
func (*deployedProgram) oneChild() bool    { return false }
func (*deployedProgram) needsProofs() bool { return true }

// programOf is the id of the program that proves job's node.
func (p *deployedProgram) programOf(job nodeJob) []byte {
	if protocol.IsTreeBase(job.n, job.node) {
		return p.base
	}
	return p.merge
}

// prove runs the node's program's prover on the contract's files with
// Config.TreeCycles, decodes its node result, and checks it with the
// program's own verifier: a proof its verifier rejects would be voted
// invalid and its prover slashed, so it is not submitted (as checkOwn for
// a Run).
func (p *deployedProgram) prove(ctx context.Context, job nodeJob) ([]byte, []byte, error) {
	d := p.d
	st, err := p.stage(ctx, job, proverModule, nil, nil)
	if err != nil {
		return nil, nil, err
	}
	defer st.remove()
	out, err := d.run(ctx, st, sandbox.Prove, sandbox.Limits{Cycles: d.cfg.TreeCycles, MaxOutput: int64(d.params.MaxProofSize) + nodeResultHeader, Wall: treeProveWall})
	switch {
	case err != nil:
		return nil, nil, err
	case machineTrouble(out):
		return nil, nil, fmt.Errorf("the worker failed: %s", out.Detail)
	case out.Outcome == sandbox.OutcomeFail:
		return nil, nil, fmt.Errorf("%w: the prover ran out of its %d cycles (--tree-cycles)", errNodeProgram, d.cfg.TreeCycles)
	case out.Outcome != sandbox.OutcomeProof:
		return nil, nil, fmt.Errorf("%w: the prover gave no node result: %s: %s", errNodeProgram, out, out.Detail)
	}
	outputs, proof, err := decodeNodeResult(out.Output, job.prover, d.params.MaxProofSize)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %w", errNodeProgram, err)
	}
	v, err := p.verify(ctx, job, outputs, proof)
	switch {
	case err != nil:
		return nil, nil, fmt.Errorf("checking the node proof with the program's verifier: %w", err)
	case v != wire.VerdictValid:
		return nil, nil, fmt.Errorf("%w: its own verifier rejects its node proof: not submitting it", errNodeProgram)
	}
	return proof, outputs, nil
}

// verify runs the node's program's verifier on job's files, outputs and
// proof, with the program's verifier budget (treeVerifyBudget): valid on
// exit 0; invalid on any other end of the program (exit 1, malformed
// input, a trap, the budget spent), as for a Run (verdictOf); an error,
// and no verdict, when the machine failed.
func (p *deployedProgram) verify(ctx context.Context, job nodeJob, outputs, proof []byte) (wire.Verdict, error) {
	d := p.d
	st, err := p.stage(ctx, job, verifierModule, nonNil(outputs), nonNil(proof))
	if err != nil {
		return 0, err
	}
	defer st.remove()
	out, err := d.run(ctx, st, sandbox.Verify, sandbox.Limits{Cycles: treeVerifyBudget(d.params, st.prog), MaxOutput: 1 << 10, Wall: treeVerifyWall})
	if err != nil {
		return 0, err
	}
	return verdictOf(out)
}

// treeVerifyBudget is the verifier budget of a tree program's node proof:
// the program's verify_cycles (the chain requires one of a tree's
// programs), capped by max_verify_cycles; protocol.VerifyBudget's rule
// for a Run without a cycle bound of its own.
func treeVerifyBudget(p protocol.Params, prog *pb.Program) uint64 {
	return protocol.VerifyBudget(p, prog, &pb.Workload{Cycles: math.MaxUint64})
}

// stage fetches the node's program and one of its modules, and stages
// the contract's files for job (with outputs and the proof for a
// verifier) in a fresh directory beside the blob cache.
func (p *deployedProgram) stage(ctx context.Context, job nodeJob, module func(*pb.Program) *pb.Module, outputs, proof []byte) (staged, error) {
	d := p.d
	prog, err := d.chain.program(ctx, p.programOf(job))
	if err != nil {
		return staged{}, fmt.Errorf("the tree's program: %w", err)
	}
	mod, err := d.fetch.module(ctx, module(prog))
	if err != nil {
		return staged{}, err
	}
	files, err := treeNodeFiles(job, protocol.IsTreeBase(job.n, job.node), outputs, func(in *pb.Input) (string, error) {
		return d.fetch.blob(ctx, in.Sha256, "")
	})
	if err != nil {
		return staged{}, err
	}
	dir, err := os.MkdirTemp(d.cfg.Dir, "in-")
	if err != nil {
		return staged{}, err
	}
	names, err := sandbox.StageInputs(dir, files, proof)
	if err != nil {
		os.RemoveAll(dir)
		return staged{}, err
	}
	return staged{prog: prog, mod: mod, dir: dir, names: names}, nil
}
