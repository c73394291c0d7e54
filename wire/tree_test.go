package wire

import (
	"bytes"
	"testing"

	"github.com/provernet/provernet/wire/address"
)

// TestTreeHashOutputsBind: the hash pair's outputs start with the prover's
// address and change with the prover, the inputs, and how a merge's child
// outputs are split between its sides or cut (the counts and lengths
// frame them).
func TestTreeHashOutputsBind(t *testing.T) {
	p, q := address.Address{1}, address.Address{2}
	a, b, c := []byte("aa"), []byte("bb"), []byte("cc")
	base := TreeHashBaseOutputs(p, a, b)
	if !bytes.HasPrefix(base, p[:]) || len(base) != address.Size+32 {
		t.Fatalf("base outputs %x", base)
	}
	seen := map[string]string{}
	for name, out := range map[string][]byte{
		"base":          base,
		"base q":        TreeHashBaseOutputs(q, a, b),
		"base swapped":  TreeHashBaseOutputs(p, b, a),
		"merge ab|c":    TreeHashMergeOutputs(p, [][]byte{a, b}, [][]byte{c}),
		"merge a|bc":    TreeHashMergeOutputs(p, [][]byte{a}, [][]byte{b, c}),
		"merge q a|bc":  TreeHashMergeOutputs(q, [][]byte{a}, [][]byte{b, c}),
		"merge aab|c":   TreeHashMergeOutputs(p, [][]byte{[]byte("aab")}, [][]byte{[]byte("bcc")}),
		"merge a|b":     TreeHashMergeOutputs(p, [][]byte{a}, [][]byte{b}),
		"merge a,b|nil": TreeHashMergeOutputs(p, [][]byte{a, b}, nil),
	} {
		if other, ok := seen[string(out[address.Size:])]; ok {
			t.Errorf("%s and %s commit to the same digest", name, other)
		}
		seen[string(out[address.Size:])] = name
	}
}

// TestTreeScore: the score is the VRF's first 4 bytes, big-endian, times
// 10000 + fee_burn_bp, and the largest fits a uint64 many times over.
func TestTreeScore(t *testing.T) {
	beta := []byte{0, 0, 1, 2, 0xff, 0xff}
	if v := TreeVRFValue(beta); v != 258 || TreeScore(v, 4000) != 258*14000 {
		t.Fatalf("value %d score %d", v, TreeScore(v, 4000))
	}
	if max := TreeScore(TreeVRFValue([]byte{0xff, 0xff, 0xff, 0xff}), 10000); max >= 1<<47 {
		t.Fatalf("largest score %d is not below 2^47", max)
	}
	if TreeVRFValue([]byte{1}) != 0 {
		t.Fatal("a short output must score 0")
	}
}

// TestTreeVRFInputNamesProver: alpha differs by prover (and by seed, tree
// and node), so one prover's VRF proof is worthless to another even under
// the same VRF key (review M2).
func TestTreeVRFInputNamesProver(t *testing.T) {
	p, q := address.Address{1}, address.Address{2}
	seed, tree := bytes.Repeat([]byte{7}, 32), bytes.Repeat([]byte{9}, 32)
	base := TreeVRFInput(seed, tree, 3, p)
	if !bytes.HasSuffix(base, p[:]) {
		t.Fatalf("alpha %x does not end with the prover", base)
	}
	for name, other := range map[string][]byte{
		"prover": TreeVRFInput(seed, tree, 3, q),
		"node":   TreeVRFInput(seed, tree, 2, p),
		"tree":   TreeVRFInput(seed, seed, 3, p),
		"seed":   TreeVRFInput(tree, tree, 3, p),
	} {
		if bytes.Equal(base, other) {
			t.Errorf("alpha does not change with the %s", name)
		}
	}
}
