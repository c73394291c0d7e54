package sandbox

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// TestWorkerExecutable checks the lookup order: $PROVERNET_SANDBOX, then
// provernet-sandbox beside the running binary, then on PATH, and an
// ErrNoWorker (never the running binary, which serves no worker command)
// when there is none.
func TestWorkerExecutable(t *testing.T) {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	beside := filepath.Join(filepath.Dir(self), WorkerBinary)
	if _, err := os.Stat(beside); err == nil {
		t.Skipf("%s already exists; the test would clobber it", beside)
	}
	onPath := t.TempDir()
	pathWorker := filepath.Join(onPath, WorkerBinary)
	if err := os.WriteFile(pathWorker, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}

	t.Setenv(WorkerEnv, "")
	t.Setenv("PATH", t.TempDir())
	if p, err := WorkerExecutable(); !errors.Is(err, ErrNoWorker) {
		t.Fatalf("no worker anywhere: got %q, %v; want ErrNoWorker", p, err)
	}

	t.Setenv("PATH", onPath)
	if p, err := WorkerExecutable(); err != nil || p != pathWorker {
		t.Fatalf("worker on PATH: got %q, %v; want %q", p, err, pathWorker)
	}

	if err := os.WriteFile(beside, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Skipf("cannot write beside the test binary: %v", err)
	}
	t.Cleanup(func() { os.Remove(beside) })
	if p, err := WorkerExecutable(); err != nil || p != beside {
		t.Fatalf("worker beside the binary and on PATH: got %q, %v; want %q", p, err, beside)
	}

	t.Setenv(WorkerEnv, "/from/the/env")
	if p, err := WorkerExecutable(); err != nil || p != "/from/the/env" {
		t.Fatalf("with %s set: got %q, %v", WorkerEnv, p, err)
	}
}
