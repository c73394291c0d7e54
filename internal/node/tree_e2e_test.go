package node

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/provernet/provernet/client"
	"github.com/provernet/provernet/internal/prover"
	"github.com/provernet/provernet/internal/treecheck"
	"github.com/provernet/provernet/wire"
)

// TestE2ETree: three prover daemons, with fee burns 0, 1000 and 2500 bp,
// prove a tree of four inputs of the hash pair to final (issue 16). Each
// proves each node (there is room for all three), the root proofs name
// every kept child proof, so the winning root's total is the largest any
// root could have (every base proof plus the best root score); every
// kept proof in the winning tree is paid the formula's share for its fee
// burn and the rest burns.
func TestE2ETree(t *testing.T) {
	t.Parallel()
	e := startE2E(t, 3)
	e.treeFeeBurn = map[int]uint32{1: 1000, 2: 2500}
	for i := range 3 {
		e.startProver(i, prover.FaultNone)
	}
	e.waitActive(3)
	ctx := e.ctx(120 * time.Second)
	var inputs [][]byte
	for i := range 4 {
		inputs = append(inputs, fmt.Appendf(nil, "rollup transaction %d", i))
	}
	_, tr := e.proveTreeToFinal(ctx, client.ProveTreeMsg(inputs, 3_000_000, 15))
	// The root checks out from the inputs alone (as `tree root` checks
	// it), every proof of the winning tree recomputed; other inputs fail.
	inWinning := 0
	for _, nd := range tr.Nodes {
		for _, pf := range nd.Proofs {
			if pf.InWinningTree {
				inWinning++
			}
		}
	}
	if check, err := treecheck.Verify(tr, inputs, nil, nil); err != nil || check.Recomputed != inWinning || !check.Inputs {
		t.Errorf("treecheck.Verify: %+v %v; want all %d proofs of the winning tree recomputed from the inputs", check, err, inWinning)
	}
	other := append([][]byte{[]byte("another transaction")}, inputs[1:]...)
	if _, err := treecheck.Verify(tr, other, nil, nil); err == nil {
		t.Error("treecheck.Verify accepted the root against other inputs")
	}
	burns := map[string]uint32{}
	for i, k := range e.d.ProverKeys {
		burns[k.Address()] = e.treeFeeBurn[i]
	}
	for _, nd := range tr.Nodes {
		var provers []string
		for _, pf := range nd.Proofs {
			provers = append(provers, pf.Prover)
			if want, ok := burns[pf.Prover]; !ok || pf.FeeBurnBP != want || pf.StepIn {
				t.Errorf("node %d proof %d: prover %s fee burn %d step-in %t; want one of the daemons, its burn %d", nd.Node, pf.Seq, pf.Prover, pf.FeeBurnBP, pf.StepIn, want)
			}
		}
		slices.Sort(provers)
		if len(slices.Compact(provers)) != 3 {
			t.Errorf("node %d kept %v; want a proof of each of the three provers", nd.Node, provers)
		}
	}
	checkWinningTotal(t, tr)
	if err := CheckTreePay(tr); err != nil {
		t.Error(err)
	}
	root, err := client.TreeRootOf(tr)
	if err != nil || root.Proofs != 7 || root.Proof != "" || len(root.Outputs) != 2*(20+32) {
		t.Errorf("root %+v, %v; want 7 proofs in the winning tree and the hash pair's outputs", root, err)
	}
}

// proveTreeToFinal sends m (a ProveTree) from dev1, waits for the tree to
// end and requires it final; it returns the tree's id and record.
func (e *e2e) proveTreeToFinal(ctx context.Context, m *client.Msg) (string, *wire.Tree) {
	e.t.Helper()
	id, res, err := e.c.ProveTree(ctx, e.d.Keys[1], 0, m)
	if err != nil {
		e.t.Fatal(err)
	}
	if tx, err := e.c.WaitTx(ctx, res.Hash); err != nil || tx.Code != 0 {
		e.t.Fatalf("ProveTree: %v %+v", err, tx)
	}
	tr, err := e.c.WaitTree(ctx, id, 200*time.Millisecond, nil, client.TreeEnded)
	if err != nil {
		last, _ := e.c.Tree(context.Background(), id)
		e.t.Fatalf("waiting for the tree: %v; tree: %+v", err, last)
	}
	if tr.State != "final" {
		e.t.Fatalf("the tree ended %s: %+v", tr.State, tr)
	}
	return id, tr
}

// checkWinningTotal: every root proof names every kept proof of each
// child, the winner has the highest total of the root's kept proofs, and
// that total is the most any root could have: every kept proof below the
// root (all named) plus the best root score.
func checkWinningTotal(t *testing.T, tr *wire.Tree) {
	t.Helper()
	var below, best, winTotal, maxTotal uint64
	for _, nd := range tr.Nodes[1:] {
		for _, pf := range nd.Proofs {
			below += pf.Score
			if !pf.InWinningTree {
				t.Errorf("node %d proof %d is not in the winning tree", nd.Node, pf.Seq)
			}
		}
	}
	for _, pf := range tr.Nodes[0].Proofs {
		best = max(best, pf.Score)
		maxTotal = max(maxTotal, pf.Total)
		if pf.Seq == *tr.Winner {
			winTotal = pf.Total
		}
		if len(tr.Nodes) > 2 && (len(pf.Left) != len(tr.Nodes[1].Proofs) || len(pf.Right) != len(tr.Nodes[2].Proofs)) {
			t.Errorf("root proof %d names %v and %v; want every kept proof of each child (%d and %d)", pf.Seq, pf.Left, pf.Right, len(tr.Nodes[1].Proofs), len(tr.Nodes[2].Proofs))
		}
	}
	if winTotal != maxTotal || winTotal != below+best {
		t.Errorf("winning total %d; the largest root total is %d and the best possible %d", winTotal, maxTotal, below+best)
	}
}

// TestSmokeTree: `devnet --smoke` with provers proves one tree of four
// inputs to final, and its JSON report carries trees[] with exactly the
// documented fields, the root proof written to disk.
func TestSmokeTree(t *testing.T) {
	t.Parallel()
	rep := Smoke(context.Background(), SmokeOptions{Home: t.TempDir(), Accounts: 2, PerAccount: 1, Timeout: 2 * time.Minute, Provers: 3})
	if !rep.OK {
		t.Fatalf("smoke failed: %s (log %s)", rep.Reason, rep.Log)
	}
	b, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Trees []map[string]json.RawMessage `json:"trees"`
	}
	if err := json.Unmarshal(b, &doc); err != nil || len(doc.Trees) != 1 {
		t.Fatalf("trees in %s: %v", b, err)
	}
	tree := doc.Trees[0]
	for _, k := range []string{"state", "root_proof_file", "reward_uprv", "num_nodes", "proofs_per_node", "proofs"} {
		if _, ok := tree[k]; !ok {
			t.Errorf("trees[0] has no %q: %s", k, b)
		}
	}
	var proofs []map[string]json.RawMessage
	if err := json.Unmarshal(tree["proofs"], &proofs); err != nil || len(proofs) == 0 {
		t.Fatalf("proofs: %v %s", err, tree["proofs"])
	}
	for _, pf := range proofs {
		for _, k := range []string{"node", "prover", "fee_burn_bp", "paid_uprv", "in_winning_tree"} {
			if _, ok := pf[k]; !ok {
				t.Errorf("a proof has no %q: %s", k, tree["proofs"])
			}
		}
	}
	st := rep.Trees[0]
	if st.State != "final" || st.NumNodes != 3 || st.ProofsPerNode != 3 || st.RewardUprv != smokeTreeReward {
		t.Errorf("tree %+v", st)
	}
	var root client.TreeRoot
	if raw, err := os.ReadFile(st.RootProofFile); err != nil || json.Unmarshal(raw, &root) != nil || root.Tree != st.ID || root.Outputs == "" {
		t.Errorf("root proof file %s: %v %+v", st.RootProofFile, err, root)
	}
	burns := map[uint32]bool{}
	paid := 0
	for _, pf := range st.Proofs {
		burns[pf.FeeBurnBP] = true
		if pf.PaidUprv > 0 {
			paid++
		}
	}
	if len(burns) < 2 || paid < 3 {
		t.Errorf("proofs %+v: want the provers' different fee burns and at least a paid proof per node", st.Proofs)
	}
}
