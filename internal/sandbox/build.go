package sandbox

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"sync"

	"github.com/provernet/provernet/internal/sandbox/meter"
)

// ErrWorkerMismatch is returned when a worker binary is of another build
// than the binary that started it. The job format, the metering and the
// host modules' charges belong to one build: a stale provernet-sandbox
// beside a new provernet could count cycles or judge proofs differently
// from the rest of the network, so its results are never used.
var ErrWorkerMismatch = errors.New("the sandbox worker is of another build")

// Build identifies this binary's build for the worker handshake: the VCS
// revision it was built from (marked when the tree had local changes),
// else its module version, else "dev", and the metering version. Every
// worker answer carries it, and the parent refuses an answer whose Build
// is not its own.
func Build() string { return build() }

var build = sync.OnceValue(func() string {
	rev, modified := "dev", false
	if bi, ok := debug.ReadBuildInfo(); ok {
		if bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			rev = bi.Main.Version
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				modified = s.Value == "true"
			}
		}
	}
	if modified {
		rev += "+modified"
	}
	return fmt.Sprintf("%s meter/%d", rev, meter.Version)
})

// errNotAWorker is returned when a binary run as a worker answers
// something other than a worker's result.
var errNotAWorker = errors.New("worker failed")

// checkBuild refuses a worker answer from another build.
func checkBuild(exe string, res *WorkerResult) error {
	if res.Build == Build() {
		return nil
	}
	got := res.Build
	if got == "" {
		got = "an older build that does not say"
	}
	return fmt.Errorf("%w: %s is %s, this binary is %s", ErrWorkerMismatch, exe, got, Build())
}

// CheckWorker runs exe as a worker once, with a job it refuses, to check
// that it serves sandbox jobs and is of this build; it returns nil, or why
// exe cannot be used.
func CheckWorker(ctx context.Context, exe string) error {
	res, err := Exec(ctx, exe, WorkerJob{})
	switch {
	case errors.Is(err, ErrWorkerMismatch):
		return err
	case err == nil && res.Machine != "":
		return fmt.Errorf("%w: %s does not serve sandbox jobs: %s", ErrNoWorker, exe, res.Detail)
	case err != nil && errors.Is(err, errNotAWorker):
		return fmt.Errorf("%w: %s does not serve sandbox jobs: %v", ErrNoWorker, exe, err)
	}
	return nil // the worker answered the empty job with an error of the job, as it should
}
