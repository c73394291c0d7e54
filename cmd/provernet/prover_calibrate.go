package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/provernet/provernet/internal/cli"
	"github.com/provernet/provernet/internal/protocol"
	"github.com/provernet/provernet/internal/prover"
	"github.com/provernet/provernet/internal/sandbox"
	"github.com/provernet/provernet/wire"
	"github.com/provernet/provernet/wire/pb"
)

// newProverCmd is the operator's side of running a prover (issue 19,
// "operator experience"): `tx prover` sends its transactions.
func newProverCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "prover", Short: "Prepare this machine to run a prover"}
	cmd.AddCommand(newCalibrateCmd(g))
	return cmd
}

// calibrateReport is calibrate's output: what was found, what was
// measured, and what to declare.
type calibrateReport struct {
	Detected struct {
		CPUCores    int        `json:"cpu_cores"`
		AvailableMB uint64     `json:"available_mb"`
		GPUs        []wire.GPU `json:"gpus,omitempty"`
	} `json:"detected"`
	ParamsFrom  string              `json:"params_from"` // the node's URL, or "defaults"
	BlockTimeS  float64             `json:"block_time_s"`
	Calibration *prover.Calibration `json:"calibration"`
	Capacity    int                 `json:"capacity"` // --prover-capacity to use
	File        string              `json:"file"`     // where the calibration was written
}

func newCalibrateCmd(g *globals) *cobra.Command {
	var cores int
	var memMB uint64
	var programs string
	var blockTime time.Duration
	var what calibrateWhatIf
	cmd := &cobra.Command{
		Use:   "calibrate",
		Short: "Measure this machine on the chain's hardware challenge and print the declaration to use",
		Long: `Finds this machine's cores, available memory and NVIDIA GPUs (nvidia-smi), then
runs, here, the hardware challenge the chain would issue to a prover declaring
them: one piece of the benchmark program per core, all at once, each on its
share of the memory, sized by the chain's challenge_cycles (read from --node,
else the defaults). It times the slowest piece against challenge_deadline
blocks and prints the declaration and capacity to start the prover with, or
how to shrink a declaration that would fail. The measured speed goes to
HOME/prover-calibration.json, which start --prover reads to promise delivery
heights before it has timed its own jobs. Needs the benchmark program built
(make programs).`,
		Example: "  provernet prover calibrate\n  provernet prover calibrate --cpu 2 --memory-mb 4096 --output json",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runCalibrate(g, cmd.Context(), cores, memMB, programs, blockTime, what)
		},
	}
	f := cmd.Flags()
	f.IntVar(&cores, "cpu", 0, "cores to declare (default: all of this machine's)")
	f.Uint64Var(&memMB, "memory-mb", 0, "memory to declare, MiB (default: three quarters of the available memory)")
	f.StringVar(&programs, "programs", "build/programs", "the built example programs (make programs): the benchmark program is bench/prover.wasm")
	f.DurationVar(&blockTime, "block-time", 0, "the chain's block time (default: measured from --node, else 1s)")
	f.Uint64Var(&what.cycles, "challenge-cycles", 0, "size the challenge as a chain with this challenge_cycles would (default: the node's, else the default)")
	f.Int64Var(&what.deadline, "challenge-deadline", 0, "time it against this challenge_deadline in blocks (default: the node's, else the default)")
	return cmd
}

// calibrateWhatIf overrides the chain's challenge parameters, to size a
// machine for another chain.
type calibrateWhatIf struct {
	cycles   uint64
	deadline int64
}

func runCalibrate(g *globals, ctx context.Context, cores int, memMB uint64, programs string, blockTime time.Duration, what calibrateWhatIf) error {
	var rep calibrateReport
	rep.Detected.CPUCores, rep.Detected.AvailableMB, rep.Detected.GPUs = runtime.NumCPU(), availableMB(), detectGPUs(ctx)
	if cores <= 0 {
		cores = rep.Detected.CPUCores
	}
	if memMB == 0 {
		memMB = rep.Detected.AvailableMB * 3 / 4
	}
	if memMB == 0 {
		return cli.WithHint(errors.New("cannot read the available memory (/proc/meminfo)"), "pass --memory-mb")
	}
	module := filepath.Join(programs, "bench", "prover.wasm")
	if _, err := os.Stat(module); err != nil {
		return cli.WithHint(fmt.Errorf("no benchmark program: %w", err), "build it with `make programs`, or point --programs at the built programs")
	}
	exe, err := sandbox.WorkerExecutable()
	if err != nil {
		return err
	}
	params, bt, from := calibrateChain(ctx, g)
	if blockTime <= 0 {
		blockTime = bt
	}
	if what.cycles > 0 {
		params.ChallengeCycles, from = what.cycles, from+" with --challenge-cycles"
	}
	if what.deadline > 0 {
		params.ChallengeDeadline, from = what.deadline, from+" with --challenge-deadline"
	}
	rep.ParamsFrom, rep.BlockTimeS = from, blockTime.Seconds()
	hw := &pb.Hardware{CpuCores: uint32(cores), MemoryMb: memMB}
	fmt.Fprintf(g.stderr, "running the challenge of %d cores and %d MiB (parameters: %s), about %s...\n", cores, memMB, from,
		time.Duration(float64(params.ChallengeCycles)/5e9*float64(time.Second)).Round(time.Second))
	c, err := prover.Calibrate(ctx, prover.CalibrateOptions{Exe: exe, Program: module, Params: params, Hardware: hw, BlockTime: blockTime,
		CacheDir: filepath.Join(os.TempDir(), "provernet-wazero-cache")})
	if err != nil {
		return err
	}
	rep.Calibration, rep.Capacity = c, max(1, int(c.Pieces))
	rep.File = prover.CalibrationFile(g.home)
	if err := os.MkdirAll(g.home, 0o700); err != nil {
		return err
	}
	if err := prover.SaveCalibration(rep.File, c); err != nil {
		return err
	}
	if err := g.emit(rep, func(w io.Writer) { printCalibration(w, rep) }); err != nil {
		return err
	}
	if !c.Passes {
		return &cli.ExitError{Code: 1}
	}
	return nil
}

// calibrateChain reads the challenge parameters and block time from the
// node, or falls back to the defaults and 1 s.
func calibrateChain(ctx context.Context, g *globals) (protocol.Params, time.Duration, string) {
	params := protocol.DefaultParams()
	qctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	c := g.client()
	wp, err := c.Params(qctx)
	if err != nil {
		return params, time.Second, "the defaults"
	}
	params.ChallengeCycles, params.ChallengeDeadline = wp.ChallengeCycles, wp.ChallengeDeadline
	bt := time.Second
	if st, err := c.Status(qctx); err == nil && st.Height > 11 {
		if old, err := c.Block(qctx, st.Height-10); err == nil && st.BlockTime.After(old.Time) {
			bt = st.BlockTime.Sub(old.Time) / 10
		}
	}
	return params, bt, "the node " + g.nodeURL()
}

// availableMB is MemAvailable from /proc/meminfo, in MiB (0: unknown).
func availableMB() uint64 {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return 0
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if rest, ok := strings.CutPrefix(s.Text(), "MemAvailable:"); ok {
			kb, _ := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb / 1024
		}
	}
	return 0
}

// detectGPUs lists NVIDIA GPUs through nvidia-smi, if it is installed.
func detectGPUs(ctx context.Context) []wire.GPU {
	out, err := exec.CommandContext(ctx, "nvidia-smi", "--query-gpu=name,memory.total", "--format=csv,noheader,nounits").Output()
	if err != nil {
		return nil
	}
	var gpus []wire.GPU
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		name, mem, ok := strings.Cut(line, ",")
		mb, err := strconv.ParseUint(strings.TrimSpace(mem), 10, 64)
		if ok && err == nil {
			gpus = append(gpus, wire.GPU{Model: strings.ReplaceAll(strings.TrimSpace(name), " ", "-"), MemoryMB: mb})
		}
	}
	return gpus
}

func printCalibration(w io.Writer, r calibrateReport) {
	c := r.Calibration
	fmt.Fprintf(w, "this machine: %d cores, %d MiB available", r.Detected.CPUCores, r.Detected.AvailableMB)
	for _, gpu := range r.Detected.GPUs {
		fmt.Fprintf(w, ", GPU %s (%d MiB)", gpu.Model, gpu.MemoryMB)
	}
	fmt.Fprintf(w, "\nchallenge (parameters: %s; %.2fs blocks): %d pieces of %d MiB at once, the slowest %.1fs of %.1fs allowed; %.2g cycles/s per core\n",
		r.ParamsFrom, r.BlockTimeS, c.Pieces, c.PieceMiB, c.SlowestS, c.DeadlineS, c.CyclesPerSecond)
	if !c.Passes {
		fmt.Fprintf(w, "FAILS with a 25%% margin: declare fewer cores (--cpu) or less memory (--memory-mb) and calibrate again\n")
		return
	}
	fmt.Fprintf(w, "passes with a 25%% margin: start the prover with\n  provernet start --prover --prover-cpu %d --prover-memory-mb %d --prover-capacity %d",
		c.CPUCores, c.MemoryMB, r.Capacity)
	for _, gpu := range r.Detected.GPUs {
		fmt.Fprintf(w, " --prover-gpu %s:%d", gpu.Model, gpu.MemoryMB)
	}
	fmt.Fprintf(w, "\nthe measured speed is in %s (start --prover promises delivery heights from it)\n", r.File)
}
