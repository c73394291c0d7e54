package prover

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"strconv"

	"github.com/provernet/provernet/internal/sandbox"
	"github.com/provernet/provernet/wire/address"
	"github.com/provernet/provernet/wire/pb"
)

// The tree file contract, v1 (examples/programs/README.md, "Tree
// programs"): what the daemon stages for a deployed tree program's prover
// and verifier, and how it reads the prover's node result. The daemon
// does not import examples/; this is the contract's host side.

// The contract's file names.
const (
	treeFileProver  = "prover"  // the node prover's 20-byte address
	treeFileA       = "a"       // a base node's first input
	treeFileB       = "b"       // its second
	treeFileOutputs = "outputs" // the claimed public outputs (verifiers only)
)

// nodeResultHeader is the node result's length prefix: a 4-byte
// big-endian length of the outputs that follow it.
const nodeResultHeader = 4

// treeChildFile names the k-th (1-based) proof a merge names on side
// ("left" or "right"): its outputs (ext "out") or its bytes ("proof").
func treeChildFile(side string, k int, ext string) string {
	return side + "-" + strconv.Itoa(k) + "." + ext
}

// treeNodeFiles lists the files a tree program gets for job, in order:
// prover, then a and b (base) or each named child proof's .out and
// .proof, left side then right, k from 1 in the order named; then, for a
// verifier (outputs not nil), the claimed outputs. The proof bytes are
// not among them: sandbox.StageInputs adds /in/proof. blob gives the
// cache file of a blob input (never read here: staging links it).
func treeNodeFiles(job nodeJob, base bool, outputs []byte, blob func(*pb.Input) (string, error)) ([]sandbox.File, error) {
	files := []sandbox.File{{Name: treeFileProver, Data: bytes.Clone(job.prover[:])}}
	if base {
		for _, x := range []struct {
			name string
			in   *pb.Input
		}{{treeFileA, job.a}, {treeFileB, job.b}} {
			f, err := treeInputFile(x.name, x.in, blob)
			if err != nil {
				return nil, err
			}
			files = append(files, f)
		}
	} else {
		if len(job.left) == 0 || len(job.right) == 0 {
			return nil, fmt.Errorf("a merge names %d left and %d right child proofs; the contract wants at least one of each", len(job.left), len(job.right))
		}
		for _, side := range []struct {
			name string
			cs   []childProof
		}{{"left", job.left}, {"right", job.right}} {
			for k, c := range side.cs {
				files = append(files,
					sandbox.File{Name: treeChildFile(side.name, k+1, "out"), Data: nonNil(c.outputs)},
					sandbox.File{Name: treeChildFile(side.name, k+1, "proof"), Data: nonNil(c.proof)})
			}
		}
	}
	if outputs != nil {
		files = append(files, sandbox.File{Name: treeFileOutputs, Data: outputs})
	}
	return files, nil
}

// treeInputFile stages a tree input under name: inline bytes as they
// are, a blob by its cache file.
func treeInputFile(name string, in *pb.Input, blob func(*pb.Input) (string, error)) (sandbox.File, error) {
	if in == nil {
		return sandbox.File{}, fmt.Errorf("input %s: missing", name)
	}
	if len(in.Sha256) == 0 {
		return sandbox.File{Name: name, Data: nonNil(in.Data)}, nil
	}
	p, err := blob(in)
	if err != nil {
		return sandbox.File{}, fmt.Errorf("input %s (%s): %w", name, in.Name, err)
	}
	return sandbox.File{Name: name, Path: p}, nil
}

func nonNil(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

// decodeNodeResult splits what a tree prover wrote to /out/proof into its
// public outputs and proof: a 4-byte big-endian length L, L bytes of
// outputs, the proof in the rest. The two together must fit the chain's
// max_proof_size (maxSize), and the outputs must begin with the prover's
// address, as the chain requires of a SubmitNodeProof. The results alias b.
func decodeNodeResult(b []byte, prover address.Address, maxSize uint64) (outputs, proof []byte, err error) {
	if len(b) < nodeResultHeader {
		return nil, nil, fmt.Errorf("node result: %d bytes, shorter than its %d-byte length prefix", len(b), nodeResultHeader)
	}
	rest := b[nodeResultHeader:]
	if uint64(len(rest)) > maxSize {
		return nil, nil, fmt.Errorf("node result: outputs and proof of %d bytes exceed max_proof_size %d", len(rest), maxSize)
	}
	n := uint64(binary.BigEndian.Uint32(b))
	if n > uint64(len(rest)) {
		return nil, nil, fmt.Errorf("node result: outputs of %d bytes run past its end (%d bytes follow the prefix)", n, len(rest))
	}
	outputs, proof = rest[:n:n], rest[n:]
	if !bytes.HasPrefix(outputs, prover[:]) {
		return nil, nil, fmt.Errorf("node result: the outputs do not begin with the prover's address %s", prover)
	}
	return outputs, proof, nil
}
