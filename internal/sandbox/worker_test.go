package sandbox

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestMain lets the test binary act as the worker process, as the
// provernet-sandbox binary does, and points WorkerExecutable at it.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == WorkerCommand {
		if err := RunWorker(context.Background(), os.Stdin, os.Stdout, nil); err != nil {
			os.Stderr.WriteString(err.Error() + "\n")
			os.Exit(1)
		}
		os.Exit(0)
	}
	if exe, err := os.Executable(); err == nil {
		os.Setenv(WorkerEnv, exe)
	}
	os.Exit(m.Run())
}

func TestWorkerProcess(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	prog := filepath.Join(t.TempDir(), "guest.wasm")
	if err := os.WriteFile(prog, guest(t), 0o600); err != nil {
		t.Fatal(err)
	}
	job := func(cmd string, cycles uint64, wall time.Duration) WorkerJob {
		return WorkerJob{Program: prog, Role: Prove, InDir: inputDir(t, map[string]string{"cmd": cmd}), Inputs: []string{"cmd"},
			Seed: make([]byte, 32), MemoryPages: 4096, CacheDir: filepath.Join(t.TempDir(), "cache"),
			Limits: Limits{Cycles: cycles, MaxOutput: 1 << 20, Wall: wall}}
	}
	res, err := Exec(context.Background(), exe, job("hash 100", lots, time.Minute))
	if err != nil || res.Outcome != OutcomeProof || len(res.Output) != 64 {
		t.Fatalf("worker prove: %v %v", res, err)
	}
	// The in-process runner counts the same cycles as the worker.
	r := newRunner(t, false)
	if local := run(t, r, Prove, "hash 100", lots, nil); local.Cycles != res.Cycles {
		t.Fatalf("worker counted %d cycles, in-process %d", res.Cycles, local.Cycles)
	}
	// The wall-clock backstop kills a run that would take too long; the
	// outcome is an error, never a cycle verdict.
	res, err = Exec(context.Background(), exe, job("loop", 1<<62, time.Second))
	if err != nil || res.Outcome != OutcomeError || res.Machine != MachineWall {
		t.Fatalf("runaway worker: %v (machine %q) %v", res, res.Machine, err)
	}
	// A trap is the program's doing whatever its detail says: a program
	// names its own functions, and a trap's detail quotes them.
	res, err = Exec(context.Background(), exe, job("recurse 100000000", 1<<40, time.Minute))
	if err != nil || res.Outcome != OutcomeError || res.Machine != "" {
		t.Fatalf("a trap: %v (machine %q) %v", res, res.Machine, err)
	}
}
