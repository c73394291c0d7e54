package sha256tree

import (
	"strconv"
	"strings"

	"github.com/provernet/provernet/examples/programs/internal/progcore"
)

// The input files of the tree program file contract, by base name.
const (
	FileProver  = "prover"  // the node prover's 20-byte address
	FileA       = "a"       // a base node's first input
	FileB       = "b"       // a base node's second input
	FileOutputs = "outputs" // the claimed public outputs (verifiers only)
)

// Bounds on the files.
const (
	// MaxChildren is how many proofs of each child a merge may name.
	MaxChildren = 3
	// MaxInputSize bounds a base node's input (a or b). The module holds
	// both in memory.
	MaxInputSize = 64 << 20
	// MaxOutputsSize bounds a child's outputs and the claimed outputs: the
	// chain caps a node proof's outputs and proof together at
	// max_proof_size, 1 MiB by default.
	MaxOutputsSize = progcore.MaxProofSize
	// MaxChildProofSize bounds a child's proof.
	MaxChildProofSize = progcore.MaxProofSize
)

// Files are a node's input files, by base name.
type Files map[string][]byte

// ReadFiles reads the files at paths, each found by its base name (the
// path's last element), which must be one of max's keys; max gives each
// name's size bound. An unexpected, duplicated, missing (unreadable) or
// oversized file is malformed input. Which names must be present is the
// caller's check.
func ReadFiles(paths []string, max map[string]int64) (Files, error) {
	f := Files{}
	for _, p := range paths {
		name := p[strings.LastIndexByte(p, '/')+1:]
		limit, ok := max[name]
		if !ok {
			return nil, progcore.MalformedMsg("unexpected input file " + strconv.Quote(p))
		}
		if _, dup := f[name]; dup {
			return nil, progcore.MalformedMsg("input file " + strconv.Quote(name) + " given twice")
		}
		data, err := progcore.ReadFile(p, limit)
		if err != nil {
			return nil, err
		}
		f[name] = data
	}
	return f, nil
}

// BaseLimits are the files a base prover (verifier: true adds outputs)
// may read, with their bounds.
func BaseLimits(verifier bool) map[string]int64 {
	m := map[string]int64{FileProver: AddressSize, FileA: MaxInputSize, FileB: MaxInputSize}
	if verifier {
		m[FileOutputs] = MaxOutputsSize
	}
	return m
}

// MergeLimits are the files a merge prover (verifier: true adds outputs)
// may read, with their bounds.
func MergeLimits(verifier bool) map[string]int64 {
	m := map[string]int64{FileProver: AddressSize}
	for _, side := range []string{"left", "right"} {
		for k := 1; k <= MaxChildren; k++ {
			m[ChildOut(side, k)] = MaxOutputsSize
			m[ChildProof(side, k)] = MaxChildProofSize
		}
	}
	if verifier {
		m[FileOutputs] = MaxOutputsSize
	}
	return m
}

// ChildOut is the name of the outputs of the k-th (1-based) proof named
// on side ("left" or "right").
func ChildOut(side string, k int) string { return side + "-" + strconv.Itoa(k) + ".out" }

// ChildProof is the name of that proof's bytes.
func ChildProof(side string, k int) string { return side + "-" + strconv.Itoa(k) + ".proof" }

func baseNames(verifier bool) []string {
	names := []string{FileProver, FileA, FileB}
	if verifier {
		names = append(names, FileOutputs)
	}
	return names
}

// exactly checks that f holds exactly names.
func (f Files) exactly(names []string) error {
	for _, n := range names {
		if _, ok := f[n]; !ok {
			return progcore.MalformedMsg("missing input file " + strconv.Quote(n))
		}
	}
	if len(f) != len(names) {
		return progcore.MalformedMsg("want exactly the input files " + strings.Join(names, ", "))
	}
	return nil
}

// prover returns the prover's address, which must be exactly AddressSize
// bytes.
func (f Files) prover() ([]byte, error) {
	p := f[FileProver]
	if len(p) != AddressSize {
		return nil, progcore.MalformedMsg("prover: want " + strconv.Itoa(AddressSize) + " bytes, got " + strconv.Itoa(len(p)))
	}
	return p, nil
}

// merge checks a merge node's files (verifier: with outputs) and returns
// the prover's address and each side's child outputs, in the order named.
func (f Files) merge(verifier bool) (prover []byte, left, right [][]byte, err error) {
	names := []string{FileProver}
	if verifier {
		names = append(names, FileOutputs)
	}
	if left, names, err = f.children("left", names); err != nil {
		return nil, nil, nil, err
	}
	if right, names, err = f.children("right", names); err != nil {
		return nil, nil, nil, err
	}
	if err := f.exactly(names); err != nil {
		return nil, nil, nil, err
	}
	prover, err = f.prover()
	return prover, left, right, err
}

// children returns the outputs of the proofs named on side: side-1 up to
// the first k whose two files are both absent, at least one. It appends
// the names it used to names, so that exactly can refuse a gap (left-1,
// left-3) or a lone .out or .proof.
func (f Files) children(side string, names []string) ([][]byte, []string, error) {
	var outs [][]byte
	for k := 1; k <= MaxChildren; k++ {
		out, okOut := f[ChildOut(side, k)]
		_, okProof := f[ChildProof(side, k)]
		if !okOut && !okProof {
			break
		}
		if !okOut || !okProof {
			return nil, nil, progcore.MalformedMsg("child proof " + side + "-" + strconv.Itoa(k) + " needs both its .out and its .proof file")
		}
		outs = append(outs, out)
		names = append(names, ChildOut(side, k), ChildProof(side, k))
	}
	if len(outs) == 0 {
		return nil, nil, progcore.MalformedMsg("a merge names 1.." + strconv.Itoa(MaxChildren) + " proofs of each child; none given for " + side + " (" + ChildOut(side, 1) + ")")
	}
	return outs, names, nil
}
