package sandbox

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"syscall"
	"time"
)

// WorkerCommand is the command of the worker binary (provernet-sandbox,
// see WorkerExecutable) that runs jobs in a process of its own.
const WorkerCommand = "sandbox-worker"

// WorkerJob is what the parent sends a worker on stdin.
type WorkerJob struct {
	Program     string   `json:"program"` // path of the .wasm file
	Role        Role     `json:"role"`
	InDir       string   `json:"in_dir"`
	Inputs      []string `json:"inputs"`
	Seed        []byte   `json:"seed,omitempty"`
	Limits      Limits   `json:"limits"`
	CacheDir    string   `json:"cache_dir,omitempty"`
	Interpreter bool     `json:"interpreter,omitempty"`
	MemoryPages uint32   `json:"memory_pages,omitempty"`
	// Cores caps the threads of the worker (GOMAXPROCS) and so of its host
	// calls: a prover's declared cores divided by its concurrent jobs.
	// 0: all of the machine's.
	Cores int `json:"cores,omitempty"`
	// HostMemory is what host calls may hold beyond the program's memory
	// (0: DefaultHostMemory); it widens the worker's address-space cap.
	HostMemory int64 `json:"host_memory,omitempty"`
	// Unmetered runs the program without metering (bench sandbox only).
	Unmetered bool `json:"unmetered,omitempty"`
}

// DefaultHostMemory is what host calls of one job may hold by default.
const DefaultHostMemory = 4 << 30

// HostsFunc makes the host modules of a worker's runner, given the job's
// cores and host memory. provernet-sandbox passes the proof-system host
// (internal/zkhost), which this package cannot import.
type HostsFunc func(cores int, hostMemory int64) []Host

// WorkerResult is what a worker answers on stdout.
type WorkerResult struct {
	Result
	Output []byte `json:"output,omitempty"`
	Error  string `json:"error,omitempty"`
	// Build is the worker's Build(); the parent refuses another build's.
	Build string `json:"build"`
}

// addressSlack is the address space a worker may use beyond the program's
// memory cap: the Go runtime, wazero and the compiled code.
const addressSlack = 4 << 30

// RunWorker is the worker process: it caps its own address space (so a
// runaway program hits the OS limit, not the machine), runs jobs and
// writes their results, one JSON value each, until its input ends. A
// worker started by Exec gets one job; one in a Pool gets many, all with
// the setup of the first (the Pool keys workers by it), and keeps its
// runner (compiled programs) and its host modules (the proof-system
// host's cache of parsed keys) from one job to the next. Nothing else
// survives a job: each run has its own memory, and no charge depends on
// what a worker has cached. Errors of a job itself travel in its result.
func RunWorker(ctx context.Context, in io.Reader, out io.Writer, hosts HostsFunc) error {
	dec, enc := json.NewDecoder(in), json.NewEncoder(out)
	w := &workerState{hosts: hosts}
	defer w.close(ctx)
	for n := 0; ; n++ {
		var job WorkerJob
		if err := dec.Decode(&job); err != nil {
			if n > 0 && errors.Is(err, io.EOF) {
				return nil
			}
			return fmt.Errorf("failed to read the job: %w", err)
		}
		res := w.run(ctx, job)
		res.Build = Build()
		if err := enc.Encode(res); err != nil {
			return err
		}
		// A big job's heap would otherwise stay with the worker while
		// it waits for the next.
		debug.FreeOSMemory()
	}
}

// workerState is what a worker keeps between jobs.
type workerState struct {
	hosts  HostsFunc
	setup  *workerSetup // of the first job
	runner *Runner
}

// workerSetup is what a worker is set up with; every job it serves must
// have the same.
type workerSetup struct {
	role        Role
	pages       uint32
	hostMemory  int64
	cores       int
	cacheDir    string
	interpreter bool
	unmetered   bool
}

func setupOf(job WorkerJob) workerSetup {
	s := workerSetup{role: job.Role, pages: job.MemoryPages, hostMemory: job.HostMemory, cores: job.Cores,
		cacheDir: job.CacheDir, interpreter: job.Interpreter, unmetered: job.Unmetered}
	if s.pages == 0 {
		s.pages = DefaultMemoryPages
	}
	if s.hostMemory <= 0 {
		s.hostMemory = DefaultHostMemory
	}
	return s
}

func (w *workerState) close(ctx context.Context) {
	if w.runner != nil {
		_ = w.runner.Close(ctx)
	}
}

// start sets the process up for its first job.
func (w *workerState) start(ctx context.Context, s workerSetup) error {
	if s.cores > 0 {
		runtime.GOMAXPROCS(s.cores)
	}
	limitAddressSpace(uint64(s.pages)*65536 + addressSlack + uint64(s.hostMemory))
	// The program's memory is a mapping outside Go's heap; the heap holds
	// what host calls parse and prove with. Keep the collector ahead of
	// the address-space cap rather than let the heap's headroom reach it.
	debug.SetMemoryLimit(s.hostMemory + 1<<30)
	var hs []Host
	if w.hosts != nil {
		hs = w.hosts(s.cores, s.hostMemory)
	}
	r, err := NewRunner(ctx, Config{CacheDir: s.cacheDir, Interpreter: s.interpreter, MemoryPages: s.pages, Unmetered: s.unmetered, Hosts: hs})
	if err != nil {
		return err
	}
	w.setup, w.runner = &s, r
	return nil
}

func (w *workerState) run(ctx context.Context, job WorkerJob) WorkerResult {
	s := setupOf(job)
	if w.setup == nil {
		if err := w.start(ctx, s); err != nil {
			return WorkerResult{Error: err.Error()}
		}
	} else if *w.setup != s {
		return WorkerResult{Error: "a worker serves jobs of one setup (memory, cores, cache, engine): this job has another"}
	}
	wasm, err := os.ReadFile(job.Program)
	if err != nil {
		return WorkerResult{Error: err.Error()}
	}
	h, err := w.runner.Compile(ctx, wasm)
	if err != nil {
		return WorkerResult{Error: err.Error()}
	}
	cpu0 := processCPU()
	res, err := w.runner.Run(ctx, Job{Program: h, Role: job.Role, InDir: job.InDir, Inputs: job.Inputs, Seed: job.Seed, Limits: job.Limits, Cores: job.Cores})
	if err != nil {
		return WorkerResult{Error: err.Error()}
	}
	res.CPU = processCPU() - cpu0
	return WorkerResult{Result: *res, Output: res.Output}
}

// processCPU is the CPU time this process has used.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func limitAddressSpace(bytes uint64) {
	lim := &syscall.Rlimit{Cur: bytes, Max: bytes}
	_ = syscall.Setrlimit(syscall.RLIMIT_AS, lim) // best effort: a backstop, not the cap
}

// Exec runs a job in a child process (exe WorkerCommand), killing it if it
// outlives job.Limits.Wall plus a grace period. The cycle count and the
// outcome come from the child's sandbox exactly as from Runner.Run.
func Exec(ctx context.Context, exe string, job WorkerJob) (*Result, error) {
	if job.Limits.Wall > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, job.Limits.Wall+time.Second)
		defer cancel()
	}
	in, err := json.Marshal(job)
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, exe, WorkerCommand)
	cmd.Stdin = bytes.NewReader(in)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	runErr := cmd.Run()
	if ctx.Err() != nil {
		return &Result{Outcome: OutcomeError, Detail: "worker killed by the wall-clock limit", Machine: MachineWall, Wall: time.Since(start)}, nil
	}
	var res WorkerResult
	if err := json.Unmarshal(stdout.Bytes(), &res); err != nil {
		var exit *exec.ExitError
		if errors.As(runErr, &exit) {
			return &Result{Outcome: OutcomeError, Detail: fmt.Sprintf("worker died: %v: %s", runErr, lastLine(stderr.String())), Machine: MachineDied, Wall: time.Since(start)}, nil
		}
		return nil, fmt.Errorf("%w: %v: %w", errNotAWorker, runErr, err)
	}
	return res.result(exe)
}

// result is a worker's answer as the job's Result, or its error: an
// answer of another build (checkBuild), or the error of the job itself.
func (res *WorkerResult) result(exe string) (*Result, error) {
	if err := checkBuild(exe, res); err != nil {
		return nil, err
	}
	if res.Error != "" {
		return nil, errors.New(res.Error)
	}
	res.Result.Output = res.Output
	return &res.Result, nil
}

func lastLine(s string) string {
	s = string(bytes.TrimSpace([]byte(s)))
	if i := bytes.LastIndexByte([]byte(s), '\n'); i >= 0 {
		return s[i+1:]
	}
	return s
}
