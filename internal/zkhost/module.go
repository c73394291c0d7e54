package zkhost

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"sync/atomic"

	"github.com/consensys/gnark/logger"
	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"

	"github.com/provernet/provernet/internal/sandbox"
	"github.com/provernet/provernet/sdk/zkabi"
)

// gnark logs to standard output by default (outside tests), and a sandbox
// worker's standard output carries its result: keep gnark quiet in every
// process that links the host.
func init() { logger.Disable() }

// Options configure a Host.
type Options struct {
	// Cores is how many threads a call may use when the run does not say
	// (sandbox.RunInfo.Cores); gnark itself sizes its work to the
	// process's GOMAXPROCS, which the worker sets to the job's cores.
	Cores int
	// MaxMemory bounds what one call may hold: its inputs, their parsed
	// forms and the prover's working memory, estimated from sizes before
	// anything is parsed (0: sandbox.DefaultHostMemory).
	MaxMemory int64
	// Cache keeps parsed systems and keys (nil: a cache of the Host's own).
	Cache *Cache
	// Backends are the proof systems offered (nil: Backends()).
	Backends []Backend
}

// Host is the provernet_zk_v1 host module.
type Host struct {
	opts     Options
	backends map[backendKey]Backend

	// Calls counts calls that reached a backend's Prove or Verify (tests
	// check that a call the budget cannot pay never gets there).
	Calls atomic.Int64
}

// New makes the host module.
func New(o Options) *Host {
	if o.MaxMemory <= 0 {
		o.MaxMemory = sandbox.DefaultHostMemory
	}
	if o.Cache == nil {
		o.Cache = NewCache(0)
	}
	if o.Backends == nil {
		o.Backends = Backends()
	}
	h := &Host{opts: o, backends: make(map[backendKey]Backend)}
	for _, b := range o.Backends {
		h.backends[backendKey{b.System(), b.Curve()}] = b
	}
	return h
}

// Hosts is a sandbox.HostsFunc: the host modules every provernet runner
// offers, sized for one job.
//
// The job's host memory is split: a quarter for the cache of parsed
// systems and keys, the rest for one call's inputs and working memory.
// A worker is kept between jobs (sandbox.Pool), and so is its cache.
func Hosts(cores int, hostMemory int64) []sandbox.Host {
	if hostMemory <= 0 {
		hostMemory = sandbox.DefaultHostMemory
	}
	cache := NewCache(hostMemory / 4)
	return []sandbox.Host{New(Options{Cores: cores, MaxMemory: hostMemory - hostMemory/4, Cache: cache})}
}

// Name implements sandbox.Host.
func (h *Host) Name() string { return zkabi.Module }

// Instantiate implements sandbox.Host.
func (h *Host) Instantiate(ctx context.Context, rt wazero.Runtime) error {
	i32, i64 := api.ValueTypeI32, api.ValueTypeI64
	_, err := rt.NewHostModuleBuilder(zkabi.Module).
		NewFunctionBuilder().WithGoModuleFunction(api.GoModuleFunc(h.prove), []api.ValueType{i32, i32, i32, i32}, []api.ValueType{i64}).Export(zkabi.FuncProve).
		NewFunctionBuilder().WithGoModuleFunction(api.GoModuleFunc(h.verify), []api.ValueType{i32, i32}, []api.ValueType{i32}).Export(zkabi.FuncVerify).
		NewFunctionBuilder().WithGoModuleFunction(api.GoModuleFunc(h.lastError), []api.ValueType{i32, i32}, []api.ValueType{i32}).Export(zkabi.FuncLastError).
		Instantiate(ctx)
	return err
}

// prove(req_ptr, req_len, out_ptr, out_cap) i64.
func (h *Host) prove(ctx context.Context, mod api.Module, stack []uint64) {
	reqPtr, reqLen := api.DecodeU32(stack[0]), api.DecodeU32(stack[1])
	outPtr, outCap := api.DecodeU32(stack[2]), api.DecodeU32(stack[3])
	proof, err := h.call(ctx, mod, reqPtr, reqLen, zkabi.OpProve)
	if err == nil && uint64(len(proof)) > uint64(outCap) {
		err = Errorf(zkabi.ErrOutput, "the proof is %d bytes, the buffer %d", len(proof), outCap)
	}
	if err == nil && !mod.Memory().Write(outPtr, proof) {
		err = Errorf(zkabi.ErrRequest, "output buffer [%d, +%d) is outside memory", outPtr, len(proof))
	}
	if err != nil {
		stack[0] = uint64(int64(h.fail(ctx, err)))
		return
	}
	stack[0] = uint64(len(proof))
}

// verify(req_ptr, req_len) i32.
func (h *Host) verify(ctx context.Context, mod api.Module, stack []uint64) {
	_, err := h.call(ctx, mod, api.DecodeU32(stack[0]), api.DecodeU32(stack[1]), zkabi.OpVerify)
	stack[0] = api.EncodeI32(int32(h.fail(ctx, err)))
}

// last_error(buf_ptr, buf_cap) i32.
func (h *Host) lastError(ctx context.Context, mod api.Module, stack []uint64) {
	msg := sandbox.LastError(ctx)
	ptr, capacity := api.DecodeU32(stack[0]), api.DecodeU32(stack[1])
	n := min(uint32(len(msg)), capacity)
	sandbox.Charge(ctx, mod, chargeCallBase+chargeBytes(uint64(n)))
	if !mod.Memory().WriteString(ptr, msg[:n]) {
		n = 0
	}
	stack[0] = api.EncodeI32(int32(n))
}

// maxMessage bounds what last_error keeps of a message: messages quote
// inputs (a hint's name, say), and a program must not buy big copies for
// the price of a call.
const maxMessage = 1 << 10

// fail records err for last_error and returns its status. A verifier
// gets the status's name only: its outcome must not depend on anything
// but the status (a message could carry what differs between machines,
// and a hostile verifier could branch on it to split a committee's
// votes). A prover gets the whole message, which says what to fix.
func (h *Host) fail(ctx context.Context, err error) zkabi.Status {
	s := StatusOf(err)
	if err == nil || s == zkabi.StatusValid {
		return s
	}
	if info, _ := sandbox.Info(ctx); info.Role == sandbox.Verify {
		sandbox.SetLastError(ctx, s.String())
	} else {
		msg := err.Error()
		if len(msg) > maxMessage {
			msg = msg[:maxMessage-3] + "..."
		}
		sandbox.SetLastError(ctx, msg)
	}
	return s
}

// call runs one request. Charges go through sandbox.Charge, each before
// the work it pays for; a budget that cannot pay panics out of the call
// (the run ends as out of cycles), which is why only the backend work,
// not the charging, runs under guard.
func (h *Host) call(ctx context.Context, mod api.Module, reqPtr, reqLen uint32, op zkabi.Op) ([]byte, error) {
	sandbox.Charge(ctx, mod, chargeCallBase+chargeBytes(uint64(reqLen)))
	raw, ok := mod.Memory().Read(reqPtr, reqLen)
	if !ok {
		return nil, Errorf(zkabi.ErrRequest, "request [%d, +%d) is outside memory", reqPtr, reqLen)
	}
	req, err := zkabi.Decode(raw)
	if err != nil {
		return nil, Errorf(zkabi.ErrRequest, "%w", err)
	}
	if req.Op != op {
		return nil, Errorf(zkabi.ErrRequest, "a %s request passed to %s", opName(req.Op), opName(op))
	}
	b, ok := h.backends[backendKey{req.System, req.Curve}]
	if !ok {
		return nil, Errorf(zkabi.ErrRequest, "no %s backend for %s", req.System, req.Curve)
	}
	info, _ := sandbox.Info(ctx)
	if op == zkabi.OpProve && info.Role == sandbox.Verify {
		// A proof is random: a verifier that could make one could vote
		// by coin toss.
		return nil, Errorf(zkabi.ErrRequest, "prove is not available to a verifier")
	}
	args, err := h.load(ctx, mod, info, req)
	if err != nil {
		return nil, err
	}
	if op == zkabi.OpProve {
		return h.doProve(ctx, mod, b, info, args)
	}
	return nil, h.doVerify(ctx, mod, b, args)
}

func opName(op zkabi.Op) string {
	if op == zkabi.OpProve {
		return zkabi.FuncProve
	}
	return zkabi.FuncVerify
}

// load resolves the request's arguments to bytes: inline ones are copied
// out of guest memory (gnark's objects may keep what they parse), named
// files are read from the job's input directory. Each is charged as
// reading it through WASI would be, before it is read, and the total
// must fit the memory bound.
func (h *Host) load(ctx context.Context, mod api.Module, info sandbox.RunInfo, req zkabi.Request) ([zkabi.NumArgs][]byte, error) {
	var out [zkabi.NumArgs][]byte
	var sizes [zkabi.NumArgs]int64
	for i, a := range req.Args {
		if a.Kind == zkabi.KindBytes {
			sizes[i] = int64(len(a.Data))
			continue
		}
		n, err := inputSize(info, string(a.Data))
		if err != nil {
			return out, err
		}
		sizes[i] = n
	}
	var total int64
	for i, n := range sizes {
		if n > maxArgBytes[req.Op][i] {
			return out, Errorf(zkabi.ErrTooLarge, "argument %d is %d bytes, the limit is %d", i, n, maxArgBytes[req.Op][i])
		}
		total += n
	}
	if est := total * parseExpansion; est > h.opts.MaxMemory {
		return out, Errorf(zkabi.ErrTooLarge, "inputs of %d bytes would need about %d bytes parsed, the limit is %d", total, est, h.opts.MaxMemory)
	}
	for i, a := range req.Args {
		sandbox.Charge(ctx, mod, chargeBytes(uint64(sizes[i])))
		if a.Kind == zkabi.KindBytes {
			out[i] = append([]byte(nil), a.Data...)
			continue
		}
		b, err := readInput(info, string(a.Data), sizes[i])
		if err != nil {
			return out, err
		}
		out[i] = b
	}
	return out, nil
}

// inputSize returns the size of one of the job's input files.
func inputSize(info sandbox.RunInfo, name string) (int64, error) {
	if info.InDir == "" || !slices.Contains(info.Inputs, name) {
		return 0, Errorf(zkabi.ErrNoInput, "%q is not one of the job's input files", name)
	}
	st, err := os.Stat(filepath.Join(info.InDir, name))
	if err != nil {
		return 0, Errorf(zkabi.ErrNoInput, "input %q: %w", name, err)
	}
	if !st.Mode().IsRegular() {
		return 0, Errorf(zkabi.ErrNoInput, "input %q is not a regular file", name)
	}
	return st.Size(), nil
}

// readInput reads exactly size bytes of an input file (the size charged).
func readInput(info sandbox.RunInfo, name string, size int64) ([]byte, error) {
	f, err := os.Open(filepath.Join(info.InDir, name))
	if err != nil {
		return nil, Errorf(zkabi.ErrNoInput, "input %q: %w", name, err)
	}
	defer f.Close()
	b := make([]byte, size)
	if _, err := io.ReadFull(f, b); err != nil {
		return nil, Errorf(zkabi.ErrInternal, "input %q: %w", name, err)
	}
	return b, nil
}

// parse charges for and parses one system or key, through the cache.
func (h *Host) parse(ctx context.Context, mod api.Module, b Backend, kind objectKind, data []byte) (Parsed, error) {
	cost := chargeParse(b.System(), b.Curve(), kind, uint64(len(data)))
	if kind == kindSystem {
		cost = sat(cost, mulSat(cborPerByte, systemBodyBytes(data)))
	}
	sandbox.Charge(ctx, mod, cost)
	parse := b.ParseSystem
	switch kind {
	case kindProvingKey:
		parse = b.ParseProvingKey
	case kindVerifyingKey:
		parse = b.ParseVerifyingKey
	}
	var obj Parsed
	err := guard(func() error {
		var err error
		obj, err = h.opts.Cache.get(b, kind, data, parse)
		return err
	})
	if err != nil {
		if StatusOf(err) == zkabi.ErrInternal {
			err = Errorf(statusFor(kind), "%s: %w", kind, err)
		}
		return nil, err
	}
	return obj, nil
}

func statusFor(kind objectKind) zkabi.Status {
	if kind == kindSystem {
		return zkabi.ErrSystem
	}
	return zkabi.ErrKey
}

func (h *Host) doProve(ctx context.Context, mod api.Module, b Backend, info sandbox.RunInfo, args [zkabi.NumArgs][]byte) ([]byte, error) {
	cs, err := h.parse(ctx, mod, b, kindSystem, args[0])
	if err != nil {
		return nil, err
	}
	pk, err := h.parse(ctx, mod, b, kindProvingKey, args[1])
	if err != nil {
		return nil, err
	}
	var shape Shape
	if err := guard(func() (err error) { shape, err = b.ProveShape(cs, pk, args[2]); return err }); err != nil {
		return nil, err
	}
	if need := proveMemory(shape) + cs.MemSize() + pk.MemSize(); need > h.opts.MaxMemory {
		return nil, Errorf(zkabi.ErrTooLarge, "proving needs about %d bytes, the limit is %d", need, h.opts.MaxMemory)
	}
	sandbox.Charge(ctx, mod, chargeProve(b.System(), b.Curve(), shape))
	h.Calls.Add(1)
	cores := info.Cores
	if cores <= 0 {
		cores = max(h.opts.Cores, 1)
	}
	var proof []byte
	err = guard(func() (err error) { proof, err = b.Prove(cs, pk, args[2], cores); return err })
	return proof, err
}

func (h *Host) doVerify(ctx context.Context, mod api.Module, b Backend, args [zkabi.NumArgs][]byte) error {
	vk, err := h.parse(ctx, mod, b, kindVerifyingKey, args[0])
	if err != nil {
		return err
	}
	// The pairings are paid before the proof is even decoded: decoding
	// it is work too, and a proof that does not decode must not be free.
	// The public inputs are paid by the public witness's bytes (at the
	// smallest element, 32 bytes), before it is walked.
	sandbox.Charge(ctx, mod, sat(chargeVerifyBase(b.System(), b.Curve()), chargeVerifyInputs(b.System(), b.Curve(), Shape{Public: publicBound(args[2])})))
	if err := guard(func() (err error) { _, err = b.VerifyShape(vk, args[1], args[2]); return err }); err != nil {
		return err
	}
	h.Calls.Add(1)
	return guard(func() error { return b.Verify(vk, args[1], args[2]) })
}

// publicBound is at most how many elements a public witness of these
// bytes holds (gnark's binary witness: a 12-byte header, then elements of
// at least 32 bytes).
func publicBound(public []byte) int {
	return max(len(public)-12, 0)/32 + 1
}

// guard runs fn, turning a panic on this goroutine into ErrInternal (a
// backend's validation should have stopped the input first; the panic is
// a host bug, not the program's fault, but must not kill the worker).
//
// The message is the panic's value only: a stack holds goroutine ids,
// addresses and paths, which differ between machines and runs. The stack
// goes to the worker's standard error, for the operator.
func guard(fn func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			fmt.Fprintf(os.Stderr, "provernet_zk_v1: host panic: %v\n%s\n", r, debug.Stack())
			err = Errorf(zkabi.ErrInternal, "host panic: %v", r)
		}
	}()
	return fn()
}

// ErrNoBackend is returned when a Host is asked for a backend it lacks.
var ErrNoBackend = errors.New("no such backend")

// Backend returns the host's backend for system over curve.
func (h *Host) Backend(system zkabi.System, curve zkabi.Curve) (Backend, error) {
	b, ok := h.backends[backendKey{system, curve}]
	if !ok {
		return nil, fmt.Errorf("%w: %s over %s", ErrNoBackend, system, curve)
	}
	return b, nil
}
