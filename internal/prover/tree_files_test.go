package prover

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/provernet/provernet/internal/sandbox"
	"github.com/provernet/provernet/wire/address"
	"github.com/provernet/provernet/wire/pb"
)

// nodeResult frames outputs and proof as a tree prover writes them.
func nodeResult(outputs, proof []byte) []byte {
	return append(append(binary.BigEndian.AppendUint32(nil, uint32(len(outputs))), outputs...), proof...)
}

// TestDecodeNodeResult: the node result splits at its length prefix; a
// result too short for its prefix, whose outputs run past its end, whose
// outputs and proof exceed max_proof_size, or whose outputs do not begin
// with the prover's address is refused.
func TestDecodeNodeResult(t *testing.T) {
	var me, other address.Address
	me[0], other[0] = 1, 2
	outputs := append(me[:], bytes.Repeat([]byte{7}, 32)...)
	proof := []byte("the proof")
	good := nodeResult(outputs, proof)
	o, p, err := decodeNodeResult(good, me, 1000)
	if err != nil || !bytes.Equal(o, outputs) || !bytes.Equal(p, proof) {
		t.Fatalf("decode: %x %x %v", o, p, err)
	}
	// no proof at all is a framing the contract allows
	if o, p, err := decodeNodeResult(nodeResult(me[:], nil), me, 1000); err != nil || !bytes.Equal(o, me[:]) || len(p) != 0 {
		t.Fatalf("an empty proof: %x %x %v", o, p, err)
	}
	// exactly at the bound
	if _, _, err := decodeNodeResult(good, me, uint64(len(outputs)+len(proof))); err != nil {
		t.Fatalf("at max_proof_size: %v", err)
	}
	for _, c := range []struct {
		name string
		b    []byte
		max  uint64
		want string
	}{
		{"empty", nil, 1000, "shorter than its"},
		{"three bytes", good[:3], 1000, "shorter than its"},
		{"outputs past the end", good[:4+len(outputs)-1], 1000, "run past its end"},
		{"length 2^32-1", append([]byte{0xff, 0xff, 0xff, 0xff}, me[:]...), 1000, "run past its end"},
		{"over max_proof_size", good, uint64(len(outputs) + len(proof) - 1), "exceed max_proof_size"},
		{"another prover's outputs", nodeResult(append(other[:], 9), proof), 1000, "do not begin with the prover's address"},
		{"outputs shorter than an address", nodeResult(me[:19], nil), 1000, "do not begin with the prover's address"},
		{"the address in the proof only", nodeResult(nil, me[:]), 1000, "do not begin with the prover's address"},
	} {
		if _, _, err := decodeNodeResult(c.b, me, c.max); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v; want an error saying %q", c.name, err, c.want)
		}
	}
}

// TestTreeNodeFiles: the files the tree file contract names, in order:
// prover, a, b for a base node (a blob input by its cache file); prover
// then each named child proof's .out and .proof, left before right, k
// from 1 in the order named, for a merge; the claimed outputs last for a
// verifier. Staged with sandbox.StageInputs, each file holds its bytes
// and /in/proof comes last.
func TestTreeNodeFiles(t *testing.T) {
	var me address.Address
	me[0] = 0xa1
	dir := t.TempDir()
	blobFile := filepath.Join(dir, "blob")
	if err := os.WriteFile(blobFile, []byte("blob bytes"), 0o600); err != nil {
		t.Fatal(err)
	}
	blobSum := bytes.Repeat([]byte{0xbb}, 32)
	blob := func(in *pb.Input) (string, error) {
		if !bytes.Equal(in.Sha256, blobSum) {
			return "", errors.New("no such blob")
		}
		return blobFile, nil
	}
	base := nodeJob{n: 4, node: 3, prover: me, a: &pb.Input{Name: "tx0", Data: []byte("input a")}, b: &pb.Input{Name: "tx1", Sha256: blobSum, Size: 10}}
	files, err := treeNodeFiles(base, true, nil, blob)
	if err != nil {
		t.Fatal(err)
	}
	if got := fileNames(files); !slices.Equal(got, []string{"prover", "a", "b"}) {
		t.Fatalf("base prover files %v", got)
	}
	if !bytes.Equal(files[0].Data, me[:]) || string(files[1].Data) != "input a" || files[2].Path != blobFile || files[2].Data != nil {
		t.Fatalf("base files %+v", files)
	}
	files, err = treeNodeFiles(base, true, []byte("claimed"), blob)
	if err != nil || !slices.Equal(fileNames(files), []string{"prover", "a", "b", "outputs"}) || string(files[3].Data) != "claimed" {
		t.Fatalf("base verifier files %v %v", fileNames(files), err)
	}
	staged := t.TempDir()
	names, err := sandbox.StageInputs(staged, files, []byte("proof bytes"))
	if err != nil || !slices.Equal(names, []string{"prover", "a", "b", "outputs", "proof"}) {
		t.Fatalf("staged %v %v", names, err)
	}
	for name, want := range map[string]string{"prover": string(me[:]), "a": "input a", "b": "blob bytes", "outputs": "claimed", "proof": "proof bytes"} {
		if got, err := os.ReadFile(filepath.Join(staged, name)); err != nil || string(got) != want {
			t.Errorf("/in/%s holds %q (%v), want %q", name, got, err, want)
		}
	}
	missing := base
	missing.b = &pb.Input{Name: "tx1", Sha256: bytes.Repeat([]byte{0xcc}, 32)}
	if _, err := treeNodeFiles(missing, true, nil, blob); err == nil || !strings.Contains(err.Error(), "no such blob") {
		t.Errorf("a blob that cannot be fetched: %v", err)
	}

	merge := nodeJob{n: 8, node: 2, prover: me,
		left:  []childProof{{seq: 3, outputs: []byte("L3"), proof: []byte("l3")}, {seq: 1, outputs: []byte("L1"), proof: []byte("l1")}},
		right: []childProof{{seq: 2, outputs: []byte("R2")}}}
	files, err = treeNodeFiles(merge, false, []byte("claimed"), blob)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"prover", "left-1.out", "left-1.proof", "left-2.out", "left-2.proof", "right-1.out", "right-1.proof", "outputs"}
	if got := fileNames(files); !slices.Equal(got, want) {
		t.Fatalf("merge verifier files %v, want %v", got, want)
	}
	// k is the position in the order named, not the seq
	if string(files[1].Data) != "L3" || string(files[2].Data) != "l3" || string(files[3].Data) != "L1" || string(files[5].Data) != "R2" {
		t.Errorf("merge files %+v", files)
	}
	// an empty child proof is still a file
	if files[6].Data == nil || len(files[6].Data) != 0 {
		t.Errorf("right-1.proof %+v: want an empty file", files[6])
	}
	staged = t.TempDir()
	if names, err := sandbox.StageInputs(staged, files, []byte{}); err != nil || len(names) != len(want)+1 {
		t.Fatalf("staged %v %v", names, err)
	}
	noRight := merge
	noRight.right = nil
	if _, err := treeNodeFiles(noRight, false, nil, blob); err == nil {
		t.Error("a merge with no right child proof was staged")
	}
}

func fileNames(files []sandbox.File) []string {
	var out []string
	for _, f := range files {
		out = append(out, f.Name)
	}
	return out
}
