package protocol

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"slices"
	"strconv"

	"github.com/provernet/provernet/internal/store"
	"github.com/provernet/provernet/internal/treepair"
	"github.com/provernet/provernet/internal/vrf"
	"github.com/provernet/provernet/wire"
	"github.com/provernet/provernet/wire/address"
	"github.com/provernet/provernet/wire/pb"
)

// SubmitNodeProof (docs/TREES.md): who may prove a node when, the
// children a merge names, the copy check, the VRF score, the program's
// verifier, and keeping. Every check runs before anything is written,
// the cheap ones (state, fields, outputs naming the sender) before the
// VRF verification and the verifier, so a refused copy costs the chain
// little.

func submitNodeProof(kv store.KV, env Env, sender address.Address, m *pb.SubmitNodeProof) (Result, error) {
	t, nd, res, err := nodeFor(kv, m)
	if err != nil || !res.OK() {
		return res, err
	}
	prover, res, err := nodeProver(kv, env, t, nd, sender)
	if err != nil || !res.OK() {
		return res, err
	}
	if m.FeeBurnBp > 10000 {
		return reject(wire.CodeInvalidMessage, "node proof: fee_burn_bp %d exceeds 10000", m.FeeBurnBp), nil
	}
	if uint64(len(m.Proof))+uint64(len(m.Outputs)) > env.Params.MaxProofSize {
		return reject(wire.CodeInvalidMessage, "node proof: %d proof and %d output bytes exceed max_proof_size %d", len(m.Proof), len(m.Outputs), env.Params.MaxProofSize), nil
	}
	left, right, res := namedChildren(t, nd.Index, m)
	if !res.OK() {
		return res, nil
	}
	if res := outputsNameSender(sender, m.Outputs); !res.OK() {
		return res, nil
	}
	beta, err := vrf.Verify(prover.VrfPublicKey, m.VrfProof, wire.TreeVRFInput(t.Seed, t.Id, nd.Index, sender))
	if err != nil {
		return reject(wire.CodeInvalidMessage, "node proof: the VRF proof does not verify with %s's registered key over tree %x node %d: %v", sender, t.Id, nd.Index, err), nil
	}
	committee := committeeTree(env.Params, t)
	if !committee {
		if res, err := verifyNodeProof(kv, env, t, nd.Index, sender, left, right, m); err != nil || !res.OK() {
			return res, err
		}
	}
	score := wire.TreeScore(wire.TreeVRFValue(beta), m.FeeBurnBp)
	if _, ok := keepSlot(nd, t.ProofsPerNode, score); !ok {
		return reject(wire.CodeScoreTooLow, "node proof: score %d does not beat node %d's kept proofs that could be replaced", score, nd.Index), nil
	}
	pf := &pb.TreeProof{
		Prover: sender[:], FeeBurnBp: m.FeeBurnBp, Score: score,
		Left: m.Left, Right: m.Right, Outputs: m.Outputs, Height: env.Height,
		StepIn: nd.Phase == pb.NodePhase_NODE_PHASE_STEP_SIBLING || nd.Phase == pb.NodePhase_NODE_PHASE_STEP_ANY,
	}
	if len(m.Proof) > 0 {
		sum := sha256.Sum256(m.Proof)
		pf.ProofSha256 = sum[:]
	}
	var evs []Event
	if committee {
		more, res, err := submitPending(kv, env, t, nd, sender, pf, m.Proof)
		if err != nil || !res.OK() {
			return res, err
		}
		evs = more
	} else {
		more, err := keepNewProof(kv, t, nd, pf, m.Proof)
		if err != nil {
			return Result{}, err
		}
		evs = more
	}
	if err := setTree(kv, t); err != nil {
		return Result{}, err
	}
	if env.checking {
		return Result{}, nil
	}
	ev := event("node_proof", "tree", hex.EncodeToString(t.Id), "node", strconv.Itoa(int(nd.Index)),
		"seq", strconv.Itoa(int(pf.Seq)), "prover", sender.String(), "fee_burn_bp", strconv.Itoa(int(pf.FeeBurnBp)),
		"score", strconv.FormatUint(score, 10), "step_in", strconv.FormatBool(pf.StepIn))
	if committee {
		ev.Attrs = append(ev.Attrs, Attr{Key: "pending", Value: "true"})
	}
	return Result{Events: append([]Event{ev}, evs...)}, nil
}

// keepNewProof keeps a natively verified proof at once: it takes the
// node's next seq and stores the bytes.
func keepNewProof(kv store.KV, t *pb.Tree, nd *pb.TreeNode, pf *pb.TreeProof, proof []byte) ([]Event, error) {
	replace, _ := keepSlot(nd, t.ProofsPerNode, pf.Score) // checked by the caller
	pf.Seq = nd.NextSeq
	nd.NextSeq++
	if len(proof) > 0 {
		if err := kv.Set(treeProofKey(t.Id, nd.Index, pf.Seq), proof); err != nil {
			return nil, err
		}
	}
	return keepProof(kv, t, nd, pf, replace)
}

// nodeFor reads the tree and node m names, proving.
func nodeFor(kv store.KV, m *pb.SubmitNodeProof) (*pb.Tree, *pb.TreeNode, Result, error) {
	if len(m.Tree) != sha256.Size {
		return nil, nil, reject(wire.CodeInvalidMessage, "node proof: tree id is %d bytes, want 32", len(m.Tree)), nil
	}
	t, err := GetTree(kv, m.Tree)
	if isNotFound(err) {
		return nil, nil, reject(wire.CodeNotFound, "node proof: no tree %x", m.Tree), nil
	}
	if err != nil {
		return nil, nil, Result{}, err
	}
	if t.State != pb.TreeState_TREE_STATE_PROVING {
		return nil, nil, reject(wire.CodeWindowClosed, "node proof: tree %x is %s", t.Id, TreeStateName(t.State)), nil
	}
	if m.Node < 1 || m.Node > treeNodes(t.N) {
		return nil, nil, reject(wire.CodeInvalidMessage, "node proof: node %d; tree %x has nodes 1..%d", m.Node, t.Id, treeNodes(t.N)), nil
	}
	return t, t.Nodes[m.Node-1], Result{}, nil
}

// nodeProver checks that sender may prove nd now: an active prover
// registered before the tree's seed height, in the node's window (its
// sibling subtree's provers only in the first step-in window), with no
// kept proof of the node yet.
func nodeProver(kv store.KV, env Env, t *pb.Tree, nd *pb.TreeNode, sender address.Address) (*pb.Prover, Result, error) {
	p, err := GetProver(kv, sender)
	if isNotFound(err) {
		return nil, reject(wire.CodeNotAllowed, "node proof: %s is not a prover", sender), nil
	}
	if err != nil {
		return nil, Result{}, err
	}
	if p.State != pb.ProverState_PROVER_STATE_ACTIVE {
		return nil, reject(wire.CodeNotAllowed, "node proof: %s is %s; only active provers prove nodes", sender, stateName(p.State)), nil
	}
	if sh := treeSeedHeight(t); p.RegisteredHeight >= sh {
		return nil, reject(wire.CodeNotAllowed, "node proof: %s registered its VRF key at height %d, at or after tree %x's seed height %d: a key chosen once the seed is known could be ground for scores", sender, p.RegisteredHeight, t.Id, sh), nil
	}
	switch nd.Phase {
	case pb.NodePhase_NODE_PHASE_OPEN, pb.NodePhase_NODE_PHASE_STEP_ANY:
	case pb.NodePhase_NODE_PHASE_STEP_SIBLING:
		if !proverIn(t, stepInSubtree(nd.Index), sender[:]) {
			return nil, reject(wire.CodeNotAllowed, "node proof: node %d is in its sibling step-in window until height %d: only provers with a kept proof in subtree %d may prove it", nd.Index, nd.PhaseEnd, stepInSubtree(nd.Index)), nil
		}
	default:
		return nil, reject(wire.CodeWindowClosed, "node proof: node %d is %s", nd.Index, NodePhaseName(nd.Phase)), nil
	}
	if nd.Deciding {
		return nil, reject(wire.CodeWindowClosed, "node proof: node %d's window ended at height %d; it takes no more proofs while committees decide the %d pending", nd.Index, nd.PhaseEnd-1, len(nd.Pending)), nil
	}
	for _, pf := range nd.Proofs {
		if bytes.Equal(pf.Prover, sender[:]) {
			return nil, reject(wire.CodeAlreadyExists, "node proof: %s has a kept proof of node %d already (seq %d)", sender, nd.Index, pf.Seq), nil
		}
	}
	return p, Result{}, nil
}

// treeSeedHeight is the height whose seed a proving tree took: the
// height its base nodes opened (every base node opens then).
func treeSeedHeight(t *pb.Tree) int64 {
	return t.Nodes[len(t.Nodes)-1].Opened
}

// stepInSubtree is the subtree whose provers may step in for node: its
// sibling's, or for the root (which has none) the whole tree's.
func stepInSubtree(node uint32) uint32 {
	if s := sibling(node); s != 0 {
		return s
	}
	return 1
}

// namedChildren checks the child proofs a proof of node names: none for
// a base node; for a merge node 1..proofs_per_node seqs per child,
// ascending, each a kept proof of that child. It returns their outputs.
func namedChildren(t *pb.Tree, node uint32, m *pb.SubmitNodeProof) (left, right [][]byte, res Result) {
	if isBase(t.N, node) {
		if len(m.Left)+len(m.Right) != 0 {
			return nil, nil, reject(wire.CodeInvalidMessage, "node proof: node %d is a base node and names no children", node)
		}
		return nil, nil, Result{}
	}
	side := func(child uint32, seqs []uint32) ([][]byte, Result) {
		if len(seqs) == 0 || uint32(len(seqs)) > t.ProofsPerNode || !slices.IsSorted(seqs) || len(slices.Compact(slices.Clone(seqs))) != len(seqs) {
			return nil, reject(wire.CodeInvalidMessage, "node proof: node %d must name 1..%d distinct proofs of child %d, ascending; got %v", node, t.ProofsPerNode, child, seqs)
		}
		var outs [][]byte
		for _, seq := range seqs {
			pf := keptProof(t.Nodes[child-1], seq)
			if pf == nil {
				return nil, reject(wire.CodeInvalidMessage, "node proof: node %d names proof %d of child %d, which is not kept", node, seq, child)
			}
			outs = append(outs, pf.Outputs)
		}
		return outs, Result{}
	}
	if left, res = side(2*node, m.Left); !res.OK() {
		return nil, nil, res
	}
	right, res = side(2*node+1, m.Right)
	return left, right, res
}

// outputsNameSender checks that a node proof's outputs begin with the
// sender's address: a lifted proof names its real prover.
func outputsNameSender(sender address.Address, outputs []byte) Result {
	if len(outputs) < address.Size || !bytes.Equal(outputs[:address.Size], sender[:]) {
		return reject(wire.CodeProofRejected, "node proof: its outputs do not begin with the sender's address %s: a proof binds its prover, and a copied one is worthless", sender)
	}
	return Result{}
}

// verifyNodeProof runs the program's verifier (outputsNameSender has
// run).
func verifyNodeProof(r store.Reader, env Env, t *pb.Tree, node uint32, sender address.Address, left, right [][]byte, m *pb.SubmitNodeProof) (Result, error) {
	tp, _ := env.Params.Trees()
	v, err := treeVerifierFor(tp, t.BaseProgram, t.MergeProgram)
	if err != nil {
		// Checked at ProveTree; the params cannot change under a tree.
		return reject(wire.CodeProofRejected, "node proof: node %d: %v", node, err), nil
	}
	at := nodeAt{tree: t.Id, n: t.N, node: node, prover: sender}
	var bad error
	if isBase(t.N, node) {
		in, err := GetTreeInputs(r, t.Id)
		if err != nil {
			return Result{}, err
		}
		a, b := baseInputs(t.N, node)
		bad = v.base(at, in[a], in[b], m.Outputs, m.Proof)
	} else {
		bad = v.merge(at, left, right, m.Outputs, m.Proof)
	}
	if err := bad; err != nil {
		res := reject(wire.CodeProofRejected, "node proof: node %d: %v", node, err)
		res.ProofInvalid = errors.Is(err, treepair.ErrInvalid)
		return res, nil
	}
	return Result{}, nil
}

// keepProof puts pf (its seq given, its bytes stored) in nd, replacing
// nd.Proofs[replace] unless it is -1, in seq order, and re-derives the
// pins of nd's children. The parent opens only when nd's window closes
// (tree_timer.go).
func keepProof(kv store.KV, t *pb.Tree, nd *pb.TreeNode, pf *pb.TreeProof, replace int) ([]Event, error) {
	var evs []Event
	if replace >= 0 {
		old := nd.Proofs[replace]
		if err := kv.Delete(treeProofKey(t.Id, nd.Index, old.Seq)); err != nil {
			return nil, err
		}
		nd.Proofs = slices.Delete(nd.Proofs, replace, replace+1)
		evs = append(evs, event("node_proof_evicted", "tree", hex.EncodeToString(t.Id), "node", strconv.Itoa(int(nd.Index)),
			"seq", strconv.Itoa(int(old.Seq)), "prover", addrString(old.Prover)))
	}
	// a proof decided by its committee may be older than a kept one
	at, _ := slices.BinarySearchFunc(nd.Proofs, pf.Seq, func(p *pb.TreeProof, seq uint32) int { return cmp.Compare(p.Seq, seq) })
	nd.Proofs = slices.Insert(nd.Proofs, at, pf)
	repin(t, nd)
	return evs, nil
}

// repin derives the pins of merge node nd's children from nd's kept
// proofs: a child proof is pinned exactly when one of them names it. An
// evicted proof's pins go with it (review M1: a pin must not outlive the
// proof that set it).
func repin(t *pb.Tree, nd *pb.TreeNode) {
	if isBase(t.N, nd.Index) {
		return
	}
	for i := range uint32(2) {
		child := t.Nodes[2*nd.Index+i-1]
		for _, c := range child.Proofs {
			c.Pinned = false
		}
		for _, pf := range nd.Proofs {
			for _, s := range [][]uint32{pf.Left, pf.Right}[i] {
				if c := keptProof(child, s); c != nil {
					c.Pinned = true
				}
			}
		}
	}
}

// openIfReady opens merge node parent at height h if it waits and both
// its children have closed: their kept proofs are final.
func openIfReady(kv store.KV, p Params, h int64, t *pb.Tree, parent uint32) (bool, error) {
	nd := t.Nodes[parent-1]
	closed := func(c uint32) bool { return t.Nodes[c-1].Phase == pb.NodePhase_NODE_PHASE_CLOSED }
	if nd.Phase != pb.NodePhase_NODE_PHASE_WAITING || !closed(2*parent) || !closed(2*parent+1) {
		return false, nil
	}
	return true, openNode(kv, p, h, t, nd)
}

// openNode opens nd at height h for node_deadline blocks (more only
// when the committee path moved the tree off its reserved heights and the
// height it would end at has no room for its timer: treeTimerFrom).
func openNode(kv store.KV, p Params, h int64, t *pb.Tree, nd *pb.TreeNode) error {
	end, err := treeTimerFrom(kv, p, h+t.NodeDeadline, t.Id)
	nd.Phase, nd.Opened, nd.PhaseEnd = pb.NodePhase_NODE_PHASE_OPEN, h, end
	return err
}

// nodeEvent describes a node's phase.
func nodeEvent(t *pb.Tree, nd *pb.TreeNode) Event {
	return event("node", "tree", hex.EncodeToString(t.Id), "node", strconv.Itoa(int(nd.Index)),
		"phase", NodePhaseName(nd.Phase), "until", strconv.FormatInt(nd.PhaseEnd, 10), "kept", strconv.Itoa(len(nd.Proofs)))
}
