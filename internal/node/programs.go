package node

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/provernet/provernet/client"
	"github.com/provernet/provernet/wire"
)

// ExampleProgram is an example program deployed on a devnet, with the
// sample inputs `make programs` wrote beside it.
type ExampleProgram struct {
	Name   string   `json:"name"`
	ID     string   `json:"id"`
	Inputs []string `json:"inputs"` // files, in the order the program expects
	Cycles uint64   `json:"cycles"` // a budget that proves the sample
	// Tree is "base" or "merge" for a tree program (deployed as
	// NAME-base and NAME-merge), whose node proofs committees judge with
	// its verify_cycles; "" for a Run's program.
	Tree string `json:"tree,omitempty"`
}

// treeExamples are the example tree program pairs, built as
// dir/NAME/{base,merge}/{prover,verifier}.wasm, with the verifier budget
// they are deployed with (a tree's committees need one; docs/TREES.md).
var treeExamples = map[string]uint64{"sha256-tree": 1_000_000_000}

// exampleInputs lists each example's sample inputs in order, and a cycle
// budget for it (examples/programs/README.md).
var exampleInputs = map[string]struct {
	files  []string
	cycles uint64
}{
	"sha256-chain": {[]string{"input.json"}, 2_000_000_000},
	"bench":        {[]string{"input.json"}, 50_000_000_000},
	"groth16-mimc": {[]string{"cs.bin", "pk.bin", "vk.bin", "input.json"}, 40_000_000_000},
	"plonk-mimc":   {[]string{"cs.bin", "pk.bin", "vk.bin", "input.json"}, 100_000_000_000},
}

// DeployExamples uploads and deploys, from key, every example program built
// under dir (dir/NAME/{prover,verifier}.wasm, and the tree pairs'
// dir/NAME/{base,merge}/...), skipping those already on chain, and waits
// for the deployments to commit.
func DeployExamples(ctx context.Context, c *client.Client, key *client.Key, dir string) ([]ExampleProgram, error) {
	var out []ExampleProgram
	names := make([]string, 0, len(exampleInputs))
	for name := range exampleInputs {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		pdir := filepath.Join(dir, name)
		if _, err := os.Stat(filepath.Join(pdir, "prover.wasm")); err != nil {
			continue // not built
		}
		ex := ExampleProgram{Name: name, Cycles: exampleInputs[name].cycles}
		for _, f := range exampleInputs[name].files {
			ex.Inputs = append(ex.Inputs, filepath.Join(pdir, f))
		}
		if err := deployExample(ctx, c, key, &ex, pdir, 0); err != nil {
			return out, fmt.Errorf("%s: %w", name, err)
		}
		out = append(out, ex)
	}
	trees := make([]string, 0, len(treeExamples))
	for name := range treeExamples {
		trees = append(trees, name)
	}
	sort.Strings(trees)
	for _, name := range trees {
		for _, kind := range []string{"base", "merge"} {
			pdir := filepath.Join(dir, name, kind)
			if _, err := os.Stat(filepath.Join(pdir, "prover.wasm")); err != nil {
				continue // not built
			}
			ex := ExampleProgram{Name: name + "-" + kind, Tree: kind}
			if err := deployExample(ctx, c, key, &ex, pdir, treeExamples[name]); err != nil {
				return out, fmt.Errorf("%s: %w", ex.Name, err)
			}
			out = append(out, ex)
		}
	}
	return out, nil
}

// deployExample deploys ex (its Name set) from dir's prover.wasm and
// verifier.wasm with verifyCycles (0: none), unless it is on chain
// already, and sets its ID.
func deployExample(ctx context.Context, c *client.Client, key *client.Key, ex *ExampleProgram, dir string, verifyCycles uint64) error {
	name := ex.Name
	pv, err := putModule(ctx, c, filepath.Join(dir, "prover.wasm"))
	if err != nil {
		return err
	}
	vf, err := putModule(ctx, c, filepath.Join(dir, "verifier.wasm"))
	if err != nil {
		return err
	}
	if ex.ID, err = client.ProgramID(pv, vf); err != nil {
		return err
	}
	if _, err := c.Program(ctx, ex.ID); err == nil {
		return nil // already deployed (a resumed devnet)
	} else if !errors.Is(err, client.ErrNotFound) {
		return err
	}
	msg, err := client.DeployMsg(name, pv, vf, &wire.Hardware{CPUCores: 1, MemoryMB: 1024})
	if err != nil {
		return err
	}
	msg.GetDeploy().VerifyCycles = verifyCycles
	res, err := c.Send(ctx, key, 0, msg)
	if err != nil {
		return err
	}
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	tx, err := c.WaitTx(wctx, res.Hash)
	if err != nil {
		return err
	}
	if tx.Code != 0 {
		return fmt.Errorf("deploy refused: %s", tx.Log)
	}
	return nil
}

func putModule(ctx context.Context, c *client.Client, path string) (*wire.Module, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(b)
	want := hex.EncodeToString(sum[:])
	info, err := c.PutBlob(ctx, bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("failed to upload %s: %w", path, err)
	}
	if info.SHA256 != want {
		return nil, fmt.Errorf("the node stored %s as %s, expected %s", path, info.SHA256, want)
	}
	return &wire.Module{SHA256: want, Size: uint64(len(b))}, nil
}
