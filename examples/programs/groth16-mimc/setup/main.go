// Command setup is the DEVELOPMENT trusted setup of the groth16-mimc example
// program. It compiles the circuit for one chain length and writes its
// constraint system (cs.bin) and gnark's Groth16 proving key (pk.bin) and
// verifying key (vk.bin) for it, and a sample input.json.
//
// By default the toxic waste comes from a fixed, public seed so that
// `make programs` is reproducible: anyone can forge proofs for these keys.
// Never use them in production; -random draws it from crypto/rand instead,
// which is still a single-party setup.
//
//	go run ./examples/programs/groth16-mimc/setup -out build/programs/groth16-mimc [-log 15 | -n 40] [-random]
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	g16mimc "github.com/provernet/provernet/examples/programs/groth16-mimc"
)

func main() {
	var (
		out    = flag.String("out", ".", "directory for cs.bin, pk.bin, vk.bin and the sample input.json")
		logN   = flag.Int("log", 14, "pick the longest chain with at most 2^log constraints (ignored if -n is set)")
		n      = flag.Int("n", 0, "chain length (overrides -log)")
		random = flag.Bool("random", false, "draw the toxic waste from crypto/rand instead of the fixed development seed")
		seed   = flag.String("seed", g16mimc.DevSeed, "seed of the deterministic development setup")
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
		if n, err = g16mimc.ChainLengthFor(logN); err != nil {
			return err
		}
	}
	if random {
		seed = ""
	}
	ccs, pk, vk, err := g16mimc.Setup(n, seed)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	if err := writeFile(filepath.Join(out, "cs.bin"), func(w io.Writer) error { return g16mimc.WriteSystem(ccs, w) }); err != nil {
		return err
	}
	if err := writeFile(filepath.Join(out, "pk.bin"), func(w io.Writer) error {
		_, err := pk.WriteRawTo(w)
		return err
	}); err != nil {
		return err
	}
	if err := writeFile(filepath.Join(out, "vk.bin"), func(w io.Writer) error {
		_, err := vk.WriteTo(w)
		return err
	}); err != nil {
		return err
	}

	// A sample input for these keys: x, n and y = MiMC^n(x).
	in, err := g16mimc.ParseInput(fmt.Appendf(nil, `{"n":%d,"x":%q}`, n, x))
	if err != nil {
		return err
	}
	y := g16mimc.Chain(*in.X, n)
	sample, err := json.MarshalIndent(g16mimc.Input{N: n, X: x, Y: y.String()}, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(out, "input.json"), append(sample, '\n'), 0o644); err != nil {
		return err
	}
	kind := "deterministic development seed (INSECURE)"
	if seed == "" {
		kind = "crypto/rand (single-party, development only)"
	}
	fmt.Printf("groth16-mimc setup: n=%d, %d constraints, toxic waste from %s, wrote %s in %v\n",
		n, ccs.GetNbConstraints(), kind, out, time.Since(start).Round(time.Millisecond))
	return nil
}

// writeFile creates path and writes it through a buffer with write.
func writeFile(path string, write func(io.Writer) error) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	b := bufio.NewWriter(f)
	if err := write(b); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if err := b.Flush(); err != nil {
		return err
	}
	return f.Close()
}
