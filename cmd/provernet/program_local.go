package main

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/provernet/provernet/internal/cli"
	"github.com/provernet/provernet/internal/protocol"
	"github.com/provernet/provernet/internal/sandbox"
)

// localRun is the report of program run / program verify.
type localRun struct {
	Outcome sandbox.Outcome `json:"outcome"`
	Cycles  uint64          `json:"cycles"`
	// HostCycles is the part of Cycles that native proof-system calls
	// (provernet_zk_v1) charged; the rest is metered wasm.
	HostCycles  uint64  `json:"host_cycles"`
	ProofSHA256 string  `json:"proof_sha256,omitempty"`
	ProofFile   string  `json:"proof_file,omitempty"`
	WallS       float64 `json:"wall_s"`
	ExitCode    uint32  `json:"exit_code"`
	Detail      string  `json:"detail,omitempty"`
	Stderr      string  `json:"stderr,omitempty"`
}

type localFlags struct {
	program  string
	inputs   []string
	cycles   uint64
	proof    string
	wall     time.Duration
	memoryMB uint32
	interp   bool
	cores    int
}

func (f *localFlags) register(cmd *cobra.Command, proofHelp string) {
	cmd.Flags().StringVar(&f.program, "program", "", "the module (.wasm) to run (required)")
	cmd.Flags().StringArrayVar(&f.inputs, "input", nil, "an input file, mounted read-only under /in (repeatable)")
	cmd.Flags().Uint64Var(&f.cycles, "cycles", 10_000_000_000, "cycle budget; the run fails when it is spent")
	cmd.Flags().StringVar(&f.proof, "proof", "", proofHelp)
	cmd.Flags().DurationVar(&f.wall, "timeout", 30*time.Minute, "wall-clock backstop (never decides an outcome on chain)")
	cmd.Flags().Uint32Var(&f.memoryMB, "memory-mb", 2048, "memory cap of the program (MiB)")
	cmd.Flags().IntVar(&f.cores, "cores", 0, "threads native proof-system calls may use (default: all of this machine's)")
	cmd.Flags().BoolVar(&f.interp, "interpreter", false, "use wazero's interpreter instead of its compiler (slow; for checking counts)")
	_ = cmd.MarkFlagRequired("program")
}

func newProgramLocalCmds(g *globals) []*cobra.Command {
	var runF, verF localFlags
	runCmd := &cobra.Command{
		Use:   "run",
		Short: "Run a prover locally in the same sandbox the network uses, and count its cycles",
		Long: `Runs a prover module on input files exactly as a prover of the network would:
metered, in a worker process, with inputs read-only under /in and the proof
written to /out/proof. Use it to learn what a Run will cost (its cycles) before
paying for it.`,
		Example: `  provernet program run --program build/programs/sha256-chain/prover.wasm \
      --input build/programs/sha256-chain/input.json --output json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runLocal(g, cmd, runF, sandbox.Prove) },
	}
	runF.register(runCmd, "where to write the proof (default: proof.bin in the current directory)")
	verCmd := &cobra.Command{
		Use:   "verify",
		Short: "Run a verifier locally on a proof; exits 1 if the proof is invalid",
		Example: `  provernet program verify --program build/programs/sha256-chain/verifier.wasm \
      --input build/programs/sha256-chain/input.json --proof proof.bin`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runLocal(g, cmd, verF, sandbox.Verify) },
	}
	verF.register(verCmd, "the proof to verify (required)")
	_ = verCmd.MarkFlagRequired("proof")
	return []*cobra.Command{runCmd, verCmd}
}

func runLocal(g *globals, cmd *cobra.Command, f localFlags, role sandbox.Role) error {
	inDir, err := os.MkdirTemp("", "provernet-in-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(inDir)
	names, err := stageLocalInputs(inDir, f.inputs, f.proof, role)
	if err != nil {
		return err
	}
	exe, err := sandbox.WorkerExecutable()
	if err != nil {
		return err
	}
	res, err := sandbox.Exec(cmd.Context(), exe, sandbox.WorkerJob{
		Program: f.program, Role: role, InDir: inDir, Inputs: names, Interpreter: f.interp,
		MemoryPages: f.memoryMB * 16, CacheDir: filepath.Join(os.TempDir(), "provernet-wazero-cache"), Cores: f.cores,
		Limits: sandbox.Limits{Cycles: f.cycles, MaxOutput: int64(protocol.DefaultParams().MaxProofSize), Wall: f.wall},
	})
	if err != nil {
		return cli.WithHint(err, "is --program a WASI preview 1 module (GOOS=wasip1 GOARCH=wasm)?")
	}
	rep := localRun{Outcome: res.Outcome, Cycles: res.Cycles, HostCycles: res.HostCycles, WallS: res.Wall.Seconds(), ExitCode: res.ExitCode, Detail: res.Detail, Stderr: res.Stderr}
	if res.Outcome == sandbox.OutcomeProof {
		sum := sha256.Sum256(res.Output)
		rep.ProofSHA256 = hex.EncodeToString(sum[:])
		rep.ProofFile = f.proof
		if rep.ProofFile == "" {
			rep.ProofFile = "proof.bin"
		}
		if err := os.WriteFile(rep.ProofFile, res.Output, 0o644); err != nil {
			return err
		}
	}
	if err := g.emit(rep, func(w io.Writer) { printLocal(w, rep, f.cycles) }); err != nil {
		return err
	}
	if rep.Outcome != sandbox.OutcomeProof && rep.Outcome != sandbox.OutcomeValid {
		return &cli.ExitError{Code: 1}
	}
	return nil
}

func printLocal(w io.Writer, r localRun, budget uint64) {
	fmt.Fprintf(w, "%s: %d cycles of %d, %.2fs\n", r.Outcome, r.Cycles, budget, r.WallS)
	if r.HostCycles > 0 {
		fmt.Fprintf(w, "  %d in wasm, %d in native proof-system calls (host_cycles)\n", r.Cycles-r.HostCycles, r.HostCycles)
	}
	if r.ProofFile != "" {
		fmt.Fprintf(w, "proof %s written to %s\n", r.ProofSHA256, r.ProofFile)
	}
	if r.Outcome == sandbox.OutcomeFail {
		fmt.Fprintln(w, "hint: the program needs more cycles than --cycles")
	}
	if r.Detail != "" {
		fmt.Fprintf(w, "detail: %s\n", r.Detail)
	}
	if r.Stderr != "" && r.Outcome != sandbox.OutcomeProof && r.Outcome != sandbox.OutcomeValid {
		fmt.Fprintf(w, "program stderr:\n%s\n", r.Stderr)
	}
}

// stageLocalInputs stages the input files (and a verifier's proof) in dir
// through sandbox.StageInputs, each under its base name, the way a prover
// daemon stages a job's inputs.
func stageLocalInputs(dir string, inputs []string, proofFile string, role sandbox.Role) ([]string, error) {
	files := make([]sandbox.File, 0, len(inputs))
	for _, in := range inputs { // linked or streamed into dir, never read whole
		files = append(files, sandbox.File{Name: filepath.Base(in), Path: in})
	}
	var proof []byte
	if role == sandbox.Verify {
		b, err := os.ReadFile(proofFile)
		if err != nil {
			return nil, fmt.Errorf("failed to read the proof: %w", err)
		}
		proof = b
	}
	names, err := sandbox.StageInputs(dir, files, proof)
	if err != nil {
		return nil, cli.WithHint(err, "inputs are mounted under /in by their base names: two inputs may not share one, nor take the proof's")
	}
	return names, nil
}
