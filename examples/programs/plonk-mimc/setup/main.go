// Command setup is the DEVELOPMENT setup of the plonk-mimc example
// program. It compiles the circuit for one chain length, makes a KZG SRS
// with gnark's test/unsafekzg and runs gnark's PLONK setup, and writes the
// constraint system (cs.bin), the proving key (pk.bin), the verifying key
// (vk.bin) and a sample input.json.
//
// By default the SRS's toxic value τ is SHA-256 of a fixed, public seed so
// that `make programs` is reproducible: anyone can forge proofs for these
// keys. Never use them in production; -random draws τ from crypto/rand
// instead, which is still a single-party SRS.
//
//	go run ./examples/programs/plonk-mimc/setup -out build/programs/plonk-mimc [-log 14 | -n 40] [-random]
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/provernet/provernet/examples/programs/internal/mimcchain"
	plkmimc "github.com/provernet/provernet/examples/programs/plonk-mimc"
	"github.com/provernet/provernet/examples/programs/plonk-mimc/chain"
)

func main() {
	var (
		out    = flag.String("out", ".", "directory for cs.bin, pk.bin, vk.bin and the sample input.json")
		logN   = flag.Int("log", 14, "pick the longest chain with at most 2^log constraints (ignored if -n is set)")
		n      = flag.Int("n", 0, "chain length (overrides -log)")
		random = flag.Bool("random", false, "draw the SRS toxic value from crypto/rand instead of the fixed development seed")
		seed   = flag.String("seed", plkmimc.DevSeed, "seed of the deterministic development SRS")
		x      = flag.String("x", "42", "preimage written to the sample input.json")
	)
	flag.Parse()
	if err := run(*out, *logN, *n, *random, *seed, *x); err != nil {
		fmt.Fprintln(os.Stderr, "setup:", err)
		os.Exit(1)
	}
}

func run(out string, logN, n int, random bool, seed, x string) error {
	start := time.Now()
	if n == 0 {
		var err error
		if n, err = plkmimc.ChainLengthFor(logN); err != nil {
			return err
		}
	}
	if random {
		seed = ""
	}
	// Check the sample preimage before the (slower) setup.
	xv, err := chain.Spec.ParseElement(x)
	if err != nil {
		return fmt.Errorf("-x: %w", err)
	}
	ccs, pk, vk, err := plkmimc.Setup(n, seed)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	// The files of the circuits this setup makes are a few MB: build
	// them in memory.
	var cs, pkb, vkb bytes.Buffer
	if err := plkmimc.WriteFiles(ccs, pk, vk, &cs, &pkb, &vkb); err != nil {
		return err
	}
	for name, b := range map[string][]byte{"cs.bin": cs.Bytes(), "pk.bin": pkb.Bytes(), "vk.bin": vkb.Bytes()} {
		if err := os.WriteFile(filepath.Join(out, name), b, 0o644); err != nil {
			return err
		}
	}
	if err := writeSample(filepath.Join(out, "input.json"), n, x, xv); err != nil {
		return err
	}
	kind := "deterministic development seed (INSECURE)"
	if seed == "" {
		kind = "crypto/rand (single-party, development only)"
	}
	fmt.Printf("plonk-mimc setup: n=%d, %d constraints, SRS toxic value from %s, wrote %s in %v\n",
		n, ccs.GetNbConstraints(), kind, out, time.Since(start).Round(time.Millisecond))
	return nil
}

// writeSample writes an input.json for these keys: n, x and y = MiMC^n(x).
func writeSample(path string, n int, x string, xv mimcchain.Element) error {
	y := chain.Elem(xv, n)
	sample, err := json.MarshalIndent(mimcchain.InputJSON{N: n, X: x, Y: y.String()}, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(sample, '\n'), 0o644)
}
