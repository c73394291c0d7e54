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
}

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
// under dir (dir/NAME/{prover,verifier}.wasm), skipping those already on
// chain, and waits for the deployments to commit.
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
		p, err := deployExample(ctx, c, key, name, pdir)
		if err != nil {
			return out, fmt.Errorf("%s: %w", name, err)
		}
		out = append(out, p)
	}
	return out, nil
}

func deployExample(ctx context.Context, c *client.Client, key *client.Key, name, dir string) (ExampleProgram, error) {
	ex := ExampleProgram{Name: name, Cycles: exampleInputs[name].cycles}
	for _, f := range exampleInputs[name].files {
		ex.Inputs = append(ex.Inputs, filepath.Join(dir, f))
	}
	pv, err := putModule(ctx, c, filepath.Join(dir, "prover.wasm"))
	if err != nil {
		return ex, err
	}
	vf, err := putModule(ctx, c, filepath.Join(dir, "verifier.wasm"))
	if err != nil {
		return ex, err
	}
	if ex.ID, err = client.ProgramID(pv, vf); err != nil {
		return ex, err
	}
	if _, err := c.Program(ctx, ex.ID); err == nil {
		return ex, nil // already deployed (a resumed devnet)
	} else if !errors.Is(err, client.ErrNotFound) {
		return ex, err
	}
	msg, err := client.DeployMsg(name, pv, vf, &wire.Hardware{CPUCores: 1, MemoryMB: 1024})
	if err != nil {
		return ex, err
	}
	res, err := c.Send(ctx, key, 0, msg)
	if err != nil {
		return ex, err
	}
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	tx, err := c.WaitTx(wctx, res.Hash)
	if err != nil {
		return ex, err
	}
	if tx.Code != 0 {
		return ex, fmt.Errorf("deploy refused: %s", tx.Log)
	}
	return ex, nil
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
