package sandbox

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"sync"
	"sync/atomic"
	"time"
)

// Pool runs jobs in worker processes it keeps between jobs, so that a
// prover serving many Runs pays a worker's start (process, runtime,
// compiling its program from the file cache: about 60 ms for a 3 MB
// program) and the proof-system host's parsing once per worker, not once
// per job. A worker is reused only for jobs of its setup (memory, cores,
// cache, engine, role: a verifier never shares a process with untrusted
// provers), only after a job that ended normally, and at most
// maxJobsPerWorker times (what a worker keeps, compiled programs above
// all, is bounded by that); one that outlives its wall clock, dies or
// answers garbage is killed and never reused. Outcomes and cycles are
// those of Exec: nothing a worker keeps changes a count.
type Pool struct {
	exe     string
	maxIdle int
	// idleTimeout stops a worker left idle this long: it holds its cache
	// and compiled programs, up to a quarter of its host memory.
	idleTimeout time.Duration

	mu     sync.Mutex
	idle   map[workerSetup][]*pooledWorker
	closed bool

	// Started counts the workers the pool has started.
	Started atomic.Int64
}

// defaultIdleTimeout is how long a kept worker may wait for its next job.
const defaultIdleTimeout = 2 * time.Minute

// maxJobsPerWorker bounds what one worker accumulates (compiled programs,
// parsed keys) before it is retired.
const maxJobsPerWorker = 16

// NewPool makes a pool of workers running exe's WorkerCommand, keeping at
// most maxIdle idle workers of each setup.
func NewPool(exe string, maxIdle int) *Pool {
	return &Pool{exe: exe, maxIdle: max(maxIdle, 1), idleTimeout: defaultIdleTimeout, idle: make(map[workerSetup][]*pooledWorker)}
}

type pooledWorker struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	lines  *json.Decoder
	stderr *lockedCapped
	jobs   int
	end    sync.Once   // a worker is ended (stopped or killed) and reaped once
	expiry *time.Timer // while idle: stops it after the pool's idle timeout
}

// lockedCapped is a capped buffer the process's stderr copier writes
// while a failed job reads it.
type lockedCapped struct {
	mu sync.Mutex
	c  capped
}

func (l *lockedCapped) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.c.Write(p)
}

// reset forgets what earlier jobs wrote, so a death's detail is this
// job's.
func (l *lockedCapped) reset() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.c.buf.Reset()
}

func (l *lockedCapped) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.c.String()
}

// Exec runs job in a worker of the pool, as Exec does in a fresh one.
func (p *Pool) Exec(ctx context.Context, job WorkerJob) (*Result, error) {
	setup := setupOf(job)
	w, err := p.take(setup)
	if err != nil {
		return nil, err
	}
	start := time.Now()
	res, err := w.run(ctx, job)
	if err != nil || res.Machine != "" {
		w.kill()
		if res != nil {
			res.Wall = time.Since(start)
		}
		return res, err
	}
	p.give(setup, w)
	return res, nil
}

// Close stops the idle workers; workers busy with a job stop after it.
func (p *Pool) Close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closed = true
	for _, ws := range p.idle {
		for _, w := range ws {
			w.stop()
		}
	}
	p.idle = nil
}

func (p *Pool) take(setup workerSetup) (*pooledWorker, error) {
	p.mu.Lock()
	if ws := p.idle[setup]; len(ws) > 0 {
		w := ws[len(ws)-1]
		p.idle[setup] = ws[:len(ws)-1]
		w.expiry.Stop() // if it already fired, expire finds the worker gone
		p.mu.Unlock()
		return w, nil
	}
	closed := p.closed
	p.mu.Unlock()
	if closed {
		return nil, errors.New("sandbox: the worker pool is closed")
	}
	p.Started.Add(1)
	return startWorker(p.exe)
}

func (p *Pool) give(setup workerSetup, w *pooledWorker) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed || w.jobs >= maxJobsPerWorker || len(p.idle[setup]) >= p.maxIdle {
		w.stop()
		return
	}
	p.idle[setup] = append(p.idle[setup], w)
	w.expiry = time.AfterFunc(p.idleTimeout, func() { p.expire(setup, w) })
}

// expire stops w if it is still idle.
func (p *Pool) expire(setup workerSetup, w *pooledWorker) {
	p.mu.Lock()
	defer p.mu.Unlock()
	ws := p.idle[setup]
	for i, x := range ws {
		if x == w {
			p.idle[setup] = append(ws[:i:i], ws[i+1:]...)
			w.stop()
			return
		}
	}
}

func startWorker(exe string) (*pooledWorker, error) {
	cmd := exec.Command(exe, WorkerCommand)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	w := &pooledWorker{cmd: cmd, stdin: stdin, lines: json.NewDecoder(bufio.NewReader(stdout)), stderr: &lockedCapped{c: capped{max: maxStderr}}}
	cmd.Stderr = w.stderr
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("failed to start a worker: %w", err)
	}
	return w, nil
}

// run sends one job and waits for its result, the job's wall clock and
// ctx. A result the worker could not give is machine trouble, as in Exec.
func (w *pooledWorker) run(ctx context.Context, job WorkerJob) (*Result, error) {
	w.jobs++
	w.stderr.reset()
	if job.Limits.Wall > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, job.Limits.Wall+time.Second)
		defer cancel()
	}
	in, err := json.Marshal(job)
	if err != nil {
		return nil, err
	}
	type answer struct {
		res WorkerResult
		err error
	}
	done := make(chan answer, 1)
	go func() {
		var a answer
		if _, a.err = w.stdin.Write(append(in, '\n')); a.err == nil {
			a.err = w.lines.Decode(&a.res)
		}
		done <- a
	}()
	select {
	case <-ctx.Done():
		w.kill()
		<-done
		return &Result{Outcome: OutcomeError, Detail: "worker killed by the wall-clock limit", Machine: MachineWall}, nil
	case a := <-done:
		if a.err != nil {
			w.kill()
			return &Result{Outcome: OutcomeError, Detail: fmt.Sprintf("worker died: %v: %s", a.err, lastLine(w.stderr.String())), Machine: MachineDied}, nil
		}
		return a.res.result(w.cmd.Path) // on an error, Exec kills the worker
	}
}

// stop ends an idle worker: its input closes and it exits.
func (w *pooledWorker) stop() {
	w.end.Do(func() {
		_ = w.stdin.Close()
		go func() { _ = w.cmd.Wait() }()
	})
}

// kill ends a worker at once. Like stop, it acts once: exec.Cmd.Wait
// must be called only once.
func (w *pooledWorker) kill() {
	w.end.Do(func() {
		_ = w.cmd.Process.Kill()
		_ = w.stdin.Close()
		go func() { _ = w.cmd.Wait() }()
	})
}
