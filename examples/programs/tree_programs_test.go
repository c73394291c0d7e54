package programs_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/provernet/provernet/examples/programs/internal/progio"
	sha256tree "github.com/provernet/provernet/examples/programs/sha256-tree"
	"github.com/provernet/provernet/internal/sandbox"
	"github.com/provernet/provernet/wire"
)

// runStaged stages files (and, for a verifier, the proof) the way every
// caller on the network does, with sandbox.StageInputs, and runs p.
func runStaged(t *testing.T, what string, p program, role sandbox.Role, files []sandbox.File, proof []byte) result {
	t.Helper()
	dir := t.TempDir()
	if role == sandbox.Verify && proof == nil {
		proof = []byte{}
	}
	names, err := sandbox.StageInputs(dir, files, proof)
	if err != nil {
		t.Fatal(err)
	}
	res, err := runner(t).Run(context.Background(), sandbox.Job{Program: p, Role: role, InDir: dir, Inputs: names,
		Limits: sandbox.Limits{Cycles: 1 << 40, MaxOutput: 1 << 20}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Outcome == sandbox.OutcomeFail || (res.Outcome == sandbox.OutcomeError && res.ExitCode == 0) {
		t.Fatalf("%s: %s %s\nstderr: %s", what, res.Outcome, res.Detail, res.Stderr)
	}
	t.Logf("%s: exit %d, %d cycles, %v, stderr %q", what, res.ExitCode, res.Cycles, res.Wall, firstLine(res.Stderr))
	return result{Outcome: res.Outcome, ExitCode: int(res.ExitCode), Proof: res.Output, Stderr: res.Stderr,
		Duration: res.Wall, Cycles: res.Cycles, HostCycles: res.HostCycles}
}

// treeProve runs a tree prover and splits its node result.
func treeProve(t *testing.T, what string, p program, files []sandbox.File) (outputs, proof []byte) {
	t.Helper()
	res := runStaged(t, what, p, sandbox.Prove, files, nil)
	if res.ExitCode != progio.ExitValid {
		t.Fatalf("%s: exit %d: %s", what, res.ExitCode, res.Stderr)
	}
	outputs, proof, err := sha256tree.DecodeNodeResult(res.Proof)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return outputs, proof
}

// treeVerify runs a tree verifier on files plus the claimed outputs and
// wants exit code want, with wantErr's text in its stderr when it rejects.
func treeVerify(t *testing.T, what string, p program, files []sandbox.File, outputs, proof []byte, want int, wantErr error) {
	t.Helper()
	files = append(files[:len(files):len(files)], sandbox.File{Name: sha256tree.FileOutputs, Data: outputs})
	res := runStaged(t, what, p, sandbox.Verify, files, proof)
	if res.ExitCode != want {
		t.Fatalf("%s: verifier exit %d, want %d: %s", what, res.ExitCode, want, res.Stderr)
	}
	if wantErr != nil && !strings.Contains(res.Stderr, wantErr.Error()) {
		t.Fatalf("%s: verifier says %q, want %q", what, firstLine(res.Stderr), wantErr)
	}
}

func baseNode(prover []byte, a, b string) []sandbox.File {
	// Not in the contract's order: the programs find files by name.
	return []sandbox.File{{Name: "b", Data: []byte(b)}, {Name: "prover", Data: prover}, {Name: "a", Data: []byte(a)}}
}

// TestTreeInputNames: the contract's file names are names a Run's inputs
// may take, so the host can stage them.
func TestTreeInputNames(t *testing.T) {
	names := []string{sha256tree.FileProver, sha256tree.FileA, sha256tree.FileB, sha256tree.FileOutputs}
	for _, side := range []string{"left", "right"} {
		for k := 1; k <= sha256tree.MaxChildren; k++ {
			names = append(names, sha256tree.ChildOut(side, k), sha256tree.ChildProof(side, k))
		}
	}
	for _, n := range names {
		if err := wire.CheckInputName(n); err != nil {
			t.Errorf("%s: %v", n, err)
		}
	}
}

func TestSHA256TreeWasm(t *testing.T) {
	baseP, baseV := programs(t, "sha256-tree/base")
	mergeP, mergeV := programs(t, "sha256-tree/merge")
	alice := bytes.Repeat([]byte{0xa1}, sha256tree.AddressSize)
	bob := bytes.Repeat([]byte{0xb0}, sha256tree.AddressSize)

	// Two base nodes, proved by alice and bob.
	node1 := baseNode(alice, "input 1", "input 2")
	out1, proof1 := treeProve(t, "base prove (alice)", baseP, node1)
	if want := sha256tree.BaseOutputs(alice, []byte("input 1"), []byte("input 2")); !bytes.Equal(out1, want) {
		t.Fatalf("base outputs %x, want %x", out1, want)
	}
	if !bytes.Equal(proof1, sha256tree.Proof(out1)) {
		t.Fatal("base proof is not Proof(outputs)")
	}
	treeVerify(t, "base verify", baseV, node1, out1, proof1, progio.ExitValid, nil)
	node2 := baseNode(bob, "input 3", "input 4")
	out2, proof2 := treeProve(t, "base prove (bob)", baseP, node2)
	treeVerify(t, "base verify (bob)", baseV, node2, out2, proof2, progio.ExitValid, nil)

	// Bob submits alice's node-1 result as his: worthless.
	lifted := baseNode(bob, "input 1", "input 2")
	treeVerify(t, "base verify, alice's result under bob", baseV, lifted, out1, proof1, progio.ExitInvalid, sha256tree.ErrNotProver)
	// Outputs naming bob with alice's prover file.
	treeVerify(t, "base verify, bob's outputs under alice", baseV, node1, out2, proof2, progio.ExitInvalid, sha256tree.ErrNotProver)
	// A tampered proof, and a malformed node (no b).
	bad := bytes.Clone(proof1)
	bad[0] ^= 1
	treeVerify(t, "base verify, tampered proof", baseV, node1, out1, bad, progio.ExitInvalid, sha256tree.ErrProof)
	treeVerify(t, "base verify, no b", baseV, node1[1:], out1, proof1, progio.ExitMalformed, nil)

	// Alice merges them: node 1's result on the left, node 2's on the right.
	merge := []sandbox.File{
		{Name: "right-1.out", Data: out2}, {Name: "right-1.proof", Data: proof2},
		{Name: "prover", Data: alice},
		{Name: "left-1.out", Data: out1}, {Name: "left-1.proof", Data: proof1},
	}
	mOut, mProof := treeProve(t, "merge prove", mergeP, merge)
	if want := sha256tree.MergeOutputs(alice, [][]byte{out1}, [][]byte{out2}); !bytes.Equal(mOut, want) {
		t.Fatalf("merge outputs %x, want %x", mOut, want)
	}
	treeVerify(t, "merge verify", mergeV, merge, mOut, mProof, progio.ExitValid, nil)

	// A wrong child output: invalid.
	wrong := append([]sandbox.File{}, merge...)
	wrong[0] = sandbox.File{Name: "right-1.out", Data: out1}
	treeVerify(t, "merge verify, wrong child output", mergeV, wrong, mOut, mProof, progio.ExitInvalid, sha256tree.ErrOutputs)
	// Alice's merge under bob: invalid.
	asBob := append([]sandbox.File{}, merge...)
	asBob[2] = sandbox.File{Name: "prover", Data: bob}
	treeVerify(t, "merge verify, alice's result under bob", mergeV, asBob, mOut, mProof, progio.ExitInvalid, sha256tree.ErrNotProver)
	// No right child: malformed.
	treeVerify(t, "merge verify, no right child", mergeV, merge[2:], mOut, mProof, progio.ExitMalformed, nil)
}
