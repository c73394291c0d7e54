package bench

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"math/big"

	"github.com/consensys/gnark-crypto/ecc/bn254/fr"

	g16mimc "github.com/provernet/provernet/examples/programs/groth16-mimc"
	plkmimc "github.com/provernet/provernet/examples/programs/plonk-mimc"
	plkchain "github.com/provernet/provernet/examples/programs/plonk-mimc/chain"
)

// example is one of the example programs the bench proves with.
type example struct {
	name          string // directory under --programs
	system, curve string
	// Modules under the example's directory: the host-backed prover and
	// verifier, and the pure-wasm reference ones ("" if none).
	prover, verifier         string
	wasmProver, wasmVerifier string
	// Inputs of the host-backed and the pure-wasm programs, in order.
	inputs, wasmInputs []string
	// native and nativeProgram name the nativeProvers entries: gnark as a
	// user runs it, and the pure-wasm prover's own code.
	native, nativeProgram string
	// setup writes the case's files into dir.
	setup func(log int, dir string) (caseFiles, error)
}

// caseFiles describes what an example's setup wrote.
type caseFiles struct {
	constraints, chainLength int
}

var groth16Example = &example{
	name: "groth16-mimc", system: "groth16", curve: "bn254",
	prover: "prover.wasm", verifier: "verifier.wasm",
	wasmProver: "prover-wasm.wasm", wasmVerifier: "verifier-wasm.wasm",
	inputs:     []string{"cs.bin", "pk.bin", "vk.bin", "input.json"},
	wasmInputs: []string{"cs.bin", "pk.bin", "vk.bin", "input.json"},
	native:     "groth16-mimc/gnark", nativeProgram: "groth16-mimc/program",
	setup: setupGroth16,
}

var plonkExample = &example{
	name: "plonk-mimc", system: "plonk", curve: "bls12-381",
	prover: "prover.wasm", verifier: "verifier.wasm",
	inputs: []string{"cs.bin", "pk.bin", "vk.bin", "input.json"},
	native: "plonk-mimc/gnark",
	setup:  setupPlonk,
}

// setupGroth16 runs the example's development setup for the longest chain
// within 2^log constraints and writes cs.bin, pk.bin, vk.bin and an
// input.json with x and y.
func setupGroth16(log int, dir string) (caseFiles, error) {
	n, err := g16mimc.ChainLengthFor(log)
	if err != nil {
		return caseFiles{}, err
	}
	ccs, pk, vk, err := g16mimc.Setup(n, g16mimc.DevSeed)
	if err != nil {
		return caseFiles{}, err
	}
	err = writeFiles(dir, func(cs, pkw, vkw io.Writer) error {
		if err := g16mimc.WriteSystem(ccs, cs); err != nil {
			return err
		}
		return g16mimc.WriteKeys(pk, vk, pkw, vkw)
	})
	if err != nil {
		return caseFiles{}, err
	}
	var x fr.Element
	x.SetUint64(42)
	y := g16mimc.Chain(x, n)
	if err := writeInput(dir, n, x.String(), y.String()); err != nil {
		return caseFiles{}, err
	}
	return caseFiles{constraints: ccs.GetNbConstraints(), chainLength: n}, nil
}

// setupPlonk runs the PLONK example's development setup (an unsafe KZG
// SRS from its fixed seed) for the longest chain whose SparseR1CS, with
// its public input, fits a domain of 2^log.
func setupPlonk(log int, dir string) (caseFiles, error) {
	n, err := plkmimc.ChainLengthFor(log)
	if err != nil {
		return caseFiles{}, err
	}
	ccs, pk, vk, err := plkmimc.Setup(n, plkmimc.DevSeed)
	if err != nil {
		return caseFiles{}, err
	}
	err = writeFiles(dir, func(cs, pkw, vkw io.Writer) error { return plkmimc.WriteFiles(ccs, pk, vk, cs, pkw, vkw) })
	if err != nil {
		return caseFiles{}, err
	}
	x := big.NewInt(42)
	if err := writeInput(dir, n, x.String(), plkchain.Big(x, n).String()); err != nil {
		return caseFiles{}, err
	}
	return caseFiles{constraints: ccs.GetNbConstraints(), chainLength: n}, nil
}

// writeFiles creates cs.bin, pk.bin and vk.bin in dir and hands their
// buffered writers to write.
func writeFiles(dir string, write func(cs, pk, vk io.Writer) error) error {
	names := []string{"cs.bin", "pk.bin", "vk.bin"}
	var files []*os.File
	var ws []*bufio.Writer
	defer func() {
		for _, f := range files {
			f.Close()
		}
	}()
	for _, n := range names {
		f, err := os.Create(filepath.Join(dir, n))
		if err != nil {
			return err
		}
		files = append(files, f)
		ws = append(ws, bufio.NewWriterSize(f, 1<<20))
	}
	if err := write(ws[0], ws[1], ws[2]); err != nil {
		return err
	}
	for i, w := range ws {
		if err := w.Flush(); err != nil {
			return fmt.Errorf("write %s: %w", names[i], err)
		}
		if err := files[i].Close(); err != nil {
			return fmt.Errorf("write %s: %w", names[i], err)
		}
	}
	return nil
}

func writeInput(dir string, n int, x, y string) error {
	b, err := json.Marshal(struct {
		N int    `json:"n"`
		X string `json:"x"`
		Y string `json:"y"`
	}{n, x, y})
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "input.json"), b, 0o600)
}

func fileSize(path string) int64 {
	fi, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return fi.Size()
}
