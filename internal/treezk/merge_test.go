package treezk

import (
	"testing"

	"github.com/provernet/provernet/internal/treepair"
)

// TestMergeCircuit compiles level 1 over the base keys (about 2.3
// million constraints, 15-30 s and 2-3 GB) and runs its solver on an
// honest assignment and on dishonest ones. It needs no setup: the
// solver is what decides whether a proof can be made at all.
func TestMergeCircuit(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles a 2.3-million-constraint circuit")
	}
	k := keys(t)
	cs, err := Compile(1, k.VK)
	if err != nil {
		t.Fatal(err)
	}
	m := &Level{Level: 1, CS: cs}
	child := func(prover [treepair.AddressSize]byte, tr []byte, node uint32, in string) Child {
		p, o, err := ProveBase(k, prover, tr, node, sum(in+" a"), sum(in+" b"))
		if err != nil {
			t.Fatal(err)
		}
		return Child{Proof: p, Outputs: o}
	}
	left, right := child(alice, tree, 2, "left"), child(bob, tree, 3, "right")
	// assign builds the merge witness for node 1 with Out over outL and
	// outR, the children's proofs and public inputs as given: no checks.
	assign := func(l, r Child, lnode, rnode uint32, ltree, rtree []byte, outL, outR []byte) *MergeCircuit {
		t.Helper()
		out, err := treepair.MergeOut(alice, tree, 1, outL, outR)
		if err != nil {
			t.Fatal(err)
		}
		pub, _ := publicVars(alice, tree, 1, out)
		c := &MergeCircuit{Prover: pub[0], TreeHi: pub[1], TreeLo: pub[2], Node: pub[3], Out: pub[4]}
		for i, x := range []struct {
			ch   Child
			node uint32
			tr   []byte
		}{{l, lnode, ltree}, {r, rnode, rtree}} {
			cp, co, err := treepair.ParseOutputs(x.ch.Outputs)
			if err != nil {
				t.Fatal(err)
			}
			pb, _ := treepair.Public(cp, x.tr, x.node, co)
			p, w, err := assignChild(x.ch.Proof, pb)
			if err != nil {
				t.Fatal(err)
			}
			if i == 0 {
				c.Left, c.LeftWit = p, w
			} else {
				c.Right, c.RightWit = p, w
			}
		}
		return c
	}
	honest := assign(left, right, 2, 3, tree, tree, left.Outputs, right.Outputs)
	if err := solved(m, honest); err != nil {
		t.Fatalf("the honest merge: %v", err)
	}
	stranger := child(alice, other, 3, "right")
	wrongOut := append([]byte{}, right.Outputs...)
	wrongOut[len(wrongOut)-1] ^= 1
	leftAsBob := append(append([]byte{}, bob[:]...), left.Outputs[treepair.AddressSize:]...)
	for name, c := range map[string]*MergeCircuit{
		// the children swapped: the left is node 3's proof
		"children swapped": assign(right, left, 3, 2, tree, tree, right.Outputs, left.Outputs),
		// a proof of another tree's node 3 as the right child, its
		// statement honest
		"a child of another tree": assign(left, stranger, 2, 3, tree, other, left.Outputs, stranger.Outputs),
		// the right child's statement claimed for this tree: its proof
		// does not verify
		"a child's tree rewritten": assign(left, stranger, 2, 3, tree, tree, left.Outputs, stranger.Outputs),
		// Out over a tampered child output: the child's proof does not
		// verify for it
		"a tampered child output": assign(left, right, 2, 3, tree, tree, left.Outputs, wrongOut),
		// the left child's proof (alice's) claimed as bob's
		"a child's prover replaced": assign(left, right, 2, 3, tree, tree, leftAsBob, right.Outputs),
	} {
		if err := solved(m, c); err == nil {
			t.Errorf("%s: the merge circuit is satisfied", name)
		}
	}
	tampered := *honest
	tampered.Out = tampered.Prover
	if err := solved(m, &tampered); err == nil {
		t.Error("a merge whose Out is not its children's commitment is satisfied")
	}
}
