package treezk

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/provernet/provernet/internal/treepair"
	"github.com/provernet/provernet/wire"
)

// The commands provernet-sandbox serves for the gnark pair: tree-node
// (one node proof for a prover daemon, treepair.NodeRequest on stdin,
// treepair.NodeResult on stdout) and tree-keys (the setup, for
// `provernet tree keys`).

// KeysCommand is the provernet-sandbox command that makes the keys.
const KeysCommand = "tree-keys"

// RunNode reads one node request from in, proves it, and writes the
// result (or its error) to out. It returns the error too, for the exit
// code.
func RunNode(in io.Reader, out io.Writer) error {
	start := time.Now()
	res, err := runNode(in)
	if err != nil {
		res = treepair.NodeResult{Error: err.Error()}
	}
	res.Seconds = time.Since(start).Seconds()
	return errors.Join(err, json.NewEncoder(out).Encode(res))
}

func runNode(in io.Reader) (treepair.NodeResult, error) {
	var req treepair.NodeRequest
	if err := json.NewDecoder(in).Decode(&req); err != nil {
		return treepair.NodeResult{}, fmt.Errorf("request: %w", err)
	}
	var prover [treepair.AddressSize]byte
	pb, err := hex.DecodeString(req.Prover)
	if err != nil || len(pb) != len(prover) {
		return treepair.NodeResult{}, fmt.Errorf("prover %q is not 20 bytes of hex", req.Prover)
	}
	copy(prover[:], pb)
	tree, err := hex.DecodeString(req.Tree)
	if err != nil {
		return treepair.NodeResult{}, fmt.Errorf("tree: %w", err)
	}
	k, err := LoadLevel(req.Keys, int(req.Level), req.VK)
	if err != nil {
		return treepair.NodeResult{}, err
	}
	var proof, outputs []byte
	if req.Level == 0 {
		a, errA := hex.DecodeString(req.A)
		b, errB := hex.DecodeString(req.B)
		if err := errors.Join(errA, errB); err != nil {
			return treepair.NodeResult{}, fmt.Errorf("inputs: %w", err)
		}
		proof, outputs, err = ProveBase(k, prover, tree, req.Node, a, b)
	} else {
		if req.Left == nil || req.Right == nil {
			return treepair.NodeResult{}, errors.New("a merge node needs its left and right child")
		}
		proof, outputs, err = ProveMerge(k, req.ChildVK, prover, tree, req.Node,
			Child{Proof: req.Left.Proof, Outputs: req.Left.Outputs}, Child{Proof: req.Right.Proof, Outputs: req.Right.Outputs})
	}
	if err != nil {
		return treepair.NodeResult{}, err
	}
	return treepair.NodeResult{Proof: proof, Outputs: outputs}, nil
}

// KeysReport is what tree-keys prints: where the keys are, and what a
// genesis's params take to name the pair.
type KeysReport struct {
	Dir          string   `json:"dir"`
	Levels       int      `json:"levels"`
	MaxInputs    int      `json:"max_inputs"` // the largest tree the keys prove
	BaseVK       []byte   `json:"tree_gnark_base_vk"`
	MergeVKs     [][]byte `json:"tree_gnark_merge_vks"`
	BaseProgram  string   `json:"base_program"`
	MergeProgram string   `json:"merge_program"`
}

// RunKeys is tree-keys: --out DIR --levels L. Progress goes to stderr,
// the report (JSON) to stdout.
func RunKeys(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet(KeysCommand, flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("out", "", "the keys' directory (kept where they are there and consistent)")
	levels := fs.Int("levels", 1, "merge levels: trees of up to 2^(levels+1) inputs")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *dir == "" || *levels < 1 || *levels > 5 {
		return errors.New("tree-keys needs --out DIR and --levels 1..5")
	}
	vks, err := Setup(*dir, *levels, stderr)
	if err != nil {
		return err
	}
	base, merge := wire.TreeGnarkPrograms(vks[0], vks[1:])
	rep := KeysReport{Dir: *dir, Levels: *levels, MaxInputs: 2 << *levels, BaseVK: vks[0], MergeVKs: vks[1:],
		BaseProgram: hex.EncodeToString(base), MergeProgram: hex.EncodeToString(merge)}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(rep)
}
