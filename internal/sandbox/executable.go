package sandbox

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/provernet/provernet/internal/companion"
)

// WorkerEnv names the environment variable that, when set, is the path of
// the binary serving WorkerCommand. Tests set it to their own binary.
const WorkerEnv = "PROVERNET_SANDBOX"

// WorkerBinary is the companion binary that serves WorkerCommand: the
// sandbox and the native proving backends it hosts (internal/zkhost,
// gnark), kept out of the node binary. `make build` writes it beside
// provernet.
const WorkerBinary = "provernet-sandbox"

// ErrNoWorker is returned when no worker binary can be found.
var ErrNoWorker = errors.New("sandbox worker binary not found")

// WorkerExecutable finds the binary that runs sandbox jobs: $PROVERNET_SANDBOX
// if set, else provernet-sandbox beside the running executable (as `make
// build` and a release lay them out), else provernet-sandbox on PATH. The
// node binary never serves WorkerCommand itself, so there is no fallback:
// without the companion, proving fails here, before any job is taken.
//
// The binary found is run once per process (CheckWorker) and must be of
// this binary's build: a stale provernet-sandbox is refused here with
// ErrWorkerMismatch, not discovered job by job. (Every answer of a worker
// is checked again, so a binary replaced later is still caught.)
func WorkerExecutable() (string, error) {
	exe, err := findWorker()
	if err != nil {
		return "", err
	}
	if _, ok := checkedWorkers.Load(exe); ok {
		return exe, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), workerCheckTimeout)
	defer cancel()
	if err := CheckWorker(ctx, exe); err != nil {
		return "", err
	}
	checkedWorkers.Store(exe, true)
	return exe, nil
}

// checkedWorkers are the worker paths that passed CheckWorker in this
// process: a devnet starting several provers runs the handshake once.
var checkedWorkers sync.Map

// workerCheckTimeout bounds the handshake: a worker answers an empty job
// in milliseconds.
const workerCheckTimeout = 30 * time.Second

func findWorker() (string, error) {
	p, err := companion.FindOrBuild(WorkerBinary, WorkerEnv, os.Stderr)
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrNoWorker, err)
	}
	return p, nil
}
