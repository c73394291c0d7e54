package sandbox

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestPoolReusesWorkers: jobs of one setup run in one worker, one after
// the other, and count exactly what a fresh worker counts; a worker
// stopped by the wall clock is not reused; another setup gets its own
// worker.
func TestPoolReusesWorkers(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	prog := filepath.Join(t.TempDir(), "guest.wasm")
	if err := os.WriteFile(prog, guest(t), 0o600); err != nil {
		t.Fatal(err)
	}
	cache := filepath.Join(t.TempDir(), "cache")
	job := func(cmd string, wall time.Duration, pages uint32) WorkerJob {
		return WorkerJob{Program: prog, Role: Prove, InDir: inputDir(t, map[string]string{"cmd": cmd}), Inputs: []string{"cmd"},
			Seed: make([]byte, 32), MemoryPages: pages, CacheDir: cache,
			Limits: Limits{Cycles: lots, MaxOutput: 1 << 20, Wall: wall}}
	}
	fresh, err := Exec(context.Background(), exe, job("hash 300", time.Minute, 4096))
	if err != nil || fresh.Outcome != OutcomeProof {
		t.Fatalf("fresh worker: %v %v", fresh, err)
	}
	p := NewPool(exe, 2)
	t.Cleanup(p.Close)
	for i, cmd := range []string{"hash 300", "hash 100", "hash 300"} {
		res, err := p.Exec(context.Background(), job(cmd, time.Minute, 4096))
		if err != nil || res.Outcome != OutcomeProof {
			t.Fatalf("job %d: %v %v", i, res, err)
		}
		if cmd == "hash 300" && (res.Cycles != fresh.Cycles || string(res.Output) != string(fresh.Output)) {
			t.Fatalf("job %d in a reused worker: %d cycles %q; a fresh worker: %d %q", i, res.Cycles, res.Output, fresh.Cycles, fresh.Output)
		}
	}
	if n := p.Started.Load(); n != 1 {
		t.Fatalf("three jobs of one setup started %d workers, want 1", n)
	}
	runaway := job("loop", time.Second, 4096)
	runaway.Limits.Cycles = 1 << 62
	res, err := p.Exec(context.Background(), runaway)
	if err != nil || res.Machine != MachineWall {
		t.Fatalf("runaway job: %v (machine %q) %v", res, res.Machine, err)
	}
	if res, err := p.Exec(context.Background(), job("hash 300", time.Minute, 4096)); err != nil || res.Cycles != fresh.Cycles {
		t.Fatalf("after a killed worker: %v %v", res, err)
	}
	if n := p.Started.Load(); n != 2 {
		t.Fatalf("a worker killed by the wall clock was reused (%d started, want 2)", n)
	}
	if res, err := p.Exec(context.Background(), job("hash 300", time.Minute, 2048)); err != nil || res.Cycles != fresh.Cycles {
		t.Fatalf("another setup: %v %v", res, err)
	}
	if n := p.Started.Load(); n != 3 {
		t.Fatalf("another setup shared a worker (%d started, want 3)", n)
	}
}

// TestPoolStopsIdleWorkers: a worker left idle past the pool's idle
// timeout is stopped; the next job starts a fresh one.
func TestPoolStopsIdleWorkers(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	prog := filepath.Join(t.TempDir(), "guest.wasm")
	if err := os.WriteFile(prog, guest(t), 0o600); err != nil {
		t.Fatal(err)
	}
	job := WorkerJob{Program: prog, Role: Prove, InDir: inputDir(t, map[string]string{"cmd": "hash 10"}), Inputs: []string{"cmd"},
		Seed: make([]byte, 32), MemoryPages: 4096, Limits: Limits{Cycles: lots, MaxOutput: 1 << 20, Wall: time.Minute}}
	p := NewPool(exe, 1)
	p.idleTimeout = 200 * time.Millisecond
	t.Cleanup(p.Close)
	for i := range 2 {
		if res, err := p.Exec(context.Background(), job); err != nil || res.Outcome != OutcomeProof {
			t.Fatalf("job %d: %v %v", i, res, err)
		}
	}
	if n := p.Started.Load(); n != 1 {
		t.Fatalf("two jobs in a row started %d workers, want 1", n)
	}
	time.Sleep(time.Second)
	p.mu.Lock()
	idle := len(p.idle[setupOf(job)])
	p.mu.Unlock()
	if idle != 0 {
		t.Fatalf("%d workers still idle past the timeout", idle)
	}
	if res, err := p.Exec(context.Background(), job); err != nil || res.Outcome != OutcomeProof || p.Started.Load() != 2 {
		t.Fatalf("after the timeout: %v %v, %d started", res, err, p.Started.Load())
	}
}
