package client

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/provernet/provernet/wire"
	"github.com/provernet/provernet/wire/address"
	"github.com/provernet/provernet/wire/pb"
)

// Proof trees (issue 16, docs/TREES.md).

// ProveTreeMsg asks for a proof tree of the hash test pair (which proves
// nothing: docs/TREES.md) over inline inputs, named tx0, tx1, ..., with
// reward R uprv and node_deadline blocks per window. len(inputs) must be
// a power of two.
func ProveTreeMsg(inputs [][]byte, reward uint64, nodeDeadline int64) *Msg {
	m := &pb.ProveTree{BaseProgram: wire.TreeHashBaseProgram, MergeProgram: wire.TreeHashMergeProgram,
		Reward: reward, NodeDeadline: nodeDeadline}
	for i, in := range inputs {
		m.Inputs = append(m.Inputs, &pb.Input{Name: fmt.Sprintf("tx%d", i), Data: in})
	}
	return &Msg{Kind: &pb.Msg_ProveTree{ProveTree: m}}
}

// ProveTreeGnarkMsg asks for a proof tree of the gnark pair (real
// recursive Groth16 proofs: docs/TREES.md, "The gnark pair") whose keys
// the chain's params p name, over inline inputs as ProveTreeMsg.
func ProveTreeGnarkMsg(p *wire.Params, inputs [][]byte, reward uint64, nodeDeadline int64) (*Msg, error) {
	if p.TreeParams == nil || len(p.TreeGnarkBaseVK) == 0 {
		return nil, errors.New("this chain's params name no gnark pair (tree_gnark_base_vk): its genesis must carry the keys `provernet tree keys` makes")
	}
	base, merge := wire.TreeGnarkPrograms(p.TreeGnarkBaseVK, p.TreeGnarkMergeVKs)
	m := ProveTreeMsg(inputs, reward, nodeDeadline)
	m.GetProveTree().BaseProgram, m.GetProveTree().MergeProgram = base, merge
	return m, nil
}

// ProveTreeProgramsMsg asks for a proof tree of two deployed programs
// (ids), whose node proofs committees judge (docs/TREES.md,
// "Verification"), over inline inputs as ProveTreeMsg.
func ProveTreeProgramsMsg(base, merge []byte, inputs [][]byte, reward uint64, nodeDeadline int64) *Msg {
	m := ProveTreeMsg(inputs, reward, nodeDeadline)
	m.GetProveTree().BaseProgram, m.GetProveTree().MergeProgram = base, merge
	return m
}

// ProveTree sends m (a ProveTree message) alone in a transaction and
// returns the tree's id (hex), known before the chain includes it.
func (c *Client) ProveTree(ctx context.Context, key *Key, fee uint64, m *Msg) (string, *wire.BroadcastResult, error) {
	if m.GetProveTree() == nil {
		return "", nil, fmt.Errorf("not a ProveTree message")
	}
	fp, err := c.FeeParams(ctx)
	if err != nil {
		return "", nil, err
	}
	raw, nonce, err := c.signNext(ctx, key, fee, fp, m)
	if err != nil {
		return "", nil, err
	}
	sender, err := address.Parse(key.Address())
	if err != nil {
		return "", nil, err
	}
	res, err := c.Broadcast(ctx, raw)
	return hex.EncodeToString(wire.TreeID(sender, nonce, 0)), res, err
}

// Tree reads a proof tree by its id (hex).
func (c *Client) Tree(ctx context.Context, id string) (*wire.Tree, error) {
	var t wire.Tree
	return &t, c.get(ctx, "/v1/trees/"+url.PathEscape(id), &t)
}

// TreeProof reads the bytes of a tree's kept proof seq of node (empty
// for the hash pair), checked against the SHA-256 the tree record names
// when want is not empty.
func (c *Client) TreeProof(ctx context.Context, id string, node, seq uint32, want []byte) ([]byte, error) {
	b, err := c.getBytes(ctx, fmt.Sprintf("/v1/trees/%s/nodes/%d/proofs/%d", url.PathEscape(id), node, seq))
	if err != nil {
		return nil, err
	}
	if sum := sha256.Sum256(b); len(want) > 0 && !bytes.Equal(sum[:], want) {
		return nil, fmt.Errorf("tree %s node %d proof %d: the node sent bytes of SHA-256 %x, the tree names %x", id, node, seq, sum, want)
	}
	return b, nil
}

// TreeEnded reports whether a tree is final or expired (a WaitTree done
// function).
func TreeEnded(t *wire.Tree) bool { return t.State == "final" || t.State == "expired" }

// WaitTree reads a tree every interval (0: the client's poll interval)
// until done says so or ctx ends. seen, if set, is called whenever the
// tree's progress changes: its state, a node's phase or its kept proofs.
// A tree not found yet (its ProveTree not in a block) is waited for.
func (c *Client) WaitTree(ctx context.Context, id string, every time.Duration, seen func(*wire.Tree), done func(*wire.Tree) bool) (*wire.Tree, error) {
	if every <= 0 {
		every = c.poll
	}
	last := ""
	for {
		t, err := c.Tree(ctx, id)
		switch {
		case err == nil:
			if sig := treeSignature(t); sig != last && seen != nil {
				last = sig
				seen(t)
			}
			if done(t) {
				return t, nil
			}
		case ctx.Err() != nil:
		case !errors.Is(err, ErrNotFound) && !Transient(err):
			return nil, err
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("stopped waiting for tree %s: %w", id, ctx.Err())
		case <-time.After(every):
		}
	}
}

// treeSignature changes whenever a tree's progress does.
func treeSignature(t *wire.Tree) string {
	var b strings.Builder
	b.WriteString(t.State)
	for _, nd := range t.Nodes {
		fmt.Fprintf(&b, "|%d:%s:%d", nd.Node, nd.Phase, len(nd.Proofs))
		for _, pf := range nd.Proofs {
			fmt.Fprintf(&b, ",%d", pf.Seq)
		}
	}
	return b.String()
}

// TreeRoot is a final tree's winning root proof, as `provernet tree root`
// writes it: the proof (empty for the hash pair, which proves nothing; a
// real pair's bytes are kept by the chain and named here by their hash),
// its public outputs, which commit to the whole tree, and its total score.
type TreeRoot struct {
	Tree         string `json:"tree"`
	BaseProgram  string `json:"base_program"`
	MergeProgram string `json:"merge_program"`
	Seq          uint32 `json:"seq"` // the winning root proof among the root's kept proofs
	Prover       string `json:"prover"`
	Height       int64  `json:"height"`  // the block it was submitted in
	Outputs      string `json:"outputs"` // hex
	Proof        string `json:"proof"`   // hex; empty for the hash pair
	ProofSha256  string `json:"proof_sha256,omitempty"`
	Total        uint64 `json:"total"`     // the total score of its tree
	Proofs       int    `json:"proofs"`    // proofs in the winning tree
	PaidUprv     uint64 `json:"paid_uprv"` // paid to the winning tree's proofs
}

// ErrTreeNotFinal is TreeRootOf's answer for a tree with no winner (yet).
var ErrTreeNotFinal = errors.New("the tree is not final")

// TreeRootOf is a final tree's winning root proof.
func TreeRootOf(t *wire.Tree) (*TreeRoot, error) {
	if t.State != "final" || t.Winner == nil || len(t.Nodes) == 0 {
		return nil, fmt.Errorf("tree %s is %s: %w", t.ID, t.State, ErrTreeNotFinal)
	}
	r := &TreeRoot{Tree: t.ID, BaseProgram: t.BaseProgram, MergeProgram: t.MergeProgram, Seq: *t.Winner}
	for _, nd := range t.Nodes {
		for _, pf := range nd.Proofs {
			if pf.InWinningTree {
				r.Proofs++
				r.PaidUprv += pf.PaidUprv
			}
		}
	}
	for _, pf := range t.Nodes[0].Proofs {
		if pf.Seq == *t.Winner {
			r.Prover, r.Height, r.Outputs, r.ProofSha256, r.Total = pf.Prover, pf.Height, pf.Outputs, pf.ProofSha256, pf.Total
			return r, nil
		}
	}
	return nil, fmt.Errorf("tree %s: the winning root proof %d is not among the root's kept proofs", t.ID, *t.Winner)
}
