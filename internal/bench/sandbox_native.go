package bench

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"time"

	"github.com/consensys/gnark-crypto/ecc"
	"github.com/consensys/gnark/backend/groth16"
	"github.com/consensys/gnark/backend/plonk"
	"github.com/consensys/gnark/backend/witness"
	"github.com/consensys/gnark/frontend"

	g16mimc "github.com/provernet/provernet/examples/programs/groth16-mimc"
)

// NativeWorkerArgs are the arguments that make provernet-bench (or a
// test binary, in its TestMain) run one native proving job for bench
// sandbox: the native side of every comparison runs in a process of its
// own, started the same way as a sandbox worker, so both sides pay a
// process start and neither inherits the parent's heap.
var NativeWorkerArgs = []string{"bench", "sandbox", "--native-worker"}

// IsNativeWorker reports whether args (os.Args[1:]) ask for the native worker.
func IsNativeWorker(args []string) bool { return slices.Equal(args, NativeWorkerArgs) }

// nativeJob is what the parent sends a native worker on stdin.
type nativeJob struct {
	Kind  string `json:"kind"`  // a key of nativeProvers
	Dir   string `json:"dir"`   // the case's directory (cs.bin, pk.bin, vk.bin, input.json)
	Cores int    `json:"cores"` // GOMAXPROCS of the worker
}

// nativeResult is what a native worker answers on stdout.
type nativeResult struct {
	RunS       float64 `json:"run_s"` // the proving job itself, without process start
	ProofBytes int     `json:"proof_bytes"`
	Error      string  `json:"error,omitempty"`
}

// nativeProvers are the native whole runs the bench compares against.
var nativeProvers = map[string]func(dir string) ([]byte, error){
	// The pure-wasm prover's own code, compiled natively: key loading,
	// circuit compilation, proving and its self-check (wasm_vs_native).
	"groth16-mimc/program": func(dir string) ([]byte, error) {
		return g16mimc.Prove([]string{filepath.Join(dir, "cs.bin"), filepath.Join(dir, "pk.bin"), filepath.Join(dir, "vk.bin"), filepath.Join(dir, "input.json")})
	},
	// What a user of gnark does natively (host_vs_native).
	"groth16-mimc/gnark": func(dir string) ([]byte, error) { return proveGnark(dir, groth16System, ecc.BN254) },
	"plonk-mimc/gnark":   func(dir string) ([]byte, error) { return proveGnark(dir, plonkSystem, ecc.BLS12_381) },
}

// RunNativeWorker is the native worker: it runs one job of nativeProvers
// on the job's cores and reports how long the job itself took.
func RunNativeWorker(_ context.Context, in io.Reader, out io.Writer) error {
	var job nativeJob
	if err := json.NewDecoder(in).Decode(&job); err != nil {
		return fmt.Errorf("failed to read the native job: %w", err)
	}
	res := runNativeJob(job)
	return json.NewEncoder(out).Encode(res)
}

func runNativeJob(job nativeJob) nativeResult {
	prove, ok := nativeProvers[job.Kind]
	if !ok {
		return nativeResult{Error: fmt.Sprintf("unknown native job %q", job.Kind)}
	}
	if job.Cores > 0 {
		runtime.GOMAXPROCS(job.Cores)
	}
	t0 := time.Now()
	proof, err := prove(job.Dir)
	if err != nil {
		return nativeResult{Error: err.Error()}
	}
	return nativeResult{RunS: since(t0), ProofBytes: len(proof)}
}

// execNative runs a native job in a child process of exe and times it
// whole, as execSandbox times a sandbox worker.
func execNative(ctx context.Context, exe string, job nativeJob) (runSample, error) {
	in, err := json.Marshal(job)
	if err != nil {
		return runSample{}, err
	}
	cmd := exec.CommandContext(ctx, exe, NativeWorkerArgs...)
	cmd.Stdin = bytes.NewReader(in)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	t0, c0 := time.Now(), childCPU()
	runErr := cmd.Run()
	wall, cpu := since(t0), childCPU()-c0
	var res nativeResult
	if err := json.Unmarshal(stdout.Bytes(), &res); err != nil {
		return runSample{}, fmt.Errorf("native worker: %v: %w: %s", runErr, err, lastLines(stderr.String()))
	}
	if res.Error != "" {
		return runSample{}, fmt.Errorf("native %s: %s", job.Kind, res.Error)
	}
	if res.ProofBytes == 0 {
		return runSample{}, errors.New("native worker made an empty proof")
	}
	return runSample{wall: wall, inner: res.RunS, cpu: cpu}, nil
}

type proofSystem int

const (
	groth16System proofSystem = iota
	plonkSystem
)

// chainWitness is the assignment of the MiMC-chain examples' circuits:
// public y, secret x (gnark orders a witness public first, then secret,
// each in field order, so this matches their circuits).
type chainWitness struct {
	X frontend.Variable `gnark:",secret"`
	Y frontend.Variable `gnark:",public"`
}

// Define is never called: the type only lays out the witness.
func (*chainWitness) Define(frontend.API) error { return nil }

// proveGnark is a native whole run as a user of gnark writes it: read and
// parse the constraint system and the proving key (the key with
// UnsafeReadFrom, no subgroup checks, as the host does for keys it
// trusts by hash), build the witness from input.json, prove, encode. No
// circuit compilation: cs.bin is the compiled circuit.
func proveGnark(dir string, sys proofSystem, curve ecc.ID) ([]byte, error) {
	x, y, err := readStatement(filepath.Join(dir, "input.json"))
	if err != nil {
		return nil, err
	}
	full, err := frontend.NewWitness(&chainWitness{X: x, Y: y}, curve.ScalarField())
	if err != nil {
		return nil, fmt.Errorf("witness: %w", err)
	}
	public, err := full.Public()
	if err != nil {
		return nil, err
	}
	var proof io.WriterTo
	switch sys {
	case groth16System:
		proof, err = proveGroth16(dir, curve, full)
	case plonkSystem:
		proof, err = provePlonk(dir, curve, full)
	}
	if err != nil {
		return nil, err
	}
	return encodeNative(proof, public)
}

func proveGroth16(dir string, curve ecc.ID, full witness.Witness) (io.WriterTo, error) {
	ccs := groth16.NewCS(curve)
	if err := readInto(filepath.Join(dir, "cs.bin"), ccs.ReadFrom); err != nil {
		return nil, fmt.Errorf("cs.bin: %w", err)
	}
	pk := groth16.NewProvingKey(curve)
	if err := readInto(filepath.Join(dir, "pk.bin"), pk.UnsafeReadFrom); err != nil {
		return nil, fmt.Errorf("pk.bin: %w", err)
	}
	proof, err := groth16.Prove(ccs, pk, full)
	if err != nil {
		return nil, fmt.Errorf("groth16 prove: %w", err)
	}
	return proof, nil
}

func provePlonk(dir string, curve ecc.ID, full witness.Witness) (io.WriterTo, error) {
	ccs := plonk.NewCS(curve)
	if err := readInto(filepath.Join(dir, "cs.bin"), ccs.ReadFrom); err != nil {
		return nil, fmt.Errorf("cs.bin: %w", err)
	}
	pk := plonk.NewProvingKey(curve)
	if err := readInto(filepath.Join(dir, "pk.bin"), pk.UnsafeReadFrom); err != nil {
		return nil, fmt.Errorf("pk.bin: %w", err)
	}
	proof, err := plonk.Prove(ccs, pk, full)
	if err != nil {
		return nil, fmt.Errorf("plonk prove: %w", err)
	}
	return proof, nil
}

// readInto opens a file and hands a buffered reader of it to a gnark
// decoder.
func readInto(path string, read func(io.Reader) (int64, error)) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = read(bufio.NewReaderSize(f, 1<<20))
	return err
}

// readStatement reads x and y from input.json (the bench's setup writes y).
func readStatement(path string) (x, y *big.Int, err error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	var in struct {
		X string `json:"x"`
		Y string `json:"y"`
	}
	if err := json.Unmarshal(b, &in); err != nil {
		return nil, nil, fmt.Errorf("input.json: %w", err)
	}
	x, okX := new(big.Int).SetString(in.X, 0)
	y, okY := new(big.Int).SetString(in.Y, 0)
	if !okX || !okY {
		return nil, nil, errors.New("input.json: x and y must be integers")
	}
	return x, y, nil
}

// encodeNative serialises the proof and the public witness, as the
// examples' proof container does.
func encodeNative(proof io.WriterTo, public witness.Witness) ([]byte, error) {
	var b bytes.Buffer
	if _, err := proof.WriteTo(&b); err != nil {
		return nil, err
	}
	w, err := public.MarshalBinary()
	if err != nil {
		return nil, err
	}
	return append(b.Bytes(), w...), nil
}

func lastLines(s string) string {
	s = string(bytes.TrimSpace([]byte(s)))
	if len(s) > 2000 {
		s = s[len(s)-2000:]
	}
	return s
}
