package prover

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/provernet/provernet/internal/protocol"
	"github.com/provernet/provernet/internal/vrf"
	"github.com/provernet/provernet/wire"
	"github.com/provernet/provernet/wire/address"
	"github.com/provernet/provernet/wire/pb"
)

// The tree executor: it reads each tree of interest, computes this
// prover's VRF proofs for the nodes in a window, asks the tree planner
// (tree_plan.go) and carries out its actions. Proving a node of the hash
// pair is computing a hash here, in the daemon (tree_program.go); the
// other pairs prove in the background. It also judges the pending node
// proofs whose committee this prover sits on (tree_vote.go).

// tendTrees tends every tree of interest once, with free nodes of
// capacity for the pass.
func (d *Daemon) tendTrees(ctx context.Context, free int) {
	for _, id := range d.sortedTrees() {
		n, err := d.tendTree(ctx, id, free)
		free -= n
		if err != nil {
			d.cfg.Log.Warn("tree", "id", id, "err", err)
		}
	}
}

// tendTree looks at one tree and proves what is due; it returns how many
// nodes it proved.
func (d *Daemon) tendTree(ctx context.Context, id string, free int) (int, error) {
	raw, err := decodeID(id)
	if err != nil {
		delete(d.trees, id)
		return 0, err
	}
	t, err := d.chain.tree(ctx, raw)
	if errors.Is(err, errNotFound) {
		return 0, nil // not in a committed block yet
	}
	if err != nil {
		return 0, err
	}
	w := d.trees[id]
	prog, perr := d.nodeProgramFor(t)
	v := treeView{t: t, self: d.standing(), feeBurn: d.cfg.TreeFeeBurnBP, sent: w.sent, proving: w.proving, gaveUp: w.gaveUp, tip: d.tip}
	v.self.free = free
	if perr != nil {
		v.self.free = 0 // it cannot prove this pair; it still forgets the tree when it ends
		if !w.warned && t.State == pb.TreeState_TREE_STATE_PROVING {
			w.warned = true
			d.cfg.Log.Warn("a tree this daemon cannot prove", "id", id, "err", perr)
		}
	} else {
		v.oneChild = prog.oneChild()
	}
	if v.values, err = d.treeValues(t, w); err != nil {
		return 0, err
	}
	proved := 0
	var errs []error
	for _, a := range planTree(v) {
		switch a.kind {
		case actForgetTree:
			d.forgetJudged(w)
			delete(d.trees, id)
		case actProveNode:
			proved++
			if err := d.proveNode(ctx, prog, t, w, a); err != nil {
				errs = append(errs, fmt.Errorf("node %d: %w", a.node, err))
			}
		}
	}
	if perr == nil {
		if err := d.judgeTree(ctx, prog, t, w); err != nil {
			errs = append(errs, err)
		}
	}
	return proved, errors.Join(errs...)
}

// treeValues computes (once per node) this prover's VRF proof for every
// node of t in a window, and returns their values; none without a VRF
// key that matches the chain's record.
func (d *Daemon) treeValues(t *pb.Tree, w *treeWork) (map[uint32]uint64, error) {
	if t.State != pb.TreeState_TREE_STATE_PROVING {
		return nil, nil
	}
	k := d.treeVRFKey()
	if k == nil {
		return nil, nil
	}
	values := map[uint32]uint64{}
	for _, nd := range t.Nodes {
		if !protocol.InTreeWindow(nd.Phase) {
			continue
		}
		nv, ok := w.vrf[nd.Index]
		if !ok {
			pi, err := vrf.Prove(k.Secret, wire.TreeVRFInput(t.Seed, t.Id, nd.Index, d.addr))
			if err != nil {
				return nil, err
			}
			beta, err := vrf.ProofToHash(pi)
			if err != nil {
				return nil, err
			}
			nv = nodeVRF{pi: pi, value: wire.TreeVRFValue(beta)}
			w.vrf[nd.Index] = nv
		}
		values[nd.Index] = nv.value
	}
	return values, nil
}

// proveNode computes a node's proof with the tree's program and sends it:
// in the pass for a fast program (the hash pair), in the background for a
// slow one (the gnark pair: onTreeProved sends it). The send is noted
// whatever its fate: a refusal (someone's proof landed first) is looked
// at again after resendAfter blocks, not every pass.
func (d *Daemon) proveNode(ctx context.Context, prog nodeProgram, t *pb.Tree, w *treeWork, a treeAction) error {
	job, err := d.nodeJob(ctx, prog, t, w, a)
	if err != nil {
		return err
	}
	if !prog.background() {
		proof, outputs, err := prog.prove(ctx, job)
		if err != nil {
			return err
		}
		return d.sendNodeProof(ctx, prog, t, w, a, proof, outputs)
	}
	w.proving[a.node] = true
	d.treeProving++
	d.cfg.Log.Info("proving a tree node", "pair", prog.name(), "tree", hex.EncodeToString(t.Id), "node", a.node,
		"level", protocol.TreeLevel(t.N, a.node), "score", a.score)
	go func() {
		start := time.Now()
		proof, outputs, err := prog.prove(ctx, job)
		r := treeProved{id: hex.EncodeToString(t.Id), t: t, prog: prog, a: a, proof: proof, outputs: outputs, err: err, took: time.Since(start)}
		select {
		case d.treeDone <- r:
		case <-ctx.Done():
		}
	}()
	return nil
}

// treeProved is a background node proof's result.
type treeProved struct {
	id             string
	t              *pb.Tree
	prog           nodeProgram
	a              treeAction
	proof, outputs []byte
	err            error
	took           time.Duration
}

// onTreeProved sends a background node proof, or notes its failure: the
// node is looked at again after resendAfter blocks, unless the program
// itself failed on it (errNodeProgram), when this prover gives it up.
func (d *Daemon) onTreeProved(ctx context.Context, r treeProved) {
	d.treeProving--
	w := d.trees[r.id]
	if w == nil {
		return // the tree ended meanwhile
	}
	delete(w.proving, r.a.node)
	if errors.Is(r.err, errNodeProgram) {
		w.gaveUp[r.a.node] = true
		d.cfg.Log.Warn("the tree's program cannot prove this node: giving it up", "pair", r.prog.name(), "tree", r.id, "node", r.a.node, "err", r.err)
		return
	}
	if r.err != nil {
		w.sent[r.a.node] = d.tip
		d.cfg.Log.Warn("proving a tree node failed", "pair", r.prog.name(), "tree", r.id, "node", r.a.node, "err", r.err)
		return
	}
	d.cfg.Log.Info("proved a tree node", "pair", r.prog.name(), "tree", r.id, "node", r.a.node, "seconds", r.took.Seconds())
	if err := d.sendNodeProof(ctx, r.prog, r.t, w, r.a, r.proof, r.outputs); err != nil {
		d.cfg.Log.Warn("tree", "id", r.id, "err", fmt.Errorf("node %d: %w", r.a.node, err))
	}
}

// nodeJob gathers what proving a node needs: a base node's inputs, or the
// named child proofs' outputs (and bytes, if the program needs them).
func (d *Daemon) nodeJob(ctx context.Context, prog nodeProgram, t *pb.Tree, w *treeWork, a treeAction) (nodeJob, error) {
	return d.nodeJobFor(ctx, prog, t, w, a.node, d.addr, a.left, a.right)
}

// nodeJobFor is node's job for prover's proof naming left and right (a
// merge's child proofs): what proving it needs, and what judging it does.
func (d *Daemon) nodeJobFor(ctx context.Context, prog nodeProgram, t *pb.Tree, w *treeWork, node uint32, prover address.Address, left, right []uint32) (nodeJob, error) {
	job := nodeJob{tree: t.Id, n: t.N, node: node, prover: prover}
	if node < 1 || int(node) > len(t.Nodes) {
		return job, fmt.Errorf("the tree has no node %d", node)
	}
	if protocol.IsTreeBase(t.N, node) {
		if w.inputs == nil {
			var err error
			if w.inputs, err = d.chain.treeInputs(ctx, t.Id); err != nil {
				return job, err
			}
		}
		i, j := protocol.TreeBaseInputs(t.N, node)
		if int(j) >= len(w.inputs) {
			return job, fmt.Errorf("the tree has %d inputs, base node %d proves %d and %d", len(w.inputs), node, i, j)
		}
		job.a, job.b = w.inputs[i], w.inputs[j]
		return job, nil
	}
	var err error
	if job.left, err = d.childProofs(ctx, prog, t, 2*node, left); err != nil {
		return job, err
	}
	job.right, err = d.childProofs(ctx, prog, t, 2*node+1, right)
	return job, err
}

// childProofs are child's kept proofs with seqs, in that order; a seq the
// child does not keep is an error (a merge's files must be exactly the
// proofs it names).
func (d *Daemon) childProofs(ctx context.Context, prog nodeProgram, t *pb.Tree, child uint32, seqs []uint32) ([]childProof, error) {
	var out []childProof
	for _, s := range seqs {
		i := slices.IndexFunc(t.Nodes[child-1].Proofs, func(pf *pb.TreeProof) bool { return pf.Seq == s })
		if i < 0 {
			return nil, fmt.Errorf("child %d keeps no proof %d", child, s)
		}
		pf := t.Nodes[child-1].Proofs[i]
		c := childProof{seq: s, outputs: pf.Outputs}
		if prog.needsProofs() {
			var err error
			if c.proof, err = d.chain.treeProof(ctx, t.Id, child, s, pf.ProofSha256); err != nil {
				return nil, fmt.Errorf("child %d proof %d: %w", child, s, err)
			}
		}
		out = append(out, c)
	}
	return out, nil
}

// sendNodeProof sends one SubmitNodeProof.
func (d *Daemon) sendNodeProof(ctx context.Context, prog nodeProgram, t *pb.Tree, w *treeWork, a treeAction, proof, outputs []byte) error {
	w.sent[a.node] = d.tip
	m := &pb.SubmitNodeProof{Tree: t.Id, Node: a.node, Left: a.left, Right: a.right, VrfProof: w.vrf[a.node].pi,
		FeeBurnBp: d.cfg.TreeFeeBurnBP, Proof: proof, Outputs: outputs}
	if err := d.signer.send(ctx, d.chain, &pb.Msg{Kind: &pb.Msg_SubmitNodeProof{SubmitNodeProof: m}}); err != nil {
		return err
	}
	d.cfg.Log.Info("submitted a tree node proof ("+prog.name()+")", "tree", hex.EncodeToString(t.Id),
		"node", a.node, "score", a.score, "fee_burn_bp", d.cfg.TreeFeeBurnBP, "left", a.left, "right", a.right, "step_in", a.stepIn)
	return nil
}
