package prover

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/provernet/provernet/internal/protocol"
	"github.com/provernet/provernet/internal/vrf"
	"github.com/provernet/provernet/wire"
	"github.com/provernet/provernet/wire/pb"
)

// The tree executor: it reads each tree of interest, computes this
// prover's VRF proofs for the nodes in a window, asks the tree planner
// (tree_plan.go) and carries out its actions. Proving a node of the hash
// pair is computing a hash here, in the daemon (tree_program.go); a real
// pair would go to the sandbox as a Run's program does.

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
	v := treeView{t: t, self: d.standing(), feeBurn: d.cfg.TreeFeeBurnBP, sent: w.sent, tip: d.tip}
	v.self.free = free
	if v.values, err = d.treeValues(t, w); err != nil {
		return 0, err
	}
	proved := 0
	var errs []error
	for _, a := range planTree(v) {
		switch a.kind {
		case actForgetTree:
			delete(d.trees, id)
		case actProveNode:
			proved++
			if err := d.proveNode(ctx, t, w, a); err != nil {
				errs = append(errs, fmt.Errorf("node %d: %w", a.node, err))
			}
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

// proveNode computes a node's proof with the tree's program and sends it.
// The send is noted whatever its fate: a refusal (someone's proof landed
// first) is looked at again after resendAfter blocks, not every pass.
func (d *Daemon) proveNode(ctx context.Context, t *pb.Tree, w *treeWork, a treeAction) error {
	prog, err := nodeProgramFor(t)
	if err != nil {
		return err
	}
	var proof, outputs []byte
	if protocol.IsTreeBase(t.N, a.node) {
		if w.inputs == nil {
			if w.inputs, err = d.chain.treeInputs(ctx, t.Id); err != nil {
				return err
			}
		}
		i, j := protocol.TreeBaseInputs(t.N, a.node)
		if int(j) >= len(w.inputs) {
			return fmt.Errorf("the tree has %d inputs, base node %d proves %d and %d", len(w.inputs), a.node, i, j)
		}
		proof, outputs, err = prog.base(d.addr, w.inputs[i], w.inputs[j])
	} else {
		proof, outputs, err = prog.merge(d.addr, childOutputs(t, 2*a.node, a.left), childOutputs(t, 2*a.node+1, a.right))
	}
	if err != nil {
		return err
	}
	w.sent[a.node] = d.tip
	m := &pb.SubmitNodeProof{Tree: t.Id, Node: a.node, Left: a.left, Right: a.right, VrfProof: w.vrf[a.node].pi,
		FeeBurnBp: d.cfg.TreeFeeBurnBP, Proof: proof, Outputs: outputs}
	if err := d.signer.send(ctx, d.chain, &pb.Msg{Kind: &pb.Msg_SubmitNodeProof{SubmitNodeProof: m}}); err != nil {
		return err
	}
	d.cfg.Log.Info("submitted a tree node proof (the hash pair: it proves nothing)", "tree", hex.EncodeToString(t.Id),
		"node", a.node, "score", a.score, "fee_burn_bp", d.cfg.TreeFeeBurnBP, "left", a.left, "right", a.right, "step_in", a.stepIn)
	return nil
}

// childOutputs are the outputs of child's kept proofs with seqs, in that
// order.
func childOutputs(t *pb.Tree, child uint32, seqs []uint32) [][]byte {
	var out [][]byte
	for _, s := range seqs {
		for _, pf := range t.Nodes[child-1].Proofs {
			if pf.Seq == s {
				out = append(out, pf.Outputs)
			}
		}
	}
	return out
}
