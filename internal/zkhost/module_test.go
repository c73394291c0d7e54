package zkhost

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tetratelabs/wazero"

	"github.com/provernet/provernet/internal/sandbox"
	"github.com/provernet/provernet/sdk/zkabi"
)

// The module's tests use fakeBackend, so they test the host's own rules
// (decoding, files, charging, memory, errors, cache) apart from gnark's.

// fakeBackend is PLONK over BW6-761 for the tests. A system is "cs:N"
// (N constraints), a proving key "pk:N", a verifying key "vk"; a witness
// "w:N" fits a system of N constraints, "w:panic" panics in ProveShape;
// a proof "good" verifies.
type fakeBackend struct{ parses atomic.Int64 }

type fakeObj struct {
	n    int
	size int64
}

func (o fakeObj) MemSize() int64 { return o.size }

func (*fakeBackend) System() zkabi.System { return zkabi.PLONK }
func (*fakeBackend) Curve() zkabi.Curve   { return zkabi.BW6761 }

func (f *fakeBackend) parseN(prefix string, data []byte, status zkabi.Status) (Parsed, error) {
	f.parses.Add(1)
	s, ok := strings.CutPrefix(string(data), prefix)
	n, err := strconv.Atoi(s)
	if !ok || err != nil || n <= 0 {
		return nil, Errorf(status, "not %sN", prefix)
	}
	return fakeObj{n: n, size: int64(len(data))}, nil
}

func (f *fakeBackend) ParseSystem(d []byte) (Parsed, error) {
	return f.parseN("cs:", d, zkabi.ErrSystem)
}
func (f *fakeBackend) ParseProvingKey(d []byte) (Parsed, error) {
	return f.parseN("pk:", d, zkabi.ErrKey)
}
func (f *fakeBackend) ParseVerifyingKey(d []byte) (Parsed, error) {
	f.parses.Add(1)
	if string(d) != "vk" {
		return nil, Errorf(zkabi.ErrKey, "not vk")
	}
	return fakeObj{size: 2}, nil
}

func (*fakeBackend) ProveShape(cs, pk Parsed, w []byte) (Shape, error) {
	if string(w) == "w:panic" {
		var m map[string]int
		m["boom"]++ // a backend bug: guard must catch it
	}
	if cs.(fakeObj).n != pk.(fakeObj).n {
		return Shape{}, Errorf(zkabi.ErrKey, "pk for %d constraints, system has %d", pk.(fakeObj).n, cs.(fakeObj).n)
	}
	if string(w) != "w:"+strconv.Itoa(cs.(fakeObj).n) {
		return Shape{}, Errorf(zkabi.ErrWitness, "witness does not fit: %q", w)
	}
	n := cs.(fakeObj).n
	return Shape{Constraints: n, Domain: n, Wires: n, Public: 1, G1Points: 4 * n, G2Points: n}, nil
}

func (*fakeBackend) Prove(cs, pk Parsed, w []byte, cores int) ([]byte, error) {
	return fmt.Appendf(nil, "proof of %d with %d cores", cs.(fakeObj).n, cores), nil
}

func (*fakeBackend) VerifyShape(vk Parsed, proof, public []byte) (Shape, error) {
	if len(proof) == 0 {
		return Shape{}, Errorf(zkabi.ErrProof, "empty proof")
	}
	return Shape{Public: len(public)}, nil
}

func (*fakeBackend) Verify(vk Parsed, proof, public []byte) error {
	if string(proof) != "good" {
		return Errorf(zkabi.StatusInvalid, "proof does not verify")
	}
	return nil
}

var buildGuest = sync.OnceValues(func() ([]byte, error) {
	out := filepath.Join(os.TempDir(), fmt.Sprintf("provernet-zkguest-%d.wasm", os.Getpid()))
	defer os.Remove(out)
	cmd := exec.Command("go", "build", "-o", out, "./testdata/zkguest")
	cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm")
	if b, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("building zkguest: %v: %s", err, b)
	}
	return os.ReadFile(out)
})

var testCache = wazero.NewCompilationCache()

// fakeEnv is a runner with the host module over fakeBackend.
type fakeEnv struct {
	t       *testing.T
	backend *fakeBackend
	host    *Host
	runner  *sandbox.Runner
	prog    [32]byte
}

func newFakeEnv(t *testing.T, maxMemory int64) *fakeEnv {
	t.Helper()
	wasm, err := buildGuest()
	if err != nil {
		t.Fatal(err)
	}
	e := &fakeEnv{t: t, backend: &fakeBackend{}}
	e.host = New(Options{Backends: []Backend{e.backend}, MaxMemory: maxMemory, Cache: NewCache(0)})
	e.runner, err = sandbox.NewRunner(context.Background(), sandbox.Config{Cache: testCache, MemoryPages: 1024, Hosts: []sandbox.Host{e.host}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.runner.Close(context.Background()) })
	if e.prog, err = e.runner.Compile(context.Background(), wasm); err != nil {
		t.Fatal(err)
	}
	return e
}

// files writes the op, the request and other inputs to a directory.
func writeInputs(t *testing.T, op string, req []byte, files map[string]string) (string, []string) {
	t.Helper()
	dir := t.TempDir()
	names := []string{"op", "req"}
	must := func(err error) {
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.WriteFile(filepath.Join(dir, "op"), []byte(op), 0o600))
	must(os.WriteFile(filepath.Join(dir, "req"), req, 0o600))
	for name, body := range files {
		must(os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600))
		names = append(names, name)
	}
	return dir, names
}

func (e *fakeEnv) run(op string, req []byte, files map[string]string, cycles uint64) *sandbox.Result {
	e.t.Helper()
	dir, names := writeInputs(e.t, op, req, files)
	res, err := e.runner.Run(context.Background(), sandbox.Job{Program: e.prog, Role: sandbox.Prove, InDir: dir, Inputs: names,
		Seed: make([]byte, 32), Cores: 3, Limits: sandbox.Limits{Cycles: cycles, MaxOutput: 1 << 20, Wall: time.Minute}})
	if err != nil {
		e.t.Fatal(err)
	}
	return res
}

func proveReq(cs, pk, w zkabi.Arg) []byte {
	r := zkabi.Request{Op: zkabi.OpProve, System: zkabi.PLONK, Curve: zkabi.BW6761, Args: [3]zkabi.Arg{cs, pk, w}}
	return r.Encode(nil)
}

const lots = 1 << 40

// status parses the guest's "status N err MSG" line.
func status(t *testing.T, res *sandbox.Result) (zkabi.Status, string, string) {
	t.Helper()
	if res.Outcome != sandbox.OutcomeProof {
		t.Fatalf("run: %v %s %s", res, res.Detail, res.Stderr)
	}
	line, rest, _ := strings.Cut(string(res.Output), "\n")
	f := strings.SplitN(line, " ", 4)
	n, err := strconv.ParseInt(f[1], 10, 64)
	if err != nil {
		t.Fatalf("guest output %q", res.Output)
	}
	if n > 1 { // a proof's length
		n = 0
	}
	return zkabi.Status(n), strings.TrimPrefix(line, f[0]+" "+f[1]+" err "), rest
}

// wantCharge is the charge of a prove call with the host's formulas,
// computed independently of the call.
func wantCharge(req []byte, files map[string]string, n int) uint64 {
	c := uint64(chargeCallBase) + chargeBytes(uint64(len(req)))
	for _, body := range files {
		c += chargeBytes(uint64(len(body)))
	}
	c += chargeBytes(uint64(len("w:") + len(strconv.Itoa(n))))
	c += chargeParse(zkabi.PLONK, zkabi.BW6761, kindSystem, uint64(len(files["cs"])))
	c += chargeParse(zkabi.PLONK, zkabi.BW6761, kindProvingKey, uint64(len(files["pk"])))
	c += chargeProve(zkabi.PLONK, zkabi.BW6761, Shape{Constraints: n, Domain: n, Wires: n, Public: 1, G1Points: 4 * n, G2Points: n})
	return c + chargeCallBase // last_error
}

// TestProveChargesExactly: a prove call charges exactly the table's sum,
// the same every run; the proof reaches the guest; the job's cores reach
// the backend; a budget one cycle short ends the run as out of cycles
// before the backend proves.
func TestProveChargesExactly(t *testing.T) {
	e := newFakeEnv(t, 0)
	files := map[string]string{"cs": "cs:1000", "pk": "pk:1000"}
	req := proveReq(zkabi.File("cs"), zkabi.File("pk"), zkabi.Bytes([]byte("w:1000")))
	empty := e.run("prove", proveReq(zkabi.File("cs"), zkabi.File("pk"), zkabi.Bytes([]byte("w:1000"))), files, lots)
	st, msg, out := status(t, empty)
	if st != 0 || out != "proof of 1000 with 3 cores" {
		t.Fatalf("prove: status %v %q, output %q", st, msg, out)
	}
	if want := wantCharge(req, files, 1000); empty.HostCycles != want {
		t.Fatalf("host cycles %d, the table says %d", empty.HostCycles, want)
	}
	again := e.run("prove", req, files, lots)
	if again.Cycles != empty.Cycles || again.HostCycles != empty.HostCycles {
		t.Fatalf("second run charged %d (%d host), first %d (%d host)", again.Cycles, again.HostCycles, empty.Cycles, empty.HostCycles)
	}
	// The least budgets at which the system is parsed and at which the
	// backend proves: between them the host charges the proving key's
	// parse and the proof, and nothing else runs.
	parsed := e.threshold(req, files, empty.Cycles, func() int64 { return e.backend.parses.Load() })
	proved := e.threshold(req, files, empty.Cycles, func() int64 { return e.host.Calls.Load() })
	if want := chargeParse(zkabi.PLONK, zkabi.BW6761, kindProvingKey, 6) + chargeProve(zkabi.PLONK, zkabi.BW6761, shape1000); proved-parsed != want {
		t.Fatalf("the backend proves with %d cycles, parses with %d: a gap of %d, the charges are %d", proved, parsed, proved-parsed, want)
	}
	calls := e.host.Calls.Load()
	short := e.run("prove", req, files, proved-1)
	if short.Outcome != sandbox.OutcomeFail || short.Cycles != proved-1 || e.host.Calls.Load() != calls {
		t.Fatalf("one cycle short of the proof's charge: %v, want fail after %d with the backend not called", short, proved-1)
	}
}

var shape1000 = Shape{Constraints: 1000, Domain: 1000, Wires: 1000, Public: 1, G1Points: 4000, G2Points: 1000}

// threshold finds the least budget at which counter moves during a run
// (after a cache reset, so that parsing happens again).
func (e *fakeEnv) threshold(req []byte, files map[string]string, hi uint64, counter func() int64) uint64 {
	e.t.Helper()
	lo := uint64(0) // counter does not move at lo; it does at hi
	for hi-lo > 1 {
		mid := lo + (hi-lo)/2
		e.host.opts.Cache = NewCache(0)
		before := counter()
		e.run("prove", req, files, mid)
		if counter() > before {
			hi = mid
		} else {
			lo = mid
		}
	}
	return hi
}

// TestCacheParsesOnce: two proves with one system in a run parse it once
// and charge twice the same.
func TestCacheParsesOnce(t *testing.T) {
	e := newFakeEnv(t, 0)
	files := map[string]string{"cs": "cs:64", "pk": "pk:64"}
	req := proveReq(zkabi.File("cs"), zkabi.File("pk"), zkabi.Bytes([]byte("w:64")))
	once := e.run("prove", req, files, lots)
	parses := e.backend.parses.Load()
	twice := e.run("twice", req, files, lots)
	if e.backend.parses.Load() != parses {
		t.Fatalf("parsed %d more times with a warm cache", e.backend.parses.Load()-parses)
	}
	per := once.HostCycles - chargeCallBase // the last_error call
	if twice.HostCycles != 2*per+chargeCallBase {
		t.Fatalf("two calls charged %d, one %d", twice.HostCycles, per)
	}
}

// TestHostErrors: every bad request is a status with a message and the
// run goes on; nothing reaches the backend's Prove.
func TestHostErrors(t *testing.T) {
	e := newFakeEnv(t, 0)
	good := map[string]string{"cs": "cs:8", "pk": "pk:8"}
	verify := func(vk, proof string) []byte {
		r := zkabi.Request{Op: zkabi.OpVerify, System: zkabi.PLONK, Curve: zkabi.BW6761,
			Args: [3]zkabi.Arg{zkabi.Bytes([]byte(vk)), zkabi.Bytes([]byte(proof)), zkabi.Bytes([]byte("pub"))}}
		return r.Encode(nil)
	}
	groth := zkabi.Request{Op: zkabi.OpProve, System: zkabi.Groth16, Curve: zkabi.BW6761, Args: [3]zkabi.Arg{zkabi.File("cs"), zkabi.File("pk"), zkabi.Bytes(nil)}}
	cases := []struct {
		name  string
		op    string
		req   []byte
		files map[string]string
		want  zkabi.Status
		msg   string
	}{
		{"garbage", "prove", []byte("hello"), good, zkabi.ErrRequest, "bad magic"},
		{"verify request to prove", "prove", verify("vk", "good"), good, zkabi.ErrRequest, "verify request"},
		{"no backend", "prove", groth.Encode(nil), good, zkabi.ErrRequest, "no groth16 backend"},
		{"not an input", "prove", proveReq(zkabi.File("elsewhere"), zkabi.File("pk"), zkabi.Bytes([]byte("w:8"))), good, zkabi.ErrNoInput, "elsewhere"},
		{"input dir escape", "prove", proveReq(zkabi.File(".."), zkabi.File("pk"), zkabi.Bytes([]byte("w:8"))), good, zkabi.ErrRequest, "bad file name"},
		{"bad system", "prove", proveReq(zkabi.Bytes([]byte("cs:x")), zkabi.File("pk"), zkabi.Bytes([]byte("w:8"))), good, zkabi.ErrSystem, "cs:N"},
		{"key of another system", "prove", proveReq(zkabi.File("cs"), zkabi.Bytes([]byte("pk:9")), zkabi.Bytes([]byte("w:8"))), good, zkabi.ErrKey, "pk for 9"},
		{"bad witness", "prove", proveReq(zkabi.File("cs"), zkabi.File("pk"), zkabi.Bytes([]byte("w:7"))), good, zkabi.ErrWitness, "does not fit"},
		{"backend panic", "prove", proveReq(zkabi.File("cs"), zkabi.File("pk"), zkabi.Bytes([]byte("w:panic"))), good, zkabi.ErrInternal, "host panic"},
		{"outside memory", "outside", nil, good, zkabi.ErrRequest, "outside memory"},
		{"small buffer", "small", proveReq(zkabi.File("cs"), zkabi.File("pk"), zkabi.Bytes([]byte("w:8"))), good, zkabi.ErrOutput, "buffer 1"},
		{"invalid proof", "verify", verify("vk", "bad"), good, zkabi.StatusInvalid, "does not verify"},
		{"empty proof", "verify", verify("vk", ""), good, zkabi.ErrProof, "empty proof"},
		{"bad vk", "verify", verify("kv", "good"), good, zkabi.ErrKey, "not vk"},
		{"valid proof", "verify", verify("vk", "good"), good, zkabi.StatusValid, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			calls := e.host.Calls.Load()
			st, msg, _ := status(t, e.run(c.op, c.req, c.files, lots))
			if st != c.want || !strings.Contains(msg, c.msg) {
				t.Fatalf("status %d %q, want %d containing %q", st, msg, c.want, c.msg)
			}
			if c.op != "verify" && c.name != "small buffer" && e.host.Calls.Load() != calls {
				t.Fatal("the backend proved")
			}
		})
	}
}

// TestVerifierGetsNothingThatDiffers: a run in the verifier role cannot
// prove (a proof is random: a verifier could vote by coin toss), and a
// failed call's message is the status's name only, whatever the error
// said, so a verifier's outcome depends on statuses alone.
func TestVerifierGetsNothingThatDiffers(t *testing.T) {
	e := newFakeEnv(t, 0)
	files := map[string]string{"cs": "cs:8", "pk": "pk:8"}
	run := func(op string, req []byte) string {
		dir, names := writeInputs(t, op, req, files)
		res, err := e.runner.Run(context.Background(), sandbox.Job{Program: e.prog, Role: sandbox.Verify, InDir: dir, Inputs: names,
			Limits: sandbox.Limits{Cycles: lots, MaxOutput: 1 << 10, Wall: time.Minute}})
		if err != nil {
			t.Fatal(err)
		}
		line, _, _ := strings.Cut(res.Stderr, "\n")
		return line
	}
	calls := e.host.Calls.Load()
	if got := run("prove", proveReq(zkabi.File("cs"), zkabi.File("pk"), zkabi.Bytes([]byte("w:8")))); got != "status -1 err bad request" {
		t.Fatalf("prove in a verifier: %q", got)
	}
	if e.host.Calls.Load() != calls {
		t.Fatal("a verifier proved")
	}
	bad := zkabi.Request{Op: zkabi.OpVerify, System: zkabi.PLONK, Curve: zkabi.BW6761,
		Args: [3]zkabi.Arg{zkabi.Bytes([]byte("kv")), zkabi.Bytes([]byte("good")), zkabi.Bytes(nil)}}
	if got := run("verify", bad.Encode(nil)); got != "status -4 err bad key" {
		t.Fatalf("a verifier's error message: %q, want the status name only", got)
	}
}

// TestLongMessagesAreCut: a message quoting a long input is cut to
// maxMessage, so last_error never copies more than that per call.
func TestLongMessagesAreCut(t *testing.T) {
	e := newFakeEnv(t, 0)
	long := "w:" + strings.Repeat("9", 64<<10)
	st, msg, _ := status(t, e.run("prove", proveReq(zkabi.File("cs"), zkabi.File("pk"), zkabi.Bytes([]byte(long))), map[string]string{"cs": "cs:8", "pk": "pk:8"}, lots))
	if st != zkabi.ErrWitness || len(msg) != maxMessage || !strings.HasSuffix(msg, "...") {
		t.Fatalf("status %d, message of %d bytes (want %d, cut)", st, len(msg), maxMessage)
	}
}

// TestMemoryBound: inputs whose parsed size would pass the host's memory
// bound are refused before anything is read or parsed.
func TestMemoryBound(t *testing.T) {
	e := newFakeEnv(t, 1<<20)
	big := "cs:" + strings.Repeat("1", 300<<10)
	parses := e.backend.parses.Load()
	st, msg, _ := status(t, e.run("prove", proveReq(zkabi.File("cs"), zkabi.File("pk"), zkabi.Bytes([]byte("w:8"))), map[string]string{"cs": big, "pk": "pk:8"}, lots))
	if st != zkabi.ErrTooLarge || !strings.Contains(msg, "limit") {
		t.Fatalf("status %d %q, want too large", st, msg)
	}
	if e.backend.parses.Load() != parses {
		t.Fatal("parsed an input over the bound")
	}
}

// TestWorkerChargesTheSame: the worker process path (how provers run
// jobs) charges exactly what the in-process runner charges.
func TestWorkerChargesTheSame(t *testing.T) {
	e := newFakeEnv(t, 0)
	files := map[string]string{"cs": "cs:500", "pk": "pk:500"}
	req := proveReq(zkabi.File("cs"), zkabi.File("pk"), zkabi.Bytes([]byte("w:500")))
	in := e.run("prove", req, files, lots)
	wasm, err := buildGuest()
	if err != nil {
		t.Fatal(err)
	}
	prog := filepath.Join(t.TempDir(), "zkguest.wasm")
	if err := os.WriteFile(prog, wasm, 0o600); err != nil {
		t.Fatal(err)
	}
	dir, names := writeInputs(t, "prove", req, files)
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv(workerEnv, "1")
	out, err := sandbox.Exec(context.Background(), exe, sandbox.WorkerJob{Program: prog, Role: sandbox.Prove, InDir: dir, Inputs: names,
		Seed: make([]byte, 32), Cores: 3, MemoryPages: 1024, Limits: sandbox.Limits{Cycles: lots, MaxOutput: 1 << 20, Wall: time.Minute}})
	if err != nil {
		t.Fatal(err)
	}
	if out.Outcome != in.Outcome || out.Cycles != in.Cycles || out.HostCycles != in.HostCycles || !bytes.Equal(out.Output, in.Output) {
		t.Fatalf("worker: %v host %d %q; in process: %v host %d %q", out, out.HostCycles, out.Output, in, in.HostCycles, in.Output)
	}
}

const workerEnv = "PROVERNET_ZKHOST_TEST_WORKER"

// TestMain lets the test binary serve as a sandbox worker whose host
// module has the fake backend.
func TestMain(m *testing.M) {
	if os.Getenv(workerEnv) != "" && len(os.Args) > 1 && os.Args[1] == sandbox.WorkerCommand {
		hosts := func(cores int, mem int64) []sandbox.Host {
			return []sandbox.Host{New(Options{Backends: []Backend{&fakeBackend{}}, MaxMemory: mem, Cores: cores})}
		}
		if err := sandbox.RunWorker(context.Background(), os.Stdin, os.Stdout, hosts); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

var _ = errors.New
