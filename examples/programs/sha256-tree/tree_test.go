package sha256tree

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"maps"
	"os"
	"path/filepath"
	"testing"

	"github.com/provernet/provernet/examples/programs/internal/progcore"
)

var (
	alice = bytes.Repeat([]byte{0xa1}, AddressSize)
	bob   = bytes.Repeat([]byte{0xb0}, AddressSize)
)

func sum(parts ...[]byte) []byte {
	h := sha256.Sum256(bytes.Join(parts, nil))
	return h[:]
}

func TestBaseOutputsFormula(t *testing.T) {
	a, b := []byte("input a"), []byte("input b")
	want := append(bytes.Clone(alice), sum([]byte(BaseDomain), alice, sum(a), sum(b))...)
	got := BaseOutputs(alice, a, b)
	if !bytes.Equal(got, want) || len(got) != OutputsSize {
		t.Fatalf("BaseOutputs = %x, want %x", got, want)
	}
	if bytes.Equal(BaseOutputs(alice, b, a), got) {
		t.Fatal("swapping a and b leaves the outputs unchanged")
	}
}

func TestMergeOutputsFormula(t *testing.T) {
	l1, l2, r1 := []byte("left one"), []byte("left two!"), []byte("right")
	want := append(bytes.Clone(alice), sum([]byte(MergeDomain), alice,
		[]byte{0, 0, 0, 2}, []byte{0, 0, 0, 8}, l1, []byte{0, 0, 0, 9}, l2,
		[]byte{0, 0, 0, 1}, []byte{0, 0, 0, 5}, r1)...)
	got := MergeOutputs(alice, [][]byte{l1, l2}, [][]byte{r1})
	if !bytes.Equal(got, want) || len(got) != OutputsSize {
		t.Fatalf("MergeOutputs = %x, want %x", got, want)
	}
	// The order named and the side matter.
	for _, o := range [][]byte{
		MergeOutputs(alice, [][]byte{l2, l1}, [][]byte{r1}),
		MergeOutputs(alice, [][]byte{r1}, [][]byte{l1, l2}),
		MergeOutputs(alice, [][]byte{l1}, [][]byte{l2, r1}),
	} {
		if bytes.Equal(o, got) {
			t.Fatal("reordered children give the same outputs")
		}
	}
}

func TestProofChain(t *testing.T) {
	out := []byte("outputs")
	h := sha256.Sum256(out)
	for range Iterations - 1 {
		h = sha256.Sum256(h[:])
	}
	if got := Proof(out); !bytes.Equal(got, h[:]) || len(got) != ProofSize {
		t.Fatalf("Proof = %x, want h_%d = %x", got, Iterations, h)
	}
}

func baseFiles(prover []byte) Files {
	return Files{FileProver: prover, FileA: []byte("first input"), FileB: []byte("second input")}
}

// withOutputs is f with the claimed outputs added (a verifier's files).
func withOutputs(f Files, outputs []byte) Files {
	g := maps.Clone(f)
	g[FileOutputs] = outputs
	return g
}

func TestBase(t *testing.T) {
	f := baseFiles(alice)
	out, proof, err := ProveBase(f)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(out, BaseOutputs(alice, f[FileA], f[FileB])) || !bytes.Equal(proof, Proof(out)) {
		t.Fatal("ProveBase does not give BaseOutputs and its Proof")
	}
	if err := VerifyBase(withOutputs(f, out), proof); err != nil {
		t.Fatalf("valid proof rejected: %v", err)
	}
	rejects(t, "base", VerifyBase, f, out, proof)

	// A wrong input.
	g := withOutputs(f, out)
	g[FileB] = []byte("second inpuT")
	if err := VerifyBase(g, proof); !errors.Is(err, ErrOutputs) {
		t.Fatalf("wrong input b: %v, want ErrOutputs", err)
	}
}

// rejects checks what every verifier must refuse, given a prover's files
// f (with alice as the prover) and its valid outputs and proof.
func rejects(t *testing.T, name string, verify func(Files, []byte) error, f Files, out, proof []byte) {
	t.Helper()
	// Copy protection: bob lifts alice's outputs and proof.
	lifted := withOutputs(f, out)
	lifted[FileProver] = bob
	if err := verify(lifted, proof); !errors.Is(err, ErrNotProver) {
		t.Fatalf("%s: alice's outputs under bob: %v, want ErrNotProver", name, err)
	}
	// ... relabels them with his address ...
	relabelled := append(bytes.Clone(bob), out[AddressSize:]...)
	if err := verify(withOutputs(lifted, relabelled), proof); !errors.Is(err, ErrOutputs) {
		t.Fatalf("%s: alice's outputs relabelled to bob: %v, want ErrOutputs", name, err)
	}
	// ... or computes his own outputs but keeps alice's proof.
	bobF := maps.Clone(f)
	bobF[FileProver] = bob
	var bobOut []byte
	if name == "base" {
		bobOut = BaseOutputs(bob, f[FileA], f[FileB])
	} else {
		_, l, r, err := bobF.merge(false)
		if err != nil {
			t.Fatal(err)
		}
		bobOut = MergeOutputs(bob, l, r)
	}
	if err := verify(withOutputs(bobF, bobOut), proof); !errors.Is(err, ErrProof) {
		t.Fatalf("%s: bob's outputs with alice's proof: %v, want ErrProof", name, err)
	}
	if err := verify(withOutputs(bobF, bobOut), Proof(bobOut)); err != nil {
		t.Fatalf("%s: bob's own proof rejected: %v", name, err)
	}
	// Outputs naming bob under alice's prover file.
	if err := verify(withOutputs(f, bobOut), Proof(bobOut)); !errors.Is(err, ErrNotProver) {
		t.Fatalf("%s: bob's outputs under alice: %v, want ErrNotProver", name, err)
	}

	// Tampered outputs, every byte after the address, and cut or extended.
	for i := AddressSize; i < len(out); i++ {
		bad := bytes.Clone(out)
		bad[i] ^= 0x80
		if err := verify(withOutputs(f, bad), Proof(bad)); !errors.Is(err, ErrOutputs) {
			t.Fatalf("%s: outputs byte %d flipped: %v, want ErrOutputs", name, i, err)
		}
	}
	for _, bad := range [][]byte{nil, out[:AddressSize-1], out[:AddressSize], out[:len(out)-1], append(bytes.Clone(out), 0)} {
		if err := verify(withOutputs(f, bad), proof); err == nil || progcore.ExitCode(err) != progcore.ExitInvalid {
			t.Fatalf("%s: outputs of %d bytes: %v, want invalid", name, len(bad), err)
		}
	}
	// Tampered proofs.
	for i := range proof {
		bad := bytes.Clone(proof)
		bad[i] ^= 1
		if err := verify(withOutputs(f, out), bad); !errors.Is(err, ErrProof) {
			t.Fatalf("%s: proof byte %d flipped: %v, want ErrProof", name, i, err)
		}
	}
	for _, bad := range [][]byte{nil, proof[:len(proof)-1], append(bytes.Clone(proof), 0), Proof(proof)} {
		if err := verify(withOutputs(f, out), bad); !errors.Is(err, ErrProof) {
			t.Fatalf("%s: proof of %d bytes: %v, want ErrProof", name, len(bad), err)
		}
	}
}

// mergeFiles names two proofs of the left child and one of the right.
func mergeFiles(prover []byte) Files {
	return Files{
		FileProver:             prover,
		ChildOut("left", 1):    BaseOutputs(alice, []byte("1"), []byte("2")),
		ChildProof("left", 1):  []byte("proof l1"),
		ChildOut("left", 2):    BaseOutputs(bob, []byte("1"), []byte("2")),
		ChildProof("left", 2):  []byte("proof l2"),
		ChildOut("right", 1):   BaseOutputs(bob, []byte("3"), []byte("4")),
		ChildProof("right", 1): []byte("proof r1"),
	}
}

func TestMerge(t *testing.T) {
	f := mergeFiles(alice)
	out, proof, err := ProveMerge(f)
	if err != nil {
		t.Fatal(err)
	}
	want := MergeOutputs(alice, [][]byte{f[ChildOut("left", 1)], f[ChildOut("left", 2)]}, [][]byte{f[ChildOut("right", 1)]})
	if !bytes.Equal(out, want) || !bytes.Equal(proof, Proof(out)) {
		t.Fatal("ProveMerge does not give MergeOutputs and its Proof")
	}
	if err := VerifyMerge(withOutputs(f, out), proof); err != nil {
		t.Fatalf("valid proof rejected: %v", err)
	}
	rejects(t, "merge", VerifyMerge, f, out, proof)

	// A wrong child output, or the children named in another order.
	g := withOutputs(f, out)
	g[ChildOut("right", 1)] = BaseOutputs(bob, []byte("3"), []byte("5"))
	if err := VerifyMerge(g, proof); !errors.Is(err, ErrOutputs) {
		t.Fatalf("wrong child output: %v, want ErrOutputs", err)
	}
	g = withOutputs(f, out)
	g[ChildOut("left", 1)], g[ChildOut("left", 2)] = f[ChildOut("left", 2)], f[ChildOut("left", 1)]
	if err := VerifyMerge(g, proof); !errors.Is(err, ErrOutputs) {
		t.Fatalf("children reordered: %v, want ErrOutputs", err)
	}
	// Only the presence of a child's proof matters to this pair.
	g = withOutputs(f, out)
	g[ChildProof("left", 2)] = nil
	if err := VerifyMerge(g, proof); err != nil {
		t.Fatalf("another child proof: %v, want valid", err)
	}
}

func TestMalformedFiles(t *testing.T) {
	out, proof, _ := ProveBase(baseFiles(alice))
	del := func(f Files, names ...string) Files {
		g := maps.Clone(f)
		for _, n := range names {
			delete(g, n)
		}
		return g
	}
	set := func(f Files, name string, data []byte) Files {
		g := maps.Clone(f)
		g[name] = data
		return g
	}
	base := withOutputs(baseFiles(alice), out)
	for what, f := range map[string]Files{
		"no prover":      del(base, FileProver),
		"no b":           del(base, FileB),
		"no outputs":     del(base, FileOutputs),
		"19-byte prover": set(base, FileProver, alice[:19]),
		"21-byte prover": set(base, FileProver, append(bytes.Clone(alice), 0)),
		"an extra file":  set(base, "c", nil),
	} {
		if err := VerifyBase(f, proof); !progcore.IsMalformed(err) {
			t.Errorf("verify base, %s: %v, want malformed", what, err)
		}
	}
	if _, _, err := ProveBase(withOutputs(baseFiles(alice), out)); !progcore.IsMalformed(err) {
		t.Errorf("prove base with an outputs file: %v, want malformed", err)
	}

	m := mergeFiles(alice)
	mOut, _, _ := ProveMerge(m)
	merge := withOutputs(m, mOut)
	for what, f := range map[string]Files{
		"no right child":      del(merge, ChildOut("right", 1), ChildProof("right", 1)),
		"no left child":       del(merge, ChildOut("left", 1), ChildProof("left", 1), ChildOut("left", 2), ChildProof("left", 2)),
		"a gap":               del(merge, ChildOut("left", 1), ChildProof("left", 1)),
		"a lone .out":         del(merge, ChildProof("left", 2)),
		"a lone .proof":       del(merge, ChildOut("right", 1)),
		"a fourth child":      set(set(merge, "left-4.out", nil), "left-4.proof", nil),
		"a base input":        set(merge, FileA, nil),
		"no outputs":          del(merge, FileOutputs),
		"a short prover":      set(merge, FileProver, nil),
		"right-3 after a gap": set(set(merge, ChildOut("right", 3), nil), ChildProof("right", 3), nil),
	} {
		if err := VerifyMerge(f, proof); !progcore.IsMalformed(err) {
			t.Errorf("verify merge, %s: %v, want malformed", what, err)
		}
	}
	if _, _, err := ProveMerge(merge); !progcore.IsMalformed(err) {
		t.Errorf("prove merge with an outputs file: %v, want malformed", err)
	}
}

func TestNodeResult(t *testing.T) {
	out, proof := []byte("outputs"), []byte("proof bytes")
	r := EncodeNodeResult(out, proof)
	if want := append([]byte{0, 0, 0, 7}, "outputsproof bytes"...); !bytes.Equal(r, want) {
		t.Fatalf("EncodeNodeResult = %q, want %q", r, want)
	}
	gotOut, gotProof, err := DecodeNodeResult(r)
	if err != nil || !bytes.Equal(gotOut, out) || !bytes.Equal(gotProof, proof) {
		t.Fatalf("DecodeNodeResult = %q, %q, %v", gotOut, gotProof, err)
	}
	// Appending to the outputs must not overwrite the proof.
	_ = append(gotOut, 'X')
	if !bytes.Equal(gotProof, proof) {
		t.Fatal("the decoded outputs alias the proof's capacity")
	}
	// Empty outputs or proof are framing-valid.
	for _, c := range [][2][]byte{{nil, proof}, {out, nil}, {nil, nil}} {
		o, p, err := DecodeNodeResult(EncodeNodeResult(c[0], c[1]))
		if err != nil || !bytes.Equal(o, c[0]) || !bytes.Equal(p, c[1]) {
			t.Fatalf("round trip of %q, %q: %q, %q, %v", c[0], c[1], o, p, err)
		}
	}
	for _, bad := range [][]byte{nil, {0}, {0, 0, 0}, {0, 0, 0, 1}, {0, 0, 0, 8, 'a'}, append([]byte{0, 0, 0, 8}, "outputs"...), {0xff, 0xff, 0xff, 0xff, 1, 2}} {
		if o, p, err := DecodeNodeResult(bad); err == nil {
			t.Errorf("DecodeNodeResult(%x) = %q, %q, nil; want an error", bad, o, p)
		}
	}
}

// TestPrograms runs the four entry points on files, as the modules do.
func TestPrograms(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	base := []string{write(FileA, []byte("x")), write(FileProver, alice), write(FileB, []byte("y"))}
	res, err := BaseProver(base)
	if err != nil {
		t.Fatal(err)
	}
	out, proof, err := DecodeNodeResult(res)
	if err != nil {
		t.Fatal(err)
	}
	if code := progcore.ExitCode(BaseVerifier(append(base, write(FileOutputs, out)), proof)); code != progcore.ExitValid {
		t.Fatalf("base verifier: exit %d", code)
	}
	var merge []string
	for _, side := range []string{"right", "left"} { // any order: found by name
		merge = append(merge, write(ChildOut(side, 1), out), write(ChildProof(side, 1), proof))
	}
	merge = append(merge, base[1])
	res, err = MergeProver(merge)
	if err != nil {
		t.Fatal(err)
	}
	mOut, mProof, err := DecodeNodeResult(res)
	if err != nil || !bytes.Equal(mOut, MergeOutputs(alice, [][]byte{out}, [][]byte{out})) {
		t.Fatalf("merge outputs %x, %v", mOut, err)
	}
	if code := progcore.ExitCode(MergeVerifier(append(merge, write("outputs", mOut)), mProof)); code != progcore.ExitValid {
		t.Fatalf("merge verifier: exit %d", code)
	}
	other := t.TempDir()
	bigProver := filepath.Join(other, FileProver)
	if err := os.WriteFile(bigProver, make([]byte, AddressSize+1), 0o644); err != nil {
		t.Fatal(err)
	}
	for what, paths := range map[string][]string{
		"a duplicated file":   append(base, base[0]),
		"an unexpected file":  append(base, write("c", nil)),
		"a missing file":      {filepath.Join(dir, "nowhere", FileA), base[1], base[2]},
		"an oversized prover": {base[0], bigProver, base[2]},
		"no file":             nil,
	} {
		if _, err := BaseProver(paths); progcore.ExitCode(err) != progcore.ExitMalformed {
			t.Errorf("base prover, %s: %v, want malformed", what, err)
		}
	}
	big := write("outputs", make([]byte, MaxOutputsSize+1))
	if err := BaseVerifier(append(base, big), proof); progcore.ExitCode(err) != progcore.ExitMalformed {
		t.Errorf("oversized outputs: %v, want malformed", err)
	}
}
