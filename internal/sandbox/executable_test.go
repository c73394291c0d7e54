package sandbox

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// TestWorkerExecutable checks findWorker's lookup order: $PROVERNET_SANDBOX, then
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
	if p, err := findWorker(); !errors.Is(err, ErrNoWorker) {
		t.Fatalf("no worker anywhere: got %q, %v; want ErrNoWorker", p, err)
	}

	t.Setenv("PATH", onPath)
	if p, err := findWorker(); err != nil || p != pathWorker {
		t.Fatalf("worker on PATH: got %q, %v; want %q", p, err, pathWorker)
	}

	if err := os.WriteFile(beside, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Skipf("cannot write beside the test binary: %v", err)
	}
	t.Cleanup(func() { os.Remove(beside) })
	if p, err := findWorker(); err != nil || p != beside {
		t.Fatalf("worker beside the binary and on PATH: got %q, %v; want %q", p, err, beside)
	}

	t.Setenv(WorkerEnv, "/from/the/env")
	if p, err := findWorker(); err != nil || p != "/from/the/env" {
		t.Fatalf("with %s set: got %q, %v", WorkerEnv, p, err)
	}
}

// TestWorkerHandshake: a worker of this build passes, a binary that
// answers like a worker of another build (or of an older one that does not
// say) is refused with ErrWorkerMismatch, and one that is no worker at all
// with ErrNoWorker. The same check guards every answer of Exec and Pool.
func TestWorkerHandshake(t *testing.T) {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := CheckWorker(ctx, self); err != nil {
		t.Fatalf("this test binary (a worker of this build): %v", err)
	}
	dir := t.TempDir()
	script := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte("#!/bin/sh\ncat >/dev/null\n"+body+"\n"), 0o755); err != nil {
			t.Fatal(err)
		}
		return p
	}
	stale := script("stale", `echo '{"outcome":"valid","cycles":1}'`)
	other := script("other", `echo '{"outcome":"valid","cycles":1,"build":"0123abcd meter/0"}'`)
	junk := script("junk", `echo 'hello'`)
	for _, c := range []struct {
		exe  string
		want error
	}{{stale, ErrWorkerMismatch}, {other, ErrWorkerMismatch}, {junk, ErrNoWorker}} {
		if err := CheckWorker(ctx, c.exe); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", filepath.Base(c.exe), err, c.want)
		}
		if _, err := Exec(ctx, c.exe, WorkerJob{}); err == nil {
			t.Errorf("%s: Exec took its answer", filepath.Base(c.exe))
		}
	}
	t.Setenv(WorkerEnv, stale)
	if _, err := WorkerExecutable(); !errors.Is(err, ErrWorkerMismatch) {
		t.Errorf("WorkerExecutable with a stale worker: %v", err)
	}
}
