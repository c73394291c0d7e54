package prover

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/provernet/provernet/internal/protocol"
	"github.com/provernet/provernet/internal/sandbox"
	"github.com/provernet/provernet/wire/pb"
)

// CalibrateOptions say what to measure: the hardware challenge a
// declaration of Hardware would get on a chain of Params, run here.
type CalibrateOptions struct {
	Exe       string // the sandbox worker executable (provernet-sandbox)
	Program   string // the benchmark program's prover module (bench/prover.wasm)
	Params    protocol.Params
	Hardware  *pb.Hardware
	BlockTime time.Duration // the chain's block time, to turn challenge_deadline into seconds
	CacheDir  string        // wazero's compilation cache ("": none)
}

// Calibration is what a run of the challenge measured.
type Calibration struct {
	CPUCores  uint32  `json:"cpu_cores"`
	MemoryMB  uint64  `json:"memory_mb"`
	Pieces    uint32  `json:"pieces"`     // run at once, one per core
	PieceMiB  uint64  `json:"piece_mib"`  // each piece's buffer
	Cycles    uint64  `json:"cycles"`     // per piece, as metered
	SlowestS  float64 `json:"slowest_s"`  // the last piece's wall time
	DeadlineS float64 `json:"deadline_s"` // challenge_deadline blocks at BlockTime
	// CyclesPerSecond is one core's metered speed on the benchmark, from
	// the slowest piece: what the prover daemon promises from before it
	// has measured its own jobs (promise.go).
	CyclesPerSecond float64 `json:"cycles_per_second"`
	Passes          bool    `json:"passes"` // the slowest piece within the deadline, with a 25% margin
}

// Calibrate runs, on this machine, the challenge the chain would issue to
// a prover declaring o.Hardware: one piece of the benchmark program per
// declared core, all at once, each on its own share of the declared
// memory (protocol.ChallengeShapeOf and ChallengeInput, the chain's own
// functions), and times them against challenge_deadline.
func Calibrate(ctx context.Context, o CalibrateOptions) (*Calibration, error) {
	shape := protocol.ChallengeShapeOf(o.Params, o.Hardware)
	dir, err := os.MkdirTemp("", "provernet-calibrate-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	p := &pb.Prover{Address: make([]byte, 20), Hardware: o.Hardware}
	seed := []byte("provernet calibrate")
	c := &Calibration{CPUCores: o.Hardware.GetCpuCores(), MemoryMB: o.Hardware.GetMemoryMb(), Pieces: shape.Pieces, PieceMiB: shape.MemoryMiB,
		DeadlineS: float64(o.Params.ChallengeDeadline) * o.BlockTime.Seconds()}
	results := make([]sandbox.Result, shape.Pieces)
	errs := make([]error, shape.Pieces)
	var wg sync.WaitGroup
	for i := range shape.Pieces {
		in := filepath.Join(dir, fmt.Sprint(i))
		if err := os.MkdirAll(in, 0o700); err != nil {
			return nil, err
		}
		if err := os.WriteFile(filepath.Join(in, "input.json"), protocol.ChallengeInput(seed, p, shape, i), 0o600); err != nil {
			return nil, err
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := sandbox.Exec(ctx, o.Exe, sandbox.WorkerJob{Program: o.Program, Role: sandbox.Prove, InDir: in, Inputs: []string{"input.json"},
				MemoryPages: uint32((shape.MemoryMiB + 64) * 16), CacheDir: o.CacheDir, Cores: 1,
				Limits: sandbox.Limits{Cycles: shape.Cycles, MaxOutput: 1 << 20, Wall: 30 * time.Minute}})
			if err == nil && r.Outcome != sandbox.OutcomeProof {
				err = fmt.Errorf("piece %d: %s %s", i, r.Outcome, r.Detail)
			}
			if r != nil {
				results[i] = *r
			}
			errs[i] = err
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, fmt.Errorf("the benchmark did not run: %w", err)
		}
	}
	for _, r := range results {
		if s := r.Wall.Seconds(); s > c.SlowestS {
			c.SlowestS, c.Cycles = s, r.Cycles
		}
	}
	if c.SlowestS > 0 {
		c.CyclesPerSecond = float64(c.Cycles) / c.SlowestS
	}
	c.Passes = c.DeadlineS > 0 && c.SlowestS*1.25 <= c.DeadlineS
	return c, nil
}

// CalibrationFile is where `provernet prover calibrate` writes its
// measurement in a node's home, and `start --prover` reads it.
func CalibrationFile(home string) string { return filepath.Join(home, "prover-calibration.json") }

// LoadCalibration reads a calibration written by SaveCalibration; a
// missing file is (nil, nil).
func LoadCalibration(path string) (*Calibration, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var c Calibration
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return &c, nil
}

// SaveCalibration writes c to path.
func SaveCalibration(path string, c *Calibration) error {
	b, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o600)
}
